"""The models' number format (pipeline/precision.py): chosen by the machine, recorded in the spec, never mixed up."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from pipeline import precision
from pipeline.errors import UsageError
from pipeline.experiments import walk


def test_auto_takes_bfloat16_only_where_the_processor_has_it(monkeypatch):
    monkeypatch.setenv(precision.ENV, "auto")
    monkeypatch.setattr(precision, "fast_bfloat16", lambda device_type=None: False)
    assert precision.chosen() == "float32"
    monkeypatch.setattr(precision, "fast_bfloat16", lambda device_type=None: True)
    assert precision.chosen() == "bfloat16"
    assert precision.chosen("float32") == "float32"  # a choice given wins over the machine


def test_a_cpu_run_asks_the_processor_even_where_a_gpu_is_present(monkeypatch):
    import torch

    class Cpuinfo:  # a processor without AMX or AVX-512 BF16
        def __init__(self, *_):
            pass

        def read_text(self):
            return "flags\t: fpu sse2 avx2 fma"

    monkeypatch.setattr(precision, "Path", Cpuinfo)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert precision.fast_bfloat16() and precision.fast_bfloat16("cuda")  # a run's default device is the GPU
    assert not precision.fast_bfloat16("cpu")  # --device cpu: this processor is slow at bfloat16
    monkeypatch.setenv(precision.ENV, "auto")
    assert precision.chosen(device_type="cpu") == "float32"
    context, label = precision.for_training(torch.device("cpu"))
    assert label == "float32 (this CPU has no fast bfloat16)"
    assert precision.chosen(device_type="cuda") == "bfloat16"
    # the toy-world models run on the CPU even beside a GPU: their captures are float32 on this processor
    from pipeline.experiments import common
    from pipeline.experiments.models import open_model

    spec = walk.make_spec(open_model(), common.settings(walk))
    assert spec["model"]["device"] == "cpu" and "precision" not in spec["versions"]


def test_a_bad_precision_is_refused_in_one_line(monkeypatch):
    monkeypatch.setenv(precision.ENV, "half")
    with pytest.raises(UsageError, match=r"LATENT_WALK_PRECISION must be one of auto, float32, bfloat16; got 'half'"):
        precision.chosen()
    result = subprocess.run([sys.executable, "-m", "pipeline", "capture", "walk", "--out", "/nonexistent/x"],
                            capture_output=True, text=True, env={"PATH": "", precision.ENV: "half"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: LATENT_WALK_PRECISION must be one of auto, float32, bfloat16; got 'half'"]


def test_both_trainings_take_the_same_choice_as_sampling(monkeypatch):
    import torch

    def dtype_inside(context):
        with context:
            return (torch.ones(2, 2) @ torch.ones(2, 2)).dtype

    monkeypatch.setenv(precision.ENV, "float32")
    context, label = precision.for_training(torch.device("cpu"))
    assert dtype_inside(context) == torch.float32 and label == "float32 (chosen)"
    monkeypatch.setenv(precision.ENV, "auto")
    monkeypatch.setattr(precision, "fast_bfloat16", lambda device_type=None: False)
    context, label = precision.for_training(torch.device("cpu"))
    assert dtype_inside(context) == torch.float32 and label == "float32 (this CPU has no fast bfloat16)"
    monkeypatch.setattr(precision, "fast_bfloat16", lambda device_type=None: True)
    context, label = precision.for_training(torch.device("cpu"))
    assert dtype_inside(context) == torch.bfloat16 and label == "bf16 autocast (AMX/AVX-512)"
    monkeypatch.setenv(precision.ENV, "half")
    with pytest.raises(UsageError, match="LATENT_WALK_PRECISION must be one of"):
        precision.for_training(torch.device("cpu"))


def test_float32_specs_name_no_precision_and_bfloat16_ones_do(monkeypatch):
    from pipeline.experiments.common import versions

    monkeypatch.setenv(precision.ENV, "float32")
    assert "precision" not in versions()  # every float32 capture made before keeps its spec
    monkeypatch.setenv(precision.ENV, "bfloat16")
    assert versions()["precision"] == "bfloat16"


@pytest.mark.slow
def test_a_bfloat16_capture_is_its_own_and_close_to_float32(monkeypatch, tmp_path):
    """The same walk in both formats: two captures side by side, each read back as itself; bfloat16 really ran
    (the pictures differ) and stays close (a few grey levels, not another picture)."""
    made = {}
    for name in ("float32", "bfloat16"):
        monkeypatch.setenv(precision.ENV, name)
        made[name], cached = walk.capture(tmp_path, steps=2, progress=False)
        assert not cached
    assert made["float32"].path != made["bfloat16"].path
    assert made["bfloat16"].spec["versions"]["precision"] == "bfloat16"
    monkeypatch.setenv(precision.ENV, "float32")
    again, cached = walk.capture(tmp_path, steps=2, progress=False)
    assert cached and again.path == made["float32"].path
    a = made["float32"].arrays["final_picture"].astype(float)
    b = made["bfloat16"].arrays["final_picture"].astype(float)
    assert not np.array_equal(a, b)
    assert np.abs(a - b).mean() < 8.0  # grey levels of 255


def test_the_cards_precision_section_is_rewritten_alone_and_kept_by_a_full_evaluation(tmp_path):
    from pipeline import evaluate

    card = tmp_path / "MODEL_CARD.md"
    card.write_text("# Model card\n\nmeasured before\n\n## Limits\n\n- small\n")
    assert "Not measured yet" in evaluate.kept_precision_section(card)
    rate = {"rate": 0.5, "n": 4}
    effect = {"pairs": 4, "guidance": 2.0, "steps": 3, "seconds": {"float32": 1.0, "bfloat16": 9.0},
              "mean_grey_levels": 0.25, "rms_grey_levels": 0.5, "max_grey_levels": 7,
              "judged_alike": {"object": 1.0, "colour": 0.75, "background": 1.0},
              "scores": {name: {key: rate for key in ("object", "colour", "background", "both_objects")}
                         for name in ("float32", "bfloat16")}, "fast_bfloat16": False, "load_average": 0.5,
              "unet": "OpenVINO 2026.4.1, bfloat16, conversion 2"}
    evaluate._rewrite_section(card, evaluate.PRECISION_BEGIN, evaluate.PRECISION_END, evaluate.precision_section(effect))
    text = card.read_text()
    assert text.startswith("# Model card\n\nmeasured before\n") and text.rstrip().endswith("- small")
    assert ("(the\nUNet compiled by OpenVINO 2026.4.1 in bfloat16 (conversion 2 of pipeline/openvino_unet.py), the rest "
            "under autocast") in text
    assert "0.25 grey levels" in text and "colour 75.0%" in text and "| object | 50.0% (n=4) | 50.0% (n=4) |" in text
    kept = evaluate.kept_precision_section(card)
    assert kept.startswith(evaluate.PRECISION_BEGIN) and "0.25 grey levels" in kept
    assert kept.rstrip().endswith(evaluate.PRECISION_END)
    evaluate._rewrite_section(card, evaluate.PRECISION_BEGIN, evaluate.PRECISION_END, evaluate.precision_section(effect))
    assert card.read_text() == text  # rewritten again: the same card, its "## Limits" still after a blank line
    assert f"{evaluate.PRECISION_END}\n\n## Limits" in text
    assert "(without native bfloat16, where it is far slower than float32; load average 0.5)" in text
    named = {**effect, "processor": "AMD EPYC, AVX-512 BF16 (no AMX)", "fast_bfloat16": True}
    assert "(AMD EPYC, AVX-512 BF16 (no AMX); load average 0.5)" in evaluate.precision_section(named)


def test_the_cards_speed_section_and_training_step_are_rewritten_alone(tmp_path):
    """`evaluate --speed-only` rewrites the Speed section (found by "## Speed" in a card written before it had
    markers) and the recipe's training-step sentence, and nothing else; again, the same card."""
    from pipeline import evaluate

    card = tmp_path / "MODEL_CARD.md"
    before = ("# Model card\n\n- **Training**: `checkpoints/`). On this machine's CPU one step of that recipe takes "
              "31.3 s (measured, median of 3,\n  load average 1.9),\n  so the whole run would take about 26.1 hours; "
              "the smaller recipe.\n\n## Speed\n\nSampling 16 pictures with 50 steps and guidance on this machine's "
              "CPU (2 threads):\n21.3 s (the target is at most 10 s), measured with a load average of\n1.9 on the "
              f"machine.\n\n{evaluate.LATENT_BEGIN}\n## The latent twin\n\nkept\n{evaluate.LATENT_END}\n\n"
              "## Limits\n\n- small\n")
    card.write_text(before)
    speed = {"sampling_seconds_16x50": 9.87, "sampling_seconds_16x50_bfloat16": 1.74, "bfloat16_unet": "OpenVINO x",
             "cpu_step_seconds": 2.5, "load_average": 1.25, "processor": "AMD EPYC, AVX-512 BF16 (no AMX)"}
    training = {"batch_size": 512, "steps": 3000}
    evaluate.rewrite_speed(card, speed, training)
    text = card.read_text()
    import torch

    assert f"On this machine's CPU (AMD EPYC, AVX-512 BF16 (no AMX); {torch.get_num_threads()} threads" in text
    assert "21.3 s" not in text and "31.3 s" not in text and "26.1 hours" not in text
    assert "one step of that recipe takes 2.5 s in float32 (measured, median of 3,\n  load average 1.2),\n  so the whole run would " \
           "take about 2.1 hours; the smaller recipe." in text
    assert "- in float32: 9.9 s;\n- in bfloat16 as captures run it here" in text and "the UNet as OpenVINO x): 1.7 s." in text
    assert text.count("## Speed") == 1 and f"{evaluate.SPEED_END}\n\n{evaluate.LATENT_BEGIN}" in text
    assert text.startswith("# Model card\n") and text.rstrip().endswith("- small") and "\nkept\n" in text
    evaluate.rewrite_speed(card, speed, training)
    assert card.read_text() == text
    no_native = {k: v for k, v in speed.items() if "bfloat16" not in k}
    evaluate.rewrite_speed(card, no_native, training)
    assert "- in bfloat16: not timed, this processor has no native bfloat16" in card.read_text()


def test_the_processor_is_named_with_what_it_has_for_bfloat16():
    from pipeline.precision import fast_bfloat16, processor

    named = processor()
    assert "(R)" not in named and named.endswith(("AMX", "AVX-512 BF16 (no AMX)", "no native bfloat16", "unknown"))
    assert named.endswith(("AMX", "(no AMX)")) == fast_bfloat16("cpu")


def test_a_card_path_that_is_a_folder_is_named_in_one_line_and_left_alone(tmp_path, capsys):
    from pipeline.cli import main

    folder = tmp_path / "MODEL_CARD.md"
    folder.mkdir()
    (folder / "theirs.txt").write_text("not the project's")
    assert main(["evaluate", "--precision-only", "--pairs", "1", "--steps", "1", "--card", str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: ") and str(folder) in err and "is a folder" in err and ".tmp-" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["MODEL_CARD.md"]
    assert [p.name for p in folder.iterdir()] == ["theirs.txt"]


def test_a_card_in_a_missing_folder_is_refused_before_anything_is_measured(tmp_path, capsys, monkeypatch):
    from pipeline import evaluate
    from pipeline.cli import main

    monkeypatch.setattr(evaluate, "precision_effect", lambda *a, **k: pytest.fail("measured before the check"))
    card = tmp_path / "nowhere" / "MODEL_CARD.md"
    assert main(["evaluate", "--precision-only", "--pairs", "1", "--steps", "1", "--card", str(card)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: ") and str(card.parent) in err and "does not exist" in err
    assert list(tmp_path.iterdir()) == []


def test_a_toy_world_unet_runs_whole_in_bfloat16_and_is_left_as_it_was(monkeypatch):
    """Inside ``running_in("bfloat16", "cpu", pipe)`` with ``LATENT_WALK_UNET=torch`` (or where OpenVINO is
    missing) the embedded model's UNet answers from a bfloat16, channels-last copy: bit for bit what that copy
    computes, close to plain autocast but not the same, the float32 UNet untouched and unwrapped afterwards; a weight
    changed in place makes a new copy, and a call with arguments the copy does not take goes to the UNet itself."""
    import copy

    import torch

    from pipeline import openvino_unet
    from pipeline.model import load_pipeline

    monkeypatch.setenv(openvino_unet.ENGINE_ENV, "torch")
    pipe = load_pipeline()
    unet = pipe.unet
    before = {k: v.clone() for k, v in unet.state_dict().items()}
    torch.manual_seed(0)
    x, states, t = torch.randn(4, 3, 32, 32), torch.randn(4, 24, unet.config.cross_attention_dim), torch.tensor(700)
    by_hand = copy.deepcopy(unet).to(torch.bfloat16).to(memory_format=torch.channels_last)
    with torch.no_grad():
        expected = by_hand(x.bfloat16().contiguous(memory_format=torch.channels_last), t,
                           encoder_hidden_states=states.bfloat16()).sample
        with torch.autocast("cpu", dtype=torch.bfloat16):
            autocast = unet(x, t, encoder_hidden_states=states).sample
        with precision.running_in("bfloat16", "cpu", pipe):
            assert "forward" in unet.__dict__
            whole = unet(x, t, encoder_hidden_states=states).sample
            again = unet(x, t, encoder_hidden_states=states, return_dict=False)[0]
            extra = unet(x, t, encoder_hidden_states=states, cross_attention_kwargs={}).sample
    assert whole.dtype == torch.bfloat16 and whole.is_contiguous()
    assert torch.equal(whole, expected) and torch.equal(again, expected)
    assert torch.equal(extra, autocast)  # an argument the copy does not take: the UNet itself, under autocast
    assert not torch.equal(whole, autocast) and (whole.float() - autocast.float()).abs().mean() < 0.02
    assert "forward" not in unet.__dict__ and unet.dtype == torch.float32
    assert all(torch.equal(v, before[k]) for k, v in unet.state_dict().items())

    with torch.no_grad():
        unet.conv_in.bias.add_(0.5)  # an edit in place, as an optimiser's step: the copy is made again
        with precision.running_in("bfloat16", "cpu", pipe):
            edited = unet(x, t, encoder_hidden_states=states).sample
    assert not torch.equal(edited, expected)


def test_only_the_toy_world_models_on_a_cpu_run_their_unet_whole_and_their_specs_say_so(monkeypatch):
    from pipeline import openvino_unet
    from pipeline.experiments import common, latent
    from pipeline.families import EMBEDDED, LATENT_TWIN

    monkeypatch.setenv(precision.ENV, "bfloat16")
    # OpenVINO where it does bfloat16 on this CPU (AVX-512 or AMX), the torch copy elsewhere or when asked
    native = openvino_unet.version() and openvino_unet.native_bfloat16()
    here = openvino_unet.label() if native else precision.WHOLE_UNET
    for way, named in (("torch", precision.WHOLE_UNET), ("openvino", here)):
        monkeypatch.setenv(openvino_unet.ENGINE_ENV, way)
        assert common.versions("cpu", EMBEDDED)["unet"] == named
        assert common.versions("cpu", LATENT_TWIN)["unet"] == precision.WHOLE_UNET  # the twin: the torch copy always
    monkeypatch.setattr(openvino_unet, "native_bfloat16", lambda: False)  # OpenVINO would run float32 on this CPU
    assert common.versions("cpu", EMBEDDED)["unet"] == precision.WHOLE_UNET
    monkeypatch.setattr(openvino_unet, "version", lambda: None)  # a machine without OpenVINO: the torch copy
    assert common.versions("cpu", EMBEDDED)["unet"] == precision.WHOLE_UNET
    monkeypatch.undo()
    monkeypatch.setenv(precision.ENV, "bfloat16")
    assert "unet" not in common.versions("cpu", "StableDiffusionPipeline")  # other families: plain autocast
    assert "unet" not in common.versions("cuda", EMBEDDED)
    monkeypatch.setenv(precision.ENV, "float32")
    assert "unet" not in common.versions("cpu", EMBEDDED) and "precision" not in common.versions("cpu", EMBEDDED)
    # the latent experiment walks two models: both run in the capture's precision
    pixel, twin = object(), object()
    subject = latent.Twins(type("M", (), {"pipe": pixel})(), type("M", (), {"pipe": twin})())
    assert common._pipes(subject) == (pixel, twin) and common._pipes(None) == ()

"""The toy-world UNets in bfloat16 through OpenVINO (pipeline/openvino_unet.py): the same answer every time and in
every process, close to float32's, the UNet left as it was, and a cache that only ever saves time."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from pipeline import openvino_unet, precision

# requirements.txt installs it; a machine without it runs the torch copy (tests/test_precision.py)
pytest.importorskip("openvino")


@pytest.fixture
def pipe():
    from pipeline.model import load_pipeline

    return load_pipeline()


def _inputs(unet, batch=4):
    generator = torch.Generator().manual_seed(0)
    return (torch.randn(batch, unet.config.in_channels, 32, 32, generator=generator),
            torch.tensor(700), torch.randn(batch, 24, unet.config.cross_attention_dim, generator=generator))


@pytest.mark.slow
def test_the_unet_answers_from_openvino_the_same_after_a_cache_read_and_is_left_as_it_was(pipe, tmp_path, monkeypatch):
    monkeypatch.setenv(openvino_unet.CACHE_ENV, str(tmp_path))
    unet = pipe.unet
    before = {k: v.clone() for k, v in unet.state_dict().items()}
    x, t, states = _inputs(unet)
    with torch.no_grad():
        reference = unet(x, t, encoder_hidden_states=states).sample
        with openvino_unet.openvino_unet(unet):
            assert "forward" in unet.__dict__
            first = unet(x, t, encoder_hidden_states=states).sample
            cached = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
            openvino_unet._ENGINES.clear()  # the next call reads the converted model back from the cache
            monkeypatch.setattr(openvino_unet, "_convert", lambda *a: pytest.fail("converted again, not read back"))
            again = unet(x, t, encoder_hidden_states=states, return_dict=False)[0]
            monkeypatch.undo()
            per_picture = unet(x, t.expand(4), encoder_hidden_states=states).sample  # a timestep per picture
            as_int = unet(x, 700, encoder_hidden_states=states).sample
            extra = unet(x, t, encoder_hidden_states=states, cross_attention_kwargs={}).sample
    assert len(cached) == 2 and cached[0].startswith("openvino/") and {c.rsplit("/", 1)[1] for c in cached} == {
        "unet.bin", "unet.xml"}
    assert first.dtype == torch.float32 and first.shape == reference.shape
    assert torch.equal(first, again) and torch.equal(first, per_picture) and torch.equal(first, as_int)
    assert torch.equal(extra, reference)  # an argument the engine does not take: the UNet itself
    assert (first - reference).abs().mean() < 0.02  # bfloat16's rounding, not another prediction
    if precision.fast_bfloat16("cpu"):
        assert not torch.equal(first, reference)  # it ran in bfloat16 where the processor has it
    assert "forward" not in unet.__dict__
    assert all(torch.equal(v, before[k]) for k, v in unet.state_dict().items())

    monkeypatch.setenv(openvino_unet.CACHE_ENV, str(tmp_path))
    with torch.no_grad():
        unet.conv_in.bias.add_(0.5)  # an edit in place, as an optimiser's step: converted again
        with openvino_unet.openvino_unet(unet):
            edited = unet(x, t, encoder_hidden_states=states).sample
    assert not torch.equal(edited, first) and len(list((tmp_path / "openvino").iterdir())) == 2
    with torch.enable_grad(), openvino_unet.openvino_unet(unet):
        assert unet(x, t, encoder_hidden_states=states).sample.requires_grad  # gradients: the UNet itself


@pytest.mark.slow
def test_a_cache_that_cannot_be_written_costs_time_only(pipe, tmp_path, monkeypatch):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(openvino_unet.CACHE_ENV, str(blocker / "cache"))
    x, t, states = _inputs(pipe.unet, batch=2)
    with torch.no_grad(), openvino_unet.openvino_unet(pipe.unet):
        out = pipe.unet(x, t, encoder_hidden_states=states).sample
    assert out.shape == x.shape and torch.isfinite(out).all()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a file"] and blocker.read_text() == "not a folder"


def test_a_bad_unet_way_is_refused_in_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pipeline", "capture", "walk", "--steps", "2", "--out",
                             str(tmp_path / "out")], capture_output=True, text=True,
                            env={"PATH": "", precision.ENV: "bfloat16", openvino_unet.ENGINE_ENV: "fast"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["error: LATENT_WALK_UNET must be openvino or torch; got 'fast'"]
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_openvino_captures_are_byte_identical_from_process_to_process_and_name_their_way(tmp_path):
    """Two processes, the second reading the converted model the first cached: the same bytes."""
    import json
    import os

    env = {**os.environ, precision.ENV: "bfloat16", openvino_unet.ENGINE_ENV: "openvino",
           openvino_unet.CACHE_ENV: str(tmp_path / "cache")}
    made = []
    for run in ("one", "two"):
        done = subprocess.run([sys.executable, "-m", "pipeline", "capture", "walk", "--steps", "3", "--out",
                               str(tmp_path / run)], capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr[-2000:]
        made.append(next((tmp_path / run).glob("walk-*")))
    assert made[0].name == made[1].name  # the same spec
    assert (made[0] / "arrays.npz").read_bytes() == (made[1] / "arrays.npz").read_bytes()
    spec = json.loads((made[0] / "manifest.json").read_text())["spec"]
    # OpenVINO where its CPU plugin does bfloat16 here; elsewhere the torch copy ran, and the spec says so
    ran = openvino_unet.label() if openvino_unet.native_bfloat16() else precision.WHOLE_UNET
    assert spec["versions"]["unet"] == ran
    assert spec["versions"]["precision"] == "bfloat16"


@pytest.mark.slow
def test_a_damaged_cache_entry_is_converted_again_and_a_failing_compile_is_one_line(pipe, tmp_path, monkeypatch):
    from pipeline.errors import UsageError

    monkeypatch.setenv(openvino_unet.CACHE_ENV, str(tmp_path))
    key = openvino_unet._key(pipe.unet, 24)
    entry = tmp_path / "openvino" / key
    entry.mkdir(parents=True)
    (entry / "unet.xml").write_text("<net> cut short")  # a write that never finished, left by a crash
    x, t, states = _inputs(pipe.unet, batch=2)
    with torch.no_grad(), openvino_unet.openvino_unet(pipe.unet):
        out = pipe.unet(x, t, encoder_hidden_states=states).sample
    assert torch.isfinite(out).all() and (entry / "unet.bin").is_file() and "cut short" not in (
        entry / "unet.xml").read_text()

    def broken(self, *size_and_texts):
        raise RuntimeError("Exception from src/inference: no kernel for this CPU\nmore lines")

    monkeypatch.setattr(openvino_unet.Engine, "_compiled", broken)
    x, t, states = _inputs(pipe.unet, batch=5)
    with torch.no_grad(), openvino_unet.openvino_unet(pipe.unet), pytest.raises(UsageError) as refused:
        pipe.unet(x, t, encoder_hidden_states=states)  # a new batch size (run as 8): compiled, and it fails
    assert str(refused.value) == ("OpenVINO could not run the UNet here (Exception from src/inference: no kernel for "
                                  "this CPU); run again with LATENT_WALK_UNET=torch to run it in torch instead")


def test_a_conversion_that_fails_is_one_line(pipe, tmp_path, monkeypatch):
    from openvino._pyopenvino import OpConversionFailure

    from pipeline.errors import UsageError

    monkeypatch.setenv(openvino_unet.CACHE_ENV, str(tmp_path))

    def refused(*args):
        raise OpConversionFailure("Model wasn't fully converted.\nSummary: no rule for aten::something")

    monkeypatch.setattr(openvino_unet, "_convert", refused)
    x, t, states = _inputs(pipe.unet, batch=2)
    with torch.no_grad(), openvino_unet.openvino_unet(pipe.unet), pytest.raises(UsageError) as failed:
        pipe.unet(x, t, encoder_hidden_states=states)
    assert str(failed.value) == ("OpenVINO could not run the UNet here (Model wasn't fully converted.); run again "
                                 "with LATENT_WALK_UNET=torch to run it in torch instead")
    assert list(tmp_path.iterdir()) == [] and "forward" not in pipe.unet.__dict__


def test_calls_of_another_shape_go_to_the_unet_itself(pipe, tmp_path, monkeypatch):
    monkeypatch.setenv(openvino_unet.CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(openvino_unet, "engine", lambda *a: pytest.fail("sent to OpenVINO"))
    unet = pipe.unet
    x, t, states = _inputs(unet, batch=2)
    with torch.no_grad(), openvino_unet.openvino_unet(unet):
        for sample, step, text in ((x[:, :, :16, :16], t, states),  # another picture size
                                   (x, torch.tensor([700, 600, 500]), states),  # three timesteps for two pictures
                                   (x, t, states[:1])):  # text states for one picture
            try:
                unet(sample, step, encoder_hidden_states=text)
            except Exception:  # noqa: BLE001 - the UNet's own refusal is fine; being sent to OpenVINO is not
                pass


def test_the_pixel_model_runs_through_openvino_and_its_latent_twin_as_the_torch_copy(pipe, monkeypatch):
    """The twin's 8 x 8 UNet would spend longer being converted than its capture takes; the latent capture's spec
    names the pixel model's way."""
    from pipeline.experiments.latent import latent_folder
    from pipeline.experiments.models import open_model

    monkeypatch.setattr(openvino_unet, "native_bfloat16", lambda: True)
    monkeypatch.setenv(openvino_unet.ENGINE_ENV, "openvino")
    twin = open_model(latent_folder()).pipe
    with precision.running_in("bfloat16", "cpu", pipe, twin):
        # the function each wrapper answers with, named after the way it comes from
        answers = [dict(zip(p.unet.__dict__["forward"].__code__.co_freevars,
                            (cell.cell_contents for cell in p.unet.__dict__["forward"].__closure__)))["answer"]
                   for p in (pipe, twin)]
        ways = [answer.__qualname__.split(".")[0] for answer in answers]
    assert ways == ["openvino_unet", "bfloat16_unet"]
    assert "forward" not in pipe.unet.__dict__ and "forward" not in twin.unet.__dict__


def test_the_traced_group_norm_is_torchs_group_norm():
    """The group norm the trace writes with poolings (the layout OpenVINO keeps) is torch's own, in float32: on
    channels whose mean is far from zero too, and on one whose values are all alike (no variance below zero)."""
    generator = torch.Generator().manual_seed(0)
    by_pooling = openvino_unet._group_norm_by_pooling()
    x = torch.randn(3, 32, 16, 16, generator=generator) * 2 + torch.linspace(-20, 20, 32)[None, :, None, None]
    x[:, :4] = 7.0  # the first group: one value throughout
    for affine in (True, False):
        norm = torch.nn.GroupNorm(8, 32, affine=affine)
        if affine:
            with torch.no_grad():
                norm.weight.copy_(torch.randn(32, generator=generator))
                norm.bias.copy_(torch.randn(32, generator=generator))
        expected = norm(x)
        norm.__class__ = by_pooling
        got = norm(x)
        assert torch.isfinite(got).all()
        torch.testing.assert_close(got, expected, atol=2e-4, rtol=1e-4)


def test_the_traced_upsampler_is_doubling_then_convolving():
    """A plain upsampler (nearest-neighbour doubling, then a 3 x 3 convolution) as the trace writes it, one transposed
    convolution of stride 2: the same function, to float64's last bits, on pictures of odd sides too; an output size
    other than the double goes the module's own way."""
    import torch.nn.functional as F
    from diffusers.models.upsampling import Upsample2D

    generator = torch.Generator().manual_seed(0)
    module = Upsample2D(8, use_conv=True, out_channels=6).double()
    with torch.no_grad():
        module.conv.weight.copy_(torch.randn(module.conv.weight.shape, generator=generator, dtype=torch.float64))
        module.conv.bias.copy_(torch.randn(6, generator=generator, dtype=torch.float64))
    assert openvino_unet._plain_upsampler(module)
    module.transposed = openvino_unet._transposed_weight(module.conv.weight)
    assert module.transposed.shape == (8, 6, 4, 4)
    for side in ((5, 7), (8, 8)):
        x = torch.randn(2, 8, *side, generator=generator, dtype=torch.float64)
        expected = module.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))
        got = openvino_unet._upsample_forward(module, x)
        assert got.shape == (2, 6, 2 * side[0], 2 * side[1])
        torch.testing.assert_close(got, expected, atol=1e-12, rtol=0)
        torch.testing.assert_close(openvino_unet._upsample_forward(module, x, (2 * side[0], 2 * side[1])), expected,
                                   atol=1e-12, rtol=0)
    x = torch.randn(1, 8, 4, 4, generator=generator, dtype=torch.float64)
    torch.testing.assert_close(openvino_unet._upsample_forward(module, x, (9, 9)), module(x, (9, 9)))
    assert not openvino_unet._plain_upsampler(Upsample2D(8, use_conv=True, kernel_size=5, padding=2))
    assert not openvino_unet._plain_upsampler(Upsample2D(8, use_conv=False))


def test_the_converted_unet_norms_by_pooling(pipe):
    """Every group norm of the traced UNet is the pooling one and every upsampler the transposed convolution, on a
    copy: the UNet itself keeps torch's."""
    from diffusers.models.upsampling import Upsample2D

    traced = openvino_unet._traceable(pipe.unet)
    norms = [type(m).__name__ for m in traced.modules() if isinstance(m, torch.nn.GroupNorm)]
    assert norms and set(norms) == {"GroupNormByPooling"}
    assert {type(m) for m in pipe.unet.modules() if isinstance(m, torch.nn.GroupNorm)} == {torch.nn.GroupNorm}
    upsamplers = [type(m).__name__ for m in traced.modules() if isinstance(m, Upsample2D)]
    assert upsamplers and set(upsamplers) == {"Upsampler"}  # every one a transposed convolution
    assert {type(m) for m in pipe.unet.modules() if isinstance(m, Upsample2D)} == {Upsample2D}


@pytest.mark.slow
def test_a_batch_runs_as_compiled_sizes_and_each_picture_gets_the_same_bytes(pipe, tmp_path, monkeypatch):
    """A batch runs as chunks of the compiled sizes (32 at most, the last chunk filled up), each as two halves side
    by side where torch has 2 threads or more: each picture's prediction is the same bit for bit however its batch
    was cut."""
    monkeypatch.setenv(openvino_unet.CACHE_ENV, str(tmp_path))
    assert openvino_unet.chunks(34) == [(0, 32, 32), (32, 2, 2)] and openvino_unet.chunks(5) == [(0, 5, 8)]
    assert openvino_unet.chunks(64) == [(0, 32, 32), (32, 32, 32)] and openvino_unet.chunks(1) == [(0, 1, 2)]
    unet = pipe.unet
    x, t, states = _inputs(unet, batch=34)
    with torch.no_grad(), openvino_unet.openvino_unet(unet):
        whole = unet(x, t, encoder_hidden_states=states).sample  # 32, then 2
        parts = [unet(x[i:j], t, encoder_hidden_states=states[i:j]).sample for i, j in ((0, 3), (3, 8), (8, 34))]
    assert whole.shape[0] == 34 and torch.equal(whole, torch.cat(parts))  # 3 run as 4, 5 as 8, 26 as 32
    engine = openvino_unet.engine(unet, 24)
    assert {size for size, texts, _ in engine.requests if texts == 1} == {2, 4, 8, 32}
    streams = 2 if torch.get_num_threads() >= 2 else 1
    for requests in engine.requests.values():
        assert len(requests) == streams
        assert int(requests[0].get_compiled_model().get_property("NUM_STREAMS")) == streams


def test_the_shipped_unets_group_norms_are_safe_to_take_in_one_pass(pipe):
    """The pooled group norm takes the variance as mean square minus squared mean, in bfloat16 inside OpenVINO:
    fine while a group's mean is not far larger than its spread (each of the two means is rounded to 8 bits, so the
    variance's error grows with mean^2 / variance). The shipped UNet's groups, over three whole walks, stay below 10
    (measured 9.6: about 2% of the variance at most); a retrained UNet past 30 must first get a two-pass norm
    (about 8% slower a forward)."""
    ratios = []

    def measure(module, args):
        x = args[0].reshape(args[0].shape[0], module.num_groups, -1)
        ratios.append(float((x.mean(-1) ** 2 / x.var(-1, unbiased=False).clamp(min=1e-12)).max()))

    hooks = [m.register_forward_pre_hook(measure) for m in pipe.unet.modules() if isinstance(m, torch.nn.GroupNorm)]
    try:
        with torch.no_grad():  # float32: the statistics the bfloat16 graph approximates, over whole walks
            pipe(["a red fish on a blue background", "a green house and a yellow ball", "a cat"],
                 num_inference_steps=12, guidance_scale=2.0, generator=[torch.Generator().manual_seed(i) for i in range(3)])
    finally:
        for hook in hooks:
            hook.remove()
    assert len(ratios) == 12 * len(hooks) and max(ratios) < 30, max(ratios)


def test_the_traced_unet_is_the_unet_with_one_text_or_two_per_picture(pipe):
    """The function OpenVINO converts (``_traceable``: the forward written out, its norms by pooling, the time
    embedding folded into the norms, SiLU by tanh, GEGLU as two products, the upsamplers as transposed convolutions,
    the text-free levels once per picture) is
    the UNet's own, in float32: with a text per picture, and with two (guidance's batch, the pictures repeated)."""
    unet = pipe.unet
    assert openvino_unet.unsupported(unet) is None
    traced = openvino_unet._traceable(unet)
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(3, 3, 32, 32, generator=generator)
    t = torch.tensor([900.0, 400.0, 20.0])
    states = torch.randn(6, 24, unet.config.cross_attention_dim, generator=generator)
    with torch.no_grad():
        two = traced(x, t, states)
        one = traced(x, t, states[3:])
        expected_two = unet(torch.cat([x, x]), torch.cat([t, t]), encoder_hidden_states=states).sample
        expected_one = unet(x, t, encoder_hidden_states=states[3:]).sample
    assert two.shape == (6, 3, 32, 32) and one.shape == (3, 3, 32, 32)
    torch.testing.assert_close(two, expected_two, atol=5e-5, rtol=1e-5)
    torch.testing.assert_close(one, expected_one, atol=5e-5, rtol=1e-5)
    assert not torch.equal(two[:3], two[3:])  # each text its own prediction

    # training's plain attention (the same function): the traced copy is the same graph, with the fused one
    import copy

    from diffusers.models.attention_processor import AttnProcessor, AttnProcessor2_0

    from pipeline.model import plain_attention_for_training

    training = copy.deepcopy(unet)
    plain_attention_for_training(training, torch.device("cpu"))
    assert {type(p) for p in training.attn_processors.values()} == {AttnProcessor}
    assert openvino_unet.unsupported(training) is None
    assert {type(p) for p in openvino_unet._traceable(training).unet.attn_processors.values()} == {AttnProcessor2_0}


@pytest.mark.slow
def test_guidances_batch_runs_each_picture_once_for_both_texts(pipe, tmp_path, monkeypatch):
    """A batch of the same pictures twice (guidance's: the empty prompt's texts, then the prompt's) runs as pictures
    with two texts each, in chunks of ``PAIRED_SIZES``: each prediction close to float32's and the same bytes however
    the batch was cut; a batch whose halves differ runs as before."""
    monkeypatch.setenv(openvino_unet.CACHE_ENV, str(tmp_path))
    unet = pipe.unet
    x, t, states = _inputs(unet, batch=20)
    x, states = x[:10], states[:20]
    with torch.no_grad():
        reference = unet(torch.cat([x, x]), t, encoder_hidden_states=states).sample
        with openvino_unet.openvino_unet(unet):
            whole = unet(torch.cat([x, x]), t, encoder_hidden_states=states).sample  # 10 pictures: run as 16
            parts = [unet(torch.cat([x[i:j], x[i:j]]), t,
                          encoder_hidden_states=torch.cat([states[i:j], states[10 + i:10 + j]])).sample
                     for i, j in ((0, 3), (3, 10))]  # run as 4 and 8
            unpaired = unet(torch.cat([x, x.flip(0)]), t, encoder_hidden_states=states).sample
    assert openvino_unet.chunks(10, openvino_unet.PAIRED_SIZES) == [(0, 10, 16)]
    assert torch.equal(whole, torch.cat([parts[0][:3], parts[1][:7], parts[0][3:], parts[1][7:]]))
    assert (whole - reference).abs().mean() < 0.02  # bfloat16's rounding, not another prediction
    engine = openvino_unet.engine(unet, 24)
    assert {(size, texts) for size, texts, _ in engine.requests} == {(16, 2), (4, 2), (8, 2), (32, 1)}
    assert (unpaired[:10] - whole[:10]).abs().mean() < 0.02 and not torch.equal(unpaired[10:], whole[10:])


def test_a_unet_the_trace_does_not_reproduce_is_refused_in_one_line(pipe, tmp_path, monkeypatch):
    """A UNet of another make (here its resnets take the time embedding as a scale and a shift) is not converted
    into something else: one line says so and how to run it in torch."""
    import copy

    from pipeline.errors import UsageError

    monkeypatch.setenv(openvino_unet.CACHE_ENV, str(tmp_path))
    unet = copy.deepcopy(pipe.unet)
    unet.down_blocks[0].resnets[0].time_embedding_norm = "scale_shift"
    assert openvino_unet.unsupported(unet) == "a resnet block that resamples, or takes its time embedding otherwise"
    x, t, states = _inputs(unet, batch=2)
    with torch.no_grad(), openvino_unet.openvino_unet(unet), pytest.raises(UsageError) as refused:
        unet(x, t, encoder_hidden_states=states)
    assert str(refused.value) == (
        "OpenVINO's copy of the UNet cannot reproduce this one (a resnet block that resamples, or takes its time "
        "embedding otherwise); run again with LATENT_WALK_UNET=torch to run it in torch instead")
    assert list(tmp_path.iterdir()) == []


def _graph(model, folder):
    """A converted model as text and weights, with the names OpenVINO numbers afresh in each conversion left out."""
    import re

    import openvino as ov

    ov.save_model(model, folder / "unet.xml", compress_to_fp16=False)
    text = re.sub(r'name="Model\d+"', 'name="Model"', re.sub(r'_\d+"', '_"', (folder / "unet.xml").read_text()))
    return text, (folder / "unet.bin").read_bytes()


@pytest.mark.slow
def test_the_quick_conversion_is_openvinos_own_graph_and_reports_nothing(pipe, tmp_path, monkeypatch):
    """_convert traces once (no tracer check), skips an empty pre-processing step and OpenVINO's usage reports: the
    graph is the one OpenVINO's own convert_model makes with all three."""
    import openvino as ov
    import openvino_telemetry

    reports = []
    monkeypatch.setattr(openvino_telemetry.Telemetry, "send_event", lambda self, *a, **k: reports.append(a))
    unet = pipe.unet
    quick = openvino_unet._convert(unet, 24, tmp_path / "quick")
    assert reports == []
    side, channels, width = 32, unet.config.in_channels, unet.config.cross_attention_dim
    with torch.no_grad():
        own = ov.convert_model(openvino_unet._traceable(unet), example_input=(
            torch.zeros(2, channels, side, side), torch.full((2,), 500.0), torch.zeros(4, 24, width)), input=[
            ov.PartialShape([-1, channels, side, side]), ov.PartialShape([-1]), ov.PartialShape([-1, 24, width])])
    assert reports  # the patch above sees the reports OpenVINO sends by default
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert _graph(quick, tmp_path / "a") == _graph(own, tmp_path / "b")
    from openvino.tools.ovc import convert_impl
    from openvino.tools.ovc.moc_frontend import moc_emit_ir

    assert convert_impl.tm is openvino_telemetry and moc_emit_ir.apply_preprocessing.__name__ == "apply_preprocessing"

"""The latent twin (pipeline/latent.py): tiny random components built here offline, saved as a diffusers folder,
loaded like any model folder, recorded as a Stable Diffusion folder is, and refused with one line when broken."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from pipeline import cli, recorder
from pipeline.contract import read_capture
from pipeline.errors import UsageError

PROMPT = "a red fish at sea"


def tiny_latent_folder(folder) -> None:
    """A ToyWorldLatentPipeline of tiny random components (32x32x3 pictures, 8x8x4 latents), saved as a folder."""
    from diffusers import AutoencoderKL, UNet2DConditionModel

    from pipeline.latent import ToyWorldLatentPipeline
    from pipeline.model import sampling_scheduler

    torch.manual_seed(0)
    vae = AutoencoderKL(in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 3,
                        up_block_types=("UpDecoderBlock2D",) * 3, block_out_channels=(8, 8, 16), layers_per_block=1,
                        latent_channels=4, norm_num_groups=4, sample_size=32, scaling_factor=0.7)
    unet = UNet2DConditionModel(sample_size=8, in_channels=4, out_channels=4, block_out_channels=(16, 32),
                                layers_per_block=1, down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
                                up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), cross_attention_dim=384,
                                attention_head_dim=2, norm_num_groups=8)
    ToyWorldLatentPipeline(vae=vae, unet=unet, scheduler=sampling_scheduler()).save_pretrained(
        str(folder), safe_serialization=True)


@pytest.fixture(scope="module")
def latent_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-latent") / "tiny-latent"
    tiny_latent_folder(folder)
    return folder


def _plain(folder, steps=3, seeds=(0,), guidance=2.0, prompt=PROMPT):
    from pipeline.latent import load_latent_pipeline

    pipe = load_latent_pipeline(folder)
    gens = [torch.Generator().manual_seed(s) for s in seeds]
    return pipe([prompt] * len(seeds), num_inference_steps=steps, guidance_scale=guidance, generator=gens).images


def test_pictures_go_to_8x8x4_latents_and_back(latent_folder):
    from pipeline.latent import load_latent_pipeline

    pipe = load_latent_pipeline(latent_folder)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    z = pipe.vae.encode(x).latent_dist.mean
    assert z.shape == (2, 4, 8, 8) and z.numel() // 2 * 12 == 3 * 32 * 32
    assert pipe.vae.decode(z).sample.shape == (2, 3, 32, 32)
    pictures = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    latents = recorder.latents(pipe, pictures)
    assert latents.shape == (2, 4, 8, 8) and latents.dtype == torch.float32
    assert torch.allclose(latents, pipe.encode_pictures(pictures), atol=1e-6)
    assert recorder.pictures(pipe, latents).shape == (2, 32, 32, 3)


def test_the_pipeline_output_follows_toyworldpipeline(latent_folder):
    images = _plain(latent_folder, steps=2, seeds=(0, 1))
    assert images.shape == (2, 32, 32, 3) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    assert not np.array_equal(images[0], images[1])
    assert np.array_equal(images, _plain(latent_folder, steps=2, seeds=(0, 1)))  # seeded


def test_open_model_takes_the_latent_folder(latent_folder):
    from pipeline.experiments.models import open_model
    from pipeline.latent import ToyWorldLatentPipeline

    model = open_model(latent_folder)
    assert model.identity["pipeline"] == "ToyWorldLatentPipeline" and "text_encoder" in model.identity
    assert model.is_embedded and model.is_latent  # a toy-world model (the judge reads it), walked in latents
    assert isinstance(model.pipe, ToyWorldLatentPipeline)
    assert model.state_shape == (4, 8, 8)
    assert model.start_noise([3]).shape == (1, 4, 8, 8)


def test_recording_changes_nothing_and_gives_the_pipelines_picture(latent_folder):
    from pipeline.experiments.models import open_model
    from pipeline.model import to_uint8

    before = _plain(latent_folder, steps=3, seeds=(5, 6))
    model = open_model(latent_folder)
    walk = model.walk(steps=3, guidance=2.0, seeds=[5, 6], prompts=[PROMPT] * 2)
    after = _plain(latent_folder, steps=3, seeds=(5, 6))
    assert np.array_equal(walk.final, before) and np.array_equal(after, before)
    # the raw latents at every step, and their pictures through the VAE: the last is the pipeline's picture
    assert walk.trajectory.shape == (4, 2, 4, 8, 8) and walk.predicted_clean.shape == (3, 2, 4, 8, 8)
    assert np.array_equal(model.pictures(walk.trajectory[-1]), to_uint8(walk.final))
    assert model.pictures(walk.predicted_clean).shape == (3, 2, 32, 32, 3)
    assert torch.equal(walk.trajectory[0], model.start_noise([5, 6]))


def test_a_capture_of_the_latent_twin_is_deterministic(latent_folder, tmp_path):
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        assert cli.main(["capture", "walk", "--model", str(latent_folder), "--steps", "2", "--out", str(out)]) == 0
    first, second = (read_capture(out, "walk") for out in outs)
    assert first.path.name == second.path.name  # the same spec
    assert first.spec["model"]["pipeline"] == "ToyWorldLatentPipeline"
    assert (first.path / "arrays.npz").read_bytes() == (second.path / "arrays.npz").read_bytes()
    a = first.arrays
    assert a["trajectory"].shape == (3, 4, 8, 8) and a["trajectory_pictures"].shape == (3, 32, 32, 3)
    assert np.array_equal(a["trajectory_pictures"][-1], a["final_picture"])
    assert np.array_equal(a["final"], _plain(latent_folder, steps=2, seeds=(first.spec["seed"],),
                                               prompt=first.spec["prompt"])[0])


def _broken(latent_folder, tmp_path, how):
    broken = tmp_path / f"broken-{how}"
    shutil.copytree(latent_folder, broken)
    if how == "no-vae":
        shutil.rmtree(broken / "vae")
    elif how == "no-vae-entry":
        index = json.loads((broken / "model_index.json").read_text())
        del index["vae"]
        (broken / "model_index.json").write_text(json.dumps(index))
    elif how == "channels":
        config = json.loads((broken / "vae" / "config.json").read_text())
        config["latent_channels"] = 3
        (broken / "vae" / "config.json").write_text(json.dumps(config))
    elif how == "side":
        config = json.loads((broken / "unet" / "config.json").read_text())
        config["sample_size"] = 16
        (broken / "unet" / "config.json").write_text(json.dumps(config))
    return broken


@pytest.mark.parametrize("how, says", [
    ("no-vae", "has no VAE"), ("no-vae-entry", "has no VAE"),
    ("channels", "does not fit together: its VAE makes 3x8x8 latents but its UNet takes 4x8x8"),
    ("side", "does not fit together: its VAE makes 4x8x8 latents but its UNet takes 4x16x16"),
])
def test_a_broken_latent_folder_is_one_line_exit_2_nothing_written(latent_folder, tmp_path, capsys, how, says):
    from pipeline.latent import load_latent_pipeline

    broken = _broken(latent_folder, tmp_path, how)
    out = tmp_path / "captures"
    assert cli.main(["capture", "walk", "--model", str(broken), "--steps", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and says in err, err
    assert not out.exists() or list(out.iterdir()) == []
    with pytest.raises(UsageError) as caught:
        load_latent_pipeline(broken)
    assert "\n" not in str(caught.value) and ("VAE" in str(caught.value))


def test_missing_latent_folder_is_one_line(tmp_path):
    from pipeline.latent import load_latent_pipeline

    with pytest.raises(UsageError, match="does not exist"):
        load_latent_pipeline(tmp_path / "nowhere")


@pytest.mark.parametrize("index", ["[" * 100_000 + "]" * 100_000, '["ToyWorldLatentPipeline"]', "{not json"])
def test_a_latent_folder_with_a_hostile_index_is_one_line(tmp_path, index):
    from pipeline.latent import load_latent_pipeline

    folder = tmp_path / "twin"
    folder.mkdir()
    (folder / "model_index.json").write_text(index)
    with pytest.raises(UsageError, match=r"is damaged \(model_index.json") as caught:
        load_latent_pipeline(folder)
    assert "\n" not in str(caught.value) and "copy it again" in str(caught.value)


@pytest.mark.parametrize("argv, says", [
    (["--pictures", "-1"], "--pictures must be a whole number from 1"),
    (["--vae-lr", "nan"], "--vae-lr must be a number above 0"),
    (["--unet-lr", "inf"], "--unet-lr must be a number above 0"),
    (["--time-budget", "-5"], "--time-budget must be a number above 0"),
    (["--ema-decay", "1.5"], "--ema-decay must be a number from 0 to 0.99999"),
    (["--unet-steps", "x"], "--unet-steps must be a whole number"),
])
def test_bad_training_input_is_one_line_exit_2(argv, says, capsys, tmp_path):
    assert cli.main(["train-latent", "--checkpoints", str(tmp_path / "ck"), "--out", str(tmp_path / "m"), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and says in err, err
    assert not (tmp_path / "m").exists()


def test_a_checkpoint_folder_that_is_a_file_is_refused(tmp_path, capsys):
    file = tmp_path / "file"
    file.write_text("x")
    assert cli.main(["train-latent", "--checkpoints", str(file), "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a file, not a folder" in err


@pytest.mark.train
def test_a_tiny_training_run_makes_a_loadable_folder_and_resumes_to_the_same_weights_within_rounding(tmp_path, monkeypatch, capsys):
    from safetensors.torch import load_file

    from pipeline import train_latent
    from pipeline.latent import load_latent_pipeline

    common = ["train-latent", "--pictures", "48", "--vae-batch-size", "8", "--unet-batch-size", "8",
              "--vae-steps", "4", "--unet-steps", "4", "--holdout-pictures", "16", "--checkpoint-every", "2"]
    a, b = tmp_path / "a", tmp_path / "b"
    assert cli.main([*common, "--checkpoints", str(a / "ck"), "--out", str(a / "model")]) == 0
    record = json.loads((a / "model" / "training.json").read_text())
    assert record["recipe"]["unet_steps_trained"] == 4 and record["scaling_factor"] > 0
    assert {"render_pictures", "encode_captions", "vae", "unet", "total_training"} <= set(record["seconds"])
    assert record["reused"] == {"data": False, "latents": False, "vae_steps_before": 0, "vae_seconds_before": 0.0,
                                "unet_steps_before": 0, "unet_seconds_before": 0.0}  # made from nothing
    pipe = load_latent_pipeline(a / "model")
    assert pipe.vae.config.scaling_factor == pytest.approx(record["scaling_factor"])
    assert sorted(p.suffix for p in (a / "ck").iterdir()) == [".json"] * 4 + [".safetensors"] * 4  # no pickle

    # Ctrl-C at step 2 of the UNet (the 7th learning-rate lookup: 4 autoencoder steps, then UNet steps 0, 1, 2)
    calls, real = {"n": 0}, train_latent.learning_rate

    def interrupting(step, total, peak):
        calls["n"] += 1
        if calls["n"] == 7:
            raise KeyboardInterrupt
        return real(step, total, peak)

    monkeypatch.setattr(train_latent, "learning_rate", interrupting)
    assert cli.main([*common, "--checkpoints", str(b / "ck"), "--out", str(b / "model")]) == 2
    assert "training stopped during training the latent UNet at step 2" in capsys.readouterr().err
    assert json.loads((b / "ck" / "unet-state.json").read_text())["step"] == 2 and not (b / "model").exists()
    monkeypatch.setattr(train_latent, "learning_rate", real)
    assert cli.main([*common, "--checkpoints", str(b / "ck"), "--out", str(b / "model")]) == 0
    reused = json.loads((b / "model" / "training.json").read_text())["reused"]
    assert reused["data"] and reused["latents"] and reused["vae_steps_before"] == 4 and reused["unet_steps_before"] == 2
    assert reused["unet_seconds_before"] > 0
    weights = [load_file(str(x / "model" / "unet" / "diffusion_pytorch_model.safetensors")) for x in (a, b)]
    assert weights[0].keys() == weights[1].keys()
    # the same steps on the same batches: equal up to float rounding (the optimiser's state round-trips
    # through safetensors, and its update is not bit-stable against that)
    assert all(torch.allclose(weights[0][k], weights[1][k], rtol=0, atol=1e-5) for k in weights[0])
    losses = [json.loads((x / "ck" / "unet-state.json").read_text())["losses"] for x in (a, b)]
    assert np.allclose(losses[0], losses[1], rtol=1e-5)


def test_the_card_says_how_the_training_run_it_reports_was_made():
    from pipeline.evaluate import _wall_line

    made = {"render_pictures": 35.0, "encode_captions": 121.0, "vae": 2700.0, "unet": 3100.0,
            "total_training": 6000.0}
    assert _wall_line({**made, "data_this_run": 156.0, "this_run_wall": 5990.0}) == \
        "`make latent-model` from nothing took 99.8 min"
    # the data read from an earlier run's cache: not "from nothing", though it is most of the time
    assert _wall_line({**made, "data_this_run": 1.5, "this_run_wall": 5850.0}) == (
        "the run that made it took 97.5 min, reading the data (2.6 min) from an earlier run's cache in "
        "`checkpoints/latent/`")
    assert _wall_line({**made, "data_this_run": 1.5, "this_run_wall": 1200.0}).startswith(
        "the run that finished it took 20.0 min of those, resumed from the checkpoints")
    # training.json's own record of what the run read from checkpoints/latent/ names the parts
    recipe = {"vae_steps_trained": 1500, "unet_steps_trained": 4000}
    nothing = {"data": False, "latents": False, "vae_steps_before": 0, "vae_seconds_before": 0.0,
               "unet_steps_before": 0, "unet_seconds_before": 0.0}
    secs = {**made, "encode_latents": 114.8, "this_run_wall": 4800.0}
    assert _wall_line(secs, nothing, recipe) == "`make latent-model` from nothing took 80.0 min"
    assert _wall_line(secs, {**nothing, "data": True, "latents": True, "vae_steps_before": 1500,
                             "vae_seconds_before": 2700.0}, recipe) == (
        "the run that made it took 80.0 min, reading from `checkpoints/latent/` what earlier runs of the same "
        "settings had made: the data (2.6 min), the autoencoder (45.0 min) and every picture's latents (114.8 s)")
    assert _wall_line(secs, {**nothing, "data": True, "unet_steps_before": 1200, "unet_seconds_before": 1500.0},
                      recipe).endswith("the data (2.6 min) and the latent UNet's first 1200 steps (25.0 min)")


def test_training_on_a_cpu_uses_plain_attention_with_the_same_arithmetic():
    """Training swaps PyTorch's fused attention (slow backward for small heads on a CPU) for diffusers' plain
    AttnProcessor: the outputs and gradients agree with the fused ones, and what is saved does not record it."""
    from diffusers.models.attention_processor import AttnProcessor, AttnProcessor2_0

    from pipeline.latent import new_latent_unet
    from pipeline.model import plain_attention_for_training

    fused, plain = new_latent_unet(0), new_latent_unet(0)
    plain_attention_for_training(plain, torch.device("cpu"))
    assert {type(p) for p in fused.attn_processors.values()} == {AttnProcessor2_0}
    assert {type(p) for p in plain.attn_processors.values()} == {AttnProcessor}
    g = torch.Generator().manual_seed(1)
    x, states = torch.randn(3, 4, 8, 8, generator=g), torch.randn(3, 24, 384, generator=g)
    outputs = [m(x, torch.tensor([10, 500, 990]), encoder_hidden_states=states).sample for m in (fused, plain)]
    assert torch.allclose(outputs[0], outputs[1], atol=1e-5)
    for out in outputs:
        out.square().mean().backward()
    pairs = [(a.grad, b.grad) for a, b in zip(fused.parameters(), plain.parameters())]
    assert all(torch.allclose(a, b, atol=1e-5, rtol=1e-4) for a, b in pairs)
    assert fused.state_dict().keys() == plain.state_dict().keys() and fused.config == plain.config

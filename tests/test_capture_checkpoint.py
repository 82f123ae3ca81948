"""Any diffusers Stable Diffusion folder: a tiny one with random weights, built here offline, captured through the command line, gives the pipeline's own pictures."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from pipeline import cli
from pipeline.contract import read_capture

PROMPT = "a red butterfly on grass"


def tiny_stable_diffusion(folder, scheduler: str = "EulerDiscreteScheduler", safe: bool = True) -> None:
    """A Stable Diffusion pipeline of tiny random components (16 x 16 pictures), saved as a diffusers folder.
    The tokenizer is CLIP's, built in memory from a letter-level vocabulary: nothing is downloaded."""
    import diffusers
    from diffusers import AutoencoderKL, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(0)
    unet = UNet2DConditionModel(block_out_channels=(8, 16), layers_per_block=1, sample_size=8, in_channels=4,
                                out_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                                up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=16,
                                norm_num_groups=4, attention_head_dim=4)
    vae = AutoencoderKL(block_out_channels=[8, 16], in_channels=3, out_channels=3, latent_channels=4,
                        down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2,
                        norm_num_groups=4, sample_size=16)
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for letter in "abcdefghijklmnopqrstuvwxyz":
        vocab[letter] = len(vocab)
        vocab[letter + "</w>"] = len(vocab)
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=32)
    text_encoder = CLIPTextModel(CLIPTextConfig(bos_token_id=0, eos_token_id=1, pad_token_id=1, hidden_size=16,
                                                intermediate_size=24, num_attention_heads=2, num_hidden_layers=2,
                                                vocab_size=len(vocab), max_position_embeddings=32))
    schedule = getattr(diffusers, scheduler)(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear")
    pipe = StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                   scheduler=schedule, safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)
    pipe.save_pretrained(str(folder), safe_serialization=safe)


@pytest.fixture(scope="module")
def sd_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-sd") / "tiny-stable-diffusion"
    tiny_stable_diffusion(folder)
    return folder


def _plain(folder, steps: int, seed: int = 0, guidance: float = 2.0) -> np.ndarray:
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(str(folder), local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    return pipe(PROMPT, num_inference_steps=steps, guidance_scale=guidance,
                generator=torch.Generator().manual_seed(seed), output_type="np").images[0]


def test_a_stable_diffusion_capture_gives_the_pipelines_own_picture(sd_folder, tmp_path):
    out = tmp_path / "captures"
    assert cli.main(["capture", "walk", "--model", str(sd_folder), "--steps", "3", "--out", str(out)]) == 0
    capture = read_capture(out, "walk")
    assert capture.spec["model"]["pipeline"] == "StableDiffusionPipeline"
    assert capture.spec["model"]["scheduler"]["class"] == "EulerDiscreteScheduler"
    assert np.array_equal(capture.arrays["final"], _plain(sd_folder, 3))
    a = capture.arrays
    # x_t lives in the VAE's latent space; its pictures come through the model's own decoder
    assert a["trajectory"].shape == (4, 4, 8, 8) and a["trajectory_pictures"].shape == (4, 16, 16, 3)
    assert np.array_equal(a["trajectory_pictures"][-1], a["final_picture"])
    assert a["predicted_clean_pictures"].shape == (3, 16, 16, 3)
    assert a["token_states"].shape == (32, 16) and a["tokens"][0] == "<|startoftext|>"
    assert capture.facts["picture_numbers"].value == 16 * 16 * 3 and capture.facts["state_numbers"].value == 4 * 8 * 8


def test_forks_of_a_stable_diffusion_walk_use_ddim_and_leave_its_scheduler(sd_folder, tmp_path, monkeypatch):
    from pipeline.experiments import seeds
    from pipeline.experiments.models import open_model

    for knob, value in dict(SEED_COUNT=3, FORK_FRACTIONS=(0.0, 0.5), BRANCHES=2).items():
        monkeypatch.setattr(seeds, knob, value)
    capture, _ = seeds.capture(tmp_path, model=sd_folder, steps=2, progress=False)
    assert capture.arrays["fork_finals"].shape == (2, 2, 16, 16, 3)
    assert type(open_model(sd_folder).pipe.scheduler).__name__ == "EulerDiscreteScheduler"


def test_damaged_weights_are_one_line_and_exit_2(sd_folder, tmp_path, capsys):
    damaged = tmp_path / "damaged"
    shutil.copytree(sd_folder, damaged)
    weights = damaged / "unet" / "diffusion_pytorch_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:200])
    out = tmp_path / "captures"
    assert cli.main(["capture", "walk", "--model", str(damaged), "--steps", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: model folder {damaged} cannot be loaded")
    assert list(out.iterdir()) == []


def test_a_prompt_too_long_for_clip_is_refused_not_cut(sd_folder, tmp_path, capsys):
    out = tmp_path / "captures"
    assert cli.main(["capture", "walk", "--model", str(sd_folder), "--prompt", "a very long prompt " * 3,
                     "--out", str(out)]) == 2
    assert "tokens long; the text encoder takes at most 30" in capsys.readouterr().err
    assert not out.exists()  # refused before the output folder is made


def test_a_folder_of_pickle_weights_is_refused_not_loaded(tmp_path, capsys):
    """A .bin can run code when it is unpickled: the project loads safetensors only, and says so in one line."""
    folder = tmp_path / "pickled"
    tiny_stable_diffusion(folder, safe=False)
    assert list(folder.rglob("*.bin")), "the UNet and the VAE are pickles here"
    capsys.readouterr()
    assert cli.main(["capture", "walk", "--model", str(folder), "--steps", "2", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "cannot be loaded" in err, err
    assert not (tmp_path / "out" / "walk.current").exists()

"""Every diffusers text-to-image family the recorder follows, built tiny and random offline (tokenizers in memory,
nothing downloaded): a recorded walk ends in the pipeline's own picture, recording changes nothing, the guess of
the finished picture follows each family's parameterisation, and a saved folder opens as a model."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from pipeline import cli, families, recorder
from pipeline.contract import read_capture
from pipeline.model import to_uint8

PROMPT = "a red fish"
STEPS = 3
GUIDANCE = 2.0
LETTERS = "abcdefghijklmnopqrstuvwxyz"

# ----------------------------------------------------------------------------- tokenizers and text encoders, in memory


def clip_tokenizer(max_length: int = 32):
    """CLIP's tokenizer over a letter-level vocabulary."""
    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for letter in LETTERS:
        vocab[letter] = len(vocab)
        vocab[letter + "</w>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=max_length)


def clip_encoder(with_projection: bool = False, hidden: int = 16):
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    config = CLIPTextConfig(bos_token_id=0, eos_token_id=1, pad_token_id=1, hidden_size=hidden, intermediate_size=24,
                            num_attention_heads=2, num_hidden_layers=2, vocab_size=2 + 2 * len(LETTERS),
                            max_position_embeddings=32, projection_dim=hidden)
    torch.manual_seed(0)
    return (CLIPTextModelWithProjection if with_projection else CLIPTextModel)(config).eval()


def t5_tokenizer():
    """T5's unigram tokenizer over letters, with and without the word-start marker."""
    from transformers import T5Tokenizer

    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -1.0)]
    pieces += [(c, -2.0) for c in LETTERS] + [("\u2581" + c, -1.5) for c in LETTERS]
    return T5Tokenizer(vocab=pieces, extra_ids=0)


def t5_encoder(d_model: int = 32, vocab_size: int = 4 + 2 * len(LETTERS)):
    from transformers import T5Config, T5EncoderModel

    torch.manual_seed(0)
    return T5EncoderModel(T5Config(vocab_size=vocab_size, d_model=d_model, d_kv=8, d_ff=37, num_layers=2,
                                   num_heads=2, relative_attention_num_buckets=8, decoder_start_token_id=0,
                                   pad_token_id=0, eos_token_id=1)).eval()  # no dropout: runs must repeat


def qwen_tokenizer():
    """Qwen's byte-level BPE over the 256 byte symbols alone, with a chat template (Z-Image wraps prompts in one)."""
    from tokenizers import pre_tokenizers
    from transformers import Qwen2Tokenizer

    vocab = {"<|endoftext|>": 0, "<|im_start|>": 1, "<|im_end|>": 2}
    for symbol in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab[symbol] = len(vocab)
    tokenizer = Qwen2Tokenizer(vocab=vocab, merges=[])
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    tokenizer.chat_template = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
                               "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
    return tokenizer


def qwen_encoder(vocab_size: int, hidden: int = 16):
    from transformers import Qwen3Config, Qwen3Model

    torch.manual_seed(0)
    return Qwen3Model(Qwen3Config(hidden_size=hidden, intermediate_size=16, num_hidden_layers=2, num_attention_heads=2,
                                  num_key_value_heads=2, head_dim=8, vocab_size=vocab_size,
                                  max_position_embeddings=512)).eval()


def gemma_tokenizer():
    from transformers import GemmaTokenizer

    vocab = {"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3, "<mask>": 4, "\u2581": 5}
    for letter in LETTERS:
        vocab[letter] = len(vocab)
        vocab["\u2581" + letter] = len(vocab)
    return GemmaTokenizer(vocab=vocab, merges=[], model_max_length=24)


def tiny_vae(latent_channels: int = 4, blocks=(8, 16), groups: int = 4, **extra):
    """A two-block autoencoder: pictures halved once into latents."""
    from diffusers import AutoencoderKL

    torch.manual_seed(0)
    return AutoencoderKL(in_channels=3, out_channels=3, latent_channels=latent_channels, block_out_channels=list(blocks),
                         down_block_types=["DownEncoderBlock2D"] * len(blocks),
                         up_block_types=["UpDecoderBlock2D"] * len(blocks), layers_per_block=1,
                         norm_num_groups=groups, sample_size=16, **extra)


# ----------------------------------------------------------------------------- one tiny pipeline per family


def tiny_sd():
    import tempfile

    from diffusers import StableDiffusionPipeline
    from test_capture_checkpoint import tiny_stable_diffusion  # the project's own tiny SD folder builder

    with tempfile.TemporaryDirectory() as folder:
        tiny_stable_diffusion(folder)
        return StableDiffusionPipeline.from_pretrained(folder, local_files_only=True)


def tiny_sdxl():
    from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(block_out_channels=(8, 16), layers_per_block=1, sample_size=8, in_channels=4,
                                out_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                                up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), attention_head_dim=(2, 4),
                                use_linear_projection=True, addition_embed_type="text_time",
                                addition_time_embed_dim=8, transformer_layers_per_block=(1, 1),
                                projection_class_embeddings_input_dim=6 * 8 + 16, cross_attention_dim=32,
                                norm_num_groups=4)
    scheduler = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, steps_offset=1,
                                       beta_schedule="scaled_linear", timestep_spacing="leading")
    return StableDiffusionXLPipeline(vae=tiny_vae(), text_encoder=clip_encoder(), tokenizer=clip_tokenizer(),
                                     text_encoder_2=clip_encoder(with_projection=True), tokenizer_2=clip_tokenizer(),
                                     unet=unet, scheduler=scheduler, add_watermarker=False)


def tiny_sd3():
    from diffusers import FlowMatchEulerDiscreteScheduler, SD3Transformer2DModel, StableDiffusion3Pipeline

    torch.manual_seed(0)
    transformer = SD3Transformer2DModel(sample_size=8, patch_size=1, in_channels=4, out_channels=4, num_layers=1,
                                        attention_head_dim=8, num_attention_heads=2, caption_projection_dim=16,
                                        joint_attention_dim=32, pooled_projection_dim=32)
    return StableDiffusion3Pipeline(
        transformer=transformer, scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0),
        vae=tiny_vae(shift_factor=0.0609, scaling_factor=1.5035),
        text_encoder=clip_encoder(with_projection=True), tokenizer=clip_tokenizer(),
        text_encoder_2=clip_encoder(with_projection=True), tokenizer_2=clip_tokenizer(),
        text_encoder_3=t5_encoder(32), tokenizer_3=t5_tokenizer())


def tiny_flux():
    from diffusers import FlowMatchEulerDiscreteScheduler, FluxPipeline, FluxTransformer2DModel

    torch.manual_seed(0)
    transformer = FluxTransformer2DModel(patch_size=1, in_channels=16, num_layers=1, num_single_layers=1,
                                         attention_head_dim=16, num_attention_heads=2, joint_attention_dim=32,
                                         pooled_projection_dim=16, axes_dims_rope=[4, 4, 8])
    scheduler = FlowMatchEulerDiscreteScheduler(use_dynamic_shifting=True, base_shift=0.5, max_shift=1.15,
                                                base_image_seq_len=16, max_image_seq_len=256)
    return FluxPipeline(transformer=transformer, scheduler=scheduler,
                        vae=tiny_vae(shift_factor=0.0609, scaling_factor=1.5035),
                        text_encoder=clip_encoder(), tokenizer=clip_tokenizer(),
                        text_encoder_2=t5_encoder(32), tokenizer_2=t5_tokenizer())


def tiny_prx():
    from diffusers import FlowMatchEulerDiscreteScheduler, PRXPipeline
    from diffusers.models.transformers.transformer_prx import PRXTransformer2DModel

    torch.manual_seed(0)
    transformer = PRXTransformer2DModel(patch_size=1, in_channels=4, context_in_dim=8, hidden_size=8, mlp_ratio=2.0,
                                        num_heads=2, depth=1, axes_dim=[2, 2])
    # Gemma's tokenizer, as PRX's own; its encoder here is a T5 one (transformers 5 saves a lone T5GemmaEncoder
    # with a configuration it cannot load back)
    tokenizer = gemma_tokenizer()
    vae = tiny_vae(blocks=(4, 8), groups=1, use_quant_conv=False, use_post_quant_conv=False, scaling_factor=1.0,
                   shift_factor=0.0).eval()
    return PRXPipeline(transformer=transformer, scheduler=FlowMatchEulerDiscreteScheduler(),
                       text_encoder=t5_encoder(8, len(tokenizer)), tokenizer=tokenizer, vae=vae,
                       default_sample_size=16)


def tiny_prx_pixel():
    from diffusers import FlowMatchEulerDiscreteScheduler, PRXPixelPipeline
    from diffusers.models.transformers.transformer_prx import PRXTransformer2DModel

    torch.manual_seed(0)
    transformer = PRXTransformer2DModel(patch_size=1, in_channels=3, context_in_dim=16, hidden_size=8, mlp_ratio=2.0,
                                        num_heads=2, depth=1, axes_dim=[2, 2], bottleneck_size=8,
                                        resolution_embeds=True)
    tokenizer = qwen_tokenizer()
    return PRXPixelPipeline(transformer=transformer, scheduler=FlowMatchEulerDiscreteScheduler(),
                            text_encoder=qwen_encoder(len(tokenizer)), tokenizer=tokenizer, prompt_max_tokens=16,
                            default_sample_size=16)


def tiny_z_image():
    from diffusers import FlowMatchEulerDiscreteScheduler, ZImagePipeline, ZImageTransformer2DModel

    torch.manual_seed(0)
    transformer = ZImageTransformer2DModel(all_patch_size=(2,), all_f_patch_size=(1,), in_channels=16, dim=32,
                                           n_layers=1, n_refiner_layers=1, n_heads=2, n_kv_heads=2, norm_eps=1e-5,
                                           qk_norm=True, cap_feat_dim=16, rope_theta=256.0, t_scale=1000.0,
                                           axes_dims=[8, 4, 4], axes_lens=[256, 32, 32])
    with torch.no_grad():  # made with torch.empty: fixed, as diffusers' own test does, so no NaN creeps in
        transformer.x_pad_token.copy_(torch.ones_like(transformer.x_pad_token))
        transformer.cap_pad_token.copy_(torch.ones_like(transformer.cap_pad_token))
    tokenizer = qwen_tokenizer()
    return ZImagePipeline(transformer=transformer, scheduler=FlowMatchEulerDiscreteScheduler(),
                          vae=tiny_vae(latent_channels=16, shift_factor=0.1159, scaling_factor=0.3611),
                          text_encoder=qwen_encoder(len(tokenizer)), tokenizer=tokenizer)


# family: (builder, picture size, extra pipeline arguments for its guidance)
FAMILIES = {
    "stable-diffusion": (tiny_sd, (16, 16), {}),
    "stable-diffusion-xl": (tiny_sdxl, (16, 16), {}),
    "stable-diffusion-3": (tiny_sd3, (16, 16), {}),
    # Flux's guidance_scale is embedded (one call); true guidance with a negative prompt makes two calls a step
    "flux": (tiny_flux, (32, 32), {"true_cfg_scale": GUIDANCE, "negative_prompt": ""}),
    "prx": (tiny_prx, (16, 16), {}),
    "prx-pixel": (tiny_prx_pixel, (16, 16), {}),
    "z-image": (tiny_z_image, (32, 32), {}),
}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models on one thread: torch's second thread only spins against the first on layers this small."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def pipes():
    """Each family's tiny pipeline, built once for the module when a test first asks for it.

    PRX's pipelines clean prompts with ftfy; where it is not installed, a stand-in that leaves the letters-only
    prompts as they are takes its place for this module (the recorder itself refuses such a folder, see
    test_a_prx_folder_without_ftfy_is_one_line)."""
    import importlib.util
    import types

    built = {}
    with pytest.MonkeyPatch.context() as patch:
        if importlib.util.find_spec("ftfy") is None:
            from diffusers.pipelines.prx import pipeline_prx, pipeline_prx_pixel

            for module in (pipeline_prx, pipeline_prx_pixel):
                patch.setattr(module, "ftfy", types.SimpleNamespace(fix_text=lambda text: text), raising=False)
        yield lambda name: _built(built, name)


def _built(built: dict, name: str):
    if name not in built:
        pipe = FAMILIES[name][0]()
        for component in pipe.components.values():  # as from_pretrained leaves them: a saved folder runs the same
            if isinstance(component, torch.nn.Module):
                component.eval()
        pipe.set_progress_bar_config(disable=True)
        built[name] = pipe
    return built[name]


def _arguments(name: str, pipe, seed: int = 0) -> dict:
    _, (height, width), extra = FAMILIES[name]
    return dict(num_inference_steps=STEPS, guidance_scale=GUIDANCE, generator=[torch.Generator().manual_seed(seed)],
                height=height, width=width, **extra)


@pytest.mark.parametrize("name", FAMILIES)
def test_a_recorded_walk_ends_in_the_pipelines_own_picture(pipes, name):
    pipe = pipes(name)
    plain_arguments = {**dict(families.family_of(pipe).call_options), **_arguments(name, pipe)}
    plain = pipe([PROMPT], output_type="np", **plain_arguments).images
    walk = recorder.record(pipe, prompt=[PROMPT], **_arguments(name, pipe))
    assert walk.final.dtype == plain.dtype and np.array_equal(walk.final, plain)  # recording changes nothing
    model = families.denoiser(pipe)
    assert "forward" not in model.__dict__ and "step" not in pipe.scheduler.__dict__  # the wrappers are off again
    # the recorded final state, decoded as the recorder decodes every state, is the pipeline's own picture
    assert np.array_equal(recorder.pictures(pipe, walk.trajectory[-1]), to_uint8(plain))
    _, (height, width), _ = FAMILIES[name]
    shape = families.state_shape(pipe, height, width)
    assert walk.steps == STEPS and walk.trajectory.shape == (STEPS + 1, 1, *shape)
    assert walk.predicted_clean.shape == walk.guided_output.shape == (STEPS, 1, *shape)
    assert torch.equal(walk.trajectory[1:-1], walk.sample_before[1:])  # x_t after a step is the next step's input
    # the prompt as its first text encoder saw it: its word pieces, one real position each in the token states
    assert walk.prompt.prompts == [PROMPT] and walk.prompt.token_states.shape[0] == 1
    pieces = "".join(walk.prompt.tokens[0])
    for marker in ("</w>", "\u2581", "\u0120"):  # CLIP's word end, T5's and Gemma's word start, Qwen's space
        pieces = pieces.replace(marker, "")
    assert PROMPT.replace(" ", "") in pieces
    assert int(walk.prompt.attention_mask.sum()) == len(walk.prompt.tokens[0])
    assert walk.prompt.pooled.shape[0] == 1 and walk.prompt.pooled.abs().sum() > 0
    if name == "stable-diffusion-xl":  # its unconditional half sees zeros, and the record says so
        assert not walk.negative_prompt.token_states.any() and not walk.negative_prompt.pooled.any()
    else:
        assert walk.negative_prompt.token_states.any()


def _guided(name, walk):
    """The guidance each pipeline applies to the recorded halves (Z-Image's scale weighs the prompt's half)."""
    u, c = walk.unconditional_output, walk.conditional_output
    return c + GUIDANCE * (c - u) if name == "z-image" else u + GUIDANCE * (c - u)


@pytest.mark.parametrize("name", FAMILIES)
def test_the_guess_follows_each_familys_parameterisation(pipes, name):
    pipe = pipes(name)
    walk = recorder.record(pipe, prompt=[PROMPT], **_arguments(name, pipe, seed=1))
    family = families.family_of(pipe)
    # both halves were recorded, in the order and sign the scheduler sees: guided is their combination
    assert walk.unconditional_output is not None
    torch.testing.assert_close(walk.guided_output, _guided(name, walk), rtol=1e-4, atol=1e-4)
    # one formula for every parameterisation: the guided guess is the same combination of the halves' guesses
    torch.testing.assert_close(walk.predicted_clean, walk.unconditional_clean
                               + (1 + GUIDANCE if name == "z-image" else GUIDANCE)
                               * (walk.conditional_clean - walk.unconditional_clean), rtol=1e-4, atol=1e-4)
    if family.predicts_clean:
        # PRXPixel's transformer predicts the picture itself: its halves are its guesses, unconverted
        assert walk.prediction_type == "sample" and walk.noise_family == "flow"
        assert torch.equal(walk.conditional_clean, walk.conditional_output)
    else:
        # Euler's last step (to noise level 0) lands exactly on the guess: a wrong sign or scale would miss it
        torch.testing.assert_close(walk.trajectory[-1], walk.predicted_clean[-1], rtol=1e-4, atol=1e-4)
        expected = "epsilon" if family.denoiser == "unet" else "flow"
        assert walk.prediction_type == expected
    assert walk.noise_level[0] == pytest.approx(1.0, abs=1e-3) or walk.noise_family == "ve"
    assert np.all(np.diff(walk.noise_level) < 0)


def test_without_guidance_flux_calls_its_transformer_once_a_step(pipes):
    pipe = pipes("flux")

    def arguments():
        return {k: v for k, v in _arguments("flux", pipe).items() if k not in ("true_cfg_scale", "negative_prompt")}

    walk = recorder.record(pipe, prompt=[PROMPT], **arguments())
    assert walk.unconditional_output is None and torch.equal(walk.guided_output, walk.conditional_output)
    assert np.array_equal(walk.final, pipe([PROMPT], output_type="np", **arguments()).images)


def test_a_walk_from_prompt_vectors_alone_is_refused_where_the_family_needs_more(folders):
    from pipeline.errors import UsageError
    from pipeline.experiments.models import open_model

    model = open_model(folders("stable-diffusion-3"))
    vectors = model.encode([PROMPT]).token_states
    with pytest.raises(UsageError, match="StableDiffusion3Pipeline also needs its pooled vector"):
        model.walk(steps=2, guidance=GUIDANCE, seeds=[0], prompt_embeds=vectors)


def test_packing_flux_latents_is_undone_exactly(pipes):
    pipe = pipes("flux")
    states = torch.randn(2, 4, 6, 8)
    packed = families.pack(pipe, states)
    assert packed.shape == (2, 3 * 4, 16)
    assert torch.equal(packed, pipe._pack_latents(states, 2, 4, 6, 8))  # the pipeline's own packing
    assert torch.equal(families.unpack(pipe, packed, (6, 8)), states)


# ----------------------------------------------------------------------------- folders: --model


@pytest.fixture(scope="module")
def folders(pipes, tmp_path_factory):
    root = tmp_path_factory.mktemp("families")
    saved = {}

    def get(name):
        if name not in saved:
            saved[name] = root / name
            pipes(name).save_pretrained(str(saved[name]))
        return saved[name]
    return get


@pytest.mark.parametrize("name", FAMILIES)
def test_a_saved_folder_of_each_family_opens_as_a_model(folders, pipes, name):
    from pipeline.experiments.models import open_model

    folder = folders(name)
    model = open_model(folder)
    expected = type(pipes(name)).__name__
    assert model.identity["pipeline"] == expected and type(model.pipe).__name__ == expected
    assert not model.is_embedded and model.is_latent == (name != "prx-pixel")
    _, size, _ = FAMILIES[name]
    walk = model.walk(steps=2, guidance=GUIDANCE, seeds=[3], prompts=[PROMPT], size=size)
    # the walk starts from the noise the model says the pipeline draws for this seed, in the scheduler's units
    torch.testing.assert_close(walk.trajectory[0],
                               model.start_noise([3], size) * float(getattr(model.pipe.scheduler, "init_noise_sigma", 1.0)))
    # a walk from given starting states (unpacked, as the recorder keeps them) retraces the seed's walk
    again = model.walk(steps=2, guidance=GUIDANCE, latents=model.start_noise([3], size), prompts=[PROMPT], size=size)
    assert np.array_equal(again.final, walk.final)
    pictures = model.pictures(walk.trajectory[-1])
    assert pictures.shape == (1, *size, 3) and pictures.dtype == np.uint8
    model.check_prompt(PROMPT)


def test_a_stable_diffusion_3_folder_is_captured_through_the_command_line(folders, tmp_path):
    folder = folders("stable-diffusion-3")
    out = tmp_path / "captures"
    assert cli.main(["capture", "walk", "--model", str(folder), "--steps", "2", "--out", str(out)]) == 0
    capture = read_capture(out, "walk")
    assert capture.spec["model"]["pipeline"] == "StableDiffusion3Pipeline"
    from diffusers import StableDiffusion3Pipeline

    pipe = StableDiffusion3Pipeline.from_pretrained(str(folder), local_files_only=True)  # the folder's own pipeline
    pipe.set_progress_bar_config(disable=True)
    plain = pipe(capture.spec["prompt"], num_inference_steps=2, guidance_scale=capture.spec["guidance"],
                 generator=torch.Generator().manual_seed(capture.spec["seed"]), output_type="np").images
    assert np.array_equal(capture.arrays["final"], plain[0])
    assert np.array_equal(capture.arrays["trajectory_pictures"][-1], capture.arrays["final_picture"])


# ----------------------------------------------------------------------------- bad input


def _edited(folders, tmp_path, name: str, index=None, scheduler=None):
    import shutil

    folder = tmp_path / f"edited-{name}"
    shutil.copytree(folders(name), folder)
    for path, changes in ((folder / "model_index.json", index), (folder / "scheduler" / "scheduler_config.json",
                                                                 scheduler)):
        if changes:
            path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))
    return folder


def _refused(folder, tmp_path, capsys) -> str:
    capsys.readouterr()
    out = tmp_path / "out"
    assert cli.main(["capture", "walk", "--model", str(folder), "--steps", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert not out.exists() or list(out.iterdir()) == []
    return err


def test_a_folder_of_an_unsupported_pipeline_is_one_line_listing_the_supported(folders, tmp_path, capsys):
    folder = _edited(folders, tmp_path, "stable-diffusion-3", index={"_class_name": "HunyuanDiTPipeline"})
    err = _refused(folder, tmp_path, capsys)
    assert "HunyuanDiTPipeline, which capture does not support" in err
    for supported in ("StableDiffusionXLPipeline", "StableDiffusion3Pipeline", "FluxPipeline", "PRXPipeline",
                      "PRXPixelPipeline", "ZImagePipeline"):
        assert supported in err


@pytest.mark.parametrize("scheduler", [
    {"_class_name": "FlowMatchHeunDiscreteScheduler"},  # two model calls a step: no one guess per step
    {"_class_name": "SomeoneElsesScheduler"},
], ids=["heun", "unknown"])
def test_a_scheduler_that_gives_no_way_to_the_guess_is_one_line(folders, tmp_path, capsys, scheduler):
    folder = _edited(folders, tmp_path, "stable-diffusion-3", index={"scheduler": ["diffusers",
                                                                                   scheduler["_class_name"]]},
                     scheduler=scheduler)
    err = _refused(folder, tmp_path, capsys)
    assert f"the scheduler {scheduler['_class_name']} is not supported" in err
    assert "FlowMatchEulerDiscreteScheduler" in err


def test_a_prediction_type_that_gives_no_way_to_the_guess_is_one_line(folders, tmp_path, capsys):
    folder = _edited(folders, tmp_path, "stable-diffusion", scheduler={"prediction_type": "noise_and_more"})
    err = _refused(folder, tmp_path, capsys)
    assert "predicts 'noise_and_more', which gives no way to the guess" in err


def test_a_prompt_too_long_for_t5_is_refused_not_cut(pipes):
    from pipeline.errors import UsageError

    pipe = pipes("stable-diffusion-3")
    with pytest.raises(UsageError, match="tokens long; CLIP takes at most 30"):
        families.check_prompt(pipe, "a very long prompt " * 3)
    pipe = pipes("z-image")
    with pytest.raises(UsageError, match="tokens long; the text encoder takes at most"):
        families.check_prompt(pipe, "a long prompt " * 60)


def test_a_prx_folder_without_ftfy_is_one_line(folders, tmp_path, capsys, monkeypatch):
    from diffusers.pipelines.prx import pipeline_prx

    folder = _edited(folders, tmp_path, "prx")  # a copy: a folder not opened before, so it loads here
    monkeypatch.setattr(pipeline_prx, "ftfy", None, raising=False)
    err = _refused(folder, tmp_path, capsys)
    assert "PRXPipeline cleans its prompts with ftfy, which is not installed: pip install ftfy" in err

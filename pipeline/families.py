"""The one place that knows each diffusers text-to-image family the recorder follows: where its denoiser is, how
its guidance halves and latents are laid out, how its states become pictures, and what its denoiser predicts.

Every family runs its own ``__call__`` unchanged; the recorder reads it through ``callback_on_step_end`` and
thin wrappers on the denoiser's ``forward`` and ``scheduler.step``. What differs between families is written
here once, as data where it can be:

| family            | denoiser    | guidance halves                        | states                      | denoiser predicts      |
| ----------------- | ----------- | -------------------------------------- | --------------------------- | ---------------------- |
| Stable Diffusion  | unet        | one call, [unconditional, conditional] | VAE latents                 | the scheduler's kind   |
| SDXL              | unet        | one call, [unconditional, conditional] | VAE latents (mean/std)      | the scheduler's kind   |
| SD3               | transformer | one call, [unconditional, conditional] | VAE latents (shift)         | velocity noise - x0    |
| Flux              | transformer | two calls, conditional then negative   | VAE latents, packed 2x2     | velocity noise - x0    |
|                   |             | (true CFG only; its guidance_scale is  | patches as tokens: unpacked |                        |
|                   |             | embedded, one call)                    | here                        |                        |
| PRX               | transformer | one call, [unconditional, conditional] | VAE latents                 | velocity noise - x0    |
| PRXPixel          | transformer | one call, [unconditional, conditional] | pixels in [-1, 1]           | x0 itself, which its   |
|                   |             |                                        |                             | pipeline turns into a  |
|                   |             |                                        |                             | velocity for the step  |
| Z-Image           | transformer | one call, [conditional, unconditional] | VAE latents (shift)         | x0 - noise: its        |
|                   |             | (a list of per-picture tensors)        |                             | pipeline negates it    |

The embedded toy-world model and its latent twin follow Stable Diffusion's loop.
"""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass

import numpy as np
import torch

from pipeline.errors import UsageError

EMBEDDED = "ToyWorldPipeline"
LATENT_TWIN = "ToyWorldLatentPipeline"


@dataclass(frozen=True)
class Family:
    """How one family's pipeline walks, as far as recording it needs."""

    name: str
    pipelines: tuple[str, ...]  # the pipeline classes of this family, as model_index.json names them
    denoiser: str = "unet"  # the pipeline attribute that holds the model called once per step
    conditional_first: bool = False  # the denoiser's calls hold the prompt's half before the empty prompt's
    output_sign: float = 1.0  # -1 where the pipeline negates the denoiser's output before scheduler.step
    packed: bool = False  # latents travel as 2x2 patches flattened to tokens (B, h/2 * w/2, 4C)
    pixels: bool = False  # no decoder: the states are pictures in [-1, 1]
    predicts_clean: bool = False  # the denoiser predicts x0 and its pipeline converts it for the scheduler
    call_options: tuple[tuple[str, object], ...] = ()  # pipeline arguments that keep states and output aligned
    pooled: bool = True  # the pipeline has a pooled prompt vector of its own


FAMILIES = (
    Family("embedded", (EMBEDDED,), pixels=True),
    Family("stable-diffusion", ("StableDiffusionPipeline", LATENT_TWIN)),
    Family("stable-diffusion-xl", ("StableDiffusionXLPipeline",)),
    Family("stable-diffusion-3", ("StableDiffusion3Pipeline",), denoiser="transformer"),
    Family("flux", ("FluxPipeline",), denoiser="transformer", conditional_first=True, packed=True),
    # resolution binning would resize the output away from the walked states' size: the recorder keeps it off
    Family("prx", ("PRXPipeline",), denoiser="transformer", call_options=(("use_resolution_binning", False),),
           pooled=False),
    Family("prx-pixel", ("PRXPixelPipeline",), denoiser="transformer", pixels=True, predicts_clean=True,
           call_options=(("use_resolution_binning", False),), pooled=False),
    Family("z-image", ("ZImagePipeline",), denoiser="transformer", conditional_first=True, output_sign=-1.0,
           pooled=False),
)
_BY_PIPELINE = {name: family for family in FAMILIES for name in family.pipelines}
PIPELINES = tuple(_BY_PIPELINE)


def family_of(pipe_or_name) -> Family:
    """The family of a pipeline (or of a pipeline class name); one the recorder cannot follow is refused."""
    name = pipe_or_name if isinstance(pipe_or_name, str) else type(pipe_or_name).__name__
    family = _BY_PIPELINE.get(name)
    if family is None:
        raise UsageError(f"the pipeline {name} is not supported for recording; supported: {', '.join(PIPELINES)}")
    return family


def denoiser(pipe):
    return getattr(pipe, family_of(pipe).denoiser)


def check_requirements(pipe) -> None:
    """What a family's pipeline needs beyond diffusers, refused in one line before a run would fail inside it."""
    if family_of(pipe).name in ("prx", "prx-pixel") and getattr(sys.modules[type(pipe).__module__], "ftfy",
                                                               None) is None:
        raise UsageError(f"{type(pipe).__name__} cleans its prompts with ftfy, which is not installed: "
                         "pip install ftfy")


# ----------------------------------------------------------------------------- sizes and layouts


def _vae_scale(pipe) -> int:
    return int(getattr(pipe, "vae_scale_factor", 8))


def default_size(pipe) -> tuple[int, int]:
    """(height, width) in pixels of the pictures the pipeline makes when none is asked for."""
    family = family_of(pipe)
    if family.name in ("embedded", "stable-diffusion"):
        side = int(pipe.unet.config.sample_size) * (1 if family.pixels else _vae_scale(pipe))
    elif family.name in ("prx", "prx-pixel"):
        side = int(getattr(pipe.config, "default_sample_size", None) or 1024)
    elif family.name == "z-image":
        side = 1024  # its __call__'s own default
    else:  # SDXL, SD3 and Flux keep theirs as default_sample_size, in latent pixels
        side = int(pipe.default_sample_size) * _vae_scale(pipe)
    return side, side


def state_shape(pipe, height: int | None = None, width: int | None = None) -> tuple[int, int, int]:
    """(C, h, w) of the states the pipeline walks through for pictures of this size (default: its own),
    unpacked where the pipeline packs them."""
    family = family_of(pipe)
    if height is None or width is None:
        height, width = default_size(pipe)
    model = denoiser(pipe)
    channels = int(model.config.in_channels)
    if family.pixels:
        return channels, int(height), int(width)
    scale = _vae_scale(pipe)
    if family.packed:
        return channels // 4, 2 * (int(height) // (scale * 2)), 2 * (int(width) // (scale * 2))
    if family.name == "z-image":
        return channels, 2 * (int(height) // (scale * 2)), 2 * (int(width) // (scale * 2))
    return channels, int(height) // scale, int(width) // scale


def noise_dtype(pipe) -> torch.dtype:
    """The dtype in which the pipeline draws its starting noise (the same seed differs across dtypes)."""
    name = family_of(pipe).name
    if name == "z-image":
        return torch.float32
    if name == "flux":
        return pipe.text_encoder_2.dtype  # prompt_embeds' dtype: its T5's
    encoder = getattr(pipe, "text_encoder", None)
    return encoder.dtype if encoder is not None else denoiser(pipe).dtype


def start_scale(pipe) -> float:
    """How much larger than unit noise the pipeline's starting state is when it draws it (PRXPixel starts from
    randn * noise_scale; a state passed in as ``latents`` is used as it is)."""
    return float(pipe.config.noise_scale) if family_of(pipe).name == "prx-pixel" else 1.0


def denoiser_output(out) -> torch.Tensor:
    """The prediction in a denoiser's return value: a tuple's first item or ``.sample``; Z-Image's is a list
    of per-picture (C, 1, h, w) tensors, stacked here as (B, C, h, w)."""
    sample = out[0] if isinstance(out, tuple) else getattr(out, "sample", out)
    if isinstance(sample, (list, tuple)):
        sample = torch.stack([s.float() for s in sample]).squeeze(2)
    return sample


def unpack(pipe, tensor: torch.Tensor, latent_size: tuple[int, int] | None) -> torch.Tensor:
    """States in the pipeline's own layout as (B, C, h, w): Flux's tokens of 2x2 patches back to a grid."""
    if not family_of(pipe).packed:
        return tensor
    h, w = latent_size
    batch, _, channels = tensor.shape
    grid = tensor.reshape(batch, h // 2, w // 2, channels // 4, 2, 2).permute(0, 3, 1, 4, 2, 5)
    return grid.reshape(batch, channels // 4, h, w)


def pack(pipe, states: torch.Tensor) -> torch.Tensor:
    """(B, C, h, w) states in the layout the pipeline takes as ``latents``: the inverse of ``unpack``."""
    if not family_of(pipe).packed:
        return states
    batch, channels, h, w = states.shape
    patches = states.reshape(batch, channels, h // 2, 2, w // 2, 2).permute(0, 2, 4, 1, 3, 5)
    return patches.reshape(batch, (h // 2) * (w // 2), channels * 4)


def latent_size(pipe, height: int | None, width: int | None) -> tuple[int, int]:
    """(h, w) of the unpacked states for a call with this height and width (None: the pipeline's default)."""
    return state_shape(pipe, height, width)[1:]


def as_denoiser_output(pipe, guided: torch.Tensor, sample: torch.Tensor, timestep) -> torch.Tensor:
    """What ``scheduler.step`` received, in the denoiser's own parameterisation (see ``prediction_kind``).

    PRXPixel's pipeline turns its x0 guess into a velocity, v = (x_t - x0) / max(t / T, 0.05), before the
    step; this undoes it. Z-Image's pipeline hands the scheduler the negated output, which is already the
    velocity noise - x0 that the recorded halves are given in (``output_sign``)."""
    if not family_of(pipe).predicts_clean:
        return guided
    level = torch.clamp(torch.as_tensor(timestep, dtype=torch.float32) / pipe.scheduler.config.num_train_timesteps,
                        min=0.05)
    return sample.float() - level * guided.float()


def prediction_kind(pipe, scheduler_kind: str) -> str:
    """What the recorded outputs predict: "sample" (x0 itself) for a denoiser that predicts the clean picture,
    otherwise what the scheduler says its model predicts."""
    return "sample" if family_of(pipe).predicts_clean else scheduler_kind


def call_options(pipe, kwargs: dict) -> dict:
    """The family's fixed pipeline arguments added to ``kwargs``; arguments the pipeline's ``__call__`` does
    not take are dropped when they ask for its default (eta 0) and refused otherwise."""
    accepted = inspect.signature(pipe.__call__).parameters
    out = {**dict(family_of(pipe).call_options), **kwargs}
    for name in list(out):
        if name not in accepted:
            if name == "eta" and out[name] == 0:
                del out[name]  # flow-matching pipelines are deterministic and take no eta
            else:
                raise UsageError(f"{type(pipe).__name__} takes no {name}")
    return out


# ----------------------------------------------------------------------------- pictures


def decode(pipe, states: torch.Tensor) -> np.ndarray:
    """States (B, C, h, w) as float pictures (B, H, W, 3) in [0, 1], exactly as the pipeline turns its final
    state into its output (its VAE's scaling, shift or per-channel statistics, its image processor)."""
    family = family_of(pipe)
    if family.pixels:
        return np.asarray(pipe.image_processor.postprocess(states.to(pipe.device), output_type="np"),
                          dtype=np.float32)
    vae = pipe.vae
    z = states.to(vae.device, vae.dtype)
    mean, std = vae.config.get("latents_mean"), vae.config.get("latents_std")
    if family.name == "stable-diffusion-xl" and mean is not None and std is not None:
        channels = z.shape[1]
        mean = torch.tensor(mean).view(1, channels, 1, 1).to(z.device, z.dtype)
        std = torch.tensor(std).view(1, channels, 1, 1).to(z.device, z.dtype)
        z = z * std / vae.config.scaling_factor + mean
    else:
        scaling = getattr(vae.config, "scaling_factor", 0.18215)
        z = z / scaling + (vae.config.get("shift_factor") or 0.0)
    decoded = vae.decode(z, return_dict=False)[0]
    if getattr(pipe, "watermark", None) is not None:  # SDXL marks its decoded pictures before postprocessing
        decoded = pipe.watermark.apply_watermark(decoded)
    images = pipe.image_processor.postprocess(decoded, output_type="np")
    return np.asarray(images, dtype=np.float32)


def encode(pipe, x: torch.Tensor) -> torch.Tensor:
    """Pictures in [-1, 1] (B, 3, H, W) as the states the pipeline walks through: the VAE's posterior mean
    (no draw), scaled as ``decode`` undoes; a pixel model's states are the pictures themselves."""
    family = family_of(pipe)
    if family.pixels:
        return x
    vae = pipe.vae
    encoded = vae.encode(x.to(vae.device, vae.dtype))
    z = encoded.latent_dist.mean if hasattr(encoded, "latent_dist") else encoded.latent
    mean, std = vae.config.get("latents_mean"), vae.config.get("latents_std")
    if family.name == "stable-diffusion-xl" and mean is not None and std is not None:
        channels = z.shape[1]
        mean = torch.tensor(mean).view(1, channels, 1, 1).to(z.device, z.dtype)
        std = torch.tensor(std).view(1, channels, 1, 1).to(z.device, z.dtype)
        return ((z - mean) * vae.config.scaling_factor / std).float().cpu()
    scaling = getattr(vae.config, "scaling_factor", 0.18215)
    return ((z - (vae.config.get("shift_factor") or 0.0)) * scaling).float().cpu()


# ----------------------------------------------------------------------------- prompts


def negative_is_zeros(pipe) -> bool:
    """Whether the pipeline's unconditional half, without a negative prompt, sees zeros instead of the empty
    prompt's encoding (SDXL's force_zeros_for_empty_prompt)."""
    return family_of(pipe).name == "stable-diffusion-xl" and bool(pipe.config.get("force_zeros_for_empty_prompt"))


def takes_prompt_vectors(pipe) -> bool:
    """Whether a walk can start from token states alone (``prompt_embeds``, as the blend walks): the others also
    need a pooled vector (SDXL, SD3, Flux), an attention mask (PRX) or per-prompt lengths (Z-Image)."""
    return family_of(pipe).name in ("embedded", "stable-diffusion")


def _limits(pipe) -> list[tuple[object, int, str]]:
    """(tokenizer, most tokens it takes, name) for each text encoder the pipeline feeds, at its call's defaults."""
    name = family_of(pipe).name
    if name == "stable-diffusion-xl":
        return [(pipe.tokenizer, pipe.tokenizer.model_max_length, "CLIP"),
                (pipe.tokenizer_2, pipe.tokenizer_2.model_max_length, "the second CLIP")]
    if name == "stable-diffusion-3":
        return [(pipe.tokenizer, pipe.tokenizer_max_length, "CLIP"), (pipe.tokenizer_3, 256, "T5")]
    if name == "flux":
        return [(pipe.tokenizer, pipe.tokenizer_max_length, "CLIP"), (pipe.tokenizer_2, 512, "T5")]
    if name == "prx":
        return [(pipe.tokenizer, pipe.tokenizer.model_max_length, "the text encoder")]
    if name == "prx-pixel":
        return [(pipe.tokenizer, int(pipe.config.prompt_max_tokens), "the text encoder")]
    if name == "z-image":
        return [(pipe.tokenizer, 512, "the text encoder")]
    return [(pipe.tokenizer, pipe.tokenizer.model_max_length, "the text encoder")]


def _as_seen(pipe, prompt: str) -> str:
    """The prompt as the pipeline hands it to its tokenizer (PRX cleans it, Z-Image wraps it in a chat turn)."""
    name = family_of(pipe).name
    if name == "prx":
        return pipe.text_preprocessor.clean_text(prompt)
    if name == "prx-pixel":
        from diffusers.pipelines.prx.pipeline_prx_pixel import _basic_clean

        return _basic_clean(prompt)
    if name == "z-image":
        return pipe.tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                                  add_generation_prompt=True, enable_thinking=True)
    return prompt


def check_prompt(pipe, prompt: str) -> list[str]:
    """The prompt's word pieces as the pipeline's first sequence of token states holds them; a prompt longer
    than one of its encoders takes is refused, never cut (the pipeline would cut it with only a warning)."""
    text = _as_seen(pipe, prompt)
    for tokenizer, limit, name in _limits(pipe):
        overhead = len(tokenizer("" if text == prompt else _as_seen(pipe, ""), add_special_tokens=True)["input_ids"])
        count = len(tokenizer(text, add_special_tokens=True)["input_ids"])
        if count > limit:
            raise UsageError(f"prompt {prompt!r} is {count - overhead} tokens long; {name} takes at most "
                             f"{limit - overhead}: shorten it")
    first = pipe.tokenizer_2 if family_of(pipe).name == "flux" else pipe.tokenizer  # Flux's sequence is its T5's
    return first.convert_ids_to_tokens(first(text, add_special_tokens=True)["input_ids"])


@torch.no_grad()
def encode_prompts(pipe, prompts: list[str]) -> tuple[list[list[str]], torch.Tensor, torch.Tensor, torch.Tensor]:
    """(word pieces, token states (N, T, D), pooled vector (N, D), attention mask (N, T)) through the pipeline's
    own ``encode_prompt``. A family without a pooled vector of its own gets the mean of its real tokens' states."""
    family = family_of(pipe)
    tokens = [check_prompt(pipe, p) for p in prompts]
    device = pipe._execution_device
    prompts = list(prompts)  # some pipelines rewrite the list they are given
    pooled = None
    if family.name == "stable-diffusion-xl":
        states, _, pooled, _ = pipe.encode_prompt(prompts, device=device, num_images_per_prompt=1,
                                                  do_classifier_free_guidance=False)
    elif family.name == "stable-diffusion-3":
        states, _, pooled, _ = pipe.encode_prompt(prompts, None, None, device=device, num_images_per_prompt=1,
                                                  do_classifier_free_guidance=False)
    elif family.name == "flux":
        states, pooled, _ = pipe.encode_prompt(prompts, None, device=device, num_images_per_prompt=1)
    elif family.name in ("prx", "prx-pixel"):
        states, mask, _, _ = pipe.encode_prompt(prompts, device, do_classifier_free_guidance=False)
    elif family.name == "z-image":
        embeds, _ = pipe.encode_prompt(prompts, device, do_classifier_free_guidance=False)
        longest = max(e.shape[0] for e in embeds)
        states = torch.zeros(len(embeds), longest, embeds[0].shape[1], dtype=embeds[0].dtype)
        for i, e in enumerate(embeds):
            states[i, : e.shape[0]] = e.cpu()
    else:
        raise UsageError(f"the pipeline {type(pipe).__name__} is not supported for recording")
    states = states.float().cpu()
    if family.name in ("prx", "prx-pixel"):
        mask = mask.to(torch.int64).cpu()
    else:
        mask = torch.zeros(states.shape[:2], dtype=torch.int64)
        for i, t in enumerate(tokens):
            mask[i, : min(len(t), states.shape[1])] = 1
    if pooled is None:
        weights = mask.unsqueeze(-1).float()
        pooled = (states * weights).sum(1) / weights.sum(1).clamp(min=1)
    return tokens, states, pooled.float().cpu(), mask

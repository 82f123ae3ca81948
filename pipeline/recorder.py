"""The recorder: runs a diffusers text-to-image pipeline unchanged and keeps what it did at every step of its walk.

It follows every family in pipeline/families.py (Stable Diffusion 1.x/2.x, SDXL, SD3, Flux, PRX, PRXPixel,
Z-Image, and the embedded toy-world models), which says where each keeps its denoiser and how it lays out
its guidance halves and latents.

Per step it keeps the noisy state x_t before and after the step, the timestep and noise
level, the model's unconditional and conditional outputs and the guided output that the
scheduler received, and the model's guess of the final picture (x0-hat, `predicted_clean`),
derived in one place for every supported scheduler from the model output and the schedule.

How, without forking the pipeline's ``__call__``:
- x_t after each step comes from the pipeline's own ``callback_on_step_end``;
- the two halves of classifier-free guidance come from a thin wrapper around the denoiser's ``forward``
  (``pipe.unet`` or ``pipe.transformer``): most pipelines batch them as [unconditional, conditional];
- the guided output, x_t before the step and the timestep come from a thin wrapper around
  ``pipe.scheduler.step``, which is where the pipeline hands them over.
Both wrappers are installed for one run and removed after it; they copy tensors and change
none, so a recorded run gives the same pictures, bit for bit, as a plain call.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from pipeline import families
from pipeline.errors import UsageError

# How each scheduler family writes the noisy state x_t in terms of the clean picture x0:
#   "vp"          x_t = sqrt(a) x0 + sqrt(1 - a) noise, with a = alphas_cumprod[t]   (DDPM, DDIM, PNDM)
#   "alpha_sigma" x_t = alpha_t x0 + sigma_t noise, from the scheduler's own sigma table
#                 through its _sigma_to_alpha_sigma_t (DPM-Solver, UniPC, DEIS; flow sigmas too)
#   "ve"          x_t = x0 + sigma noise, scaled by 1/sqrt(sigma^2 + 1) before the model
#                 sees it (the Euler family and LMS)
#   "flow"        x_t = (1 - sigma) x0 + sigma noise, and the model predicts noise - x0
#                 (flow matching)
SCHEDULER_FAMILIES = {
    "DDPMScheduler": "vp",
    "DDIMScheduler": "vp",
    "PNDMScheduler": "vp",
    "DDPMParallelScheduler": "vp",
    "DDIMParallelScheduler": "vp",
    "DPMSolverMultistepScheduler": "alpha_sigma",
    "DPMSolverSinglestepScheduler": "alpha_sigma",
    "UniPCMultistepScheduler": "alpha_sigma",
    "DEISMultistepScheduler": "alpha_sigma",
    "EulerDiscreteScheduler": "ve",
    "EulerAncestralDiscreteScheduler": "ve",
    "LMSDiscreteScheduler": "ve",
    "FlowMatchEulerDiscreteScheduler": "flow",
}


PREDICTION_TYPES = ("epsilon", "v_prediction", "sample", "flow_prediction")


def check_scheduler(name: str | None, config: dict) -> str:
    """The noise family of a scheduler class (by name) and configuration; one that gives no way to the guess
    of the finished picture (an unknown class, an unknown prediction type) is refused in one line."""
    family = SCHEDULER_FAMILIES.get(name)
    if family is None:
        raise UsageError(f"the scheduler {name} is not supported for recording (it gives no way to the guess of "
                         f"the finished picture); supported: {', '.join(sorted(SCHEDULER_FAMILIES))}")
    kind = config.get("prediction_type", "epsilon")
    if family != "flow" and kind not in PREDICTION_TYPES:
        raise UsageError(f"the scheduler {name} predicts {kind!r}, which gives no way to the guess of the finished "
                         f"picture; supported prediction types: {', '.join(PREDICTION_TYPES)}")
    return family


def noise_family(scheduler) -> str:
    """Which of the families above a scheduler belongs to; an unknown one is refused, not guessed."""
    return check_scheduler(type(scheduler).__name__, dict(scheduler.config))


def prediction_type(scheduler) -> str:
    """What the model predicts: epsilon, v_prediction, sample, or flow (velocity noise - x0)."""
    if noise_family(scheduler) == "flow":
        return "flow"
    kind = scheduler.config.get("prediction_type", "epsilon")
    return "flow" if kind == "flow_prediction" else kind


def _step_index(scheduler, timestep) -> int:
    """The scheduler's position in its own sigma table for this step, before step() advances it."""
    if scheduler.step_index is not None:
        return int(scheduler.step_index)
    if getattr(scheduler, "begin_index", None) is not None:
        return int(scheduler.begin_index)
    return int(scheduler.index_for_timestep(timestep))  # what step() itself does on its first call


def _sigma(scheduler, timestep) -> float:
    return float(scheduler.sigmas[_step_index(scheduler, timestep)])


def noise_levels(scheduler, timestep) -> tuple[float, float]:
    """(signal_level, noise_level) at this step: the clean picture's and the noise's share of the
    amplitude of what the model sees, so that model input = signal_level x0 + noise_level noise.

    For "vp" these are sqrt(alpha_bar_t) and sqrt(1 - alpha_bar_t); for "ve" the model sees x_t
    scaled by 1/sqrt(sigma^2 + 1), so they are 1/sqrt(sigma^2 + 1) and sigma/sqrt(sigma^2 + 1);
    for flow matching they are 1 - sigma and sigma. Call it before scheduler.step() of this step.
    """
    family = noise_family(scheduler)
    if family == "vp":
        alpha_bar = float(scheduler.alphas_cumprod[int(timestep)])
        return math.sqrt(alpha_bar), math.sqrt(1.0 - alpha_bar)
    sigma = _sigma(scheduler, timestep)
    if family == "alpha_sigma":
        alpha_t, sigma_t = scheduler._sigma_to_alpha_sigma_t(torch.tensor(sigma, dtype=torch.float64))
        return float(alpha_t), float(sigma_t)
    if family == "ve":
        return 1.0 / math.sqrt(sigma**2 + 1.0), sigma / math.sqrt(sigma**2 + 1.0)
    return 1.0 - sigma, sigma


def predicted_clean(scheduler, model_output: torch.Tensor, sample: torch.Tensor, timestep,
                    kind: str | None = None) -> torch.Tensor:
    """The model's guess of the final picture (x0-hat) from its output on ``sample`` at ``timestep``.

    The one place where x0-hat is derived, for every supported scheduler and parameterisation,
    from the schedule alone (never from a scheduler's own step output, which some do not
    give): epsilon, v, flow matching (the velocity noise - x0, so x0 = x_t - sigma v) and direct
    x-prediction ("sample"). ``kind`` is what ``model_output`` predicts, when it is not what the
    scheduler says (PRXPixel's transformer predicts x0 itself; see families.prediction_kind).
    Call it before scheduler.step() of this step: sigma-table schedulers look up their step
    counter. Computed in float32, whatever the model's dtype.
    """
    kind = kind or prediction_type(scheduler)
    family = noise_family(scheduler)
    x = sample.float()
    out = model_output.float()
    if out.shape[1] == 2 * x.shape[1]:
        out = out[:, : x.shape[1]]  # a learned-variance model: the first half is the mean prediction
    if kind == "sample":
        return out.clone()
    if family == "ve":
        sigma = _sigma(scheduler, timestep)
        if kind == "epsilon":
            return x - sigma * out
        if kind == "v_prediction":
            return out * (-sigma / math.sqrt(sigma**2 + 1.0)) + x / (sigma**2 + 1.0)
    elif family == "flow" or kind == "flow":
        alpha_t, sigma_t = noise_levels(scheduler, timestep)
        if kind == "flow":
            return x - sigma_t * out
        if kind == "epsilon":
            return (x - sigma_t * out) / alpha_t
    else:
        alpha_t, sigma_t = noise_levels(scheduler, timestep)
        if kind == "epsilon":
            return (x - sigma_t * out) / alpha_t
        if kind == "v_prediction":
            return alpha_t * x - sigma_t * out
    raise UsageError(f"prediction type {kind!r} of {type(scheduler).__name__} is not supported for recording")


# ----------------------------------------------------------------------------- prompts


@dataclass
class PromptRecord:
    """What the text encoder makes of some prompts: word pieces, token states and the pooled vector."""

    prompts: list[str]
    tokens: list[list[str]]  # word pieces with the start and end markers, no padding
    token_states: torch.Tensor  # (N, T, D) float32: exactly what the image model is conditioned on
    pooled: torch.Tensor  # (N, D) float32: the prompt as one vector, its "compass"
    attention_mask: torch.Tensor  # (N, T) int64: 1 where a token is real


def is_latent(pipe) -> bool:
    """Stable Diffusion and its kin work on a VAE's latents; the embedded model and PRXPixel work on pixels."""
    return not families.family_of(pipe).pixels


def check_prompt_length(tokenizer, prompt: str) -> list[str]:
    """A CLIP-style prompt's tokens; one longer than the encoder takes is refused, never cut
    (the pipeline itself would cut it with only a warning)."""
    ids = tokenizer(prompt, add_special_tokens=True)["input_ids"]
    if len(ids) > tokenizer.model_max_length:
        raise UsageError(f"prompt {prompt!r} is {len(ids) - 2} tokens long; the text encoder takes at most "
                         f"{tokenizer.model_max_length - 2}: shorten it")
    return tokenizer.convert_ids_to_tokens(ids)


def encode_prompts(pipe, prompts: list[str]) -> PromptRecord:
    """The prompts through the pipeline's own text encoding; a prompt too long for it is refused.

    Each distinct prompt is encoded once (a batch of 32 seeds often has one prompt).
    """
    prompts = [prompts] if isinstance(prompts, str) else list(prompts)
    unique = list(dict.fromkeys(prompts))
    record = _encode_unique(pipe, unique)
    rows = [unique.index(p) for p in prompts]
    return PromptRecord(prompts, [record.tokens[r] for r in rows], record.token_states[rows], record.pooled[rows],
                        record.attention_mask[rows])


def _encode_unique(pipe, prompts: list[str]) -> PromptRecord:
    from pipeline.model import ToyWorldPipeline, shared_text_encoder

    if isinstance(pipe, ToyWorldPipeline):
        # the embedded pipeline's encode_prompt is exactly this encoder's token states
        encoding = shared_text_encoder().encode(prompts)
        return PromptRecord(prompts, encoding.tokens, encoding.token_states.float().cpu(),
                            encoding.pooled.float().cpu(), encoding.attention_mask.cpu())
    if families.family_of(pipe).name != "stable-diffusion":
        tokens, states, pooled, mask = families.encode_prompts(pipe, prompts)
        return PromptRecord(prompts, tokens, states, pooled, mask)
    tokenizer, text_encoder = pipe.tokenizer, pipe.text_encoder
    limit = tokenizer.model_max_length
    tokens = [check_prompt_length(tokenizer, prompt) for prompt in prompts]
    ids = tokenizer(prompts, padding="max_length", max_length=limit, truncation=True, return_tensors="pt").input_ids
    with torch.no_grad():
        states, _ = pipe.encode_prompt(prompts, pipe.device, 1, False)  # the pipeline's own path (clip skip, LoRA)
        pooled = text_encoder(ids.to(text_encoder.device)).pooler_output
    mask = torch.zeros(ids.shape, dtype=torch.int64)
    for i, t in enumerate(tokens):
        mask[i, : len(t)] = 1
    return PromptRecord(prompts, tokens, states.float().cpu(), pooled.float().cpu(), mask)


# ----------------------------------------------------------------------------- the walk


@dataclass
class Walk:
    """One recorded run of B pictures over S steps. Tensors are float32 on the CPU.

    ``trajectory[0]`` is the starting noise as the scheduler first sees it, ``trajectory[i + 1]``
    the state after step i; the step outputs are (S, B, C, h, w). Without guidance (a scale
    at which the pipeline skips the unconditional half) ``unconditional_*`` are None.

    States are unpacked to (C, h, w) grids whatever the pipeline's own layout (Flux's tokens), and
    the outputs are given in the parameterisation ``prediction_type`` names, with the sign the
    scheduler sees (Z-Image's negated output is kept as the velocity noise - x0; PRXPixel's as the
    x0 its transformer predicts, the guided one converted back from the velocity its pipeline steps with).
    """

    timesteps: np.ndarray  # (S,) the scheduler's timestep at each step
    signal_level: np.ndarray  # (S,) see noise_levels()
    noise_level: np.ndarray  # (S,)
    trajectory: torch.Tensor  # (S + 1, B, C, h, w) x_t
    sample_before: torch.Tensor  # (S, B, C, h, w) what scheduler.step received as x_t
    guided_output: torch.Tensor  # (S, B, C, h, w) the model output that the scheduler stepped with
    conditional_output: torch.Tensor  # (S, B, C, h, w) the model's raw output with the prompt
    unconditional_output: torch.Tensor | None  # (S, B, C, h, w) ... and with the empty prompt
    predicted_clean: torch.Tensor  # (S, B, C, h, w) x0-hat from the guided output
    conditional_clean: torch.Tensor  # (S, B, C, h, w) x0-hat from the conditional output alone
    unconditional_clean: torch.Tensor | None  # (S, B, C, h, w) x0-hat from the unconditional output alone
    final: np.ndarray  # (B, H, W, 3) float32 in [0, 1]: the pipeline's own output, untouched
    guidance_scale: float
    prediction_type: str
    noise_family: str
    prompt: PromptRecord | None = None
    negative_prompt: PromptRecord | None = None

    @property
    def steps(self) -> int:
        return len(self.timesteps)


class RecordingError(RuntimeError):
    """The pipeline did not call its model and scheduler in the pattern the recorder relies on."""


class Recorder:
    """Thin wrappers on the denoiser's ``forward`` and ``pipe.scheduler.step`` for one run, plus the step-end
    callback. Use as a context manager; the wrappers are removed on exit, even on error.

    States and outputs are kept as (B, C, h, w) whatever the pipeline's own layout (``latent_size``: the
    unpacked (h, w) of a pipeline that packs its latents, see families.unpack)."""

    def __init__(self, pipe, batch_size: int, on_step_end: Callable[[int], None] | None = None,
                 progress=None, latent_size: tuple[int, int] | None = None):
        self.pipe = pipe
        self.batch_size = batch_size
        self.on_step_end = on_step_end
        self.progress = progress
        self.latent_size = latent_size
        self.model_family = families.family_of(pipe)
        self.family = noise_family(pipe.scheduler)
        self.kind = families.prediction_kind(pipe, prediction_type(pipe.scheduler))
        self._unet_outputs: list[torch.Tensor] = []
        self._steps: list[dict] = []
        self._after: list[torch.Tensor] = []
        self._saved: list[tuple[object, str, object]] = []

    # -- installing and removing the wrappers

    def _wrap(self, owner, name: str, make: Callable) -> None:
        before = owner.__dict__.get(name)  # an instance attribute already there (an offload hook) or None
        original = getattr(owner, name)
        # functools.wraps keeps the signature visible: pipelines inspect scheduler.step for eta/generator
        setattr(owner, name, functools.wraps(original)(make(original)))
        self._saved.append((owner, name, before))

    def __enter__(self) -> "Recorder":
        try:
            self._wrap(families.denoiser(self.pipe), "forward", self._unet_wrapper)
            self._wrap(self.pipe.scheduler, "step", self._step_wrapper)
        except BaseException:
            self._restore()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self._restore()

    def _restore(self) -> None:
        while self._saved:
            owner, name, before = self._saved.pop()
            if before is None:
                owner.__dict__.pop(name, None)
            else:
                setattr(owner, name, before)

    def _states(self, tensor: torch.Tensor) -> torch.Tensor:
        """A copy on the CPU in float32, as (B, C, h, w)."""
        return families.unpack(self.pipe, tensor.detach(), self.latent_size).to("cpu", torch.float32, copy=True)

    def _unet_wrapper(self, original):
        def forward(*args, **kwargs):
            out = original(*args, **kwargs)
            self._unet_outputs.append(self._states(families.denoiser_output(out)))
            return out
        return forward

    def _halves(self) -> tuple[torch.Tensor | None, torch.Tensor]:
        """This step's denoiser outputs as (unconditional, conditional), in the walk's parameterisation."""
        if not self._unet_outputs:
            raise RecordingError("expected a model call before each scheduler step, saw none: this pipeline's "
                                 "loop is not supported")
        raw = torch.cat(self._unet_outputs) * self.model_family.output_sign
        self._unet_outputs.clear()
        if raw.shape[0] == self.batch_size:
            return None, raw
        if raw.shape[0] != 2 * self.batch_size:
            raise RecordingError(f"the model saw a batch of {raw.shape[0]} for {self.batch_size} pictures in one "
                                 "step: this pipeline's loop is not supported")
        first, second = raw.chunk(2)
        return (second, first) if self.model_family.conditional_first else (first, second)

    def _step_wrapper(self, original):
        def step(model_output, timestep, sample, *args, **kwargs):
            unconditional, conditional = self._halves()
            scheduler = self.pipe.scheduler
            # x0-hat and the noise level before the step: sigma-table schedulers advance their counter in it
            signal, noise = noise_levels(scheduler, timestep)
            x_t = self._states(sample)
            guided = families.as_denoiser_output(self.pipe, self._states(model_output), x_t, timestep)

            def clean(output):
                return None if output is None else predicted_clean(scheduler, output, x_t, timestep, self.kind)

            self._steps.append({
                "timestep": float(timestep),
                "signal": signal,
                "noise": noise,
                "sample": x_t,
                "guided": guided,
                "conditional": conditional,
                "unconditional": unconditional,
                "clean": clean(guided),
                "conditional_clean": clean(conditional),
                "unconditional_clean": clean(unconditional),
            })
            return original(model_output, timestep, sample, *args, **kwargs)
        return step

    def callback(self, pipe, step_index: int, timestep, tensors: dict) -> dict:
        """The pipeline's callback_on_step_end: keep x_t after the step, change nothing."""
        self._after.append(self._states(tensors["latents"]))
        if self.on_step_end is not None:
            self.on_step_end(step_index)
        if self.progress is not None:
            self.progress.update(self.batch_size)
        return {}

    def walk(self, final: np.ndarray, guidance_scale: float) -> Walk:
        if not self._steps or len(self._steps) != len(self._after):
            raise RecordingError(f"recorded {len(self._steps)} scheduler steps but {len(self._after)} "
                                 "step-end callbacks: this pipeline's loop is not supported")
        steps = self._steps

        def stack(key):
            return None if steps[0][key] is None else torch.stack([s[key] for s in steps])

        timesteps = np.array([s["timestep"] for s in steps])
        if np.all(timesteps == np.round(timesteps)):
            timesteps = timesteps.astype(np.int64)
        return Walk(
            timesteps=timesteps,
            signal_level=np.array([s["signal"] for s in steps], dtype=np.float32),
            noise_level=np.array([s["noise"] for s in steps], dtype=np.float32),
            trajectory=torch.stack([steps[0]["sample"], *self._after]),
            sample_before=stack("sample"),
            guided_output=stack("guided"),
            conditional_output=stack("conditional"),
            unconditional_output=stack("unconditional"),
            predicted_clean=stack("clean"),
            conditional_clean=stack("conditional_clean"),
            unconditional_clean=stack("unconditional_clean"),
            final=np.asarray(final, dtype=np.float32),
            guidance_scale=float(guidance_scale),
            prediction_type=self.kind,
            noise_family=self.family,
        )


def record(pipe, *, num_inference_steps: int, guidance_scale: float, generator=None, prompt=None,
           prompt_embeds: torch.Tensor | None = None, negative_prompt_embeds: torch.Tensor | None = None,
           latents: torch.Tensor | None = None, eta: float | None = None,
           on_step_end: Callable[[int], None] | None = None, progress=None, **options) -> Walk:
    """One call of the pipeline, recorded. Arguments are the pipeline's own and reach it unchanged (``options``
    too: height, width, ...), with the family's own fixed ones added (families.call_options);
    ``on_step_end(i)`` runs after step i (the fork experiment reseeds its generators there)."""
    if prompt is not None:
        prompts = [prompt] if isinstance(prompt, str) else list(prompt)
        batch = len(prompts)
    elif prompt_embeds is not None:
        prompts, batch = None, prompt_embeds.shape[0]
    else:
        raise UsageError("give a prompt or prompt_embeds")
    kwargs = dict(num_inference_steps=num_inference_steps, guidance_scale=guidance_scale, generator=generator,
                  prompt=None if prompts is None else list(prompts),  # a copy: some pipelines rewrite the list
                  prompt_embeds=prompt_embeds, negative_prompt_embeds=negative_prompt_embeds,
                  latents=latents, eta=eta, **options)
    families.check_requirements(pipe)
    kwargs = families.call_options(pipe, {k: v for k, v in kwargs.items() if v is not None})
    latent_size = None
    if families.family_of(pipe).packed:
        latent_size = families.latent_size(pipe, kwargs.get("height"), kwargs.get("width"))
    recorder = Recorder(pipe, batch, on_step_end=on_step_end, progress=progress, latent_size=latent_size)
    with recorder:
        out = pipe(**kwargs, output_type="np", callback_on_step_end=recorder.callback,
                   callback_on_step_end_tensor_inputs=["latents"])
    walk = recorder.walk(out.images, guidance_scale)
    if prompts is not None:
        walk.prompt = encode_prompts(pipe, prompts)
    walk.negative_prompt = encode_prompts(pipe, [""])
    if families.negative_is_zeros(pipe):  # SDXL conditions its unconditional half on zeros, not on ""
        walk.negative_prompt.token_states.zero_()
        walk.negative_prompt.pooled.zero_()
    return walk


# ----------------------------------------------------------------------------- pictures


@torch.no_grad()
def pictures(pipe, states: torch.Tensor, batch: int = 16) -> np.ndarray:
    """States in the model's space (..., C, h, w) as uint8 pictures (..., H, W, 3).

    A pixel-space model's states are pictures already: clipped and mapped from [-1, 1] as the
    pipeline maps its output. A latent model's are decoded by its own VAE and post-processed
    as the pipeline post-processes its output (families.decode).
    """
    lead = states.shape[:-3]
    flat = states.reshape(-1, *states.shape[-3:]).float()
    if families.family_of(pipe).name == "embedded":
        images = ((flat.clamp(-1, 1) + 1) / 2).permute(0, 2, 3, 1).numpy()
    else:
        images = np.concatenate([families.decode(pipe, flat[start:start + batch])
                                 for start in range(0, flat.shape[0], batch)])
    from pipeline.model import to_uint8

    return to_uint8(images).reshape(*lead, *images.shape[1:])


@torch.no_grad()
def latents(pipe, pictures: np.ndarray, batch: int = 64) -> torch.Tensor:
    """uint8 pictures (..., H, W, 3) as the states the pipeline walks through (..., C, h, w), float32 on the CPU.

    For a latent model: its VAE's posterior mean (no draw, so the same picture gives the same latents),
    shifted and scaled as the UNet sees latents (``pictures`` undoes it). For a pixel model: the picture
    itself in [-1, 1].
    """
    pictures = np.asarray(pictures)
    lead = pictures.shape[:-3]
    flat = pictures.reshape(-1, *pictures.shape[-3:])
    x = torch.from_numpy(flat.astype(np.float32) / 127.5 - 1.0).permute(0, 3, 1, 2)
    if families.family_of(pipe).pixels:
        return x.reshape(*lead, *x.shape[1:])
    chunks = [families.encode(pipe, x[start:start + batch]) for start in range(0, x.shape[0], batch)]
    z = torch.cat(chunks)
    return z.reshape(*lead, *z.shape[1:])

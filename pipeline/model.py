"""The embedded text-to-image model: a pixel-space UNet, its schedulers, and a diffusers pipeline that drives it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from diffusers import DDIMScheduler, DDPMScheduler, DiffusionPipeline, ImagePipelineOutput, UNet2DConditionModel
from diffusers.utils import logging as diffusers_logging

from pipeline import defaults
from pipeline.errors import UsageError
from pipeline.model_folder import DEFAULT_MODEL_DIR, model_index, restore_advice
from pipeline.text_encoder import STATE_WIDTH, TextEncoder
from pipeline.toyworld import SIZE

diffusers_logging.set_verbosity_error()  # its loading chatter would bury the project's own progress bars
diffusers_logging.disable_progress_bar()
NUM_TRAIN_TIMESTEPS = 1000
# v-prediction keeps the model's guess of the final picture stable at every noise level, which the film shows
PREDICTION_TYPE = "v_prediction"
BETA_SCHEDULE = "squaredcos_cap_v2"
DEFAULT_STEPS = defaults.STEPS
DEFAULT_GUIDANCE = defaults.GUIDANCE


def unet_config() -> dict:
    """The UNet's shape: cross-attention only at 8x8 and in the middle keeps it fast on a CPU."""
    return dict(
        sample_size=SIZE,
        in_channels=3,
        out_channels=3,
        block_out_channels=(32, 64, 128),
        layers_per_block=1,
        down_block_types=("DownBlock2D", "DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D", "UpBlock2D"),
        mid_block_type="UNetMidBlock2DCrossAttn",
        cross_attention_dim=STATE_WIDTH,
        attention_head_dim=8,
        norm_num_groups=8,
    )


def new_unet(seed: int = 0) -> UNet2DConditionModel:
    torch.manual_seed(seed)
    return UNet2DConditionModel(**unet_config())


def plain_attention_for_training(unet: UNet2DConditionModel, device: torch.device) -> None:
    """On a CPU, attention as three explicit products (diffusers' ``AttnProcessor``) instead of PyTorch's fused
    attention, whose backward pass is slow for small heads (the latent UNet's are 4 wide, the pixel UNet's 8): with
    it, most of a training step went to that backward (docs/speed.md). Both trainings use it. The same
    arithmetic either way; the weights saved do not record it, so sampling is unchanged."""
    if device.type == "cpu":
        from diffusers.models.attention_processor import AttnProcessor

        unet.set_attn_processor(AttnProcessor())


def training_scheduler() -> DDPMScheduler:
    return DDPMScheduler(num_train_timesteps=NUM_TRAIN_TIMESTEPS, beta_schedule=BETA_SCHEDULE,
                         prediction_type=PREDICTION_TYPE, clip_sample=False)


def sampling_scheduler() -> DDIMScheduler:
    # "trailing" spacing starts the walk at the last, noisiest timestep, so step one really starts from noise
    return DDIMScheduler(num_train_timesteps=NUM_TRAIN_TIMESTEPS, beta_schedule=BETA_SCHEDULE,
                         prediction_type=PREDICTION_TYPE, clip_sample=False, set_alpha_to_one=True,
                         timestep_spacing="trailing")


_ENCODER: TextEncoder | None = None


def shared_text_encoder() -> TextEncoder:
    """One MiniLM per process: loading it costs a second, and every pipeline uses the same one."""
    global _ENCODER
    if _ENCODER is None:
        _ENCODER = TextEncoder()
    return _ENCODER


class ToyWorldPipeline(DiffusionPipeline):
    """Text to picture with the embedded model, driven like any diffusers text-to-image pipeline.

    The text encoder (all-MiniLM-L6-v2) comes from its own PyPI package, not from the model folder,
    so the folder holds only what this project trained.
    """

    model_cpu_offload_seq = "unet"
    _callback_tensor_inputs = ["latents", "prompt_embeds", "negative_prompt_embeds"]

    def __init__(self, unet: UNet2DConditionModel, scheduler):
        super().__init__()
        self.register_modules(unet=unet, scheduler=scheduler)

    def encode_prompt(self, prompt: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Token states of the prompts and of the empty prompt (the unconditional input)."""
        encoder = shared_text_encoder()
        states = encoder.encode(list(prompt)).token_states
        empty = encoder.encode([""]).token_states.expand(len(prompt), -1, -1)
        return states.to(self.device, self.unet.dtype), empty.to(self.device, self.unet.dtype)

    @torch.no_grad()
    def __call__(
        self,
        prompt: str | list[str] | None = None,
        num_inference_steps: int = DEFAULT_STEPS,
        guidance_scale: float = DEFAULT_GUIDANCE,
        generator: torch.Generator | list[torch.Generator] | None = None,
        latents: torch.Tensor | None = None,
        prompt_embeds: torch.Tensor | None = None,
        negative_prompt_embeds: torch.Tensor | None = None,
        eta: float = 0.0,
        output_type: str = "np",
        return_dict: bool = True,
        callback_on_step_end: Callable | None = None,
        callback_on_step_end_tensor_inputs: list[str] = ("latents",),
    ):
        if int(num_inference_steps) < 1:
            raise UsageError(f"num_inference_steps must be at least 1, got {num_inference_steps}")
        if not np.isfinite(guidance_scale) or guidance_scale < 0:
            raise UsageError(f"guidance_scale must be 0 or more, got {guidance_scale}")
        if prompt_embeds is None:
            if prompt is None:
                raise UsageError("give a prompt (or prompt_embeds)")
            prompts = [prompt] if isinstance(prompt, str) else list(prompt)
            if not prompts:
                raise UsageError("the prompt list is empty: give at least one prompt")
            prompt_embeds, negative_prompt_embeds = self.encode_prompt(prompts)
        elif negative_prompt_embeds is None:
            negative_prompt_embeds = self.encode_prompt([""] * prompt_embeds.shape[0])[1]
        batch = prompt_embeds.shape[0]
        device, dtype = self.device, self.unet.dtype
        prompt_embeds = prompt_embeds.to(device, dtype)
        negative_prompt_embeds = negative_prompt_embeds.to(device, dtype)

        shape = (batch, self.unet.config.in_channels, self.unet.config.sample_size, self.unet.config.sample_size)
        if latents is None:
            latents = starting_noise(shape, generator, device, dtype)
        latents = latents.to(device, dtype) * self.scheduler.init_noise_sigma
        self.scheduler.set_timesteps(int(num_inference_steps), device=device)
        step_kwargs = {"eta": eta, "generator": generator} if isinstance(self.scheduler, DDIMScheduler) else {}

        guided = guidance_scale != 1.0
        for i, t in enumerate(self.progress_bar(self.scheduler.timesteps)):
            model_input = torch.cat([latents, latents]) if guided else latents
            model_input = self.scheduler.scale_model_input(model_input, t)
            states = torch.cat([negative_prompt_embeds, prompt_embeds]) if guided else prompt_embeds
            output = self.unet(model_input, t, encoder_hidden_states=states).sample
            if guided:
                unconditional, conditional = output.chunk(2)
                output = unconditional + guidance_scale * (conditional - unconditional)
            latents = self.scheduler.step(output, t, latents, **step_kwargs).prev_sample
            if callback_on_step_end is not None:
                local = {"latents": latents, "prompt_embeds": prompt_embeds,
                         "negative_prompt_embeds": negative_prompt_embeds}
                returned = callback_on_step_end(self, i, t, {k: local[k] for k in callback_on_step_end_tensor_inputs})
                latents = (returned or {}).get("latents", latents)

        images = self.output(latents, output_type)
        self.maybe_free_model_hooks()
        if not return_dict:
            return (images,)
        return ImagePipelineOutput(images=images)

    def output(self, latents: torch.Tensor, output_type: str):
        """The walk's final state as the pipeline returns it: here the state is the picture itself."""
        images = latents.clamp(-1, 1)
        if output_type == "np":
            return ((images + 1) / 2).permute(0, 2, 3, 1).float().cpu().numpy()
        if output_type == "pil":
            from diffusers.utils import numpy_to_pil

            return numpy_to_pil(((images + 1) / 2).permute(0, 2, 3, 1).float().cpu().numpy())
        return images


def starting_noise(shape, generator, device, dtype) -> torch.Tensor:
    """Starting noise drawn on the CPU, so a seed gives the same picture on every machine."""
    if isinstance(generator, list):
        return torch.cat([torch.randn((1, *shape[1:]), generator=g, dtype=torch.float32) for g in generator]).to(device, dtype)
    return torch.randn(shape, generator=generator, dtype=torch.float32).to(device, dtype)


def load_pipeline(model_dir: Path | str | None = None, device: str = "cpu") -> ToyWorldPipeline:
    """The embedded model from its folder, with one clear error where the folder is missing, damaged, or holds
    another kind of pipeline (which is refused before any of it is loaded)."""
    model_dir = Path(model_dir) if model_dir else DEFAULT_MODEL_DIR
    kind = model_index(model_dir).get("_class_name")
    if kind != ToyWorldPipeline.__name__:
        raise UsageError(f"{model_dir} holds a {str(kind)[:80]!r}, not the toy world's {ToyWorldPipeline.__name__}: "
                         "pass a folder `make model` wrote, such as model/toyworld-diffusion")
    try:
        pipe = ToyWorldPipeline.from_pretrained(str(model_dir), local_files_only=True, use_safetensors=True,
                                                low_cpu_mem_usage=False)
    except (OSError, ValueError, json.JSONDecodeError, RuntimeError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"model folder {model_dir} is damaged ({first[:160]}): {restore_advice(model_dir)}") from exc
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(device)


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Pipeline output in [0, 1] (N, H, W, 3) to uint8 pictures."""
    return np.clip(np.rint(images * 255.0), 0, 255).astype(np.uint8)

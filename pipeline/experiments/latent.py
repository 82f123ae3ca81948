"""The `latent` capture: the same prompt and seed walked by the pixel model and by its latent twin, and noise added to a picture in both spaces, so the film can show what a decoder does to a walk.

The pixel model walks through pictures: every x_t is itself a 32x32 picture. Its latent twin
(``model/toyworld-latent``: the same toy world, text encoder, objective and schedule) walks through
an autoencoder's 4 x 8 x 8 latents, 12 times fewer numbers, and each step is seen only after its
decoder has turned the latents into a picture. Recorded per step: the pixel model's x_t and
x0-hat; the latent model's raw latents, those latents decoded, and its x0-hat decoded. And the
forward process in both spaces: a toy-world picture noised step by step in pixels, and its
latent noised at the same steps and then decoded.

Two measures are defined here:

- "neighbour likeness": the correlation between each pixel and the pixel to its right, over the
  three colours. Pixel noise is snow, every pixel on its own (near 0); a drawn picture is made of
  flat patches (near 1). A decoded noisy latent sits between: the decoder turns noise into blotches.
- "the judge first sees it": the first step at which the independent judge gives the prompted
  object a probability above its threshold, in a walk's x_t, in its x0-hat, or in a noised picture.
"""

from __future__ import annotations

import sys

import numpy as np

from pipeline import defaults
from pipeline.errors import UsageError
from pipeline.experiments import common, measures

NAME = "latent"
DESCRIPTION = "one prompt and seed walked in pixels and in latents, and noise added in both spaces"
# No --model: it compares the embedded pixel model with its latent twin, so it is no input of the map.
FILM_PROMPT = "walk"  # the film file's prompt it walks
OPTIONS = {"seed": 0, "prompt": defaults.prompt(FILM_PROMPT), "steps": defaults.STEPS, "guidance": defaults.GUIDANCE}
# The picture that is noised in both spaces: the toy world's seed 3, "a big purple butterfly", as in `forward`.
SOURCE_SEED = 3
FORWARD_FRAMES = 26  # noise levels shown from clean to pure noise, evenly spaced in the schedule's steps
CLOSE_WITHIN = 5.0  # % RMS brightness, as in `walk`: a guess this close to the end looks the same at a glance
# The latent twin's folder (None: model/toyworld-latent); its identity, not this path, is in the spec.
LATENT_MODEL = None

ARRAY_NAMES = (
    "timesteps", "noise_level",
    "pixel_seen_pictures", "pixel_guess_pictures", "pixel_final_picture",
    "latent_seen", "latent_seen_pictures", "latent_guess", "latent_guess_pictures", "latent_final_picture",
    "source_picture", "source_latent", "source_decoded",
    "forward_timesteps", "forward_noise_level", "forward_pixel_pictures", "forward_latents",
    "forward_latent_pictures", "neighbour_likeness",
)


def latent_folder():
    from pathlib import Path

    from pipeline.latent import DEFAULT_LATENT_DIR

    return Path(LATENT_MODEL) if LATENT_MODEL is not None else DEFAULT_LATENT_DIR


def make_spec(pixel, latent, settings) -> dict:
    spec = common.base_spec(NAME, pixel, seed=settings.seed, **common.walk_spec(settings),
                            latent_model=latent.identity, source_seed=SOURCE_SEED, forward_frames=FORWARD_FRAMES,
                            close_within=CLOSE_WITHIN, judge=common.judge_spec(pixel))
    return spec


def capture(root, seed=None, force=False, progress=True, prompt=None, steps=None, guidance=None):
    """This experiment's capture for these settings: read back if made before, else computed and written."""
    from pipeline.experiments.models import open_model

    module = sys.modules[__name__]
    pixel = open_model(None)
    folder = latent_folder()
    if not folder.is_dir():
        raise UsageError(f"the latent twin {folder} is missing: restore it with `git checkout -- {folder}` "
                         "or train it with `make latent-model`")
    latent = open_model(folder)
    if not latent.is_latent:
        raise UsageError(f"{folder} holds a {latent.pipeline_class}, not a latent model")
    spec = make_spec(pixel, latent, common.settings(module, seed=seed, prompt=prompt, steps=steps,
                                                    guidance=guidance))
    return common.capture_spec(module, Twins(pixel, latent), spec, root, force=force, progress=progress)


class Twins:
    """The two models this experiment walks, as one subject for the cache: loading it loads both."""

    def __init__(self, pixel, latent):
        self.pixel, self.latent = pixel, latent

    @property
    def pipe(self):
        _ = self.latent.pipe
        return self.pixel.pipe

    @property
    def pipes(self) -> tuple:
        """Both pipelines, each run in the capture's precision."""
        return self.pixel.pipe, self.latent.pipe


def check_prompt(prompt: str | None) -> None:
    if prompt is not None and common.named_object(prompt) is None:
        raise UsageError(f"the latent capture needs a prompt that names a toy-world object (to ask the judge "
                         f"when it appears); {prompt!r} names none")


def neighbour_likeness(pictures: np.ndarray) -> np.ndarray:
    """Correlation of each pixel with its right-hand neighbour, over rows and colours: (...,) in [-1, 1]."""
    x = measures.brightness(pictures)
    left, right = x[..., :, :-1, :], x[..., :, 1:, :]
    axes = (-3, -2, -1)
    left = left - left.mean(axis=axes, keepdims=True)
    right = right - right.mean(axis=axes, keepdims=True)
    top = (left * right).sum(axis=axes)
    bottom = np.sqrt((left**2).sum(axis=axes) * (right**2).sum(axis=axes))
    return np.where(bottom > 0, top / np.maximum(bottom, 1e-12), 0.0)


def _first(flags: np.ndarray, offset: int = 0) -> int | None:
    hits = np.flatnonzero(flags)
    return int(hits[0]) + offset if hits.size else None


def _step_gflop(model, guidance: float) -> float:
    """Billions of floating-point operations in one step of the walk: the UNet on both halves of guidance."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    pipe = model.pipe
    config = pipe.unet.config
    batch = 2 if guidance != 1.0 else 1
    x = torch.zeros(batch, config.in_channels, config.sample_size, config.sample_size, dtype=pipe.unet.dtype)
    states = torch.zeros(batch, 24, config.cross_attention_dim, dtype=pipe.unet.dtype)
    # the UNet's own forward, counted in torch: the sampling may be running it through OpenVINO (openvino_unet)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        type(pipe.unet).forward(pipe.unet, x, torch.tensor(500), encoder_hidden_states=states)
    return counter.get_total_flops() / 1e9


def _decode_gflop(model) -> float:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    vae = model.pipe.vae
    z = torch.zeros(1, vae.config.latent_channels, 8, 8, dtype=vae.dtype)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        vae.decode(z)
    return counter.get_total_flops() / 1e9


def compute(twins, spec, bar, root=None):
    import torch

    from pipeline import toyworld

    pixel, latent = twins.pixel, twins.latent
    if latent.identity != spec["latent_model"] or pixel.identity != spec["model"]:
        raise RuntimeError("the models changed since the spec was made")
    steps, seed, prompt, guidance = spec["steps"], spec["seed"], spec["prompt"], spec["guidance"]
    common.add_work(bar, 2 * steps)
    walks = {}
    for name, model in (("pixel", pixel), ("latent", latent)):
        walks[name] = model.walk(steps=steps, guidance=guidance, seeds=[seed], prompts=[prompt], eta=spec["eta"],
                                 progress=bar)
    pw, lw = walks["pixel"], walks["latent"]

    # --- the forward process in both spaces, at the same steps of the training schedule
    source = toyworld.render(toyworld.sample_scene(spec["source_seed"]))
    z0 = latent.latents(source)  # (C, h, w): the posterior mean, scaled as the UNet sees latents
    x0 = pixel.latents(source)  # the picture itself in [-1, 1]
    scheduler = _training_scheduler(latent)
    last = scheduler.config.num_train_timesteps - 1
    forward_steps = np.unique(np.round(np.linspace(0, last, spec["forward_frames"])).astype(int))
    alphas = scheduler.alphas_cumprod.numpy().astype(np.float64)
    generator = torch.Generator().manual_seed(int(spec["source_seed"]))
    pixel_noise = torch.randn(x0.shape, generator=generator)
    latent_noise = torch.randn(z0.shape, generator=generator)
    t = torch.from_numpy(forward_steps)
    noisy_x = scheduler.add_noise(x0.expand(len(t), *x0.shape).clone(), pixel_noise.expand(len(t), *x0.shape), t)
    noisy_z = scheduler.add_noise(z0.expand(len(t), *z0.shape).clone(), latent_noise.expand(len(t), *z0.shape), t)
    forward_pixel_pictures = pixel.pictures(noisy_x)
    forward_latent_pictures = latent.pictures(noisy_z)
    source_decoded = latent.pictures(z0[None])[0]

    pixel_seen = pixel.pictures(pw.trajectory[:, 0])
    pixel_guess = pixel.pictures(pw.predicted_clean[:, 0])
    latent_seen = latent.pictures(lw.trajectory[:, 0])
    latent_guess = latent.pictures(lw.predicted_clean[:, 0])
    pixel_final, latent_final = common.final_pictures(pw)[0], common.final_pictures(lw)[0]
    likeness = neighbour_likeness(np.stack([pixel_seen[0], latent_seen[0], source, source_decoded]))

    arrays = {
        "timesteps": pw.timesteps,
        "noise_level": pw.noise_level,
        "pixel_seen_pictures": pixel_seen,
        "pixel_guess_pictures": pixel_guess,
        "pixel_final_picture": pixel_final,
        "latent_seen": common.as_float16(lw.trajectory[:, 0]),
        "latent_seen_pictures": latent_seen,
        "latent_guess": common.as_float16(lw.predicted_clean[:, 0]),
        "latent_guess_pictures": latent_guess,
        "latent_final_picture": latent_final,
        "source_picture": source,
        "source_latent": z0.numpy().astype(np.float32),
        "source_decoded": source_decoded,
        "forward_timesteps": forward_steps.astype(np.int64),
        "forward_noise_level": np.sqrt(1 - alphas[forward_steps]).astype(np.float32),
        "forward_pixel_pictures": forward_pixel_pictures,
        "forward_latents": noisy_z.numpy().astype(np.float32),
        "forward_latent_pictures": forward_latent_pictures,
        "neighbour_likeness": likeness.astype(np.float32),
    }
    meanings = {
        "timesteps": "the schedule's timestep at each step of both walks, (S,); 999 is pure noise",
        "noise_level": "the noise's share of the amplitude of x_t at each step, (S,)",
        "pixel_seen_pictures": "the pixel model's x_t: the starting noise, then the state after each step, "
                               "(S + 1, H, W, 3) uint8",
        "pixel_guess_pictures": "the pixel model's guess of the finished picture at each step, (S, H, W, 3) uint8",
        "pixel_final_picture": "the pixel model's finished picture, (H, W, 3) uint8",
        "latent_seen": "the latent model's x_t itself: its starting noise, then the latents after each step, "
                       "(S + 1, C, h, w) float16",
        "latent_seen_pictures": "those latents through the decoder, (S + 1, H, W, 3) uint8",
        "latent_guess": "the latent model's guess of the finished latents at each step, (S, C, h, w) float16",
        "latent_guess_pictures": "that guess through the decoder, (S, H, W, 3) uint8",
        "latent_final_picture": "the latent model's finished picture (the pipeline's own output), (H, W, 3) uint8",
        "source_picture": "the toy-world picture the forward process noises, (H, W, 3) uint8",
        "source_latent": "its latent: the encoder's mean, scaled as the UNet sees it, (C, h, w) float32",
        "source_decoded": "that latent decoded again: what the squeeze keeps of the picture, (H, W, 3) uint8",
        "forward_timesteps": "the training schedule's steps at which the picture is noised, (F,)",
        "forward_noise_level": "the noise's share of the amplitude at those steps, (F,)",
        "forward_pixel_pictures": "the picture noised in pixels at those steps, (F, H, W, 3) uint8",
        "forward_latents": "its latent noised at those steps, (F, C, h, w) float32",
        "forward_latent_pictures": "those noised latents decoded, (F, H, W, 3) uint8",
        "neighbour_likeness": "neighbour likeness of pixel noise, decoded latent noise, the source picture and "
                              "its decoded latent, (4,)",
    }
    facts = _facts(spec, pixel, latent, arrays, pw, lw, source)
    return arrays, meanings, facts


def _training_scheduler(model):
    """The schedule both models were trained on, from the latent folder's scheduler config (DDPM form)."""
    from diffusers import DDPMScheduler

    config = model.pipe.scheduler.config
    return DDPMScheduler(num_train_timesteps=config.num_train_timesteps, beta_schedule=config.beta_schedule,
                         prediction_type=config.prediction_type)


def _facts(spec, pixel, latent, arrays, pw, lw, source) -> dict:
    fact, rounded = common.fact, common.rounded
    steps = spec["steps"]
    h, w = arrays["source_picture"].shape[:2]
    c, lh, lw_ = arrays["source_latent"].shape
    pixel_numbers, latent_numbers = int(h * w * 3), int(c * lh * lw_)
    likeness = arrays["neighbour_likeness"]
    facts = {
        "prompt": fact(spec["prompt"], "", "the prompt both models walk to"),
        "seed": fact(spec["seed"], "seed", "the seed of both walks' starting noise"),
        "steps": fact(steps, "steps", "steps of each walk"),
        "pixel_numbers": fact(pixel_numbers, "numbers", "numbers in one picture: height x width x 3 colours"),
        "latent_numbers": fact(latent_numbers, "numbers", "numbers in one latent: channels x height x width"),
        "latent_channels": fact(int(c), "channels", "channels of a latent"),
        "latent_side": fact(int(lh), "cells", "a latent channel's side"),
        "picture_side": fact(int(h), "pixels", "the picture's side"),
        "squeeze": fact(rounded(pixel_numbers / latent_numbers, 1), "x", "how many times fewer numbers a latent "
                        "holds than its picture"),
        "squeeze_error": fact(rounded(float(measures.picture_distance(arrays["source_decoded"], source))),
                              "% brightness (RMS)", "how far the picture is from its latent decoded again"),
        "pixel_noise_likeness": fact(rounded(likeness[0], 2), "correlation", "neighbour likeness of pixel noise "
                                     "(the pixel model's starting noise): pixels unrelated"),
        "latent_noise_likeness": fact(rounded(likeness[1], 2), "correlation", "neighbour likeness of latent noise "
                                      "seen through the decoder (the latent model's starting noise, decoded)"),
        "picture_likeness": fact(rounded(likeness[2], 2), "correlation", "neighbour likeness of the toy-world "
                                 "picture the forward process noises"),
        "pixel_travel": fact(rounded(_travel(arrays["pixel_seen_pictures"])), "% brightness (RMS)",
                             "how far the pixel walk's x_t travels: the sum of its steps' picture distances"),
        "latent_travel": fact(rounded(_travel(arrays["latent_seen_pictures"])), "% brightness (RMS)",
                              "how far the latent walk travels as seen through the decoder"),
        "pixel_close_step": fact(_close_step(arrays["pixel_guess_pictures"], arrays["pixel_final_picture"],
                                             spec["close_within"]), "step",
                                 f"first step whose guess is within {spec['close_within']:g}% of the pixel walk's end"),
        "latent_close_step": fact(_close_step(arrays["latent_guess_pictures"], arrays["latent_final_picture"],
                                              spec["close_within"]), "step",
                                  f"first step whose decoded guess is within {spec['close_within']:g}% of the "
                                  "latent walk's end"),
    }
    trained = _training_record(latent)
    if trained is not None:
        facts["latent_training_minutes"] = fact(round(trained / 60), "minutes", "how long the latent twin trained "
                                                "(its training.json)")
    pixel_gflop, latent_gflop = _step_gflop(pixel, spec["guidance"]), _step_gflop(latent, spec["guidance"])
    decode_gflop = _decode_gflop(latent)
    facts.update({
        "pixel_step_gflop": fact(rounded(pixel_gflop, 3), "GFLOP", "floating-point work of one pixel-model step "
                                 "(both halves of guidance), counted by torch's FlopCounterMode"),
        "latent_step_gflop": fact(rounded(latent_gflop, 3), "GFLOP", "floating-point work of one latent-model step"),
        "decode_gflop": fact(rounded(decode_gflop, 3), "GFLOP", "floating-point work of decoding one latent"),
        "step_cost_ratio": fact(rounded(pixel_gflop / latent_gflop, 1), "x", "how many times more work a pixel "
                                "step is than a latent step"),
    })
    named = common.named_object(spec["prompt"])
    if spec["judge"] is not None and named is not None:
        threshold = spec["judge"]["present_above"]
        walk_parts = ("pixel_seen_pictures", "pixel_guess_pictures", "latent_seen_pictures", "latent_guess_pictures")
        sees = common.judge(spec["judge"], np.concatenate([arrays[k] for k in walk_parts]))["presence"]
        sees = np.split(sees[:, common.object_index(named)] > threshold,
                        np.cumsum([len(arrays[k]) for k in walk_parts])[:-1])
        for key, flags, offset, meaning in (
                ("pixel_seen_step", sees[0], 0, "first step whose x_t the judge sees the prompted object in (pixels; "
                                                "0 is the starting noise)"),
                ("pixel_guess_step", sees[1], 1, "first step whose guess the judge sees the prompted object in "
                                                 "(pixels)"),
                ("latent_seen_step", sees[2], 0, "first step whose decoded x_t the judge sees the prompted object in"),
                ("latent_guess_step", sees[3], 1, "first step whose decoded guess the judge sees the prompted object "
                                                  "in")):
            first = _first(flags, offset)
            facts[key] = fact(first if first is not None else steps + 1, "step",
                              meaning + f"; {steps + 1} if never")
            facts[key.replace("_step", "_when")] = fact(
                f"at step {first}" if first else ("from the start" if first == 0 else "at no step of the walk"), "",
                "the same, as words the narration can say whatever the step")
        source_named = _source_object(spec["source_seed"])
        frames = np.concatenate([arrays["forward_pixel_pictures"], arrays["forward_latent_pictures"]])
        kept = common.judge(spec["judge"], frames)["presence"][:, common.object_index(source_named)] > threshold
        times = arrays["forward_timesteps"]
        for key, flags, meaning in (
                ("pixel_lost_at", kept[:len(times)], "the first schedule step at which the judge no longer sees the "
                                                     "picture's object once it is noised in pixels"),
                ("latent_lost_at", kept[len(times):], "the first schedule step at which the judge no longer sees the "
                                                      "object in the noised latent, decoded")):
            lost = _first(~flags)
            facts[key] = fact(int(times[lost]) if lost is not None else int(times[-1]) + 1, "step", meaning)
            facts[key.replace("_at", "_when")] = fact(
                "even before any noise is added" if lost == 0 else
                (f"at step {int(times[lost])} of the schedule" if lost is not None else "at no step of the schedule"),
                "", "the same, as words the narration can say whatever the step")
        facts["source_object"] = fact(source_named, "", "the object in the picture the forward process noises")
        finals = common.judge(spec["judge"], np.stack([arrays["pixel_final_picture"], arrays["latent_final_picture"]]))
        found = finals["presence"][:, common.object_index(named)] > threshold
        facts["pixel_final_found"] = fact(bool(found[0]), "yes or no", "whether the judge sees the prompted "
                                          "object in the pixel model's finished picture")
        facts["latent_final_found"] = fact(bool(found[1]), "yes or no", "whether the judge sees the prompted "
                                           "object in the latent twin's finished picture")
        facts["object"] = fact(named, "", "the object the prompt names")
    return facts


def _training_record(model) -> float | None:
    """Seconds the model folder's training.json says it trained, if it says."""
    import json

    try:
        record = json.loads((model.folder / "training.json").read_text(encoding="utf-8"))
        seconds = record.get("seconds", {}).get("total_training", record.get("training_seconds"))
        return float(seconds) if seconds is not None else None
    except (OSError, ValueError, AttributeError, TypeError):
        return None


def _source_object(seed: int) -> str:
    from pipeline import toyworld

    return toyworld.sample_scene(seed).objects[0].kind


def _travel(pictures: np.ndarray) -> float:
    return float(np.sum(measures.picture_distance(pictures[1:], pictures[:-1])))


def _close_step(guesses: np.ndarray, final: np.ndarray, within: float) -> int:
    close = np.flatnonzero(measures.picture_distance(guesses, final) <= within)
    return int(close[0]) + 1 if close.size else len(guesses)

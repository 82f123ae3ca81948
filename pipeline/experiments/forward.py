"""The forward-process capture: a toy-world picture dissolved into noise by a real diffusers scheduler's own add_noise, step by step, with measures of how much of the picture is left.

The film's first chapter plays these frames forwards (a picture becoming noise) and then
backwards (noise becoming a picture), beside the curve of how much signal remains.

How recognisable is the picture at each step? The measure is named "nearest-picture match":
line the noisy frame up against 32 candidate toy-world pictures, its own clean picture and
31 pictures of other objects, and ask which one it correlates with best (Pearson correlation
over all pixels and channels). Over many independent noise draws, the match rate is the share
of draws in which the answer is its own picture. It is 100% for a clean picture and falls to
chance, 1 in 32, when nothing of the picture is left.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np

from pipeline import toyworld
from pipeline.contract import Capture, Fact
from pipeline.errors import UsageError
from pipeline.experiments import common

NAME = "forward"
DESCRIPTION = "a toy-world picture dissolved into noise by DDPM's own add_noise, over its full schedule"
# It runs a scheduler, no model: the seed picks the toy-world picture and its noise. Seed 3 is
# "a big purple butterfly": one large object on a plain sky, easy to follow as it dissolves.
OPTIONS = {"seed": 3}
PROGRESS_UNIT = "frame"

NUM_TRAIN_TIMESTEPS = 1000
BETA_SCHEDULE = "squaredcos_cap_v2"
FRAME_EVERY = 10  # every 10th step, plus the last one: 101 frames
CANDIDATES = 32  # the picture itself and 31 pictures of other objects
DRAWS = 256  # noise draws per frame for the match rate: its standard error is at most 3 points
LOST_BELOW = 0.5  # "lost": the right picture wins in fewer than half of the draws
HALF_STEP = 500
_DISTRACTOR_SEEDS_FROM = 100_000  # a pool apart from the small seeds a user picks

ARRAY_NAMES = ("clean", "noise", "timesteps", "noisy", "frames", "signal_level", "noise_level",
               "match_rate", "candidates")


def frame_timesteps() -> list[int]:
    """The steps the film shows: 0, 10, ..., 990 and the last step, 999."""
    steps = list(range(0, NUM_TRAIN_TIMESTEPS, FRAME_EVERY))
    if steps[-1] != NUM_TRAIN_TIMESTEPS - 1:
        steps.append(NUM_TRAIN_TIMESTEPS - 1)
    return steps


def _scheduler():
    """DDPM's scheduler as this module sets it up, for a new spec (which records its whole config)."""
    from diffusers import DDPMScheduler

    return DDPMScheduler(num_train_timesteps=NUM_TRAIN_TIMESTEPS, beta_schedule=BETA_SCHEDULE)


def _recorded_scheduler(spec: dict):
    """The scheduler a spec records, rebuilt from its config: what compute runs."""
    import diffusers

    return getattr(diffusers, spec["scheduler"]["class"]).from_config(spec["scheduler"]["config"])


def _distractor_seeds(own_kinds: set[str], count: int) -> list[int]:
    """Seeds of toy-world pictures that share no object with the picture being noised."""
    seeds, seed = [], _DISTRACTOR_SEEDS_FROM
    while len(seeds) < count:
        if not own_kinds & set(toyworld.sample_scene(seed).object_kinds):
            seeds.append(seed)
        seed += 1
    return seeds


def _digest(pictures: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(pictures).tobytes()).hexdigest()


def make_spec(seed: int | None = None) -> dict:
    """Everything that decides the capture's numbers, pictures included by their checksum,
    so that a change to the toy world's drawing makes a new capture rather than a stale one."""
    seed = OPTIONS["seed"] if seed is None else int(seed)
    if not 0 <= seed <= common.MAX_SEED:
        raise UsageError(f"seed must be from 0 to {common.MAX_SEED}; got {seed}")
    scene = toyworld.sample_scene(seed)
    distractors = _distractor_seeds(set(scene.object_kinds), CANDIDATES - 1)
    scheduler = _scheduler()
    config = {k: v for k, v in dict(scheduler.config).items() if not k.startswith("_")}
    return common.base_spec(
        NAME, None,
        scheduler={"class": type(scheduler).__name__, "config": config},
        picture={
            "generator": "pipeline.toyworld",
            "seed": seed,
            "caption": scene.caption,
            "objects": list(scene.object_kinds),
            "background": scene.background,
            "size": toyworld.SIZE,
            "sha256": _digest(toyworld.render(scene)),
        },
        noise_seed=seed,
        frame_every=FRAME_EVERY,
        frame_timesteps=frame_timesteps(),
        half_step=HALF_STEP,
        measure={
            "name": "nearest-picture match",
            "candidates": CANDIDATES,
            "distractor_seeds": distractors,
            "distractors_sha256": _digest(np.stack([toyworld.render(toyworld.sample_scene(s)) for s in distractors])),
            "draws_per_frame": DRAWS,
            "score": "Pearson correlation over all pixels and channels",
            "lost_below": LOST_BELOW,
        },
    )


def _model_space(pictures: np.ndarray) -> np.ndarray:
    """uint8 pictures (..., H, W, 3) to the model's [-1, 1] floats, channels kept last."""
    return np.moveaxis(toyworld.to_model_space(pictures), -3, -1)


def _display(x: np.ndarray) -> np.ndarray:
    """Model-space floats (..., H, W, 3) to uint8 pictures, clipped as a screen would."""
    return toyworld.to_pictures(np.moveaxis(x, -1, -3))


def _unit_rows(x):
    """Rows centred and scaled to length 1, so a dot product is a Pearson correlation."""
    x = x.reshape(x.shape[0], -1)
    x = x - x.mean(dim=1, keepdim=True)
    return x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)


def compute(model, spec: dict, bar, root=None) -> tuple[dict, dict, dict]:
    """Run the forward process the spec describes: (arrays, meanings, facts). It runs no model (``model`` is None)."""
    import torch

    scheduler = _recorded_scheduler(spec)
    picture = spec["picture"]
    measure = spec["measure"]
    scene = toyworld.sample_scene(picture["seed"])
    clean_pixels = toyworld.render(scene)
    candidate_pixels = np.stack([clean_pixels] + [toyworld.render(toyworld.sample_scene(s))
                                                  for s in measure["distractor_seeds"]])
    if _digest(clean_pixels) != picture["sha256"]:
        raise RuntimeError("the toy world drew a different picture than the spec records")

    clean = torch.from_numpy(_model_space(clean_pixels))
    steps = torch.tensor(spec["frame_timesteps"], dtype=torch.int64)
    frames_count = len(steps)
    generator = torch.Generator().manual_seed(spec["noise_seed"])
    noise = torch.randn(clean.shape, generator=generator, dtype=torch.float32)
    # One noise picture for every frame: the film shows one picture sinking into one noise.
    noisy = scheduler.add_noise(clean.expand(frames_count, *clean.shape).contiguous(),
                                noise.expand(frames_count, *clean.shape).contiguous(), steps)

    alphas_cumprod = scheduler.alphas_cumprod  # the scheduler's own float32 table, as add_noise uses it
    signal_level = alphas_cumprod[steps].sqrt()
    noise_level = (1 - alphas_cumprod[steps]).sqrt()

    candidates = _unit_rows(torch.from_numpy(_model_space(candidate_pixels)))
    draws = measure["draws_per_frame"]
    match_rate = np.zeros(frames_count)
    many_clean = clean.expand(draws, *clean.shape).contiguous()
    common.add_work(bar, frames_count)
    for i in range(frames_count):
        draw_noise = torch.randn(many_clean.shape, generator=generator, dtype=torch.float32)
        mixed = scheduler.add_noise(many_clean, draw_noise, steps[i].repeat(draws))
        best = (_unit_rows(mixed) @ candidates.T).argmax(dim=1)
        match_rate[i] = float((best == 0).double().mean())
        bar.update(1)

    arrays = {
        "clean": clean.numpy(),
        "noise": noise.numpy(),
        "timesteps": steps.numpy(),
        "noisy": noisy.numpy(),
        "frames": _display(noisy.numpy()),
        "signal_level": signal_level.numpy(),
        "noise_level": noise_level.numpy(),
        "match_rate": match_rate,
        "candidates": candidate_pixels,
    }
    meanings = {
        "clean": "the toy-world picture in model space, (H, W, 3) float32 in [-1, 1]",
        "noise": "the one Gaussian noise picture every frame is mixed with, (H, W, 3) float32",
        "timesteps": "the scheduler step of each frame, (F,) int64, 0 to 999",
        "noisy": "each frame as the model sees it: signal_level * clean + noise_level * noise, (F, H, W, 3)",
        "frames": "each frame as a picture for the screen, clipped to [-1, 1], (F, H, W, 3) uint8",
        "signal_level": "sqrt(alpha_bar_t): the picture's share of the frame's amplitude, (F,)",
        "noise_level": "sqrt(1 - alpha_bar_t): the noise's share of the frame's amplitude, (F,)",
        "match_rate": "nearest-picture match: share of noise draws in which the frame correlates best "
                      "with its own picture among the candidates, (F,) in [0, 1]",
        "candidates": "the pictures the match chooses among: index 0 is the picture itself, "
                      "the rest show other objects, (C, H, W, 3) uint8",
    }
    facts = _facts(spec, scheduler, arrays)
    return arrays, meanings, facts


def _facts(spec: dict, scheduler, arrays: dict) -> dict[str, Fact]:
    """The numbers narration and labels quote, measured on the arrays just computed."""
    steps = arrays["timesteps"]
    signal, noise, match = arrays["signal_level"], arrays["noise_level"], arrays["match_rate"]
    candidates = spec["measure"]["candidates"]
    below = np.flatnonzero(match < spec["measure"]["lost_below"])
    lost = int(below[0]) if below.size else len(steps) - 1
    half_step, every = spec["half_step"], spec["frame_every"]
    half = int(np.flatnonzero(steps == half_step)[0])
    alphas_cumprod = scheduler.alphas_cumprod.double().numpy()
    louder = int(np.flatnonzero(alphas_cumprod < 0.5)[0])  # noise amplitude first exceeds the picture's

    def percent(x: float) -> float:
        return round(100.0 * float(x), 1)

    return {
        "caption": Fact(spec["picture"]["caption"], "", "the toy-world caption of the picture being noised"),
        "num_train_timesteps": Fact(int(scheduler.config.num_train_timesteps), "steps",
                                    "steps in the scheduler's full schedule, from clean picture to pure noise"),
        "num_frames": Fact(int(len(steps)), "frames", f"frames recorded: every {every}th step and the last"),
        "frame_every": Fact(every, "steps", "steps between two recorded frames"),
        "lost_step": Fact(int(steps[lost]), "step",
                          "first recorded step at which the nearest-picture match finds the right picture "
                          "in fewer than half of the noise draws"),
        "signal_percent_at_lost_step": Fact(percent(signal[lost]), "% of amplitude",
                                            "the picture's share of the frame's amplitude at the lost step"),
        "noise_percent_at_lost_step": Fact(percent(noise[lost]), "% of amplitude",
                                           "the noise's share of the frame's amplitude at the lost step"),
        "signal_power_percent_at_lost_step": Fact(percent(signal[lost] ** 2), "% of power",
                                                  "the picture's share of the frame's power (alpha_bar) at the lost step"),
        "half_step": Fact(half_step, "step", "the step halfway through the schedule"),
        "signal_percent_at_half": Fact(percent(signal[half]), "% of amplitude",
                                       f"the picture's share of the frame's amplitude at step {half_step}"),
        "noise_percent_at_half": Fact(percent(noise[half]), "% of amplitude",
                                      f"the noise's share of the frame's amplitude at step {half_step}"),
        "noise_louder_step": Fact(louder, "step",
                                  "first step at which the noise's amplitude exceeds the picture's (alpha_bar < 0.5)"),
        "signal_percent_at_end": Fact(round(100.0 * float(signal[-1]), 3), "% of amplitude",
                                      "the picture's share of the frame's amplitude at the last step"),
        "match_percent_at_start": Fact(percent(match[0]), "% of draws",
                                       "nearest-picture match rate on the first frame"),
        "match_percent_at_end": Fact(percent(match[-1]), "% of draws",
                                     "nearest-picture match rate on the last frame"),
        "chance_percent": Fact(round(100.0 / candidates, 1), "% of draws",
                               "the match rate of a blind guess among the candidates"),
        "candidates": Fact(candidates, "pictures", "pictures the nearest-picture match chooses among"),
        "draws_per_frame": Fact(int(spec["measure"]["draws_per_frame"]), "noise draws",
                                "independent noise draws behind each frame's match rate"),
    }


def capture(root: Path | str, seed: int | None = None, force: bool = False,
            progress: bool = True) -> tuple[Capture, bool]:
    """The forward capture for this seed: read back if this exact spec was made before,
    otherwise computed and written. Returns (capture, whether it came from the cache)."""
    return common.capture_spec(sys.modules[__name__], None, make_spec(seed), root, force=force, progress=progress)

"""The explorer page's walk, in Python: the exported ONNX files run by the ``onnxruntime`` package, stepped as the
page steps them (float32 DDIM for v-prediction, trailing timesteps). The tests set it against the pipeline and
against the page itself; nothing else runs it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline import defaults


@dataclass
class WebWalk:
    """A walk as the page computes it: every step's x_t and guess of the finished picture, float32."""

    noise: np.ndarray  # (3, 32, 32)
    timesteps: list[int]
    states: np.ndarray  # (S + 1, 3, 32, 32): x_t before each step, then the final state
    guesses: np.ndarray  # (S, 3, 32, 32): x0-hat at each step

    @property
    def final(self) -> np.ndarray:
        """The finished picture as the pipeline returns it: (32, 32, 3) in [0, 1]."""
        return ((np.clip(self.states[-1], -1, 1) + 1) / 2).transpose(1, 2, 0)


def trailing_timesteps(steps: int, train_steps: int = 1000) -> list[int]:
    """diffusers' "trailing" spacing: round(arange(T, 0, -T / steps)) - 1."""
    return [int(t) for t in np.round(np.arange(train_steps, 0, -train_steps / steps)).astype(np.int64) - 1]


def ddim_step(v: np.ndarray, t: int, x: np.ndarray, steps: int, schedule: dict) -> tuple[np.ndarray, np.ndarray]:
    """DDIMScheduler.step for v-prediction, eta 0, no clipping, in float32: (x at the previous timestep, x0-hat)."""
    f = np.float32
    previous = t - schedule["num_train_timesteps"] // steps
    sa, sb = f(schedule["sqrt_alpha"][t]), f(schedule["sqrt_one_minus_alpha"][t])  # t -1 is the last, as in Python
    if previous >= 0:
        sp, sd = f(schedule["sqrt_alpha"][previous]), f(schedule["sqrt_one_minus_alpha"][previous])
    else:
        sp, sd = f(schedule["sqrt_final_alpha"]), f(schedule["sqrt_one_minus_final_alpha"])
    guess = (sa * x - sb * v).astype(f)
    epsilon = (sa * v + sb * x).astype(f)
    return (sp * guess + (sd * epsilon).astype(f)).astype(f), guess


class WebModel:
    """The exported files run by the ``onnxruntime`` package, and the walk the page does around them."""

    def __init__(self, folder: Path | str, threads: int = 1):
        import onnxruntime as ort

        folder = Path(folder)
        self.config = json.loads((folder / "explore.json").read_text())
        session = ort.SessionOptions()
        session.intra_op_num_threads = threads
        session.log_severity_level = 3
        self.encoder = ort.InferenceSession(str(folder / "text_encoder.onnx"), session, providers=["CPUExecutionProvider"])
        self.unet = ort.InferenceSession(str(folder / "unet.onnx"), session, providers=["CPUExecutionProvider"])

    def token_states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self.encoder.run(None, {"ids": ids.astype(np.int64), "mask": mask.astype(np.int64)})[0]

    def velocity(self, x: np.ndarray, t: int, states: np.ndarray) -> np.ndarray:
        return self.unet.run(None, {"sample": x.astype(np.float32), "timestep": np.array([t], dtype=np.int64),
                                    "states": states.astype(np.float32)})[0]

    def walk(self, states: np.ndarray, empty: np.ndarray, seed: int | None = None, steps: int = defaults.STEPS,
             guidance: float = defaults.GUIDANCE, noise: np.ndarray | None = None) -> WebWalk:
        """One walk from ``seed``'s noise (or ``noise``), prompt and empty-prompt token states (1, 24, 384) given."""
        from pipeline.portable_noise import randn

        picture = self.config["picture"]
        shape = (1, picture["channels"], picture["size"], picture["size"])
        x = (randn(shape, seed) if noise is None else np.asarray(noise, np.float32).reshape(shape)).astype(np.float32)
        start = x[0].copy()
        schedule = self.config["schedule"]
        timesteps = trailing_timesteps(steps, schedule["num_train_timesteps"])
        guided = guidance != 1.0
        both = np.concatenate([empty, states]) if guided else states
        trail, guesses = [x[0]], []
        for t in timesteps:
            if guided:
                unconditional, conditional = self.velocity(np.concatenate([x, x]), t, both)
                v = (unconditional + np.float32(guidance) * (conditional - unconditional)).astype(np.float32)[None]
            else:
                v = self.velocity(x, t, both)
            x, guess = ddim_step(v, t, x, steps, schedule)
            trail.append(x[0])
            guesses.append(guess[0])
        return WebWalk(start, timesteps, np.stack(trail), np.stack(guesses))

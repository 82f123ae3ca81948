"""What every experiment shares: its settings from the command line, its spec, the cache, and the walks two experiments both need.

An experiment module has NAME, DESCRIPTION, ARRAY_NAMES, its knobs as module constants,
``make_spec(model, settings) -> dict`` and ``compute(model, spec, bar) -> (arrays, meanings,
facts)``; ``capture()`` here does the rest: read back an identical spec, or compute, write
atomically and read back what was written.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.contract import Capture, Fact, load_cached, read_capture, write_capture
from pipeline.errors import UsageError
from pipeline.experiments.models import Model, open_model

# Bumped when what an experiment computes changes, so old captures are not read back as new.
CAPTURE_VERSION = 2
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class Settings:
    """An experiment's knobs after the command line's overrides: prompt, seed, steps, guidance."""

    prompt: str
    seed: int
    steps: int
    guidance: float


def settings(module, seed=None, prompt=None, steps=None, guidance=None) -> Settings:
    """The module's defaults with the overrides given, each checked (bad input is one clear line)."""
    prompt = module.PROMPT if prompt is None else prompt
    seed = module.SEED if seed is None else seed
    steps = module.STEPS if steps is None else steps
    guidance = module.GUIDANCE if guidance is None else guidance
    if not isinstance(prompt, str) or not prompt.strip():
        raise UsageError("the prompt is empty: give some words")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise UsageError(f"seed must be a whole number from 0 to {MAX_SEED}; got {seed!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise UsageError(f"steps must be a whole number, 1 or more; got {steps!r}")
    try:
        guidance = float(guidance)
    except (TypeError, ValueError):
        raise UsageError(f"guidance must be a number, 0 or more; got {guidance!r}") from None
    if not math.isfinite(guidance) or guidance < 0:
        raise UsageError(f"guidance must be a number, 0 or more; got {guidance}")
    return Settings(" ".join(prompt.split()), int(seed), int(steps), guidance)


def versions() -> dict[str, str]:
    import diffusers
    import torch
    import transformers

    return {"torch": torch.__version__, "diffusers": diffusers.__version__,
            "transformers": transformers.__version__, "numpy": np.__version__}


def base_spec(name: str, model: Model, **fields) -> dict:
    """The parts every spec has: which experiment, which model (identity and scheduler), which versions."""
    return {"experiment": name, "capture_version": CAPTURE_VERSION, "model": model.identity, **fields,
            "versions": versions()}


def capture(module, root: Path | str, seed: int | None = None, force: bool = False, progress: bool = True,
            model: Path | str | None = None, prompt: str | None = None, steps: int | None = None,
            guidance: float | None = None) -> tuple[Capture, bool]:
    """The experiment's capture for these settings: read back if this exact spec was made before,
    otherwise computed and written. Returns (capture, whether it came from the cache)."""
    subject = open_model(model)
    spec = module.make_spec(subject, settings(module, seed=seed, prompt=prompt, steps=steps, guidance=guidance))
    return capture_spec(module, subject, spec, root, force=force, progress=progress)


def capture_spec(module, subject: Model, spec: dict, root: Path | str, force: bool = False,
                 progress: bool = True) -> tuple[Capture, bool]:
    if not force:
        cached = load_cached(root, module.NAME, spec, module.ARRAY_NAMES)
        if cached is not None:
            return cached, True
    subject.pipe  # load it before announcing work: a folder that cannot be loaded is bad input, one line
    if progress:
        print(f"{module.NAME}: computing {module.DESCRIPTION}", file=sys.stderr)
    from tqdm import tqdm

    with tqdm(desc=module.NAME, unit="picture-step", disable=not progress, leave=False, mininterval=1.0) as bar:
        arrays, meanings, facts = module.compute(subject, spec, bar, root)
    path = write_capture(root, module.NAME, spec, arrays, meanings, facts, versions=spec["versions"])
    return read_capture(path, expected_arrays=module.ARRAY_NAMES), False


def add_work(bar, picture_steps: int) -> None:
    """Tell the progress bar about more work (pictures x steps) about to be done."""
    bar.total = (bar.total or 0) + int(picture_steps)
    bar.refresh()


# ----------------------------------------------------------------------------- shared walks

# `seeds` and `jump` both need the same prompt walked from the same seeds; `capture --all`
# runs both in one process, so the second reads the first's walks instead of redoing them.
_LAST_SEED_WALKS: dict[str, object] = {}


def seed_walks(subject: Model, prompt: str, seeds: list[int], steps: int, guidance: float, bar):
    """The prompt walked from each seed in one batch (deterministic DDIM as the model's scheduler has it)."""
    from pipeline.contract import canonical_json

    key = canonical_json({"model": subject.identity, "prompt": prompt, "seeds": seeds, "steps": steps,
                          "guidance": guidance})
    if _LAST_SEED_WALKS.get("key") != key:
        _LAST_SEED_WALKS.clear()
        add_work(bar, len(seeds) * steps)
        walk = subject.walk(steps=steps, guidance=guidance, seeds=seeds, prompts=[prompt] * len(seeds), progress=bar)
        _LAST_SEED_WALKS.update(key=key, walk=walk)
    return _LAST_SEED_WALKS["walk"]


def walk_spec(settings: Settings, **extra) -> dict:
    return {"prompt": settings.prompt, "steps": settings.steps, "guidance": settings.guidance, "eta": 0.0, **extra}


# ----------------------------------------------------------------------------- arrays and facts


def final_pictures(walk) -> np.ndarray:
    """The pipeline's own output pictures of a walk, (B, H, W, 3) uint8, rounded as the pipeline rounds."""
    from pipeline.model import to_uint8

    return to_uint8(walk.final)


def half(x) -> np.ndarray:
    """Float16 for arrays the film only draws (states, outputs): half the size, no visible change."""
    return np.asarray(x, dtype=np.float16)


def strings(items) -> np.ndarray:
    """Text as a fixed-width unicode array, which .npz stores without pickling."""
    items = list(items)
    width = max([len(s) for s in items] + [1])
    return np.array(items, dtype=f"<U{width}")


def token_grid(tokens: list[list[str]]) -> np.ndarray:
    """Ragged word-piece lists as one (N, longest) unicode array, padded with ''."""
    longest = max(len(t) for t in tokens)
    return strings([piece for t in tokens for piece in t + [""] * (longest - len(t))]).reshape(len(tokens), longest)


def rounded(x: float, digits: int = 1) -> float:
    return round(float(x), digits)


def fact(value, unit: str, meaning: str) -> Fact:
    if isinstance(value, (np.floating, np.integer)):
        value = value.item()
    return Fact(value, unit, meaning)


# ----------------------------------------------------------------------------- the toy world's judge

_JUDGE = []


def judge(subject: Model, pictures: np.ndarray) -> dict[str, np.ndarray] | None:
    """The independent judge's reading of toy-world pictures (N, H, W, 3): "presence" (N, objects), the
    probability that each toy-world object is there, and its best guesses "object", "colour" and
    "background" as names; None for a model whose pictures are not the toy world's."""
    if not subject.is_embedded:
        return None
    from pipeline.judge import COLOUR_NAMES, load_judge, verdicts
    from pipeline.toyworld import BACKGROUNDS, OBJECTS

    if not _JUDGE:
        _JUDGE.append(load_judge())
    pictures = np.asarray(pictures)
    lead = pictures.shape[:-3]
    reading = verdicts(_JUDGE[0], pictures.reshape(-1, *pictures.shape[-3:]))
    return {
        "presence": reading["presence"].reshape(*lead, len(OBJECTS)).astype(np.float32),
        "object": np.array(OBJECTS)[reading["object"]].reshape(lead),
        "colour": np.array(COLOUR_NAMES)[reading["colour"]].reshape(lead),
        "background": np.array(BACKGROUNDS)[reading["background"]].reshape(lead),
    }


def object_index(name: str) -> int:
    from pipeline.toyworld import OBJECTS

    return OBJECTS.index(name)


def named_object(prompt: str) -> str | None:
    """The first toy-world object a prompt names ("a red butterfly on grass" -> "butterfly")."""
    from pipeline.toyworld import OBJECTS

    words = prompt.lower().replace(",", " ").split()
    return next((w for w in words if w in OBJECTS), None)

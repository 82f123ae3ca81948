"""What every experiment shares: its settings from the command line, its spec, the cache, and the walks two experiments both need.

An experiment module declares NAME, DESCRIPTION, OPTIONS (see ``pipeline.experiments``),
ARRAY_NAMES and its knobs as module constants, and has ``make_spec(model, settings) -> dict``
and ``compute(model, spec, bar, root) -> (arrays, meanings, facts)``. Every knob that changes
what is computed goes into the spec, and ``compute`` reads it from there only, so a changed
knob is a new spec hash, never a stale capture. ``capture()`` here does the rest: read back an
identical spec, or compute, write atomically and read back what was written.

Light to import (numpy and the data contract): the model and torch are loaded when used.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pipeline import defaults, precision
from pipeline.contract import Capture, Fact, check_pointer, load_cached, read_capture, write_capture
from pipeline.errors import UsageError
from pipeline.options import MAX_SEED

if TYPE_CHECKING:
    from pipeline.experiments.models import Model

# Bumped when what an experiment computes changes, so old captures are not read back as new (4: seeds says whether
# only its last fork settles, a fact chapter 8's narration needs).
CAPTURE_VERSION = 4
# The independent judge's probability above which it counts a thing as there (in facts that count pictures).
JUDGE_PRESENT_ABOVE = 0.5


def model_options(prompt: str, seed: int = 0, steps: int = defaults.STEPS,
                  guidance: float = defaults.GUIDANCE) -> dict:
    """OPTIONS of an experiment that walks the model: its defaults, and the model (None: the embedded one)."""
    return {"seed": seed, "prompt": prompt, "steps": steps, "guidance": guidance, "model": None}


@dataclass(frozen=True)
class Settings:
    """An experiment's knobs after the command line's overrides: prompt, seed, steps, guidance."""

    prompt: str
    seed: int
    steps: int
    guidance: float


def settings(module, seed=None, prompt=None, steps=None, guidance=None) -> Settings:
    """The module's defaults with the overrides given, each checked (bad input is one clear line)."""
    own = module.OPTIONS
    prompt = own["prompt"] if prompt is None else prompt
    seed = own["seed"] if seed is None else seed
    steps = own["steps"] if steps is None else steps
    guidance = own["guidance"] if guidance is None else guidance
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


def versions(device_type: str | None = None, pipeline_class: str | None = None) -> dict[str, str]:
    import diffusers
    import torch
    import transformers

    # The thread count too: torch splits sums differently across threads, so the same spec computed
    # with another count differs in the last bits (a grey level here and there): it is another capture.
    # And bfloat16, where the models run in it (pipeline/precision.py): float32 specs name no precision. Asked
    # of the device the model runs on: the toy-world models run on the CPU even where there is a GPU, and there
    # their UNets run as a whole in bfloat16 (through OpenVINO, or as a torch copy: precision.unet_way), which the
    # spec names too.
    chosen = precision.chosen(device_type=device_type)
    return {"torch": torch.__version__, "diffusers": diffusers.__version__,
            "transformers": transformers.__version__, "numpy": np.__version__,
            "torch_threads": str(torch.get_num_threads()),
            **precision.spec_fields(chosen, precision.unet_way(pipeline_class) if precision.whole_unet(
                pipeline_class or "", device_type or "cpu", chosen) else None)}


def base_spec(name: str, model: Model | None, **fields) -> dict:
    """The parts every spec has: which experiment, which model (identity and scheduler; none for an
    experiment that runs no model), which versions."""
    spec = {"experiment": name, "capture_version": CAPTURE_VERSION}
    if model is not None:
        spec["model"] = model.identity
    device = model.identity.get("device", "cpu") if model is not None else "cpu"  # where compute() runs it
    return {**spec, **fields, "versions": versions(device, getattr(model, "pipeline_class", None))}


def capture(module, root: Path | str, seed: int | None = None, force: bool = False, progress: bool = True,
            model: Path | str | None = None, prompt: str | None = None, steps: int | None = None,
            guidance: float | None = None) -> tuple[Capture, bool]:
    """The experiment's capture for these settings: read back if this exact spec was made before,
    otherwise computed and written. Returns (capture, whether it came from the cache)."""
    from pipeline.experiments.models import open_model

    subject = open_model(model)
    spec = module.make_spec(subject, settings(module, seed=seed, prompt=prompt, steps=steps, guidance=guidance))
    return capture_spec(module, subject, spec, root, force=force, progress=progress)


def capture_spec(module, subject: Model | None, spec: dict, root: Path | str, force: bool = False,
                 progress: bool = True) -> tuple[Capture, bool]:
    """The capture of this exact spec: read back from the cache, or computed by ``module.compute`` on
    ``subject`` (None for an experiment that runs no model) and written. (capture, whether cached)."""
    check_pointer(root, module.NAME)
    if not force:
        cached = load_cached(root, module.NAME, spec, module.ARRAY_NAMES)
        if cached is not None:
            return cached, True
    if subject is not None:
        _ = subject.pipe  # load it before announcing work: a folder that cannot be loaded is bad input, one line
    if progress:
        print(f"{module.NAME}: computing {module.DESCRIPTION}", file=sys.stderr)
    from tqdm import tqdm

    unit = getattr(module, "PROGRESS_UNIT", "picture-step")
    device = subject.pipe.device.type if subject is not None else "cpu"
    with tqdm(desc=module.NAME, unit=unit, disable=not progress, leave=False, mininterval=1.0) as bar, \
            precision.running_in(precision.of_spec(spec), device, *_pipes(subject)):
        arrays, meanings, facts = module.compute(subject, spec, bar, root)
    path = write_capture(root, module.NAME, spec, arrays, meanings, facts, versions=spec["versions"])
    return read_capture(path, expected_arrays=module.ARRAY_NAMES), False


def _pipes(subject) -> tuple:
    """The loaded pipelines of a subject: one model's, or each of a subject that walks several (``pipes``)."""
    if subject is None:
        return ()
    return tuple(getattr(subject, "pipes", None) or (subject.pipe,))


def add_work(bar, picture_steps: int) -> None:
    """Tell the progress bar about more work (pictures x steps) about to be done."""
    bar.total = (bar.total or 0) + int(picture_steps)
    bar.refresh()


# ----------------------------------------------------------------------------- shared walks

# `seeds` and `jump` both need the same prompt walked from the same seeds; `capture --all`
# runs both in one process, so the second reads the first's walks instead of redoing them.
_LAST_SEED_WALKS: dict[str, object] = {}


def seed_walks(subject: Model, prompt: str, seeds: list[int], steps: int, guidance: float, eta: float, bar):
    """The prompt walked from each seed in one batch (the model's own scheduler; eta 0 is deterministic)."""
    from pipeline.contract import canonical_json

    key = canonical_json({"model": subject.identity, "prompt": prompt, "seeds": seeds, "steps": steps,
                          "guidance": guidance, "eta": eta})
    if _LAST_SEED_WALKS.get("key") != key:
        _LAST_SEED_WALKS.clear()
        add_work(bar, len(seeds) * steps)
        walk = subject.walk(steps=steps, guidance=guidance, seeds=seeds, prompts=[prompt] * len(seeds), eta=eta,
                            progress=bar)
        _LAST_SEED_WALKS.update(key=key, walk=walk)
    return _LAST_SEED_WALKS["walk"]


def walk_spec(settings: Settings, **extra) -> dict:
    return {"prompt": settings.prompt, "steps": settings.steps, "guidance": settings.guidance, "eta": 0.0, **extra}


# ----------------------------------------------------------------------------- arrays and facts


def final_pictures(walk) -> np.ndarray:
    """The pipeline's own output pictures of a walk, (B, H, W, 3) uint8, rounded as the pipeline rounds."""
    from pipeline.model import to_uint8

    return to_uint8(walk.final)


def as_float16(x) -> np.ndarray:
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

_JUDGE: dict[str, object] = {}


def judge_spec(model: Model, **fields) -> dict | None:
    """What a spec records of the independent judge (its weights, what counts as "there"), for an experiment
    that asks it about the embedded model's pictures; None for a model whose pictures are not the toy world's."""
    if not model.is_embedded:
        return None
    from pipeline.experiments.models import folder_hashes
    from pipeline.judge import DEFAULT_JUDGE_DIR

    weights = DEFAULT_JUDGE_DIR / "judge.safetensors"
    if not weights.is_file():
        raise UsageError(f"no judge at {weights}: run `make judge`")
    return {"weights_sha256": folder_hashes(DEFAULT_JUDGE_DIR)[0], "present_above": JUDGE_PRESENT_ABOVE, **fields}


def judge(spec_judge: dict | None, pictures: np.ndarray) -> dict[str, np.ndarray] | None:
    """The independent judge's reading of toy-world pictures (N, H, W, 3): "presence" (N, objects), the
    probability that each toy-world object is there, and its best guesses "object", "colour" and
    "background" as names; None where the spec has no judge (``judge_spec`` gave None)."""
    if spec_judge is None:
        return None
    from pipeline.judge import COLOUR_NAMES, DEFAULT_JUDGE_DIR, load_judge, verdicts
    from pipeline.toyworld import BACKGROUNDS, OBJECTS

    if _JUDGE.get("weights_sha256") != spec_judge["weights_sha256"]:
        from pipeline.experiments.models import folder_hashes

        if folder_hashes(DEFAULT_JUDGE_DIR)[0] != spec_judge["weights_sha256"]:
            raise RuntimeError("the judge's weights changed since the spec was made")
        _JUDGE.update(weights_sha256=spec_judge["weights_sha256"], judge=load_judge(DEFAULT_JUDGE_DIR))
    pictures = np.asarray(pictures)
    lead = pictures.shape[:-3]
    reading = verdicts(_JUDGE["judge"], pictures.reshape(-1, *pictures.shape[-3:]))
    return {
        "presence": reading["presence"].reshape(*lead, len(OBJECTS)).astype(np.float32),
        "object": np.array(OBJECTS)[reading["object"]].reshape(lead),
        "colour": np.array(COLOUR_NAMES)[reading["colour"]].reshape(lead),
        "background": np.array(BACKGROUNDS)[reading["background"]].reshape(lead),
    }


def judged_fact(arrays: dict, array: str, what: str) -> Fact:
    """The yes-or-no fact ``judged``: whether the independent judge read this capture's pictures (its reading is the
    array ``array``). Only the embedded model's pictures are the toy world's, and only a prompt that names a toy-world
    object gives it something to look for, so a film of another model or prompt chooses its narration by this."""
    return fact(array in arrays, "", f"the independent judge read {what}")


def object_seen_facts(arrays: dict, array: str, spec: dict, named: str | None, share: str, unit: str, pictures: str,
                      every: str) -> dict[str, Fact]:
    """What the judge's reading ``array`` (each picture's probability of the prompt's object) says, where it read
    the pictures: the ``object`` it looked for and ``share`` of the ``pictures`` it says show it; and always the
    yes-or-no ``every`` (false where it read none), so that a variant's condition never meets a missing fact."""
    facts = {}
    seen_in_all = False
    if array in arrays:
        present = arrays[array] > spec["judge"]["present_above"]
        seen_in_all = bool(present.all())
        facts["object"] = fact(named, "", "the toy-world object the prompt names, which the judge looks for")
        facts[share] = fact(rounded(100 * np.mean(present)), unit,
                            f"{pictures} the independent judge says show the prompt's object ({named})")
    facts[every] = fact(seen_in_all, "", f"the judge sees the prompt's object in every one of the {pictures} "
                                         "(false where it read none)")
    return facts


def object_index(name: str) -> int:
    from pipeline.toyworld import OBJECTS

    return OBJECTS.index(name)


def named_object(prompt: str) -> str | None:
    """The first toy-world object a prompt names ("a red butterfly on grass" -> "butterfly")."""
    from pipeline.toyworld import OBJECTS

    words = prompt.lower().replace(",", " ").split()
    return next((w for w in words if w in OBJECTS), None)

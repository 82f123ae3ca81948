"""A model folder read before any model library loads: where the toy world's model lives, and each folder's
``model_index.json``, read bounded. A missing or damaged folder is one line in a fraction of a second, not after the
seconds diffusers and torch take to import (pipeline/model.py and the experiments read folders through here)."""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import UsageError
from pipeline.files import read_json

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_DIR = REPO_ROOT / "model" / "toyworld-diffusion"
DEFAULT_LATENT_DIR = REPO_ROOT / "model" / "toyworld-latent"
DEFAULT_JUDGE_DIR = REPO_ROOT / "model" / "judge"
DEFAULT_COLOUR_JUDGE_DIR = REPO_ROOT / "model" / "colour-judge"
DEFAULT_LATENT_CHECKPOINTS = REPO_ROOT / "checkpoints" / "latent"  # the latent twin's data caches and training state


def restore_advice(model_dir: Path, retrain: str = "make model") -> str:
    """What to do about a damaged model folder: the repository's own can be checked out again; another is the user's."""
    try:
        inside = model_dir.resolve().is_relative_to(REPO_ROOT.resolve())
    except OSError:
        inside = False
    if inside and (REPO_ROOT / ".git").exists():
        relative = model_dir.resolve().relative_to(REPO_ROOT.resolve())
        return f"restore it with `git checkout -- {relative}` (from {REPO_ROOT}) or retrain with `{retrain}`"
    return "copy it again from where it came from, or train one with `python -m pipeline train --out FOLDER`"


# A diffusers model_index.json names a dozen components in a few hundred bytes: 1 MB and 8 levels are far beyond
# any real one, and small enough that a crafted index cannot eat memory or the stack.
INDEX_MOST_BYTES = 1 << 20
INDEX_MOST_DEPTH = 8


def read_model_index(model_dir: Path, missing: str = "", advice: str | None = None) -> dict:
    """A model folder's model_index.json, read bounded: the one reader of every model folder's index (the toy
    world's, the latent twin's, any diffusers folder capture records). One clear error where the folder or its
    index is missing or damaged: ``missing`` is what to do about a missing folder, ``advice`` about a damaged
    one (by default, where the folder is the repository's own, to check it out again)."""
    index = model_dir / "model_index.json"
    if not model_dir.exists():
        if model_dir.is_symlink():  # exists() follows links: a loop, or a link to nothing, is not "missing"
            raise UsageError(f"model folder {model_dir} is a link that leads nowhere (to itself, or to a path that "
                             "does not exist): pass the folder itself")
        raise UsageError(f"model folder {model_dir} does not exist{missing}")
    if not model_dir.is_dir():
        raise UsageError(f"model folder {model_dir} is not a folder")
    if not index.is_file():
        raise UsageError(f"{model_dir} holds no model_index.json: it is not a diffusers model folder")
    advice = restore_advice(model_dir) if advice is None else advice
    try:
        read = read_json(index, INDEX_MOST_BYTES, max_depth=INDEX_MOST_DEPTH)
    except (OSError, ValueError) as exc:
        raise UsageError(f"model folder {model_dir} is damaged ({index.name}: {exc}): {advice}") from None
    if not isinstance(read, dict):
        raise UsageError(f"model folder {model_dir} is damaged ({index.name} is not a table): {advice}")
    return read


def model_index(model_dir: Path | str | None = None) -> dict:
    """The toy world's model folder's model_index.json (read bounded)."""
    model_dir = Path(model_dir) if model_dir else DEFAULT_MODEL_DIR
    return read_model_index(model_dir, ": pass a model folder, or run `make model`")

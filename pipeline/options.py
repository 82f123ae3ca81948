"""One validation for every command's options: whole numbers and numbers in a range, devices and output folders.

Each function returns an argparse ``type=``: it turns the text into a value or raises
``argparse.ArgumentTypeError`` with one line that says what the option takes, which the command
line prints as ``error: ...`` with exit code 2. NaN and infinity are never a number here, and every
range is closed where the program can really run (steps at most the schedule's length, a guidance
that cannot overflow). Standard library only, so ``--help`` and bad input load no torch.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable
from pathlib import Path

MAX_SEED = 2**32 - 1  # every random generator in the pipeline takes a 32-bit seed
MAX_STEPS = 1000  # a walk cannot take more steps than the schedule it was trained on has
MAX_GUIDANCE = 100.0  # far past any useful guidance, and far from where float32 overflows


# Python's int() and float() also take Arabic-Indic and full-width digits and underscores ("1_0"); a number on the
# command line is written in ASCII digits, as every other tool and the film file (TOML) take it.
_WHOLE = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def _plain(value) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def _range_text(low, high, kind: str) -> str:
    if low is not None and high is not None:
        return f"{kind} from {_plain(low)} to {_plain(high)}"
    if low is not None:
        return f"{kind}, {_plain(low)} or more"
    if high is not None:
        return f"{kind}, at most {_plain(high)}"
    return kind


def whole(name: str, low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    """A whole number in [low, high] (either end may be open)."""
    wanted = _range_text(low, high, "a whole number")

    def parse(text: str) -> int:
        if not _WHOLE.fullmatch(str(text).strip()):
            raise argparse.ArgumentTypeError(f"{name} must be {wanted} in the digits 0-9; got {text!r}")
        value = int(str(text).strip())
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{name} must be {wanted}; got {value}")
        return value

    parse.__name__ = name  # argparse names the type in its own messages
    return parse


def number(name: str, low: float | None = None, high: float | None = None,
           above: float | None = None) -> Callable[[str], float]:
    """A finite number in [low, high], or above ``above`` (strictly); never NaN or infinity."""
    if above is not None:
        wanted = f"a number above {above:g}" + (f" and at most {high:g}" if high is not None else "")
    else:
        wanted = _range_text(low, high, "a number")

    def parse(text: str) -> float:
        if not _NUMBER.fullmatch(str(text).strip()):
            raise argparse.ArgumentTypeError(f"{name} must be {wanted} in the digits 0-9; got {text!r}")
        value = float(str(text).strip())
        if not math.isfinite(value) or (low is not None and value < low) or (high is not None and value > high) \
                or (above is not None and not value > above):
            raise argparse.ArgumentTypeError(f"{name} must be {wanted}; got {text}")
        return value

    parse.__name__ = name
    return parse


seed = whole("seed", 0, MAX_SEED)
steps = whole("steps", 1, MAX_STEPS)
guidance = number("guidance", 0.0, MAX_GUIDANCE)

_DEVICE = re.compile(r"auto|cpu|cuda(:\d+)?|mps")


def device(text: str) -> str:
    """auto, cpu, cuda, cuda:N or mps (whether the machine has it is checked when it is used)."""
    if not _DEVICE.fullmatch(str(text).strip()):
        raise argparse.ArgumentTypeError(f"device must be auto, cpu, cuda, cuda:N or mps; got {text!r}")
    return str(text).strip()


def folder_to_write(name: str) -> Callable[[str], Path]:
    """A folder to write into: it may not exist yet, but it must not be a file."""

    def parse(text: str) -> Path:
        if not str(text).strip():
            raise argparse.ArgumentTypeError(f"{name} is empty: give a folder (. for the current one)")
        path = Path(text)
        if path.exists() and not path.is_dir():
            raise argparse.ArgumentTypeError(f"{name} {path} is a file, not a folder")
        if any(parent.exists() and not parent.is_dir() for parent in path.parents):
            raise argparse.ArgumentTypeError(f"{name} {path} cannot be made: part of its path is a file")
        return path

    parse.__name__ = name
    return parse


def file_to_write(name: str, default: str) -> Callable[[str], Path]:
    """A file to write: it may not exist yet, but it must not be a folder, and its folder must exist
    (refused as the command line is read, not after minutes of work at the final write)."""

    def parse(text: str) -> Path:
        if not str(text).strip():
            raise argparse.ArgumentTypeError(f"{name} is empty: give a file (default {default})")
        path = Path(text)
        if path.is_dir():
            raise argparse.ArgumentTypeError(f"{name} {path} is a folder: give a file (default {default})")
        if not path.parent.is_dir():
            raise argparse.ArgumentTypeError(f"{name} {path}: its folder {path.parent} does not exist; "
                                             "make it or give another path")
        return path

    parse.__name__ = name
    return parse


def torch_device(name: str):
    """The torch device an option names, checked against this machine: one line where it has no such device."""
    import torch

    from pipeline.errors import UsageError

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise UsageError(f"--device {name} was asked for, but this machine has no CUDA GPU: use --device cpu")
        index = int(name.split(":")[1]) if ":" in name else 0
        if index >= torch.cuda.device_count():
            raise UsageError(f"--device {name}: this machine has {torch.cuda.device_count()} CUDA GPUs")
    if name == "mps" and not torch.backends.mps.is_available():
        raise UsageError("--device mps was asked for, but this machine has no Apple GPU: use --device cpu")
    return torch.device(name)

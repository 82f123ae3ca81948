"""The number format the models run in: float32, or bfloat16 where the processor does it natively.

A processor with AMX or AVX-512 BF16 (and any CUDA GPU) multiplies bfloat16 matrices several times faster than
float32 ones; one without them (most laptops, and this project's CI machine) is a hundred times slower at it. So
``auto``, the default, takes bfloat16 only where it is fast, and float32 elsewhere. bfloat16 runs under
``torch.autocast``: the matrix products and convolutions of the text encoder, the UNet and the VAE in bfloat16,
everything else (the scheduler's steps, the recorded states) in float32.

A capture made in bfloat16 names it in its spec (``versions.precision``), so it is never read back as a float32
capture, nor the other way; a spec without it was made in float32, as every capture before this option.
``LATENT_WALK_PRECISION`` (or ``capture --precision``) chooses: ``auto``, ``float32`` or ``bfloat16``.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from pipeline.errors import UsageError

CHOICES = ("auto", "float32", "bfloat16")
ENV = "LATENT_WALK_PRECISION"


def fast_bfloat16(device_type: str | None = None) -> bool:
    """Whether the device the models run on multiplies bfloat16 faster than float32: a CUDA GPU, or a CPU with AMX
    or AVX-512 BF16 (elsewhere bfloat16 products are far slower than float32 ones). ``device_type`` ``"cpu"``
    asks about the processor even where a GPU is present (``--device cpu``); ``None`` asks about the device a run
    takes by default (the GPU where there is one)."""
    import torch

    if device_type == "cuda" or (device_type is None and torch.cuda.is_available()):
        return True
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def chosen(choice: str | None = None, device_type: str | None = None) -> str:
    """``float32`` or ``bfloat16``: the choice given, else ``LATENT_WALK_PRECISION``, else ``auto`` (bfloat16 where
    ``device_type``, as in ``fast_bfloat16``, does it fast)."""
    where = "--precision" if choice is not None else ENV
    choice = choice if choice is not None else os.environ.get(ENV, "auto")
    if choice not in CHOICES:
        raise UsageError(f"{where} must be one of {', '.join(CHOICES)}; got {choice!r}")
    if choice == "auto":
        return "bfloat16" if fast_bfloat16(device_type) else "float32"
    return choice


def spec_fields(precision: str) -> dict[str, str]:
    """What a capture's versions record of its precision: nothing for float32 (so every float32 spec stays as it
    was), ``precision`` otherwise."""
    return {} if precision == "float32" else {"precision": precision}


def of_spec(spec: dict) -> str:
    """The precision a spec was (or is to be) made in."""
    return spec.get("versions", {}).get("precision", "float32")


def running_in(precision: str, device: str = "cpu"):
    """A context in which the models run in ``precision`` (autocast for bfloat16; nothing for float32)."""
    import torch

    if precision == "float32":
        return contextlib.nullcontext()
    return torch.autocast(device, dtype=torch.bfloat16)


def for_training(device) -> tuple[contextlib.AbstractContextManager, str]:
    """The autocast context a training step runs in on ``device``, and how training.json names it: the same
    choice as sampling (``LATENT_WALK_PRECISION``, else bfloat16 only where it is fast), for both models."""
    device_type = getattr(device, "type", str(device))
    precision = chosen(device_type=device_type)
    if precision == "float32":
        why = "chosen" if os.environ.get(ENV, "auto") == "float32" else "this CPU has no fast bfloat16"
        return running_in("float32"), f"float32 ({why})"
    where = "GPU" if device_type == "cuda" else ("AMX/AVX-512" if fast_bfloat16("cpu") else "chosen; slow on this CPU")
    return running_in("bfloat16", device_type), f"bf16 autocast ({where})"

"""The number format the models run in: float32, or bfloat16 where the processor does it natively.

A processor with AMX or AVX-512 BF16 (and any CUDA GPU) multiplies bfloat16 matrices several times faster than
float32 ones; one without them (most laptops, and this project's CI machine) is a hundred times slower at it. So
``auto``, the default, takes bfloat16 only where it is fast, and float32 elsewhere. bfloat16 runs under
``torch.autocast``: the matrix products and convolutions of the text encoder, the UNet and the VAE in bfloat16,
everything else (the scheduler's steps, the recorded states) in float32. The toy-world models' UNets go further on a
CPU (``whole_unet_running``): the pixel model's compiled by OpenVINO with its element-wise work fused
(``pipeline.openvino_unet``), or, for the latent twin and where OpenVINO cannot or ``LATENT_WALK_UNET=torch``, a copy
of the UNet held in bfloat16 with its activations in channels-last order (``bfloat16_unet``). Either way no weight is
cast again at every call and the convolutions skip their layout changes (docs/speed.md has the timings); captures
name the way in their spec.

A capture made in bfloat16 names it in its spec (``versions.precision``), so it is never read back as a float32
capture, nor the other way; a spec without it was made in float32, as every capture before this option.
``LATENT_WALK_PRECISION`` (or ``capture --precision``) chooses: ``auto``, ``float32`` or ``bfloat16``.
"""

from __future__ import annotations

import contextlib
import os
import weakref
from pathlib import Path

from pipeline.errors import UsageError
from pipeline.unet_calls import answered_by, weight_edits

CHOICES = ("auto", "float32", "bfloat16")
ENV = "LATENT_WALK_PRECISION"


def _cpu_bfloat16(info: str) -> str | None:
    """What a processor's /proc/cpuinfo flags give it for bfloat16 products: "AMX", "AVX-512 BF16 (no AMX)", or None
    where it has neither (its products are then far slower than float32's)."""
    if "amx_bf16" in info:
        return "AMX"
    return "AVX-512 BF16 (no AMX)" if "avx512_bf16" in info else None


def processor() -> str:
    """This machine's processor as its own name for it, and what it has for bfloat16: "AMD EPYC, AVX-512 BF16 (no
    AMX)", "..., AMX", or "..., no native bfloat16". Speed figures name it: the project's machines are not alike."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        import platform

        return f"{platform.processor() or platform.machine() or 'an unknown processor'}, bfloat16 support unknown"
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")),
                "an unnamed processor")
    name = " ".join(name.replace("(R)", "").replace("(TM)", "").split())
    return f"{name}, {_cpu_bfloat16(info) or 'no native bfloat16'}"


def fast_bfloat16(device_type: str | None = None) -> bool:
    """Whether the device the models run on multiplies bfloat16 faster than float32: a CUDA GPU, or a CPU with AMX
    or AVX-512 BF16 (elsewhere bfloat16 products are far slower than float32 ones). ``device_type`` ``"cpu"``
    asks about the processor even where a GPU is present (``--device cpu``); ``None`` asks about the device a run
    takes by default (the GPU where there is one)."""
    import torch

    if device_type == "cuda" or (device_type is None and torch.cuda.is_available()):
        return True
    try:
        return _cpu_bfloat16(Path("/proc/cpuinfo").read_text()) is not None
    except OSError:
        return False


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


# How a toy-world UNet runs in bfloat16 on a CPU where OpenVINO is missing (or ``LATENT_WALK_UNET=torch``), as a spec
# records it: captures made under plain autocast, before, differ in their last bits, so they are other captures.
WHOLE_UNET = "bfloat16 weights, channels-last"


def spec_fields(precision: str, unet: str | None = None) -> dict[str, str]:
    """What a capture's versions record of its precision: nothing for float32 (so every float32 spec stays as it
    was), ``precision`` otherwise, and ``unet`` where the UNet runs as a whole in bfloat16: how (``unet_way``)."""
    if precision == "float32":
        return {}
    return {"precision": precision, **({"unet": unet} if unet else {})}


def unet_way(pipeline_class: str) -> str:
    """How a toy-world UNet runs as a whole in bfloat16 here: the pixel model's through OpenVINO where it is installed
    and does bfloat16 on this CPU (``pipeline.openvino_unet``), else as a bfloat16 copy in torch (``bfloat16_unet``).
    The latent twin's UNet (4 x 8 x 8 latents) always runs as the torch copy: converting it for OpenVINO takes about
    3 s, more than its whole capture would save. (The latent capture's spec names the pixel model's way; the twin's
    follows from it.)"""
    from pipeline import openvino_unet
    from pipeline.families import EMBEDDED

    return openvino_unet.label() if pipeline_class == EMBEDDED and openvino_unet.chosen() else WHOLE_UNET


def whole_unet(pipeline_class: str, device_type: str, precision: str) -> bool:
    """Whether this pipeline's UNet runs as a whole in bfloat16 (``whole_unet_running``): the toy-world models'
    (the pixel model and its latent twin), in bfloat16 on a CPU. Other families keep plain autocast."""
    from pipeline.families import EMBEDDED, LATENT_TWIN

    return precision == "bfloat16" and device_type == "cpu" and pipeline_class in (EMBEDDED, LATENT_TWIN)


def of_spec(spec: dict) -> str:
    """The precision a spec was (or is to be) made in."""
    return spec.get("versions", {}).get("precision", "float32")


def running_in(precision: str, device: str = "cpu", *pipes):
    """A context in which the models run in ``precision`` (autocast for bfloat16; nothing for float32); the UNet of
    each of ``pipes`` that is a toy-world pipeline on a CPU runs as a whole in bfloat16 (``whole_unet_running``) too."""
    import torch

    if precision == "float32":
        return contextlib.nullcontext()
    stack = contextlib.ExitStack()
    stack.enter_context(torch.autocast(device, dtype=torch.bfloat16))
    for pipe in pipes:
        if whole_unet(type(pipe).__name__, device, precision):
            stack.enter_context(whole_unet_running(pipe))
    return stack


def whole_unet_running(pipe):
    """A context in which ``pipe``'s UNet runs as a whole in bfloat16, the way ``unet_way`` names for its class:
    through OpenVINO, or as a bfloat16 copy in torch."""
    from pipeline import openvino_unet

    if unet_way(type(pipe).__name__) == WHOLE_UNET:
        return bfloat16_unet(pipe.unet)
    return openvino_unet.openvino_unet(pipe.unet)


# a float32 UNet -> (the count of its weights' edits, its bfloat16 copy), for as long as the UNet lives
_BFLOAT16_COPIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _bfloat16_copy(unet):
    """The UNet's bfloat16, channels-last copy, made once per UNet and its weights (the sampling of a capture calls it
    thousands of times; the copy of a 4-million-weight UNet takes milliseconds and 8 MB)."""
    import copy

    import torch

    edits = weight_edits(unet)
    held = _BFLOAT16_COPIES.get(unet)
    if held is None or held[0] != edits:
        twin = copy.deepcopy(unet).to(torch.bfloat16).to(memory_format=torch.channels_last).eval()
        twin.requires_grad_(False)
        held = _BFLOAT16_COPIES[unet] = (edits, twin)
    return held[1]


def bfloat16_unet(unet):
    """While open, ``unet`` (float32, left untouched) answers each sampling call from its bfloat16 copy, its input
    in channels-last order: its convolutions and products in bfloat16 as under autocast, and its norms and
    activations in bfloat16 too, without casting every weight again at every call and without the convolutions'
    layout changes (the card measures the pictures against float32's). Its output is bfloat16, as under autocast;
    the pipeline around it (the scheduler, the recorded states) stays in float32. A call this does not cover (extra
    arguments, gradients) goes to the UNet itself."""
    import torch

    twin = _bfloat16_copy(unet)

    def answer(sample, timestep, states):
        with torch.autocast(sample.device.type, enabled=False):
            out = twin(sample.to(torch.bfloat16).contiguous(memory_format=torch.channels_last), timestep,
                       encoder_hidden_states=states.to(torch.bfloat16), return_dict=False)[0]
        return out.contiguous()

    return answered_by(unet, answer)


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

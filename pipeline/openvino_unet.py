"""The pixel model's UNet in bfloat16 through OpenVINO, on a CPU that does bfloat16 natively (``precision.unet_way``
says which UNets come here: the latent twin's, small, stays in torch).

PyTorch runs a UNet one operator at a time: each group norm, SiLU and addition reads and writes the whole activation
again, and the convolutions change layout around them. For a UNet this small those steps cost more than the
convolutions. OpenVINO compiles the same graph with the element-wise work fused into its neighbours and the weights
held in its blocked bfloat16 layout, and this module writes the forward out so that the plugin fuses more: group
norms as poolings (``_group_norm_by_pooling``); each resnet's time embedding folded into its norm, SiLU by tanh, GEGLU
as two products (``_traceable``); under guidance, each picture's text-free levels run once for both texts
(``_unet_forward``); the two upsamplers, each a doubling and a 3 x 3 convolution, as transposed convolutions with
4/9 of the products (``_upsample_forward``); and each batch as two halves side by side (``Engine.request``). What
each saves is measured in docs/speed.md.

How a UNet gets here, once per UNet and its weights:

1. traced from PyTorch (``openvino.convert_model``, about 4 s) with its batches left open, then written to a cache
   folder (``LATENT_WALK_CACHE``, default ``~/.cache/latent-walk``) under a key of its weights, its config and the
   versions of OpenVINO, torch and diffusers, so that the next process (``make video`` runs one per capture) reads it
   back in a few milliseconds; the model every process runs is the one read back from that file;
2. compiled for each of the batch sizes in ``SIZES`` (``PAIRED_SIZES`` for guidance's) that it meets (about 0.75 s
   each; a compiled graph of fixed shapes is half as fast again as one of open shapes), as two streams of half the
   threads each, the threads as many as torch has, since the thread count is part of a capture's spec. A batch runs
   as chunks of those sizes.

Its output is the same from run to run and process to process (the cache adds nothing: a converted model read back
gives what the one converted in memory gives). It differs from ``bfloat16_unet``'s in the last bits, so captures
made here name it in their spec (``label``: OpenVINO's version and this module's ``FORMAT``), and the model card
measures its pictures against float32's.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import tempfile
import warnings
import weakref
from pathlib import Path

from pipeline import files

CACHE_ENV = files.CACHE_ENV
ENGINE_ENV = "LATENT_WALK_UNET"  # "openvino" (the default, where it is installed) or "torch"
FORMAT = 4  # how this module converts a UNet (its inputs, their types, its rewritten modules): in the cache key
# The batch sizes compiled, all even (two streams take half each). Each size costs a compilation of about 0.75 s,
# and `capture --all` calls ten sizes (1 to 64 pictures): a batch runs as chunks of these, the last one filled up,
# so 4 sizes are compiled there, not 10. No picture's prediction reads another's, and each picture's bytes were
# the same however its batch was cut (measured: tests/test_openvino_unet.py and every array of `capture --all`);
# the plugin could in principle choose other kernels for other shapes, so a change of these sizes or of the
# streams is a change of FORMAT.
SIZES = (2, 4, 8, 16, 32)
# Guidance's batches (the same pictures twice, each with two texts) run as chunks of these many pictures, each with its
# two texts: 32 predictions at most, as above.
PAIRED_SIZES = (2, 4, 8, 16)


def version() -> str | None:
    """OpenVINO's version where it is installed and usable, else None."""
    try:
        import openvino
    except Exception:  # noqa: BLE001 - a missing or broken install: the UNet runs in torch instead
        return None
    return openvino.__version__.split("-")[0]


def way() -> str:
    """``LATENT_WALK_UNET``: ``openvino`` (the default) or ``torch``; anything else is refused in one line."""
    from pipeline.errors import UsageError

    asked = os.environ.get(ENGINE_ENV, "openvino")
    if asked not in ("openvino", "torch"):
        raise UsageError(f"{ENGINE_ENV} must be openvino or torch; got {asked!r}")
    return asked


@functools.lru_cache(maxsize=1)
def native_bfloat16() -> bool:
    """Whether OpenVINO's CPU plugin runs bfloat16 here (AVX-512 at least; elsewhere it takes the hint for float32
    without a word, and a spec saying bfloat16 would be wrong)."""
    try:
        import openvino as ov

        return "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    except Exception:  # noqa: BLE001 - no usable CPU plugin: the UNet runs in torch
        return False


def chosen() -> bool:
    """Whether a toy-world UNet that runs as a whole in bfloat16 runs here (OpenVINO installed and doing bfloat16 on
    this CPU, and ``LATENT_WALK_UNET`` not ``torch``) or in torch (``precision.bfloat16_unet``)."""
    return way() == "openvino" and version() is not None and native_bfloat16()


def label() -> str:
    """How a capture's spec names this way of running the UNet: OpenVINO's version and this module's way of
    converting (``FORMAT``), since either changes the last bits of every prediction."""
    return f"OpenVINO {version()}, bfloat16, conversion {FORMAT}"


def cache_folder() -> Path:
    return files.cache_folder("openvino")


def _silu(x):
    """SiLU written as 0.5 x (1 + tanh(x / 2)), the same function: OpenVINO's CPU plugin runs its tanh faster than
    the exponential and division of its own SiLU (about 1 ms of a batch-32 forward of the embedded model)."""
    import torch

    return 0.5 * x * (1 + torch.tanh(0.5 * x))


def _silu_of_half(z):
    """SiLU(2 z), as z (1 + tanh(z)): the same function, with one operation fewer per number than ``_silu``."""
    import torch

    return z + z * torch.tanh(z)


def _ones_per_group(groups: int, per_group: int):
    """A (channels, channels) matrix with a block of ones for each group: a row of per-channel numbers times it gives
    each channel its group's sum."""
    import torch

    return torch.block_diag(*[torch.ones(per_group, per_group)] * groups)


def _group_norm_by_pooling():
    """``torch.nn.GroupNorm`` written the way OpenVINO's CPU plugin runs fastest in bfloat16 (the same function).

    The plugin runs a group norm in bfloat16 as a reshape to (batch, groups, rest), a mean-variance normalisation and
    a reshape back: each one reorders the activation out of the convolutions' channels-last layout and back again
    (together a third of a forward of the embedded model). Here each channel's mean is an average pooling over the
    picture and its mean square a sum of squares (``ReduceL2``), both of which keep that layout; the groups'
    statistics come from those few numbers (a product with a block of ones per group); and the norm becomes one
    multiply-add per channel (``statistics``), fused with the SiLU that follows. The variance is the mean square less
    the squared mean, both rounded to bfloat16: its error grows with a group's mean^2 / variance, which the shipped
    UNet keeps below 10 over whole walks (a test checks it; past 30, take the squares around the mean instead, a
    second pass).
    """
    import torch
    import torch.nn.functional as F

    class GroupNormByPooling(torch.nn.GroupNorm):
        def statistics(self, x, added=None, half=False):
            """(scale, shift), each (batch, channels, 1, 1), such that this norm of ``x`` plus ``added`` (one number
            per picture and channel, or None) is ``x * scale + shift``: an addition before the norm never touches
            the picture (a resnet's time embedding, ``_resnet_forward``)."""
            batch, channels, height, width = x.shape
            height, width = int(height), int(width)  # constants of the trace: the pooling's window
            per_group = channels // self.num_groups
            mean = F.avg_pool2d(x, (height, width)).flatten(1)
            square = torch.linalg.vector_norm(x, 2, dim=(2, 3)) ** 2 * (1 / (height * width))
            if added is not None:  # the moments of x + added, from x's
                square = square + added * (2 * mean + added)
                mean = mean + added
            # the traced copy holds it (``_traceable``): a trace cannot make it
            together = getattr(self, "together", None)
            if together is None:
                together = _ones_per_group(self.num_groups, per_group).to(x.device)
            both = torch.cat([mean, square]) @ together * (1 / per_group)
            mean, square = both[:batch], both[batch:]
            # bfloat16 rounds both means: a variance that rounds below zero is zero
            scale = torch.rsqrt((square - mean * mean).clamp(min=0) + self.eps) * self.weight
            shift = self.bias - mean * scale
            if added is not None:
                shift = shift + added * scale
            if half:
                scale, shift = 0.5 * scale, 0.5 * shift
            return scale[:, :, None, None], shift[:, :, None, None]

        def forward(self, x):
            if x.dim() != 4 or not self.affine:
                return super().forward(x)
            scale, shift = self.statistics(x)
            return x * scale + shift

    return GroupNormByPooling


def _resnet_forward(block, x, temb):
    """A diffusers ``ResnetBlock2D`` (no resampling, the time embedding added before its second norm) as the traced
    copy runs it: the same function, with the time embedding folded into the second norm's shift rather than added to
    the whole activation (in OpenVINO that addition also turned the activation to planar layout and back, about 5 ms
    of a batch-32 forward of the embedded model), and its SiLUs as ``_silu_of_half`` (the halving in the norms'
    scale and shift)."""
    import torch.nn.functional as F

    scale, shift = block.norm1.statistics(x, half=True)
    h = block.conv1(_silu_of_half(x * scale + shift))
    added = block.time_emb_proj(F.silu(temb))
    scale, shift = block.norm2.statistics(h, added, half=True)
    h = block.conv2(_silu_of_half(h * scale + shift))  # dropout: none outside training
    if block.conv_shortcut is not None:
        x = block.conv_shortcut(x)
    out = x + h
    return out if block.output_scale_factor == 1 else out / block.output_scale_factor


def _plain_upsampler(module) -> bool:
    """Whether ``module`` is a diffusers ``Upsample2D`` of the plain kind (nearest-neighbour doubling, then a 3 x 3
    convolution with a border of one, no norm), which ``_upsample_forward`` runs."""
    import torch
    from diffusers.models.upsampling import Upsample2D

    conv = getattr(module, "conv", None)
    return (type(module) is Upsample2D and module.use_conv and not module.use_conv_transpose and module.interpolate
            and module.norm is None and module.name == "conv" and type(conv) is torch.nn.Conv2d
            and conv.kernel_size == (3, 3) and conv.stride == (1, 1) and conv.padding == (1, 1)
            and conv.dilation == (1, 1) and conv.groups == 1 and conv.padding_mode == "zeros")


def _transposed_weight(weight):
    """The weight (in, out, 4, 4) of the transposed convolution (stride 2, border 1) that equals a 3 x 3 convolution
    ``weight`` (out, in, 3, 3) of a picture doubled by nearest neighbours.

    An output row 2i reads the doubled rows 2i-1, 2i, 2i+1, which are the input rows i-1, i, i: its taps on the input
    are (w[0], w[1] + w[2]); an output row 2i+1 reads rows i, i, i+1: taps (w[0] + w[1], w[2]). The transposed
    convolution lays those out as one kernel of four, (w[2], w[1] + w[2], w[0] + w[1], w[0]), and the same along the
    columns. Summed in float64, so the kernel is the exact sum rounded once."""
    import torch

    taps = torch.tensor([[0, 0, 1], [0, 1, 1], [1, 1, 0], [1, 0, 0]], dtype=torch.float64)
    return torch.einsum("ya,xb,oiab->ioyx", taps, taps, weight.double()).to(weight.dtype)


def _upsample_forward(module, x, output_size=None):
    """A plain ``Upsample2D`` (``_plain_upsampler``) as the traced copy runs it: the same function, as one transposed
    convolution of stride 2 on the picture before doubling (``_transposed_weight``). Each output number reads 2 x 2
    input numbers instead of 3 x 3 doubled ones: 4/9 of the convolution's products, 10% of a forward's FLOPs fewer
    and 7% of its time on 2 cores. A size asked for other than the double goes the module's own way."""
    import torch.nn.functional as F
    from diffusers.models.upsampling import Upsample2D

    if output_size is not None and tuple(output_size) != (2 * x.shape[-2], 2 * x.shape[-1]):
        return Upsample2D.forward(module, x, output_size)
    return F.conv_transpose2d(x, module.transposed, module.conv.bias, stride=2, padding=1)


def _geglu_forward(module, x):
    """diffusers' ``GEGLU`` as two products rather than one split in two (OpenVINO's split runs as a slow generic
    copy): the same function."""
    import torch.nn.functional as F

    half = module.proj.out_features // 2
    weight, bias = module.proj.weight, module.proj.bias
    value = F.linear(x, weight[:half], None if bias is None else bias[:half])
    gate = F.linear(x, weight[half:], None if bias is None else bias[half:])
    return value * module.gelu(gate)


def unsupported(unet) -> str | None:
    """What in ``unet`` the traced copy does not reproduce (``_unet_forward`` writes out the forward of a diffusers
    ``UNet2DConditionModel`` of the toy world's kind), or None where it reproduces all of it."""
    import torch
    from diffusers import UNet2DConditionModel
    from diffusers.models.attention_processor import Attention, AttnProcessor, AttnProcessor2_0
    from diffusers.models.resnet import ResnetBlock2D

    if type(unet) is not UNet2DConditionModel:
        return f"a {type(unet).__name__}, not a UNet2DConditionModel"
    config = unet.config
    plain = {"time_embedding_type": "positional", "class_embed_type": None, "addition_embed_type": None,
             "encoder_hid_dim": None, "time_cond_proj_dim": None, "center_input_sample": False, "act_fn": "silu",
             "time_embedding_act_fn": None, "resnet_time_scale_shift": "default"}
    for name, value in plain.items():
        if config.get(name, value) != value:
            return f"{name} = {config.get(name)!r}"
    kinds = {"DownBlock2D", "CrossAttnDownBlock2D", "UpBlock2D", "CrossAttnUpBlock2D", "UNetMidBlock2DCrossAttn"}
    blocks = [*unet.down_blocks, unet.mid_block, *unet.up_blocks]
    if any(type(block).__name__ not in kinds for block in blocks):
        return "a block of another kind than " + ", ".join(sorted(kinds))
    for module in unet.modules():
        if isinstance(module, ResnetBlock2D) and (
                module.upsample is not None or module.downsample is not None or module.skip_time_act
                or module.time_embedding_norm != "default" or module.time_emb_proj is None
                or type(module.nonlinearity) is not torch.nn.SiLU):
            return "a resnet block that resamples, or takes its time embedding otherwise"
        if isinstance(module, Attention) and type(module.processor) not in (AttnProcessor, AttnProcessor2_0):
            return f"an attention processor {type(module.processor).__name__}"  # the plain ones only
    return None


def _unet_forward(unet, sample, timestep, states):
    """``UNet2DConditionModel.forward`` of the kinds ``unsupported`` lets through, for ``sample``'s n pictures (one
    timestep each) and ``states``' k x n texts: k sets of texts, one text per picture in each (text i goes with picture
    i mod n); a prediction per text.

    Until the first block that reads the text, a picture's activations are the same whatever its text: they are
    computed once per picture and then repeated for each set of texts. Under guidance every picture runs with two
    texts (the prompt and the empty one), so that part of the UNet (its 32 x 32 and 16 x 16 levels going down: about
    a seventh of a forward's time, 6% of its FLOPs) runs once for the two. Each prediction is what the UNet computes
    for its picture and text."""

    emb = unet.time_embedding(unet.time_proj(timestep).to(sample.dtype))
    h = unet.conv_in(sample)
    skips = [h]
    shared = True  # activations still one per picture, not yet one per text

    def per_text(x):  # once for each set of texts (a tiling, which keeps the convolutions' layout; a gather did not)
        return x.repeat(states.shape[0] // sample.shape[0], *[1] * (x.dim() - 1))

    for block in unet.down_blocks:
        attentions = getattr(block, "attentions", None) or [None] * len(block.resnets)
        for resnet, attention in zip(block.resnets, attentions):
            h = resnet(h, emb)
            if attention is not None:
                if shared:
                    h, emb, skips, shared = per_text(h), per_text(emb), [per_text(s) for s in skips], False
                h = attention(h, encoder_hidden_states=states, return_dict=False)[0]
            skips.append(h)
        for downsampler in block.downsamplers or []:
            h = downsampler(h)
        if block.downsamplers:
            skips.append(h)
    if shared:
        h, emb, skips = per_text(h), per_text(emb), [per_text(s) for s in skips]
    h = unet.mid_block(h, emb, encoder_hidden_states=states)
    for block in unet.up_blocks:
        count = len(block.resnets)
        skips, taken = skips[:-count], tuple(skips[-count:])
        if getattr(block, "has_cross_attention", False):
            h = block(h, taken, emb, encoder_hidden_states=states)
        else:
            h = block(h, taken, emb)
    return unet.conv_out(_silu(unet.conv_norm_out(h)))


def _traceable(unet):
    """The UNet as a function of OpenVINO's three inputs, all float32: the pictures, one timestep per picture (a float,
    as the UNet's timestep embedding reads it) and the text states, one set or more of a text per picture; its
    predictions, one per text, float32 (``_unet_forward``). Its group norms are ``_group_norm_by_pooling``'s, its
    resnet blocks ``_resnet_forward`` and its GEGLUs ``_geglu_forward``: the same functions, written for the plugin."""
    import copy

    import torch
    from diffusers.models.activations import GEGLU
    from diffusers.models.attention_processor import AttnProcessor2_0
    from diffusers.models.resnet import ResnetBlock2D
    from diffusers.models.upsampling import Upsample2D

    by_pooling = _group_norm_by_pooling()

    class Resnet(ResnetBlock2D):
        def forward(self, x, temb, *args, **kwargs):
            return _resnet_forward(self, x, temb)

    class Geglu(GEGLU):
        def forward(self, x, *args, **kwargs):
            return _geglu_forward(self, x)

    class Upsampler(Upsample2D):
        def forward(self, x, output_size=None, *args, **kwargs):
            return _upsample_forward(self, x, output_size)

    class Traceable(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.unet = copy.deepcopy(unet).requires_grad_(False)  # a trace keeps no weight that asks for gradients
            self.unet.__dict__.pop("forward", None)  # a wrapper over the UNet's own (a recorder's, or this module's)
            # the fused attention, the same function as the plain one training sets: one graph whichever is set
            self.unet.set_attn_processor(AttnProcessor2_0())
            for module in self.unet.modules():
                if type(module) is torch.nn.GroupNorm:
                    module.__class__ = by_pooling
                    module.register_buffer("together", _ones_per_group(
                        module.num_groups, module.num_channels // module.num_groups), persistent=False)
                elif type(module) is ResnetBlock2D:
                    module.__class__ = Resnet
                elif type(module) is GEGLU:
                    module.__class__ = Geglu
                elif _plain_upsampler(module):
                    module.__class__ = Upsampler
                    module.register_buffer("transposed", _transposed_weight(module.conv.weight), persistent=False)

        def forward(self, sample, timestep, states):
            return _unet_forward(self.unet, sample, timestep, states)

    return Traceable().eval()


def call_flops(unet, pictures: int, texts: int, length: int) -> int:
    """The FLOPs of one compiled call on ``pictures`` pictures with ``texts`` texts each (the function OpenVINO
    converts, counted in torch): what the benchmarks set against the machine's floor."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    config, side = unet.config, int(unet.config.sample_size)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        _traceable(unet)(torch.zeros(pictures, config.in_channels, side, side), torch.full((pictures,), 500.0),
                         torch.zeros(pictures * texts, length, config.cross_attention_dim))
    return counter.get_total_flops()


def _key(unet, length: int) -> str:
    """The cache key of a UNet's converted model: its weights, its config, the text length and the versions that
    make the conversion."""
    import diffusers
    import torch

    config = {k: v for k, v in dict(unet.config).items() if not k.startswith("_")}  # not where it was loaded from
    digest = hashlib.sha256()
    digest.update(json.dumps({"format": FORMAT, "config": config, "length": length, "openvino": version(),
                              "torch": torch.__version__, "diffusers": diffusers.__version__},
                             sort_keys=True, default=str).encode())
    for name, tensor in unet.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().float().contiguous().numpy().tobytes())
    return digest.hexdigest()[:24]


def _convert(unet, length: int, folder: Path):
    """The converted model (its pictures' and texts' counts left open), written to ``folder`` and read back from it.
    A folder that cannot be written leaves the model converted in memory only, written to a temporary folder and read
    back all the same."""
    import openvino as ov
    import torch

    config = unet.config
    side, channels, width = int(config.sample_size), int(config.in_channels), int(config.cross_attention_dim)
    example = (torch.zeros(2, channels, side, side), torch.full((2,), 500.0), torch.zeros(4, length, width))
    inputs = [ov.PartialShape([-1, channels, side, side]), ov.PartialShape([-1]), ov.PartialShape([-1, length, width])]
    with warnings.catch_warnings(), torch.no_grad(), torch.autocast("cpu", enabled=False), _plain_conversion():
        warnings.simplefilter("ignore")  # the tracer's warnings about the UNet's shape checks
        from openvino.frontend.pytorch.ts_decoder import TorchScriptPythonDecoder

        # traced once: the tracer's own check runs the function twice more and compares (a second and a half
        # here), and the test suite compares the converted graph with the UNet itself
        traced = TorchScriptPythonDecoder(_traceable(unet), example_input=example,
                                          trace_kwargs={"check_trace": False})
        model = ov.convert_model(traced, input=inputs)
    return _saved_and_read(model, folder)


@contextlib.contextmanager
def _plain_conversion():
    """While converting: none of OpenVINO's usage reports (sent from the converter, consent assumed, to an analytics
    service: nothing of this project's leaves the machine unasked), and no pre-processing step where none is asked
    for (its builder only checks the whole graph again: 1.3 s). Each is left as it is where this version of OpenVINO
    lays its converter out otherwise; the graph is the same either way (a test compares it)."""
    import importlib

    patches = []
    with contextlib.suppress(ImportError):
        stub = importlib.import_module("openvino.tools.ovc.telemetry_stub")
        for name in ("openvino.tools.ovc.convert_impl", "openvino.tools.ovc.telemetry_utils"):
            module = importlib.import_module(name)
            if hasattr(module, "tm"):
                patches.append((module, "tm", stub))
        emit = importlib.import_module("openvino.tools.ovc.moc_frontend.moc_emit_ir")
        if hasattr(emit, "apply_preprocessing"):
            patches.append((emit, "apply_preprocessing", lambda **_: None))
    saved = [(module, name, getattr(module, name)) for module, name, _ in patches]
    try:
        for module, name, value in patches:
            setattr(module, name, value)
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


def _saved_and_read(model, folder: Path):
    """``model`` written to the cache entry ``folder`` (whole or not at all: a folder of its own, renamed into place)
    and read back from it. Where the cache cannot be written, or another process's entry cannot be read, it goes
    through a temporary folder of the system's instead: the same model, only not kept."""
    import openvino as ov

    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".converting-"))
    except OSError:
        scratch = None
    if scratch is not None:
        try:
            ov.save_model(model, scratch / "unet.xml", compress_to_fp16=False)  # the weights as they are
            os.replace(scratch, folder)  # refused where another process wrote the same entry first: either will do
        except Exception:  # noqa: BLE001 - a full or read-only disk: not kept, that is all
            pass
        finally:
            shutil.rmtree(scratch, ignore_errors=True)  # gone already where it was renamed
        with contextlib.suppress(Exception):
            return ov.Core().read_model(folder / "unet.xml")
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as elsewhere:
        ov.save_model(model, Path(elsewhere) / "unet.xml", compress_to_fp16=False)
        return ov.Core().read_model(Path(elsewhere) / "unet.xml")  # its weights mapped: kept while the model lives


class Engine:
    """One UNet's converted model, and its compiled graphs: one for each size of ``SIZES`` (or ``PAIRED_SIZES``), texts
    per picture and thread count met."""

    def __init__(self, unet, length: int):
        import openvino as ov

        from pipeline.errors import UsageError

        # before the cache is read: a UNet whose modules differ from what the trace writes out, its config alike,
        # would otherwise be answered by another UNet's graph
        why = unsupported(unet)
        if why is not None:
            raise UsageError(f"OpenVINO's copy of the UNet cannot reproduce this one ({why}); run again with "
                             f"{ENGINE_ENV}=torch to run it in torch instead")
        self.core = ov.Core()
        folder = cache_folder() / _key(unet, length)
        self.model = None
        if (folder / "unet.xml").is_file():
            try:
                self.model = self.core.read_model(folder / "unet.xml")
            except Exception:  # noqa: BLE001 - a damaged entry of this cache (its own files only): converted again
                shutil.rmtree(folder, ignore_errors=True)
        if self.model is None:
            self.model = _convert(unet, length, folder)
        self.requests: dict[tuple[int, int, int], list] = {}  # (size, texts, torch's threads) -> inference requests

    def request(self, size: int, texts: int = 1) -> list:
        """The inference requests that run ``size`` pictures (one of ``SIZES``, or of ``PAIRED_SIZES`` with two
        texts each), compiled at its first use: two, side by side, each on half of the pictures and half of the
        threads, where torch has two threads or more; else one. Each prediction is the same either way, bit for bit
        (it never mixes with another picture's), and two halves run 10-25% faster than one whole on 2 cores: a small
        UNet's operators are too short to share out between threads without waiting."""
        import torch

        key = (size, texts, torch.get_num_threads())  # threads changed in a process (tests, training): compiled again
        if key not in self.requests:
            with _refused_in_one_line():
                self.requests[key] = self._compiled(size, texts)
        return self.requests[key]

    def _compiled(self, size: int, texts: int = 1) -> list:
        import torch

        threads = torch.get_num_threads()
        streams = 2 if threads >= 2 else 1
        model = self.model.clone()
        pictures = size // streams
        sample, _, states = (port.get_partial_shape() for port in model.inputs)
        model.reshape({0: [pictures, *sample[1:].to_shape()], 1: [pictures],
                       2: [pictures * texts, *states[1:].to_shape()]})
        compiled = self.core.compile_model(model, "CPU", {
            "INFERENCE_PRECISION_HINT": "bf16", "INFERENCE_NUM_THREADS": threads, "NUM_STREAMS": streams,
            **({"PERFORMANCE_HINT": "LATENCY"} if streams == 1 else {})})
        return [compiled.create_infer_request() for _ in range(streams)]

    def __call__(self, sample, timestep, states):
        import numpy as np
        import torch

        batch = sample.shape[0]
        timestep = torch.as_tensor(timestep, dtype=torch.float32).reshape(-1).expand(batch)
        pictures, steps, texts = (sample.detach().float().contiguous().numpy(), timestep.contiguous().numpy(),
                                  states.detach().float().contiguous().numpy())
        half = batch // 2
        if (batch % 2 == 0 and half >= 2 and np.array_equal(pictures[:half], pictures[half:])
                and np.array_equal(steps[:half], steps[half:])):
            # guidance's batch: the same pictures twice, with two texts (the empty prompt's, the prompt's): each
            # picture runs once with both (``_unet_forward``)
            runs = [self._run(size, pictures[start:start + kept], steps[start:start + kept],
                              [texts[start:start + kept], texts[half + start:half + start + kept]])
                    for start, kept, size in chunks(half, PAIRED_SIZES)]
            return torch.from_numpy(np.concatenate([run[0] for run in runs] + [run[1] for run in runs]))
        return torch.from_numpy(np.concatenate([
            self._run(size, pictures[start:start + kept], steps[start:start + kept], [texts[start:start + kept]])[0]
            for start, kept, size in chunks(batch)]))

    def _run(self, size: int, pictures, steps, texts: list) -> list:
        """For each array of ``texts`` (one text per picture in each), the predictions for ``pictures`` with those
        texts, run as ``size`` pictures: the last one repeated to fill it."""
        import numpy as np

        kept = pictures.shape[0]

        def filled(array):
            return np.concatenate([array, np.repeat(array[-1:], size - kept, axis=0)]) if kept < size else array

        pictures, steps, texts = filled(pictures), filled(steps), [filled(text) for text in texts]
        requests = self.request(size, len(texts))
        part = size // len(requests)
        assert part * len(requests) == size, f"{size} pictures do not split into {len(requests)} equal parts"
        started = []
        try:
            with _refused_in_one_line():
                for i, request in enumerate(requests):
                    mine = slice(i * part, (i + 1) * part)
                    request.start_async([pictures[mine], steps[mine], np.concatenate([text[mine] for text in texts])])
                    started.append(request)
                for request in requests:
                    request.wait()
                # copied out of the requests' own memory before their next use
                outputs = [request.get_output_tensor(0).data for request in requests]
                return [np.concatenate([out[j * part:(j + 1) * part] for out in outputs])[:kept]
                        for j in range(len(texts))]
        finally:
            for request in started:  # none left running after a failure: the engine is kept for the next call
                with contextlib.suppress(Exception):
                    request.wait()


def chunks(batch: int, sizes: tuple[int, ...] | None = None) -> list[tuple[int, int, int]]:
    """How a batch runs, as (first picture, pictures, the size it runs as) for each compiled call: as many of the
    largest of ``sizes`` (``SIZES`` unless given) as fit, and the rest as the next size up."""
    sizes = sizes or SIZES
    parts, start = [], 0
    while batch - start > sizes[-1]:
        parts.append((start, sizes[-1], sizes[-1]))
        start += sizes[-1]
    rest = batch - start
    parts.append((start, rest, next(size for size in sizes if size >= rest)))
    return parts


# a float32 UNet -> (the count of its weights' edits, its text length, its Engine), for as long as the UNet lives
_ENGINES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def engine(unet, length: int) -> Engine:
    """The UNet's engine, made once per UNet, weights and text length (an in-place edit of a weight, such as an
    optimiser's step, makes it again)."""
    from pipeline.unet_calls import weight_edits

    edits = weight_edits(unet)
    held = _ENGINES.get(unet)
    if held is None or held[:2] != (edits, length):
        with _refused_in_one_line():
            held = _ENGINES[unet] = (edits, length, Engine(unet, length))
    return held[2]


@contextlib.contextmanager
def _refused_in_one_line():
    """OpenVINO failing to convert or compile the UNet on this machine: one line that says what to do."""
    from pipeline.errors import UsageError

    try:
        yield
    except UsageError:
        raise
    except Exception as e:  # noqa: BLE001 - OpenVINO's own failures (OpConversionFailure, GeneralFailure, ...)
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise UsageError(f"OpenVINO could not run the UNet here ({first[:200]}); run again with "
                         f"{ENGINE_ENV}=torch to run it in torch instead") from e


def _covered(unet, sample, timestep, states) -> bool:
    """Whether a call is one the converted graph takes: CPU tensors of the UNet's own picture shape, text states,
    and one timestep or one per picture."""
    import torch

    config = unet.config
    side = int(config.sample_size)
    return (isinstance(sample, torch.Tensor) and isinstance(states, torch.Tensor) and sample.device.type == "cpu"
            and sample.dim() == 4 and sample.shape[0] >= 1
            and tuple(sample.shape[1:]) == (int(config.in_channels), side, side)
            and states.dim() == 3 and states.shape[0] == sample.shape[0]
            and states.shape[2] == int(config.cross_attention_dim)
            and torch.as_tensor(timestep).numel() in (1, sample.shape[0]))


def openvino_unet(unet):
    """While open, ``unet`` (float32, left untouched) answers each sampling call from OpenVINO in bfloat16; its
    output is float32. Its weights are read at the first call (as ``precision.bfloat16_unet`` copies them on
    opening): an edit while it is open is seen at the next opening. A call this does not cover (extra arguments,
    gradients, another picture shape, a timestep per picture that is not one or the batch's count) goes to the UNet
    itself."""
    from pipeline.unet_calls import answered_by

    engines = {}  # text length -> its engine, looked up at its first call here (the weights as they are then)

    def answer(sample, timestep, states):
        length = states.shape[1]
        if length not in engines:  # weight_edits walks every module: once a context, not once a call (2 ms each)
            engines[length] = engine(unet, length)
        return engines[length](sample, timestep, states)

    return answered_by(unet, answer, covers=functools.partial(_covered, unet))

"""``python -m pipeline export-web``: the embedded model for the browser, as ONNX files beside the explorer page.

Writes into ``--out`` (default ``media/site/explore``):

- ``text_encoder.onnx``: all-MiniLM-L6-v2, token ids and attention mask (N, 24) in, token states
  (N, 24, 384) out with padding zeroed, exactly what ``TextEncoder.encode`` gives the UNet;
- ``unet.onnx``: the UNet, x_t (N, 3, 32, 32), the timestep (1,) and token states in, v out;
- ``vocab.txt``: the tokenizer's word pieces, one per line (the page's tokenizer reads it);
- ``explore.json``: everything else the page needs to walk as ``ToyWorldPipeline`` walks: the
  schedule (``alphas_cumprod`` as the scheduler holds them, float32), the DDIM settings, the
  tokenizer's rules, the toy world's words, the defaults, and each file's size and sha256.

Weights are stored small and computed in float32: the UNet's convolution and linear weights are
kept in float16, the encoder's linear and embedding weights in int8 with a float16 scale for each
block of 32 weights along a row (symmetric, ``round(w / scale)``, ``scale = max |w| / 127`` over the
block; one scale per whole row left the token states 3 to 8% off torch's, blocks of 32 about 1.5%). Each stored weight feeds
a Cast (and for int8 a Mul by its scale) in the graph, which ONNX Runtime folds into a float32
weight when it loads the file, so every multiply runs in float32 as torch's does; only the
weights' rounding differs. The tests (``tests/test_export_web.py``) bound what that costs in
token states, in one UNet step and in whole walks; ``--unet-weights``/``--encoder-weights`` choose
another form to compare.

``walk`` below runs the exported files with the ``onnxruntime`` package and does the rest of the
walk in numpy, step for step as the page's JavaScript does: the portable noise
(``pipeline.portable_noise``), classifier-free guidance and the DDIM step. The tests hold it
against ``ToyWorldPipeline``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from pipeline import defaults, options
from pipeline.errors import UsageError
from pipeline.files import sha256_of, write_whole

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "media" / "site" / "explore"
WEIGHT_FORMS = ("fp32", "fp16", "int8")
UNET_WEIGHTS = "fp16"  # int8 moves whole walks' pictures too far (the tests measure both)
ENCODER_WEIGHTS = "int8"  # 22.7M weights: 24 MB in int8 blocks, 45 MB in float16
OPSET = 17
INT8_BLOCK = 32  # weights per int8 scale: per-row scales leave the encoder's states 3 to 8% off, blocks of 32 about 1%
FILES = ("text_encoder.onnx", "unet.onnx", "vocab.txt", "explore.json")
FORMAT = 1  # explore.json's layout; the page refuses a file of another


# ----------------------------------------------------------------------------- weights stored small


def _stored(weight, form: str):
    """A module that gives ``weight`` back in float32 from its stored form (exported as Cast, and Mul for int8)."""
    import torch

    class FromHalf(torch.nn.Module):
        def __init__(self, w):
            super().__init__()
            self.register_buffer("stored", w.detach().to(torch.float16))

        def forward(self, original):  # the original float32 weight is not used, so it is not exported
            return self.stored.float()

    class FromInt8(torch.nn.Module):
        """Symmetric int8 with a float16 scale per block of BLOCK weights along each row (the input side)."""

        def __init__(self, w):
            super().__init__()
            w = w.detach().float()
            rows = w.reshape(w.shape[0], -1)
            block = INT8_BLOCK if rows.shape[1] % INT8_BLOCK == 0 else rows.shape[1]
            blocks = rows.reshape(rows.shape[0], -1, block)
            scale = (blocks.abs().amax(dim=2, keepdim=True) / 127.0).clamp(min=1e-8).to(torch.float16)
            self.shape = tuple(w.shape)
            self.register_buffer("q", torch.round(blocks / scale.float()).clamp(-127, 127).to(torch.int8))
            self.register_buffer("scale", scale)

        def forward(self, original):
            return (self.q.float() * self.scale.float()).reshape(self.shape)

    return FromHalf(weight) if form == "fp16" else FromInt8(weight)


def store_weights(module, form: str) -> int:
    """Store every linear, convolution and embedding weight of ``module`` in ``form``; returns how many weights."""
    import torch
    from torch.nn.utils import parametrize

    if form == "fp32":
        return 0
    count = 0
    for sub in list(module.modules()):
        if isinstance(sub, (torch.nn.Linear, torch.nn.Conv2d, torch.nn.Embedding)) and sub.weight.dim() >= 2:
            parametrize.register_parametrization(sub, "weight", _stored(sub.weight, form), unsafe=True)
            count += sub.weight.numel()
    return count


# ----------------------------------------------------------------------------- ONNX export


def _onnx_bytes(module, inputs: tuple, input_names, output_names, dynamic_axes) -> bytes:
    """``torch.onnx.export`` (TorchScript exporter) into bytes, weights as stored, no constant folding.

    Folding would turn the stored weights back into float32; ONNX Runtime folds them when it loads
    the file. torch's exporter ends by parsing its own bytes with the ``onnx`` package only to add
    onnxscript functions, which these graphs have none of; where ``onnx`` is not installed that
    step is skipped and the bytes, a complete ModelProto already, are kept as they are.
    """
    import io

    import torch

    try:
        import onnx  # noqa: F401
        patched = None
    except ImportError:
        from torch.onnx._internal.torchscript_exporter import onnx_proto_utils

        patched = onnx_proto_utils._add_onnxscript_fn
        onnx_proto_utils._add_onnxscript_fn = lambda model_bytes, custom_opsets: model_bytes
    buffer = io.BytesIO()
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on shape checks in diffusers' code
            torch.onnx.export(module, inputs, buffer, dynamo=False, opset_version=OPSET, do_constant_folding=False,
                              input_names=list(input_names), output_names=list(output_names),
                              dynamic_axes=dynamic_axes)
    finally:
        if patched is not None:
            onnx_proto_utils._add_onnxscript_fn = patched
    return buffer.getvalue()


def unet_onnx(unet, form: str = UNET_WEIGHTS) -> bytes:
    import copy

    import torch

    class Step(torch.nn.Module):
        def __init__(self, unet):
            super().__init__()
            self.unet = unet

        def forward(self, sample, timestep, states):
            return self.unet(sample, timestep.expand(sample.shape[0]), encoder_hidden_states=states).sample

    unet = copy.deepcopy(unet).float().eval()
    store_weights(unet, form)
    size = unet.config.sample_size
    example = (torch.zeros(2, unet.config.in_channels, size, size), torch.tensor([999], dtype=torch.int64),
               torch.zeros(2, 24, unet.config.cross_attention_dim))
    batch = {0: "batch"}
    return _onnx_bytes(Step(unet), example, ("sample", "timestep", "states"), ("v",),
                       {"sample": batch, "states": batch, "v": batch})


def text_encoder_onnx(path: Path | None = None, form: str = ENCODER_WEIGHTS) -> bytes:
    import torch
    from transformers import AutoModel

    from pipeline.text_encoder import MAX_TOKENS, encoder_path

    model = AutoModel.from_pretrained(str(path or encoder_path()), local_files_only=True, dtype=torch.float32,
                                      attn_implementation="eager").eval()
    store_weights(model, form)

    class States(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, ids, mask):
            states = self.model(input_ids=ids, attention_mask=mask).last_hidden_state
            return states * mask.unsqueeze(-1).float()  # padding carries nothing, as TextEncoder.encode

    ids = torch.zeros(2, MAX_TOKENS, dtype=torch.int64)
    mask = torch.ones(2, MAX_TOKENS, dtype=torch.int64)
    batch = {0: "batch"}
    return _onnx_bytes(States(model), (ids, mask), ("ids", "mask"), ("states",),
                       {"ids": batch, "mask": batch, "states": batch})


# ----------------------------------------------------------------------------- what the page needs besides


def toy_world_words() -> dict:
    """The toy world's words, for the page to offer: objects, colours, backgrounds, sizes, places."""
    from pipeline import toyworld

    return {
        "objects": list(toyworld.OBJECTS),
        "colours": list(toyworld.COLOURS),
        "backgrounds": [phrases[0] for phrases in toyworld._WORDS_BACKGROUND.values()],
        "sizes": [words[0] for words in toyworld._WORDS_SIZE.values()],
        "positions": [phrases[0] for phrases in toyworld._WORDS_POSITION.values()],
        "examples": [defaults.prompt("walk"), "a yellow fish at sea", "a white house at night",
                     "a big green tree in the day", defaults.prompt("blend"), "a small pink flower on the left"],
    }


def square_roots(scheduler) -> dict:
    """sqrt(a) and sqrt(1 - a) for every entry of the schedule, as DDIMScheduler.step computes them.

    The step takes them as ``tensor ** 0.5`` of 0-dim float32 tensors, which torch does not round as a
    correctly rounded square root does (one ulp apart for some entries), so the page reads torch's own
    values instead of computing them.
    """
    import torch

    alphas = scheduler.alphas_cumprod.float()
    final = torch.as_tensor(scheduler.final_alpha_cumprod, dtype=torch.float32)
    zero = torch.zeros((), dtype=torch.float32)  # eta 0: the step's std_dev_t, squared
    return {"sqrt_alpha": [float(a ** 0.5) for a in alphas],
            "sqrt_one_minus_alpha": [float((1 - a - zero**2) ** 0.5) for a in alphas],
            "sqrt_final_alpha": float(final ** 0.5),
            "sqrt_one_minus_final_alpha": float((1 - final - zero**2) ** 0.5)}


def web_config(pipe, tokenizer, unet_form: str, encoder_form: str, model_dir: Path | None = None) -> dict:
    """explore.json without the files' sizes: the schedule, DDIM's settings, the tokenizer's rules and the words."""
    from pipeline.model_folder import DEFAULT_MODEL_DIR
    from pipeline.text_encoder import MAX_TOKENS, STATE_WIDTH

    scheduler = pipe.scheduler
    config = scheduler.config
    checked = {"prediction_type": "v_prediction", "timestep_spacing": "trailing", "clip_sample": False,
               "thresholding": False, "set_alpha_to_one": True, "steps_offset": 0, "rescale_betas_zero_snr": False}
    for key, wanted in checked.items():
        if config.get(key) != wanted:
            raise UsageError(f"the page walks DDIM with {key}={wanted!r}; this model's scheduler has "
                             f"{config.get(key)!r}: export another model, or teach publish/explore_core.js its step")
    special = {name: tokenizer.convert_tokens_to_ids(getattr(tokenizer, f"{name}_token"))
               for name in ("cls", "sep", "pad", "unk")}
    unet = pipe.unet.config
    return {
        "format": FORMAT,
        "model": os.path.relpath(Path(model_dir or DEFAULT_MODEL_DIR).resolve(), REPO_ROOT),
        "picture": {"channels": unet.in_channels, "size": unet.sample_size},
        "text": {"max_tokens": MAX_TOKENS, "state_width": STATE_WIDTH, "lowercase": True, "strip_accents": True,
                 "chinese_chars": True, "continuing_prefix": "##", "max_word_chars": 100, "special": special},
        "schedule": {"scheduler": type(scheduler).__name__, "num_train_timesteps": int(config.num_train_timesteps),
                     "beta_schedule": config.beta_schedule, "prediction_type": config.prediction_type,
                     "timestep_spacing": config.timestep_spacing, "set_alpha_to_one": True, "eta": 0.0,
                     "final_alpha_cumprod": float(scheduler.final_alpha_cumprod),
                     "alphas_cumprod": [float(a) for a in scheduler.alphas_cumprod.float().numpy()],
                     **square_roots(scheduler)},
        "guidance": "unconditional + guidance * (conditional - unconditional); the unconditional prompt is the "
                    "empty prompt; guidance 1 runs the prompt alone",
        "noise": "torch.randn(shape, generator=torch.Generator().manual_seed(seed)): pipeline/portable_noise.py",
        "defaults": {"prompt": defaults.prompt("walk"), "seed": 0, "steps": defaults.STEPS,
                     "guidance": defaults.GUIDANCE, "max_steps": 100, "max_guidance": 10.0,
                     "max_seed": options.MAX_SEED},
        "weights": {"unet": unet_form, "text_encoder": encoder_form},
        "words": toy_world_words(),
    }


# ----------------------------------------------------------------------------- the command


def export_web(out: Path, model_dir: Path | None = None, unet_form: str = UNET_WEIGHTS,
               encoder_form: str = ENCODER_WEIGHTS, progress: bool = True) -> dict:
    """Write the four files into ``out`` (each whole, or not at all); returns explore.json's content."""
    from tqdm import tqdm

    from pipeline.model_folder import model_index

    out = Path(out)
    # another kind of pipeline is refused from its index, before any of it (or diffusers) is loaded; a missing or
    # damaged model is one line, before anything is shown or written
    index = model_index(model_dir)
    pixels = "the explorer walks in pixels, as ToyWorldPipeline does"
    advice = "export the pixel model (the default, model/toyworld-diffusion)"
    if index.get("_class_name") != "ToyWorldPipeline" or "vae" in index:
        raise UsageError(f"{pixels}: {model_dir} is a {str(index.get('_class_name'))[:80]!r}; {advice}")
    from pipeline.model import load_pipeline, shared_text_encoder
    from pipeline.text_encoder import encoder_path

    pipe = load_pipeline(model_dir)
    unet_shape = (pipe.unet.config.in_channels, pipe.unet.config.out_channels, pipe.unet.config.sample_size)
    if unet_shape != (3, 3, 32):
        raise UsageError(f"{pixels}: {model_dir} has a UNet of {unet_shape[0]} channels at {unet_shape[2]}; {advice}")
    tokenizer = shared_text_encoder().tokenizer
    config = web_config(pipe, tokenizer, unet_form, encoder_form, model_dir)
    with tqdm(total=4, desc="export-web", unit="file", disable=not progress) as bar:
        out.mkdir(parents=True, exist_ok=True)
        bar.set_postfix_str("text encoder")
        write_whole(out / "text_encoder.onnx", text_encoder_onnx(encoder_path(), encoder_form))
        bar.update()
        bar.set_postfix_str("unet")
        write_whole(out / "unet.onnx", unet_onnx(pipe.unet, unet_form))
        bar.update()
        vocab = [token for token, _ in sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])]
        if any("\n" in token for token in vocab):
            raise UsageError("the tokenizer's vocabulary has a word piece with a line break: it cannot be vocab.txt")
        write_whole(out / "vocab.txt", "\n".join(vocab) + "\n")
        bar.update()
        config["files"] = {name: {"bytes": (out / name).stat().st_size, "sha256": sha256_of(out / name)}
                           for name in FILES[:3]}
        write_whole(out / "explore.json", json.dumps(config, indent=1) + "\n")
        bar.update()
    return config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=options.folder_to_write("--out"), default=DEFAULT_OUT,
                        help=f"folder to write the files into (default: {os.path.relpath(DEFAULT_OUT)})")
    parser.add_argument("--model", type=Path, default=None, metavar="DIR",
                        help="model folder (default: the embedded model, model/toyworld-diffusion)")
    parser.add_argument("--unet-weights", choices=WEIGHT_FORMS, default=UNET_WEIGHTS,
                        help=f"how the UNet's weights are stored (default: {UNET_WEIGHTS})")
    parser.add_argument("--encoder-weights", choices=WEIGHT_FORMS, default=ENCODER_WEIGHTS,
                        help=f"how the text encoder's weights are stored (default: {ENCODER_WEIGHTS})")


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    progress = os.environ.get("CI") != "true"
    config = export_web(args.out, args.model, args.unet_weights, args.encoder_weights, progress=progress)
    sizes = ", ".join(f"{name} {entry['bytes'] / 1e6:.1f} MB" for name, entry in config["files"].items())
    print(f"export-web: {args.out}/ ({sizes}; {time.monotonic() - started:.1f} s)")
    return 0

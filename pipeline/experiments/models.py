"""The model a capture studies: the embedded toy-world model, its latent twin, or a local diffusers text-to-image folder of a family the recorder follows (pipeline/families.py: Stable Diffusion 1.x/2.x, SDXL, SD3, Flux, PRX, PRXPixel, Z-Image), with the identity that names its captures.

A model's identity in a spec is a hash of its weight files and a revision (the snapshot's
name in a Hugging Face cache, otherwise a hash of its configuration files), so a retrained
or edited model makes new captures and an unchanged one reads the old ones back. The
pipeline itself is loaded only when something must be computed: a cache hit needs none.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from pipeline import families, recorder
from pipeline.errors import UsageError

EMBEDDED = families.EMBEDDED
# The embedded model's latent twin (pipeline/latent.py): the toy world's text encoder and pictures, walked in
# an autoencoder's latents; recorded as a Stable Diffusion folder is.
LATENT_TWIN = families.LATENT_TWIN
TOYWORLD = (EMBEDDED, LATENT_TWIN)
# Text-to-image pipelines whose loop the recorder follows (one denoiser call per step, or two for Flux's
# true guidance, then scheduler.step, then callback_on_step_end), loaded with diffusers from a folder.
DIFFUSERS_PIPELINES = tuple(name for name in families.PIPELINES if name not in TOYWORLD)
SUPPORTED = families.PIPELINES
_WEIGHT_SUFFIXES = {".safetensors", ".bin", ".ckpt", ".pt", ".pth", ".msgpack", ".onnx", ".gguf"}
_HASH_CACHE: dict[tuple, tuple[str, str]] = {}
_OPEN: dict[str, "Model"] = {}


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()
                  and not any(part.startswith(".") or part == "__pycache__" for part in p.relative_to(folder).parts))


def folder_hashes(folder: Path) -> tuple[str, str]:
    """(sha256 of the weight files, sha256 of everything else), each over relative names and bytes."""
    files = _files(folder)
    key = (str(folder.resolve()), tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files))
    if key not in _HASH_CACHE:
        weights, configs = hashlib.sha256(), hashlib.sha256()
        for path in files:
            digest = weights if path.suffix in _WEIGHT_SUFFIXES else configs
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            try:
                with open(path, "rb") as f:
                    for block in iter(lambda: f.read(1 << 22), b""):
                        digest.update(block)
            except OSError as e:
                raise UsageError(f"model file {path} cannot be read ({e.strerror or e})") from None
        _HASH_CACHE[key] = (weights.hexdigest(), configs.hexdigest())
    return _HASH_CACHE[key]


def _read_index(folder: Path) -> dict:
    """The folder's model_index.json, checked: the one place that says which pipeline it holds."""
    from pipeline.model_folder import read_model_index

    data = read_model_index(folder, advice="copy the folder again from where it came from")
    if not isinstance(data.get("_class_name"), str):
        raise UsageError(f"{folder / 'model_index.json'} does not name a pipeline class (_class_name)")
    if data["_class_name"] not in SUPPORTED:
        raise UsageError(f"{folder} holds a {data['_class_name']}, which capture does not support; "
                         f"it records {', '.join(SUPPORTED)}")
    return data


def _scheduler_spec(folder: Path, index: dict) -> dict:
    entry = index.get("scheduler")
    config_file = folder / "scheduler" / "scheduler_config.json"
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        reason = getattr(e, "strerror", None) or str(e).splitlines()[0]
        raise UsageError(f"{config_file} cannot be read ({reason})") from None
    name = entry[1] if isinstance(entry, list) and len(entry) == 2 else config.get("_class_name")
    return {"class": name, "config": {k: v for k, v in config.items() if not k.startswith("_")}}


def _encoder_identity() -> dict:
    """The embedded model's text encoder lives in its own package, so its weights join the identity."""
    from pipeline.text_encoder import ENCODER_NAME, encoder_path

    path = encoder_path()
    weights, configs = folder_hashes(path)
    return {"name": ENCODER_NAME, "weights_sha256": weights, "config_sha256": configs}


@dataclass
class Model:
    """A model folder, opened: its identity for specs, and its pipeline once something is computed."""

    folder: Path
    pipeline_class: str
    identity: dict
    _pipe: object = None

    @property
    def is_embedded(self) -> bool:
        """One of the project's own toy-world models (the pixel model or its latent twin): MiniLM prompts,
        toy-world pictures the judge can read, noise drawn by the project's own function."""
        return self.pipeline_class in TOYWORLD

    @property
    def is_latent(self) -> bool:
        """The walk happens in a VAE's latents (seen through its decoder), not in pixels (the embedded model,
        PRXPixel)."""
        return not families.family_of(self.pipeline_class).pixels

    @property
    def pipe(self):
        if self._pipe is None:
            self._pipe = _load(self.folder, self.pipeline_class)
        return self._pipe

    @property
    def state_shape(self) -> tuple[int, int, int]:
        """(C, h, w) of the states the model walks through at its own picture size: pixels for a pixel model,
        latents otherwise (unpacked where the pipeline packs them)."""
        return self.state_shape_at(None)

    def state_shape_at(self, size: tuple[int, int] | None) -> tuple[int, int, int]:
        """(C, h, w) of the states for pictures of ``size`` (height, width); None: the model's own size."""
        if self.is_embedded:
            config = self.pipe.unet.config
            return (int(config.in_channels), int(config.sample_size), int(config.sample_size))
        return families.state_shape(self.pipe, *(size or (None, None)))

    def generators(self, seeds) -> list[torch.Generator]:
        """One CPU generator per picture, so a seed gives the same noise on every machine."""
        return [torch.Generator().manual_seed(int(s)) for s in seeds]

    def start_noise(self, seeds, size: tuple[int, int] | None = None) -> torch.Tensor:
        """The starting noise (B, C, h, w) the pipeline itself draws for these seeds (and picture size), with its
        own function, dtype and scale."""
        shape = (len(seeds), *self.state_shape_at(size))
        pipe = self.pipe
        if self.is_embedded:
            from pipeline.model import starting_noise

            return starting_noise(shape, self.generators(seeds), pipe.device, pipe.unet.dtype).float().cpu()
        from diffusers.utils.torch_utils import randn_tensor

        noise = randn_tensor(shape, generator=self.generators(seeds), device=pipe.device,
                             dtype=families.noise_dtype(pipe))
        scale = families.start_scale(pipe)
        return (noise if scale == 1.0 else noise * scale).float().cpu()

    def check_prompt(self, prompt: str) -> None:
        """Refuse a prompt longer than the text encoder takes, loading only its tokenizer."""
        if self.is_embedded:
            from pipeline.model import shared_text_encoder

            shared_text_encoder().check([prompt])
            return
        if self.pipeline_class != "StableDiffusionPipeline":  # several encoders, templates: the pipeline's own
            families.check_prompt(self.pipe, prompt)
            return
        if self._pipe is not None:
            tokenizer = self._pipe.tokenizer
        else:
            from transformers import AutoTokenizer

            try:
                tokenizer = AutoTokenizer.from_pretrained(str(self.folder / "tokenizer"), local_files_only=True)
            except Exception as e:  # a damaged tokenizer folder is one more way the model folder cannot be read
                reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                raise UsageError(f"the tokenizer in {self.folder} cannot be loaded ({reason[:200]})") from None
        recorder.check_prompt_length(tokenizer, prompt)

    def encode(self, prompts: list[str]) -> recorder.PromptRecord:
        return recorder.encode_prompts(self.pipe, prompts)

    def walk(self, *, steps: int, guidance: float, seeds=None, prompts=None, prompt_embeds=None, latents=None,
             generators=None, eta: float = 0.0, on_step_end=None, progress=None,
             size: tuple[int, int] | None = None) -> recorder.Walk:
        """One recorded pipeline call. Pictures get the seeds' generators unless ``generators`` is given;
        ``latents`` are (B, C, h, w) states, packed here for a pipeline that packs them; ``size`` is the
        pictures' (height, width), the model's own when None."""
        pipe = self.pipe
        dtype = families.noise_dtype(pipe) if families.family_of(pipe).name == "z-image" \
            else families.denoiser(pipe).dtype
        if generators is None and seeds is not None:
            generators = self.generators(seeds)
        if latents is not None:
            latents = families.pack(pipe, latents.to(pipe.device, dtype))
        if prompt_embeds is not None:
            if not families.takes_prompt_vectors(pipe):
                raise UsageError(f"a walk from prompt vectors alone (the blend's) needs a Stable Diffusion 1.x/2.x "
                                 f"or embedded model; {type(pipe).__name__} also needs its pooled vector or mask")
            prompt_embeds = prompt_embeds.to(pipe.device, families.denoiser(pipe).dtype)
        options = {} if size is None else {"height": int(size[0]), "width": int(size[1])}
        return recorder.record(pipe, num_inference_steps=int(steps), guidance_scale=float(guidance),
                               generator=generators, prompt=prompts, prompt_embeds=prompt_embeds, latents=latents,
                               eta=float(eta), on_step_end=on_step_end, progress=progress, **options)

    def pictures(self, states: torch.Tensor) -> np.ndarray:
        """States (..., C, h, w) as uint8 pictures (..., H, W, 3): pixels directly, latents through the VAE."""
        return recorder.pictures(self.pipe, states)

    def latents(self, pictures: np.ndarray) -> torch.Tensor:
        """uint8 pictures (..., H, W, 3) as the states a latent model walks through (..., C, h, w): the VAE's
        posterior mean, scaled as the UNet sees it; a pixel model's states are the pictures themselves."""
        return recorder.latents(self.pipe, pictures)


def _load(folder: Path, pipeline_class: str):
    """The pipeline itself; any failure to load a user's folder is one line naming the folder."""
    if pipeline_class == EMBEDDED:
        from pipeline.model import load_pipeline

        return load_pipeline(folder)
    if pipeline_class == LATENT_TWIN:
        from pipeline.latent import load_latent_pipeline

        return load_latent_pipeline(folder)
    from diffusers import DiffusionPipeline
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # its loading bar on stderr would break the one-line errors
    # ... and so would the libraries' own warnings and errors while a folder loads (a missing optional package, a
    # file they looked for: diffusers logs "An error occurred while trying to fetch" at error level before it
    # raises): what matters is said in our one line
    transformers_logging.set_verbosity_error()
    diffusers_logging.set_verbosity_error()
    quiet = logging.CRITICAL + 1
    before = diffusers_logging.get_verbosity(), transformers_logging.get_verbosity()
    diffusers_logging.set_verbosity(quiet)
    transformers_logging.set_verbosity(quiet)
    try:
        # safetensors only: a pickle .bin can run code when loaded, so a folder with only those is refused
        # the class model_index.json names, already checked against the families the recorder follows
        pipe = DiffusionPipeline.from_pretrained(str(folder), local_files_only=True, use_safetensors=True)
    except Exception as e:  # diffusers raises many kinds for a damaged folder; all mean "cannot load it"
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UsageError(f"model folder {folder} cannot be loaded ({reason[:200]})") from None
    finally:
        diffusers_logging.set_verbosity(before[0])
        transformers_logging.set_verbosity(before[1])
    if type(pipe).__name__ not in DIFFUSERS_PIPELINES:
        raise UsageError(f"{folder} loads as a {type(pipe).__name__}, which capture does not support; "
                         f"it records {', '.join(SUPPORTED)}")
    recorder.noise_family(pipe.scheduler)  # refuse an unsupported scheduler now, not mid-run
    families.check_requirements(pipe)
    pipe.set_progress_bar_config(disable=True)
    return pipe.to("cuda" if torch.cuda.is_available() else "cpu")


def open_model(folder: Path | str | None = None) -> Model:
    """The model in ``folder`` (default: the embedded one), checked and identified, loaded lazily."""
    from pipeline.model_folder import DEFAULT_MODEL_DIR

    folder = Path(folder) if folder is not None else DEFAULT_MODEL_DIR
    try:
        key = str(folder.resolve())
    except (RuntimeError, OSError) as exc:  # a loop of symbolic links
        raise UsageError(f"model folder {folder} cannot be followed ({exc}): give a model folder") from None
    if key in _OPEN:
        return _OPEN[key]
    index = _read_index(folder)
    if index["_class_name"] == LATENT_TWIN:
        from pipeline.latent import check_latent_folder

        check_latent_folder(folder, index)
    scheduler = _scheduler_spec(folder, index)
    recorder.check_scheduler(scheduler["class"], scheduler["config"])  # no way to x0-hat: refused before loading
    weights, configs = folder_hashes(folder)
    snapshot = folder.resolve().parent.name == "snapshots"  # a Hugging Face cache names its revision
    identity = {
        "pipeline": index["_class_name"],
        "name": folder.resolve().name if not snapshot else folder.resolve().parent.parent.name,
        "weights_sha256": weights,
        "revision": folder.resolve().name if snapshot else f"config-{configs[:16]}",
        "scheduler": scheduler,
        "device": "cpu" if index["_class_name"] in TOYWORLD or not torch.cuda.is_available() else "cuda",
    }
    if index["_class_name"] in TOYWORLD:
        identity["text_encoder"] = _encoder_identity()
    model = Model(folder, index["_class_name"], identity)
    _OPEN[key] = model
    return model


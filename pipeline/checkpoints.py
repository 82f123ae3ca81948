"""Training state on disk, and a trained model folder put into place: shared by both trainers.

State is a pair of files: ``<name>.safetensors`` (the tensors: no pickle, so a crafted file
cannot run code) and ``<name>.json`` beside it (everything else), written after the tensors and
naming their sha256, so that a torn or truncated pair is refused in one line, never half-loaded.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import torch

from pipeline.errors import UsageError
from pipeline.files import sha256_of, write_whole, written


def leave_signals_to_main(_worker: int) -> None:
    """A picture-making worker's start (a DataLoader's ``worker_init_fn``): it ignores Ctrl-C and SIGTERM. A terminal
    sends both to the whole process group; the trainer saves its state and says where to resume, then ends its
    workers itself. A worker killed by them would instead make the trainer fail with a DataLoader traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def record_path(tensor_path: Path) -> Path:
    return Path(tensor_path).with_suffix(".json")


def read_record(tensor_path: Path) -> dict | None:
    """The JSON half of a saved state (to compare its settings before loading the tensors); None if absent."""
    path = record_path(tensor_path)
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise UsageError(f"checkpoint {path} is damaged ({str(e).splitlines()[0][:120]}): "
                         f"remove {path.parent} or pass --fresh to start again") from None
    return record


def save_state(tensor_path: Path, tensors: dict[str, torch.Tensor], record: dict) -> None:
    """Write a state whole: the tensors, then the record that names their checksum."""
    from safetensors.torch import save_file

    tensor_path = Path(tensor_path)
    with written(tensor_path) as tmp:
        save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp))
        digest = sha256_of(tmp)
    write_whole(record_path(tensor_path), json.dumps({**record, "tensors_sha256": digest}, indent=1) + "\n")


def load_state(tensor_path: Path) -> tuple[dict[str, torch.Tensor], dict] | None:
    """A saved state, checked; None when there is none. Damage is one line naming the fix."""
    from safetensors.torch import load_file

    tensor_path = Path(tensor_path)
    record = read_record(tensor_path)
    if record is None:
        return None
    fix = f"remove {tensor_path.parent} or pass --fresh to start again"
    try:
        if sha256_of(tensor_path) != record.get("tensors_sha256"):
            raise ValueError("its tensors do not match its record")
        tensors = load_file(str(tensor_path))
    except (OSError, ValueError) as e:
        raise UsageError(f"checkpoint {record_path(tensor_path)} is damaged ({str(e).splitlines()[0][:120]}): "
                         f"{fix}") from None
    except Exception as e:  # safetensors' own errors for a truncated or foreign file
        raise UsageError(f"checkpoint {tensor_path} is damaged ({type(e).__name__}): {fix}") from None
    return tensors, record


def optimiser_tensors(optimiser: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    """An optimiser's state as named tensors and a JSON-able rest (its param groups and plain numbers)."""
    state = optimiser.state_dict()
    tensors, plain = {}, {}
    for index, slots in state["state"].items():
        for key, value in slots.items():
            if torch.is_tensor(value):
                tensors[f"optimiser.{index}.{key}"] = value
            else:
                plain[f"{index}.{key}"] = value
    return tensors, {"param_groups": state["param_groups"], "plain": plain}


def restore_optimiser(optimiser: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], rest: dict) -> None:
    state: dict[int, dict] = {}
    for name, value in tensors.items():
        if name.startswith("optimiser."):
            index, key = name[len("optimiser."):].split(".", 1)
            state.setdefault(int(index), {})[key] = value
    for name, value in rest["plain"].items():
        index, key = name.split(".", 1)
        state.setdefault(int(index), {})[key] = value
    optimiser.load_state_dict({"state": state, "param_groups": rest["param_groups"]})


def all_finite(*modules: torch.nn.Module) -> bool:
    return all(bool(torch.isfinite(p).all()) for module in modules for p in module.state_dict().values()
               if p.is_floating_point())


def install_folder(staging: Path, out: Path) -> None:
    """Put a model folder written at ``staging`` in place of ``out``: the old one is moved aside first and
    removed only once the new one is in place, so a failure never leaves no model. Its files are made
    readable by everyone (diffusers writes weights private)."""
    mask = os.umask(0)
    os.umask(mask)
    for path in Path(staging).rglob("*"):
        if path.is_file():
            os.chmod(path, 0o666 & ~mask)
    old = out.with_name(out.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        os.replace(out, old)
    os.replace(staging, out)
    shutil.rmtree(old, ignore_errors=True)

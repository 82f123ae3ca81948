"""The data contract: how a capture of a real run is written to disk, atomically, and read back, checked.

A capture is a folder ``<root>/<name>-<spec hash>/`` holding ``manifest.json`` (what was
run, with which versions, what each array means, the facts the film quotes, and a checksum)
and ``arrays.npz``. ``<root>/<name>.current`` names the folder that scenes should read.

A capture folder is written whole as a folder (filled under a temporary name, then renamed into
place); the pointer is written whole as a file, through ``pipeline.files``.

This module needs numpy and the standard library only, so that a scene can read captures
without torch or diffusers being importable.
"""

from __future__ import annotations

import glob
import hashlib
import io
import json
import os
import platform
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.files import (
    TooMuch,
    dead_writers_leftovers,
    fsync_dir,
    read_json,
    sha256_of,
    sweep_leftovers,
    tmp_prefix,
    write_whole,
)

# 2: the checksum covers the manifest's own content (spec, facts, meanings) as well as the arrays
SCHEMA_VERSION = 2
MANIFEST = "manifest.json"
ARRAYS = "arrays.npz"
POINTER_SUFFIX = ".current"
# What a capture's files may be, read before anything is parsed: the film's largest manifest is about 30 KB, so a
# manifest of megabytes or nested past a few levels is not one latent-walk wrote. An array's .npy entry is its data
# (as its manifest's shape and dtype imply) plus a header of at most a few hundred bytes; all of them together at
# most ARRAYS_BYTES once unpacked.
MANIFEST_BYTES = 8 << 20
MANIFEST_DEPTH = 32
NPY_HEADER_ROOM = 64 << 10
ARRAYS_BYTES = 16 << 30
# Zip entries carry a timestamp; a fixed one makes the same arrays give the same file bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class CaptureError(Exception):
    """A capture is missing or cannot be trusted; the message is one line naming the file and the fix."""


class NewerCaptureError(CaptureError):
    """A capture written by a newer latent-walk: kept as it is (it is not damaged), and not read."""


@dataclass(frozen=True)
class Fact:
    """A number the film quotes, with its unit and one line on what it measures."""

    value: Any
    unit: str
    meaning: str


@dataclass(frozen=True)
class Capture:
    """A capture read back and checked: its folder, spec, facts, arrays and what they mean."""

    path: Path
    spec: dict
    facts: dict[str, Fact]
    arrays: Mapping[str, np.ndarray]
    meanings: dict[str, str]
    manifest: dict

    @property
    def name(self) -> str:
        return self.manifest["name"]

    @property
    def spec_hash(self) -> str:
        return self.manifest["spec_hash"]


# ----------------------------------------------------------------------------- naming


def _plain(value: Any) -> Any:
    """numpy scalars and arrays to their JSON equivalents, so specs may hold them."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be stored in a capture's JSON: {value!r}")


def canonical_json(obj: Any) -> str:
    """One spelling per value: sorted keys, no spaces, no NaN, so equal specs hash equally."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False, default=_plain)


SPEC_HASH_LENGTH = 12  # hex characters of a spec's sha256 in its capture's folder name


def spec_hash(spec: dict) -> str:
    """The capture's identity: 12 hex characters of the sha256 of the spec's canonical JSON."""
    return hashlib.sha256(canonical_json(spec).encode("utf-8")).hexdigest()[:SPEC_HASH_LENGTH]


def capture_path(root: Path | str, name: str, spec: dict) -> Path:
    """Where the capture of this spec lives (whether or not it has been made)."""
    return Path(root) / f"{name}-{spec_hash(spec)}"


def check_pointer(root: Path | str, name: str) -> Path:
    """The pointer's path, once it is sure it can be written: a folder in its place is one line, before any work."""
    pointer = pointer_path(root, name)
    if pointer.is_dir():
        raise CaptureError(f"{pointer}: is a folder, where latent-walk keeps the file naming the current {name} "
                           "capture; move it away and run again")
    return pointer


def pointer_path(root: Path | str, name: str) -> Path:
    """The small text file naming the capture folder that is current for ``name``."""
    return Path(root) / f"{name}{POINTER_SUFFIX}"


def _capture_command(name: str | None, force: bool) -> str:
    command = f"python -m pipeline capture {name or '<experiment>'}"
    return command + " --force" if force else command


# ----------------------------------------------------------------------------- writing


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """An .npz that np.load reads, with fixed entry times so equal arrays give equal bytes."""
    with open(path, "wb") as f:  # open() honours the umask, unlike mkstemp
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as zf:
            for key in sorted(arrays):
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.ascontiguousarray(arrays[key]), allow_pickle=False)
                info = zipfile.ZipInfo(f"{key}.npy", date_time=_ZIP_TIME)
                info.external_attr = 0o644 << 16
                zf.writestr(info, buffer.getvalue())
        f.flush()
        os.fsync(f.fileno())




def set_current(root: Path | str, name: str, folder: Path | str, touch: bool = False) -> Path:
    """Point ``<root>/<name>.current`` at ``folder``, rewriting it only when that changes it.

    Make compares the pointer's time with the chapters built from it, so an unchanged
    pointer must keep its time; ``touch`` rewrites it anyway, for a capture recomputed in place.
    """
    pointer = check_pointer(root, name)
    text = Path(folder).name + "\n"
    try:
        unchanged = pointer.read_text(encoding="utf-8") == text
    except OSError:
        unchanged = False
    if not unchanged or touch:
        write_whole(pointer, text)
    return pointer


def _versions(extra: dict[str, str] | None) -> dict[str, str]:
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    versions.update({k: str(v) for k, v in (extra or {}).items()})
    return versions


def capture_glob(name: str) -> str:
    """The glob of ``name``'s capture folders, ``<name>-<12 hex digits of its spec hash>``, and nothing else: what
    leftovers of its writers are named after (a user's ``.tmp-<pid>-<name>-notes.txt`` is not one of them)."""
    return f"{glob.escape(name)}-" + "[0-9a-f]" * SPEC_HASH_LENGTH


def recover_replaced(root: Path | str, name: str) -> list[Path]:
    """Put back the captures of ``name`` that a writer killed mid-replacement had moved aside: ``write_capture``
    renames the old folder to ``.tmp-<pid>-<folder>.<random>.old`` before renaming the new one into place, so a kill
    between the two renames leaves the old one, whole, under that name and nothing under its own. Only a dead
    writer's, and only where nothing has taken the name since; returns the folders put back."""
    root = Path(root)
    restored = []
    for entry, rest in dead_writers_leftovers(root, f"{capture_glob(name)}.*.old"):
        if not entry.is_dir():
            continue
        final = root / rest.split(".", 1)[0]  # <name>-<spec hash>: no dots in it
        if not final.exists():
            try:
                os.rename(entry, final)
                restored.append(final)
            except OSError:
                continue
    return restored


def write_capture(root: Path | str, name: str, spec: dict, arrays: dict[str, np.ndarray],
                  meanings: dict[str, str], facts: dict[str, Fact],
                  versions: dict[str, str] | None = None) -> Path:
    """Write a capture atomically and make it current; returns its folder.

    Everything goes into a temporary sibling folder first, is flushed to disk, and is then
    renamed into place, so a reader sees either the whole capture or none of it. An
    exception or Ctrl-C on the way removes the temporary folder.
    """
    root = Path(root)
    missing = sorted(set(arrays) - set(meanings))
    if missing:
        raise ValueError(f"every array needs a meaning; none given for {missing}")
    for key, fact in facts.items():
        if not isinstance(fact, Fact):
            raise TypeError(f"fact {key!r} must be a Fact(value, unit, meaning), not {type(fact).__name__}")
    spec = json.loads(canonical_json(spec))  # what is stored is exactly what was hashed
    arrays = {k: np.asarray(v) for k, v in arrays.items()}
    _refuse_non_finite(name, arrays, facts)
    final = root / f"{name}-{spec_hash(spec)}"
    root.mkdir(parents=True, exist_ok=True)
    # what writers of this capture that were killed left behind (a live writer's work is left alone); a capture a
    # killed --force had moved aside goes back to its name first, so the only whole copy is never swept
    recover_replaced(root, name)
    sweep_leftovers(root, capture_glob(name))
    sweep_leftovers(root, pointer_path(root, name).name)
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=tmp_prefix(final.name)))
    old = None
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private; a capture is for every reader
        _write_npz(tmp / ARRAYS, arrays)
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "name": name,
            "spec_hash": spec_hash(spec),
            "spec": spec,
            "versions": _versions(versions),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "arrays": {
                k: {"shape": list(a.shape), "dtype": a.dtype.str, "meaning": meanings[k]}
                for k, a in sorted(arrays.items())
            },
            "facts": {k: {"value": f.value, "unit": f.unit, "meaning": f.meaning} for k, f in sorted(facts.items())},
        }
        # Both the arrays' bytes and everything the manifest says of them (spec, facts, meanings):
        # an edited number is a damaged capture, not a cached one.
        manifest["checksum"] = {"file": ARRAYS, "sha256": sha256_of(tmp / ARRAYS),
                                "manifest_sha256": _manifest_sha256(manifest)}
        text = json.dumps(manifest, indent=2, sort_keys=False, ensure_ascii=False, allow_nan=False, default=_plain)
        with open(tmp / MANIFEST, "w", encoding="utf-8") as f:
            f.write(text + "\n")
            f.flush()
            os.fsync(f.fileno())
        fsync_dir(tmp)
        if final.exists():
            # A recomputation of the same spec (--force, or a damaged one): move the old one
            # aside first, since a folder cannot be renamed onto a folder that has files.
            old = Path(str(tmp) + ".old")
            os.rename(final, old)
        os.rename(tmp, final)
        fsync_dir(root)
    except BaseException as error:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not final.exists():
            os.rename(old, final)  # put the old capture back rather than leave nothing
        if isinstance(error, OSError):
            raise CaptureError(f"{root}: the {name} capture could not be written ({error.strerror or error}); "
                               "nothing was kept") from None
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    set_current(root, name, final, touch=old is not None)
    return final


# ----------------------------------------------------------------------------- reading


def _manifest_sha256(manifest: dict) -> str:
    """sha256 of the manifest's own content: every field but the checksum, as canonical JSON."""
    content = {k: v for k, v in manifest.items() if k != "checksum"}
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def _refuse_non_finite(name: str, arrays: Mapping[str, np.ndarray], facts: Mapping[str, Fact]) -> None:
    """A run that produced NaN or infinity is no record of anything: it is refused, never written."""
    for key, array in sorted(arrays.items()):
        if array.dtype.kind in "fc" and not np.all(np.isfinite(array)):
            bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
            raise CaptureError(f"the {name} run produced {bad} numbers that are not finite (NaN or infinity) in "
                               f"{key!r}, so nothing was written; a setting is out of range (a guidance this "
                               "large overflows, for one)")
    for key, fact in sorted(facts.items()):
        value = fact.value
        if isinstance(value, float) and not np.isfinite(value):
            raise CaptureError(f"the {name} run's fact {key!r} is {value}, so nothing was written")


def _resolve(path_or_root: Path | str, name: str | None) -> Path:
    if name is None:
        return Path(path_or_root)
    pointer = pointer_path(path_or_root, name)
    try:
        folder = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise CaptureError(f"{pointer}: no {name} capture yet; run: {_capture_command(name, False)}") from None
    except OSError as e:
        raise CaptureError(f"{pointer}: cannot be read ({e.strerror}); run: {_capture_command(name, True)}") from None
    if not folder or "/" in folder or folder.startswith("."):
        raise CaptureError(f"{pointer}: does not name a capture folder; run: {_capture_command(name, True)}")
    path = Path(path_or_root) / folder
    if not path.is_dir():
        raise CaptureError(f"{pointer}: names {folder}, which is missing; run: {_capture_command(name, True)}")
    return path


def _name_from_folder(path: Path) -> str | None:
    stem, dash, digest = path.name.rpartition("-")
    return stem if dash and len(digest) == 12 else None


def read_capture(path_or_root: Path | str, name: str | None = None,
                 expected_arrays: Iterable[str] = ()) -> Capture:
    """Read a capture folder (or, given ``name``, the one ``<root>/<name>.current`` names), checked.

    Checks: manifest present and valid JSON, same schema version, checksum of arrays.npz,
    the npz loads, and every expected array is there with the shape and dtype the manifest
    records. Any failure raises CaptureError with one line naming the file and the fix.
    """
    path = _resolve(path_or_root, name)
    guess = name or _name_from_folder(path)
    redo = _capture_command(guess, True)
    manifest_file, arrays_file = path / MANIFEST, path / ARRAYS

    try:
        manifest = read_json(manifest_file, MANIFEST_BYTES, MANIFEST_DEPTH)
    except FileNotFoundError:
        raise CaptureError(f"{manifest_file}: missing, so this is no capture; run: {redo}") from None
    except TooMuch as e:  # a pipe or a device, too large, too deep
        raise CaptureError(f"{manifest_file}: {e}, so it is no manifest latent-walk wrote; run: {redo}") from None
    except (OSError, ValueError) as e:  # not UTF-8, not JSON
        raise CaptureError(f"{manifest_file}: not valid JSON ({e}); run: {redo}".replace("\n", " ")) from None
    if not isinstance(manifest, dict):
        raise CaptureError(f"{manifest_file}: not a manifest (a JSON object); run: {redo}")
    guess = manifest.get("name") if isinstance(manifest.get("name"), str) else guess
    redo = _capture_command(guess, True)

    version = manifest.get("schema_version")
    if not isinstance(version, int):
        raise CaptureError(f"{manifest_file}: has no schema_version; run: {redo}")
    if version > SCHEMA_VERSION:
        raise NewerCaptureError(f"{manifest_file}: schema {version} was made by a newer latent-walk "
                           f"(this one reads schema {SCHEMA_VERSION}); update latent-walk, or run: {redo}")
    if version < SCHEMA_VERSION:
        raise CaptureError(f"{manifest_file}: schema {version} was made by an older latent-walk "
                           f"(this one reads schema {SCHEMA_VERSION}); run: {redo}")
    for key, kind in (("name", str), ("spec", dict), ("arrays", dict), ("facts", dict), ("checksum", dict)):
        if not isinstance(manifest.get(key), kind):
            raise CaptureError(f"{manifest_file}: field {key!r} is missing or malformed; run: {redo}")

    if manifest["checksum"].get("manifest_sha256") != _manifest_sha256(manifest):
        raise CaptureError(f"{manifest_file}: its spec, facts or meanings do not match its checksum (damaged or "
                           f"edited); run: {redo}")
    expected_sum = manifest["checksum"].get("sha256")
    try:
        actual_sum = sha256_of(arrays_file)
    except FileNotFoundError:
        raise CaptureError(f"{arrays_file}: missing; run: {redo}") from None
    if actual_sum != expected_sum:
        raise CaptureError(f"{arrays_file}: checksum does not match {MANIFEST} (damaged or edited); run: {redo}")

    index = manifest["arrays"]
    try:
        with np.load(arrays_file, allow_pickle=False) as npz:
            _check_entries(npz.zip, index, arrays_file, redo)
            arrays = {key: npz[key] for key in index}  # only what the manifest names, each within its size
    except CaptureError:
        raise
    except Exception as e:  # zipfile, format and OS errors all mean the same thing here
        raise CaptureError(f"{arrays_file}: cannot be read as .npz ({type(e).__name__}: {e}); run: {redo}"
                           .replace("\n", " ")) from None

    for key in list(expected_arrays):
        if key not in index:
            raise CaptureError(f"{manifest_file}: has no array {key!r}, which is needed; run: {redo}")
    for key, entry in index.items():
        if key not in arrays:
            raise CaptureError(f"{arrays_file}: array {key!r} listed in {MANIFEST} is missing; run: {redo}")
        array = arrays[key]
        shape, dtype = list(array.shape), array.dtype.str
        if not isinstance(entry, dict) or entry.get("shape") != shape or entry.get("dtype") != dtype:
            raise CaptureError(f"{arrays_file}: array {key!r} is {shape} {dtype}, but {MANIFEST} records "
                               f"{entry.get('shape') if isinstance(entry, dict) else entry} "
                               f"{entry.get('dtype') if isinstance(entry, dict) else ''}; run: {redo}")
        array.flags.writeable = False  # scenes share these; nobody should edit a record
    try:
        facts = {k: Fact(v["value"], v["unit"], v["meaning"]) for k, v in manifest["facts"].items()}
    except (TypeError, KeyError):
        raise CaptureError(f"{manifest_file}: a fact lacks value, unit or meaning; run: {redo}") from None
    return Capture(
        path=path,
        spec=manifest["spec"],
        facts=facts,
        arrays={k: arrays[k] for k in index},
        meanings={k: index[k].get("meaning", "") for k in index},
        manifest=manifest,
    )


def _check_entries(archive: zipfile.ZipFile, index: dict, arrays_file: Path, redo: str) -> None:
    """Before any entry is unpacked: the archive holds exactly the arrays the manifest names, and each entry unpacks
    to no more than its recorded shape and dtype imply (a zip can carry gigabytes of zeros in a few megabytes)."""
    entries = {info.filename: info for info in archive.infolist()}
    named = {f"{key}.npy" for key in index}
    extra = sorted(set(entries) - named)
    if extra:
        raise CaptureError(f"{arrays_file}: holds {extra[0]!r}, which {MANIFEST} does not name (not an archive "
                           f"latent-walk wrote); run: {redo}")
    total = 0
    for key, entry in index.items():
        info = entries.get(f"{key}.npy")
        if info is None:
            raise CaptureError(f"{arrays_file}: array {key!r} listed in {MANIFEST} is missing; run: {redo}")
        try:
            shape, dtype = entry["shape"], np.dtype(entry["dtype"])
            if not (isinstance(shape, list) and all(isinstance(n, int) and 0 <= n for n in shape)) or dtype.hasobject:
                raise ValueError
            expected = int(np.prod(shape, dtype=object)) * dtype.itemsize
        except (KeyError, TypeError, ValueError):
            raise CaptureError(f"{MANIFEST}: array {key!r} has no plain shape and dtype; run: {redo}") from None
        total += expected
        if info.file_size > expected + NPY_HEADER_ROOM or total > ARRAYS_BYTES:
            raise CaptureError(f"{arrays_file}: array {key!r} unpacks to {info.file_size:,} bytes, more than its "
                               f"recorded shape {shape} {dtype.str} holds; run: {redo}")


def load_cached(root: Path | str, name: str, spec: dict, expected_arrays: Iterable[str] = ()) -> Capture | None:
    """The capture of exactly this spec if it is on disk and sound, else None.

    A damaged one is reported on stderr and removed, so the caller recomputes it; one made by a newer
    latent-walk is left as it is, and the NewerCaptureError says to update. A hit
    becomes the current capture of ``name``: it is what the caller asked for.
    """
    path = capture_path(root, name, spec)
    recover_replaced(root, name)  # a writer killed between --force's two renames: its old copy goes back first
    if Path(root).is_dir():  # and what killed writers left is swept, cached run or not
        sweep_leftovers(root, capture_glob(name))
        sweep_leftovers(root, pointer_path(root, name).name)
    if not path.exists():
        return None
    try:
        capture = read_capture(path, expected_arrays=expected_arrays)
        if canonical_json(capture.spec) != canonical_json(spec):
            raise CaptureError(f"{path / MANIFEST}: its spec is not the one its name stands for")
    except NewerCaptureError:
        raise  # not damaged: a newer latent-walk's, kept for it; this one says to update
    except CaptureError as e:
        print(f"damaged capture {path}: {e}; recomputing", file=sys.stderr)
        shutil.rmtree(path, ignore_errors=True)
        return None
    set_current(root, name, path)
    return capture

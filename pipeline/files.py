"""Writing a file whole: a reader sees the old file or the new one, never half of either.

Every writer in the project (captures, pointers, weights, subtitles, marks, clips, pages)
goes through here: the bytes go to a temporary file beside the target (same folder, so the
rename cannot cross file systems), are flushed to disk, and the temporary file is renamed
over the target. A write that fails or is interrupted removes its temporary file.

Standard library only, so that the scenes, the exports and the pipeline may all import it.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# A leading dot keeps half-written files out of every "<name>*" glob; the prefix names what they are.
TMP_PREFIX = ".tmp-"
# The machine's cache of things made once and read back by every film (the converted UNets, labels' outlines):
# LATENT_WALK_CACHE, default ~/.cache/latent-walk; each kind in a folder of its own under it.
CACHE_ENV = "LATENT_WALK_CACHE"


def cache_folder(kind: str) -> Path:
    """Where the machine's cache keeps one kind of thing (``openvino``, ``text-outlines``)."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "latent-walk") / kind


def tmp_prefix(stem: str) -> str:
    """The start of a temporary name for ``stem`` made by this process: ``.tmp-<pid>-<stem>.``, so that a
    later run can tell a dead writer's leftovers (which it removes) from a live writer's work (which it leaves)."""
    return f"{TMP_PREFIX}{os.getpid()}-{stem}."


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def dead_writers_leftovers(folder: Path | str, pattern: str) -> list[tuple[Path, str]]:
    """The entries of ``folder`` named ``.tmp-<pid>-<pattern>`` (a glob) whose writer's process is gone, each with
    its name after the process id: what writers killed mid-write left (a live writer's work is not listed)."""
    try:
        entries = list(Path(folder).glob(f"{TMP_PREFIX}*-{pattern}"))
    except OSError:
        return []
    dead = []
    for entry in entries:
        pid, _, rest = entry.name[len(TMP_PREFIX):].partition("-")
        if pid.isdigit() and int(pid) != os.getpid() and not _process_alive(int(pid)):
            dead.append((entry, rest))
    return dead


def sweep_leftovers(folder: Path | str, stem: str) -> list[Path]:
    """Remove what writers that no longer run left in ``folder`` (killed mid-write) for names matching the
    glob ``stem``: only entries named ``.tmp-<pid>-<stem>.*``, which nothing but this module makes, and whose
    process is gone; returns what it removed."""
    import shutil

    removed = []
    for entry, _ in dead_writers_leftovers(folder, f"{stem}.*"):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def fsync_dir(path: Path | str) -> None:
    """Flush a folder's entries (a rename in it) to disk; a no-op where folders cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def written(path: Path | str, suffix: str | None = None) -> Iterator[Path]:
    """A temporary path beside ``path`` for a writer that needs a file name (ffmpeg, torch, safetensors):
    when the block ends normally the file is flushed and renamed to ``path``; otherwise it is removed.

    ``suffix`` (default: ``path``'s own) is kept at the end of the temporary name, for tools that
    choose a format by it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix if suffix is None else suffix
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=tmp_prefix(path.name), suffix=suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; what the project writes is for every reader
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def sha256_of(path: Path | str) -> str:
    """The sha256 of a file's bytes, read in blocks."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def write_whole(path: Path | str, data: bytes | str) -> Path:
    """Write ``data`` (text is UTF-8) to ``path`` whole: temporary file, fsync, rename."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    with written(path) as tmp:
        tmp.write_bytes(payload)
    return path


# ----------------------------------------------------------------------------- reading, bounded


class TooMuch(ValueError):
    """A file the project reads is not one it can read safely: not a regular file, too large, too deep or too
    long in a line. The message says which, in words a caller puts after the file's name."""


def read_bounded(path: Path | str, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes. A pipe, a device or a folder is refused without
    being read (and a pipe's open never waits for a writer); a larger file after ``limit + 1`` bytes."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise TooMuch("is not a regular file (a pipe, a device or a folder)")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 16, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise TooMuch(f"is larger than {limit:,} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _check_nesting(text: str, max_depth: int, nested: str) -> None:
    """Refuse text whose brackets and braces nest deeper than ``max_depth`` outside strings and comments, counted
    before a recursive parser meets them. Strings and comments as TOML has them (basic strings "..." with backslash
    escapes, literal strings '...', both also tripled; # to the end of the line); JSON's strings are TOML's basic
    strings, and a quote or # anywhere else stops json's parser before any bracket after it, so one scan serves both."""
    depth, quote, i, n = 0, "", 0, len(text)
    while i < n:
        c = text[i]
        if quote:
            if c == "\\" and quote[0] == '"':  # an escape in a basic string: skip the escaped character
                i += 2
                continue
            if text.startswith(quote, i):
                i += len(quote)
                quote = ""
                continue
        elif c == "#":
            newline = text.find("\n", i)
            i = n if newline < 0 else newline
            continue
        elif c in "\"'":
            quote = c * 3 if text.startswith(c * 3, i) else c
            i += len(quote)
            continue
        elif c in "[{":
            depth += 1
            if depth > max_depth:
                raise TooMuch(f"nests {nested} deeper than {max_depth}")
        elif c in "]}":
            depth = max(0, depth - 1)
        i += 1


def check_toml_shape(text: str, max_depth: int = 16, max_line: int = 4000) -> None:
    """Refuse TOML text that Python's parser would recurse or grow on without bound, before it is parsed: brackets
    and braces nested deeper than ``max_depth`` (outside strings and comments), or a line longer than
    ``max_line`` characters (where a key of thousands of dotted parts would hide)."""
    longest = max((len(line) for line in text.splitlines()), default=0)
    if longest > max_line:
        raise TooMuch(f"has a line of {longest:,} characters (at most {max_line:,})")
    _check_nesting(text, max_depth, "brackets")


def check_json_shape(text: str, max_depth: int = 64) -> None:
    """Refuse JSON text nested deeper than ``max_depth`` (arrays and objects, outside strings) before it is parsed:
    Python's parser recurses once a level, and a few kilobytes of brackets reach its limit."""
    _check_nesting(text, max_depth, "arrays or objects")


def read_json(path: Path | str, limit: int, max_depth: int = 64):
    """The JSON value in a regular file of at most ``limit`` bytes, nested at most ``max_depth`` deep: the one way
    the project reads a JSON file someone could have handed it (a capture's manifest, a chapter's marks, a clip's
    manifest, a publish record, the explorer's explore.json). Raises OSError (no such file), TooMuch (not a regular
    file, too large, too deep) or ValueError (not UTF-8, not JSON); TooMuch is a ValueError too."""
    text = read_bounded(path, limit).decode("utf-8")
    check_json_shape(text, max_depth)
    try:
        return json.loads(text)
    except RecursionError:  # the scan above stops this first; kept so that no input can escape as a traceback
        raise TooMuch(f"nests arrays or objects deeper than {max_depth}") from None

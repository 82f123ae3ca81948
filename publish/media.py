"""What every export shares: the rendered chapters it reads, ffmpeg and ffprobe, files written whole or not at all,
and the one way an export clears out its old files: only those it recorded making (``ProjectFiles``)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from pipeline.files import read_json, sha256_of, write_whole
from scenes.chapters import MARKS_SCHEMA, find_chapters

# The JSON files publish reads (a chapter's marks, a clip's manifest, explore.json) are a few kilobytes; a record of
# the files publish wrote lists a name per file. Anything larger or nested deeper was not written by latent-walk.
JSON_BYTES = 1 << 20
RECORD_BYTES = 4 << 20
JSON_DEPTH = 32


class PublishError(Exception):
    """A problem the user can fix, said in one line (the command line prints it and exits 2)."""


# ----------------------------------------------------------------------------- the rendered chapters


@dataclass(frozen=True)
class Block:
    """One narration block as it plays in its chapter: where it starts, where its animations end, what it says."""

    name: str
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Render:
    """One chapter as `make video` left it: its video, subtitles and block marks, and what the exports say of it."""

    module: str
    scene: str
    video: Path
    vtt: Path
    srt: Path
    marks: Path
    title: str
    duration: float
    blocks: tuple[Block, ...]
    summary: str
    poster_block: str

    @property
    def poster_time(self) -> float:
        """The chapter's most telling frame: the last one of its poster block's animations."""
        block = next(block for block in self.blocks if block.name == self.poster_block)
        return max(0.0, block.end - 0.05)

    @property
    def files(self) -> tuple[Path, ...]:
        """The files of the render that every export reads."""
        return (self.video, self.vtt, self.srt, self.marks)

    @property
    def mtime(self) -> float:
        return max(path.stat().st_mtime for path in self.files)


def read_renders(folder: Path, modules: Sequence[str] | None = None, make_target: str = "video") -> list[Render]:
    """The rendered chapters in play order (all of them, or those named), each checked complete."""
    known = {chapter.module: chapter for chapter in find_chapters()}
    unknown = [module for module in modules or () if module not in known]
    if unknown:
        raise PublishError(f"no chapter named {', '.join(unknown)}; the chapters are: {', '.join(known)}")
    renders = []
    for module in (module for module in known if not modules or module in modules):
        paths = {ext: folder / f"{module}.{ext}" for ext in ("mp4", "vtt", "srt", "marks.json")}
        missing = [str(path) for path in paths.values() if not path.is_file()]
        if missing:
            raise PublishError(f"{missing[0]} is missing: render the chapters first with `make {make_target}`")
        try:
            marks = read_json(paths["marks.json"], JSON_BYTES, JSON_DEPTH)
            if marks.get("schema") != MARKS_SCHEMA:
                raise ValueError(f"schema {marks.get('schema')!r}, expected {MARKS_SCHEMA!r}")
            blocks = tuple(Block(str(b["name"]), float(b["start"]), float(b["end"]), str(b["text"]))
                           for b in marks["blocks"])
            title, duration = str(marks["title"]), float(marks["duration"])
        except (ValueError, KeyError, TypeError) as error:
            raise PublishError(f"{paths['marks.json']} is damaged ({error}): render it again with `make {make_target}`") from None
        about = known[module]
        if about.poster not in {block.name for block in blocks}:
            raise PublishError(f"{paths['marks.json']} has no block {about.poster!r} (the poster its narration names): "
                               f"render it again with `make {make_target}`")
        renders.append(Render(module, about.scene, paths["mp4"], paths["vtt"], paths["srt"], paths["marks.json"],
                              title, duration, blocks, about.summary, about.poster))
    return renders


# ----------------------------------------------------------------------------- ffmpeg and ffprobe


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise PublishError(f"{name} is not installed: run `make setup` (or: sudo apt-get install ffmpeg)")
    return path


@dataclass(frozen=True)
class Probe:
    """What ffprobe says of a media file."""

    format_name: str
    duration: float
    streams: tuple[dict, ...]

    def first(self, kind: str) -> dict | None:
        return next((stream for stream in self.streams if stream.get("codec_type") == kind), None)


def probe(path: Path) -> Probe:
    result = subprocess.run([tool("ffprobe"), "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or [f"ffprobe exit status {result.returncode}"])[-1]
        raise PublishError(f"{path} is not a readable media file: {last}")
    data = json.loads(result.stdout)
    return Probe(data["format"]["format_name"], float(data["format"].get("duration", 0.0)), tuple(data["streams"]))


def top_level_boxes(path: Path) -> list[str]:
    """The names of an MP4 file's top-level boxes, in file order (``moov`` before ``mdat`` is fast start)."""
    names = []
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        offset = 0
        while offset + 8 <= size:
            file.seek(offset)
            header = file.read(16)
            length, name = int.from_bytes(header[:4], "big"), header[4:8].decode("latin-1")
            if length == 1:
                length = int.from_bytes(header[8:16], "big")
            elif length == 0:
                length = size - offset
            if length < 8:
                raise PublishError(f"{path} is not an MP4 file (box {name!r} of {length} bytes at {offset})")
            names.append(name)
            offset += length
    return names


def side_by_side(jobs: int | None, count: int) -> int:
    """How many of ``count`` chapters an export works on at once: ``jobs``, or one per core, and never more
    than there are chapters (nor fewer than one)."""
    return max(1, min(jobs or os.cpu_count() or 1, count or 1))


def ffmpeg(args: Sequence[str], seconds: float, desc: str, show_bar: bool = True) -> None:
    """Run ffmpeg with a bar of how much of ``seconds`` of media it has written (none with ``show_bar=False``, for a
    caller that runs several side by side under a bar of its own); its errors become one line."""
    command = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-v", "error", "-y", "-progress", "pipe:1", *args]
    with tqdm(total=round(seconds, 1), desc=desc, unit="s", dynamic_ncols=True, mininterval=1.0,
              bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s of video [{elapsed}<{remaining}]",
              disable=None if show_bar else True) as bar:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert process.stdout is not None
        for line in process.stdout:
            key, _, value = line.strip().partition("=")
            if key == "out_time_us" and value.lstrip("-").isdigit():
                bar.update(max(0.0, min(int(value) / 1e6, seconds)) - bar.n)
        error = process.stderr.read() if process.stderr else ""
        if process.wait() != 0:
            last = error.strip().splitlines()[-1] if error.strip() else f"exit status {process.returncode}"
            raise PublishError(f"ffmpeg failed making {desc}: {last}")
        bar.update(bar.total - bar.n)


# ----------------------------------------------------------------------------- a folder's own files


class ProjectFiles:
    """What the project put into a folder, recorded in the folder (``.latent-walk-files.json``) with each file's
    sha256 as written, so that the project never overwrites or removes a file it did not make, or one changed
    since it made it: a user's file, another export's, a folder or a link is left alone, and the run stops in one
    line saying which file is in the way.

    A writer that fills ``folder`` with ``names`` (plain file names) calls ``claim(names)`` before it writes them
    (it refuses a name whose file is there but is not the project's as recorded, and records the names, so a run
    cut short still knows them), ``settle(names)`` after (the record takes their hashes), and ``keep_only(names)``
    to remove what earlier runs recorded and this one no longer makes (only if still as recorded). Records of
    the first schema (names only) are read as the project's names of unknown hash, as that schema trusted them.
    """

    RECORD = ".latent-walk-files.json"
    SCHEMA = "latent-walk/files/2"
    OLD_SCHEMA = "latent-walk/files/1"
    _locks: dict[Path, threading.Lock] = {}
    _locks_lock = threading.Lock()

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.record = self.folder / self.RECORD
        with self._locks_lock:  # chapters are written side by side into one folder: one record writer at a time
            self.lock = self._locks.setdefault(self.folder.resolve(), threading.Lock())

    @staticmethod
    def _plain(name: object) -> bool:
        """A name the record may hold: a plain file name in the folder itself (no path, nothing hidden)."""
        return (isinstance(name, str) and bool(name) and name == Path(name).name and not name.startswith(".")
                and "/" not in name and "\\" not in name and "\0" not in name)

    def entries(self) -> dict[str, str | None]:
        """The names the record holds with their hashes as written (None: not known); none when there is no
        record, or it is damaged."""
        try:
            data = read_json(self.record, RECORD_BYTES, JSON_DEPTH)
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        files = data.get("files")
        if data.get("schema") == self.OLD_SCHEMA and isinstance(files, list):
            return {name: None for name in files if self._plain(name)}
        if data.get("schema") != self.SCHEMA or not isinstance(files, dict):
            return {}
        return {name: digest if isinstance(digest, str) else None for name, digest in files.items()
                if self._plain(name)}

    def recorded(self) -> set[str]:
        return set(self.entries())

    def _write(self, entries: dict[str, str | None]) -> None:
        bad = [name for name in entries if not self._plain(name)]
        if bad:
            raise ValueError(f"not plain file names: {bad}")
        self.folder.mkdir(parents=True, exist_ok=True)
        write_whole(self.record, json.dumps({"schema": self.SCHEMA, "files": dict(sorted(entries.items()))},
                                            indent=1) + "\n")

    def _as_recorded(self, name: str, digest: str | None) -> bool:
        """Whether the file ``name`` is still the project's: a plain file, and (where its hash is known) unchanged."""
        path = self.folder / name
        try:
            if not stat.S_ISREG(path.lstat().st_mode):
                return False
        except FileNotFoundError:
            return True
        return digest is None or sha256_of(path) == digest

    def claim(self, names: Iterable[str], beside: Iterable[str] = ()) -> None:
        """Before writing ``names``: refuse (PublishError, one line) where one is there and is not the project's as
        recorded, or where the folder holds no record and is not empty, since the project writes only into a folder
        it made or finds empty (``beside``: what another of the project's writers puts there, such as the
        explorer beside the page); then record them beside what is recorded already."""
        names = set(names)
        bad = [name for name in names if not self._plain(name)]
        if bad:
            raise ValueError(f"not plain file names: {bad}")
        with self.lock:
            if not self.record.is_file():
                strangers = sorted(entry.name for entry in self._listing()
                                   if entry.name not in names | set(beside) and not entry.name.startswith("."))
                if strangers:
                    shown = ", ".join(strangers[:3]) + (f" and {len(strangers) - 3} more" if len(strangers) > 3 else "")
                    raise PublishError(f"{self.folder} holds files latent-walk did not make ({shown}), and it writes "
                                       "only into a folder it made or finds empty: choose a new or empty folder")
            known = self.entries()
            for name in sorted(names):
                path = self.folder / name
                if not (path.exists() or path.is_symlink()):
                    continue
                if name not in known:
                    raise PublishError(f"{path} is in the way: latent-walk did not write it, and will not overwrite "
                                       "it; move it away, or choose another --out")
                if not self._as_recorded(name, known[name]):
                    raise PublishError(f"{path} was changed since latent-walk wrote it (or is not a plain file); "
                                       "move it away, or choose another --out")
            if not names <= set(known):
                self._write({**{name: None for name in names}, **known})

    def _listing(self) -> list[Path]:
        try:
            return list(self.folder.iterdir())
        except (FileNotFoundError, NotADirectoryError):
            return []

    def settle(self, names: Iterable[str]) -> None:
        """After writing ``names``: the record takes their hashes as they are now."""
        with self.lock:
            known = self.entries()
            for name in names:
                path = self.folder / name
                if path.is_file() and not path.is_symlink():
                    known[name] = sha256_of(path)
            self._write(known)

    def keep_only(self, names: Iterable[str]) -> list[Path]:
        """Remove the recorded files that are not ``names`` (plain files still as recorded only; never a folder, a
        link or a file changed since), record ``names``; returns what was removed."""
        names = set(names)
        removed = []
        with self.lock:
            known = self.entries()
            for name in sorted(set(known) - names):
                path = self.folder / name
                if path.exists() and self._as_recorded(name, known[name]):
                    path.unlink()
                    removed.append(path)
            kept = {name: known.get(name) for name in names}
            if removed or known != kept:
                self._write(kept)
        return removed


def same_folder(a: Path, b: Path) -> bool:
    """Whether two paths name one folder (through links, or spelt differently)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(a).resolve() == Path(b).resolve()


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or lies anywhere under it."""
    path, folder = Path(path).resolve(), Path(folder).resolve()
    return path == folder or folder in path.parents


def fresh(output: Path, *sources: Path) -> bool:
    """Whether ``output`` exists and is newer than every source (the make rule, for outputs one command writes many of)."""
    return output.is_file() and all(output.stat().st_mtime >= source.stat().st_mtime for source in sources)

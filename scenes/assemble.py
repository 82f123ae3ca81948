"""Joins the chapters' clips into the film, and their subtitles into the film's subtitles, each chapter's cues shifted by the real length of the chapters before it.

    python -m scenes.assemble media/film.mp4 media/chapters/medium-piper/ch04_noise.mp4 ...

Clips are joined in the order given (the Makefile gives the play order). A clip's subtitles
are the ``.vtt`` (or ``.srt``) beside it with the same name. The pictures are copied, not
re-encoded: every clip comes out of the same manim settings. The sound is re-encoded once,
because a chapter's voice stops before its last picture does, and copied as it is, the next
chapter's voice would start early in players that play audio back to back; here the gaps are
filled with silence. The film also carries one chapter marker per chapter, named by the
chapter's ``title``, so that a player can jump between chapters.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import av

from scenes.chapters import ChapterError, chapter_named
from scenes.narration.subtitles import Cue, read_subtitles, write_subtitles

# Longer than any gap in timing we would accept between the joined film and its chapters: one
# frame at the lowest frame rate the Makefile renders at (15 fps), and a little more.
TOLERANCE_SECONDS = 0.1


class AssemblyError(RuntimeError):
    """A clip or subtitle file that cannot be joined; the message names the file."""


@dataclass(frozen=True)
class Clip:
    """One chapter's clip: its file, title, length of its pictures in seconds, and its subtitles."""

    path: Path
    title: str
    duration: float
    cues: list[Cue]


def video_seconds(path: Path) -> float:
    """How long a clip's pictures last: the video stream's duration, which the film's timeline follows."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise AssemblyError(f"{path}: has no video stream")
            stream = container.streams.video[0]
            if stream.duration is not None:
                return float(stream.duration * stream.time_base)
            return container.duration / av.time_base
    except av.error.FFmpegError as e:
        raise AssemblyError(f"{path}: cannot be read as a video ({e})") from None


def chapter_title(module: str) -> str:
    """A chapter's on-screen title (its narration file's), or its module name for a clip of no chapter."""
    try:
        return chapter_named(module).title
    except ChapterError:
        return module


def read_clip(path: Path) -> Clip:
    duration = video_seconds(path)
    cues: list[Cue] = []
    for suffix in (".vtt", ".srt"):
        if path.with_suffix(suffix).is_file():
            cues = read_subtitles(path.with_suffix(suffix))
            break
    if cues and cues[-1].end > duration + TOLERANCE_SECONDS:
        raise AssemblyError(f"{path}: its subtitles run to {cues[-1].end:.2f} s, past the clip's end at "
                            f"{duration:.2f} s; they belong to another render of it")
    return Clip(path, chapter_title(path.stem), duration, cues)


def film_cues(clips: list[Clip]) -> list[Cue]:
    """Every chapter's cues on the film's timeline: shifted by the lengths of the chapters before it."""
    cues, offset = [], 0.0
    for clip in clips:
        cues += [Cue(cue.start + offset, cue.end + offset, cue.text) for cue in clip.cues]
        offset += clip.duration
    return cues


def concat_list(clips: list[Clip]) -> str:
    """ffmpeg's concat list; each clip's duration is stated, so the next starts exactly where the cues say."""
    lines = []
    for clip in clips:
        quoted = str(clip.path.resolve()).replace("'", r"'\''")
        lines += [f"file '{quoted}'", f"duration {clip.duration:.6f}"]
    return "\n".join(lines) + "\n"


def chapter_markers(clips: list[Clip]) -> str:
    """The chapters as ffmpeg metadata: a start, an end and a title each, in milliseconds."""
    lines, offset = [";FFMETADATA1"], 0.0
    for clip in clips:
        title = clip.title.replace("\\", "\\\\").replace("=", "\\=").replace(";", "\\;").replace("#", "\\#")
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={round(offset * 1000)}",
                  f"END={round((offset + clip.duration) * 1000)}", f"title={title}"]
        offset += clip.duration
    return "\n".join(lines) + "\n"


def join_video(clips: list[Clip], film: Path) -> None:
    """Write the film with ffmpeg: pictures copied, sound re-encoded with the gaps filled, then moved into place."""
    film.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=film.parent, prefix=".film-") as work:
        work = Path(work)
        (work / "clips.txt").write_text(concat_list(clips), encoding="utf-8")
        (work / "chapters.txt").write_text(chapter_markers(clips), encoding="utf-8")
        partial = work / film.name
        command = [
            "ffmpeg", "-nostdin", "-loglevel", "error", "-y",
            "-f", "concat", "-safe", "0", "-i", str(work / "clips.txt"),
            "-f", "ffmetadata", "-i", str(work / "chapters.txt"),
            "-map", "0:v", "-map", "0:a?", "-map_metadata", "1", "-map_chapters", "1",
            "-c:v", "copy",
            # async=1 fills each gap in the sound's timestamps with silence (and trims overlaps). The sound is the one
            # thing encoded again, on one core while nothing else runs: AAC's fast coder takes two thirds of the
            # default's time, and at 192 kbit/s a voice sounds the same.
            "-af", "aresample=async=1", "-c:a", "aac", "-aac_coder", "fast", "-b:a", "192k",
            "-movflags", "+faststart", str(partial),
        ]
        try:
            result = subprocess.run(command, capture_output=True, text=True)
        except FileNotFoundError:
            raise AssemblyError("ffmpeg is not installed; run: bash scripts/setup.sh apt") from None
        if result.returncode != 0:
            raise AssemblyError(f"ffmpeg could not join the clips into {film}:\n{result.stderr.strip()}")
        os.replace(partial, film)


def assemble(film: Path, clip_paths: list[Path]) -> list[Clip]:
    """Join the clips into ``film`` and their subtitles into ``film`` with .vtt and .srt; returns the clips."""
    if not clip_paths:
        raise AssemblyError("no chapter clips to join (are there no scenes/chNN_name.py chapters?)")
    for path in clip_paths:
        if not path.is_file():
            raise AssemblyError(f"{path}: no such clip; run: make video")
    clips = [read_clip(path) for path in clip_paths]
    total = sum(clip.duration for clip in clips)
    print(f"film: joining {len(clips)} chapters, {total:.1f} s in all, into {film}", flush=True)
    join_video(clips, film)
    joined = video_seconds(film)
    if abs(joined - total) > TOLERANCE_SECONDS:
        raise AssemblyError(f"{film}: lasts {joined:.3f} s, but its chapters add up to {total:.3f} s")
    cues = film_cues(clips)
    vtt, srt = film.with_suffix(".vtt"), film.with_suffix(".srt")
    if cues:
        write_subtitles(film.parent, film.stem, cues)
        print(f"film: subtitles {vtt} and {srt} ({len(cues)} cues)", flush=True)
    else:
        vtt.unlink(missing_ok=True)
        srt.unlink(missing_ok=True)
    return clips


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scenes.assemble", description=__doc__.splitlines()[0])
    parser.add_argument("film", type=Path, help="the film to write, e.g. media/film.mp4 (subtitles go beside it)")
    parser.add_argument("clips", type=Path, nargs="*", help="the chapters' clips, in the order they play")
    args = parser.parse_args(argv)
    try:
        assemble(args.film, args.clips)
    except AssemblyError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

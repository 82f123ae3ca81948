"""How the film plays, measured from its rendered chapters: where the picture stands still while the voice goes on, and how loud it is.

For each chapter (``<module>.mp4`` with its ``<module>.srt`` beside it, as `make video` leaves them) and
for the whole film:

- **still**: the share of the chapter inside stretches of at least ``HOLD`` seconds in which no frame differs
  from the last change by more than ``NOISE`` of full scale (ffmpeg's ``freezedetect``);
- **longest**: the longest such stretch;
- **cues over still**: subtitle cues spoken entirely inside one of those stretches;
- **loudness** (integrated, LUFS) and **true peak** (dBTP), by ffmpeg's EBU R128 meter (``ebur128``): for a
  chapter from its own audio, for the film from ``film.mp4`` when it is there (a film's loudness is not the mean
  of its chapters').

Both measures come from one decoding pass per file; chapters are measured side by side, one per core.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from publish.media import PublishError, Render, side_by_side, tool

HOLD = 2.0  # seconds: the shortest stretch counted as the picture standing still
NOISE = 0.001  # freezedetect's tolerance, a share of full scale
# The film's targets (issue 34): the reader of the report sees each figure against its own.
TARGETS = {"cues over still": "at most 10%", "still": "at most 35%", "longest": "at most 6 s",
           "loudness": "-16 LUFS within 1 LU", "true peak": "at most -1.5 dBTP"}


@dataclass(frozen=True)
class Measure:
    """One file's measures: its length, its still stretches, its cues over them, its loudness."""

    name: str
    length: float
    holds: tuple[tuple[float, float], ...]
    cues: int
    cues_over_still: int
    loudness: float | None  # LUFS, integrated; None without sound
    true_peak: float | None  # dBTP

    @property
    def still(self) -> float:
        return sum(end - start for start, end in self.holds)

    @property
    def longest(self) -> float:
        return max((end - start for start, end in self.holds), default=0.0)

    @property
    def long_holds(self) -> int:
        """Still stretches of 10 s or more."""
        return sum(end - start >= 10 for start, end in self.holds)


_FREEZE = re.compile(r"freeze_(start|end): ([\d.]+)")
_SUMMARY_I = re.compile(r"Integrated loudness:\s*\n\s*I:\s*(-?[\d.]+|-inf) LUFS")
_SUMMARY_PEAK = re.compile(r"True peak:\s*\n\s*Peak:\s*(-?[\d.]+|-inf) dBFS")


def measure_file(video: Path, cue_times: Sequence[tuple[float, float]], name: str,
                 hold: float = HOLD, noise: float = NOISE, still: bool = True) -> Measure:
    """Decode ``video`` once through freezedetect (when ``still``) and the loudness meter."""
    from publish.media import probe

    info = probe(video)
    has_audio = info.first("audio") is not None
    graph, maps = [], []
    if still:
        graph.append(f"[0:v:0]freezedetect=n={noise}:d={hold}[v]")
        maps += ["-map", "[v]"]
    if has_audio:
        graph.append("[0:a:0]ebur128=peak=true[a]")
        maps += ["-map", "[a]"]
    if not graph:
        return Measure(name, info.duration, (), len(cue_times), 0, None, None)
    command = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", "-i", str(video),
               "-filter_complex", ";".join(graph), *maps, "-f", "null", "-"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        last = result.stderr.strip().splitlines()[-1:] or [f"exit status {result.returncode}"]
        raise PublishError(f"ffmpeg could not measure {video}: {last[0]}")
    holds, start = [], None
    for kind, value in _FREEZE.findall(result.stderr):
        if kind == "start":
            start = float(value)
        elif start is not None:
            holds.append((start, float(value)))
            start = None
    if start is not None:
        holds.append((start, info.duration))
    over = sum(any(a <= cue_start and cue_end <= b for a, b in holds) for cue_start, cue_end in cue_times)
    loudness = peak = None
    if has_audio:
        found_i, found_peak = _SUMMARY_I.findall(result.stderr), _SUMMARY_PEAK.findall(result.stderr)
        # the summary at the end ("-inf" for silence, which float reads)
        loudness = float(found_i[-1]) if found_i else None
        peak = float(found_peak[-1]) if found_peak else None
    return Measure(name, info.duration, tuple(holds), len(cue_times), over, loudness, peak)


def measure_chapters(renders: Sequence[Render], jobs: int | None = None) -> list[Measure]:
    """Every chapter's measures, ``jobs`` side by side (default: one per core), in play order."""
    from scenes.narration.subtitles import read_subtitles

    def one(render: Render) -> Measure:
        try:
            cues = [(cue.start, cue.end) for cue in read_subtitles(render.srt)]
        except ValueError as error:
            raise PublishError(f"{render.srt} does not parse ({error}): render the chapter again") from None
        return measure_file(render.video, cues, render.module)

    with ThreadPoolExecutor(max_workers=side_by_side(jobs, len(renders))) as pool:
        return list(pool.map(one, renders))


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


def _db(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{value:.1f} {unit}"


def table(chapters: Sequence[Measure], film: Measure | None) -> str:
    """The report: a row per chapter, and the film's row (its loudness from the film file where measured)."""
    lines = [f"{'chapter':22} {'length':>7} {'still':>6} {'longest':>8} {'>=10s':>6} {'cues over still':>16} "
             f"{'loudness':>11} {'true peak':>10}"]
    for m in chapters:
        lines.append(f"{m.name:22} {_clock(m.length):>7} {100 * m.still / max(m.length, 1e-9):5.0f}% "
                     f"{m.longest:7.1f}s {m.long_holds:6d} "
                     f"{m.cues_over_still:7d} of {m.cues:<4d} {_db(m.loudness, 'LUFS'):>11} {_db(m.true_peak, 'dBTP'):>10}")
    length = sum(m.length for m in chapters)
    still = sum(m.still for m in chapters)
    cues = sum(m.cues for m in chapters)
    over = sum(m.cues_over_still for m in chapters)
    longest = max((m.longest for m in chapters), default=0.0)
    loud = film.loudness if film else None
    peak = film.true_peak if film else (max((m.true_peak for m in chapters if m.true_peak is not None), default=None))
    lines.append(f"{'all':22} {_clock(length):>7} {100 * still / max(length, 1e-9):5.0f}% "
                 f"{longest:7.1f}s {sum(m.long_holds for m in chapters):6d} {over:7d} of {cues:<4d} "
                 f"{_db(loud, 'LUFS'):>11} {_db(peak, 'dBTP'):>10}")
    lines.append(f"cues spoken entirely over a still picture: {100 * over / max(cues, 1):.0f}% "
                 f"({TARGETS['cues over still']}); still {100 * still / max(length, 1e-9):.0f}% ({TARGETS['still']}); "
                 f"longest still {longest:.1f} s ({TARGETS['longest']})")
    if film is not None:
        lines.append(f"film loudness {_db(film.loudness, 'LUFS')} ({TARGETS['loudness']}), "
                     f"true peak {_db(film.true_peak, 'dBTP')} ({TARGETS['true peak']})")
    lines.append(f"(still: stretches of {HOLD:g} s or more in which no frame changes by more than {NOISE:g} of full "
                 "scale, by ffmpeg's freezedetect; loudness by its EBU R128 meter)")
    return "\n".join(lines)


def report(renders_folder: Path, film: Path | None, modules: Sequence[str] | None = None,
           jobs: int | None = None) -> str:
    """Measure the rendered chapters in ``renders_folder`` (and the joined film, when given)."""
    from publish.media import read_renders

    if film is not None and not film.is_file():
        raise PublishError(f"--film {film} is not a video file: name the joined film (`make video` makes media/film.mp4), "
                           "or leave --film out")
    renders = read_renders(renders_folder, modules)
    chapters = measure_chapters(renders, jobs)
    whole = measure_file(film, (), film.name, still=False) if film is not None else None
    return table(chapters, whole)

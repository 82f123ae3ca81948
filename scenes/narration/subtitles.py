"""Subtitles from narration: readable cues timed from the segment times the speech service knows, written and read as WebVTT and SRT.

A voiceover block is spoken segment by segment (cut at bookmarks and sentence ends), and
each segment's start and end are exact. A cue is a sentence; a sentence too long to read in
one cue is split at a comma or between words, and a split inside a segment is timed in
proportion to the characters before it, between that segment's exact ends.

A cue's text is plain text: what a viewer should read, a prompt's ``<b>`` or ``-->`` included.
Each writer escapes it for its format, and drops what no viewer can see (control characters,
bidirectional overrides: ``visible``):

- WebVTT: ``&``, ``<`` and ``>`` are written as ``&amp;`` ``&lt;`` ``&gt;``, so a cue holds no tag
  and never ``-->`` (it is ``--&gt;``); the reader decodes them, so text round-trips exactly.
- SRT has no escapes, and players read HTML-like tags (``<b>``, ``<font>``) and ASS overrides
  (``{\\an8}``, ``\\N``) in it. So ``<`` and ``>`` are written as the single angle quotation
  marks ``‹`` and ``›`` (U+2039, U+203A), ``{`` as ``｛`` (U+FF5B) and a backslash as ``⧵``
  (U+29F5): the same shapes, which no player reads as markup. The reader gives back that form.

Either reader refuses a cue whose text has a line with ``-->``: no writer of ours writes one.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.files import write_whole
from scenes.numbers import visible

from .speech import plain_text

# Broadcast habit: at most two lines of about 42 characters on screen at once.
LINE_CHARS = 42
CUE_CHARS = 2 * LINE_CHARS


@dataclass(frozen=True)
class Cue:
    """One subtitle: seconds from the start of the video, and its text (lines joined by newlines)."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class _Word:
    text: str
    start: int  # character offsets in the block's text without bookmarks
    end: int


def _best_split(words: Sequence[_Word]) -> int:
    """Where to cut a run of words in two: near the middle, preferring just after a comma or the like."""
    total = words[-1].end - words[0].start
    best, best_score = 1, math.inf
    for i in range(1, len(words)):
        left = words[i - 1].end - words[0].start
        right = words[-1].end - words[i].start
        score = abs(left - right) / total
        if re.search(r"[,;:]$", words[i - 1].text) or words[i].text in ("-", "–", "—"):
            score -= 0.3  # a pause in the voice is a better place to change cue than the exact middle
        if score < best_score:
            best, best_score = i, score
    return best


def _split_words(words: Sequence[_Word], limit: int) -> list[Sequence[_Word]]:
    if len(words) <= 1 or words[-1].end - words[0].start <= limit:
        return [words]
    cut = _best_split(words)
    return _split_words(words[:cut], limit) + _split_words(words[cut:], limit)


def _two_lines(words: Sequence[_Word]) -> str:
    text = " ".join(w.text for w in words)
    if len(text) <= LINE_CHARS or len(words) < 2:
        return text
    cut = min(range(1, len(words)), key=lambda i: abs(len(" ".join(w.text for w in words[:i])) - len(text) / 2))
    return " ".join(w.text for w in words[:cut]) + "\n" + " ".join(w.text for w in words[cut:])


def block_cues(block_start: float, segments: Iterable[dict]) -> list[Cue]:
    """Cues for one voiceover block that starts at ``block_start`` seconds into the video.

    ``segments`` are the speech service's records: text (in the narration's markup), text_offset, start,
    end, ends_sentence. The cues' text is plain text: the characters the markup stands for.
    """
    segments = list(segments)
    # Offsets to times: exact at each segment's first and last character, linear in between.
    offsets, times = [], []
    for segment in segments:
        stripped_left = len(segment["text"]) - len(segment["text"].lstrip())
        stripped_right = len(segment["text"].rstrip())
        if stripped_right <= stripped_left:
            continue  # a segment of spaces only: nothing is said
        offsets += [segment["text_offset"] + stripped_left, segment["text_offset"] + stripped_right]
        times += [segment["start"], segment["end"]]
    if not offsets:
        return []

    sentences: list[list[_Word]] = [[]]
    for segment in segments:
        for match in re.finditer(r"\S+", segment["text"]):
            start = segment["text_offset"] + match.start()
            sentences[-1].append(_Word(plain_text(match.group()), start, start + len(match.group())))
        if segment["ends_sentence"]:
            sentences.append([])

    cues = []
    for sentence in sentences:
        if not sentence:
            continue
        for words in _split_words(sentence, CUE_CHARS):
            start = float(np.interp(words[0].start, offsets, times))
            end = float(np.interp(words[-1].end, offsets, times))
            cues.append(Cue(block_start + start, block_start + end, _two_lines(words)))
    return cues


# ----------------------------------------------------------------------------- files


def _clock(seconds: float, separator: str) -> str:
    millis = int(round(max(seconds, 0.0) * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _lines(text: str) -> str:
    """A cue's text as the lines a file can hold: only what can be seen, no blank line (it would end the cue)."""
    lines = (line.strip() for line in visible(text).split("\n"))
    return "\n".join(line for line in lines if line)


def vtt_text(text: str) -> str:
    """Plain text as WebVTT cue text: ``&``, ``<`` and ``>`` as character references (so never ``-->``)."""
    return _lines(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# SRT has no escapes: the characters players read as markup, written as their look-alikes.
SRT_LOOKALIKES = {"<": "\u2039", ">": "\u203a", "{": "\uff5b", "\\": "\u29f5"}


def srt_text(text: str) -> str:
    """Plain text as SRT cue text: no tag, no ASS override, no ``-->`` (see the module's notes)."""
    return "".join(SRT_LOOKALIKES.get(char, char) for char in _lines(text))


def _cue_file(cues: Sequence[Cue], separator: str, text_of, header: list[str]) -> str:
    parts, number = list(header), 0
    for cue in cues:
        text = text_of(cue.text)
        if not text:
            continue  # nothing left to see: a cue without text is no cue
        number += 1
        parts += [str(number), f"{_clock(cue.start, separator)} --> {_clock(cue.end, separator)}", text, ""]
    return "\n".join(parts)


def to_vtt(cues: Sequence[Cue]) -> str:
    return _cue_file(cues, ".", vtt_text, ["WEBVTT", ""])


def to_srt(cues: Sequence[Cue]) -> str:
    return _cue_file(cues, ",", srt_text, [])


def write_subtitles(folder: Path, name: str, cues: Sequence[Cue]) -> tuple[Path, Path]:
    """Write ``<folder>/<name>.vtt`` and ``<folder>/<name>.srt``; returns their paths."""
    vtt, srt = Path(folder) / f"{name}.vtt", Path(folder) / f"{name}.srt"
    write_whole(vtt, to_vtt(cues))
    write_whole(srt, to_srt(cues))
    return vtt, srt


_TIMING = re.compile(r"^(\d{2,}):(\d{2}):(\d{2})[.,](\d{3}) --> (\d{2,}):(\d{2}):(\d{2})[.,](\d{3})")


def _seconds(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


class SubtitleError(ValueError):
    """A subtitle file that does not parse; the message names the file and the line."""


def parse_subtitles(text: str, source: str = "<subtitles>") -> list[Cue]:
    """Read cues from WebVTT (with its header) or SRT text, each cue's text as plain text; strict about
    timing lines, and a cue text line with ``-->`` is refused."""
    lines = text.replace("\r\n", "\n").split("\n")
    is_vtt = lines[0].startswith("WEBVTT")
    separator = "." if is_vtt else ","
    blocks, current = [], []
    for number, line in enumerate(lines, 1):
        if line.strip():
            current.append((number, line))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    if is_vtt:
        blocks = blocks[1:]  # the header: "WEBVTT" and any header lines up to the first blank line
    cues = []
    for block in blocks:
        timing_at = next((i for i, (_, line) in enumerate(block) if "-->" in line), None)
        if timing_at is None or timing_at > 1:
            raise SubtitleError(f"{source}:{block[0][0]}: a cue without a timing line")
        number, line = block[timing_at]
        match = _TIMING.match(line)
        if not match or separator not in line.split("-->")[0]:
            raise SubtitleError(f"{source}:{number}: timing line not in {'WebVTT' if is_vtt else 'SRT'} form: {line!r}")
        start, end = _seconds(*match.groups()[:4]), _seconds(*match.groups()[4:])
        if end <= start:
            raise SubtitleError(f"{source}:{number}: cue ends before it starts")
        for line_number, text_line in block[timing_at + 1:]:
            if "-->" in text_line:
                raise SubtitleError(f"{source}:{line_number}: cue text has a \"-->\", which only a timing line may "
                                    f"hold: {text_line!r}")
        body = "\n".join(text for _, text in block[timing_at + 1:])
        if is_vtt:
            body = _vtt_plain(body)
        if not body.strip():
            raise SubtitleError(f"{source}:{number}: cue has no text")
        cues.append(Cue(start, end, body))
    return cues


# A WebVTT cue's tags: <b>, </i>, <c.name>, <v Speaker>, <00:00:01.000>; a "<" opens one up to ">" or the end.
_VTT_TAG = re.compile(r"<[^>]*(?:>|$)")


def _vtt_plain(text: str) -> str:
    """WebVTT cue text as the plain text it shows: tags dropped, character references read."""
    return html.unescape(_VTT_TAG.sub("", text))


def read_subtitles(path: Path | str) -> list[Cue]:
    path = Path(path)
    return parse_subtitles(path.read_text(encoding="utf-8"), str(path))

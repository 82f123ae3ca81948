"""Subtitles from narration: cues timed from the exact segment times, written as WebVTT and SRT that parse and cover every word."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenes.narration import SilentService, load_narration, read_subtitles, spoken_text, write_subtitles
from scenes.narration.subtitles import CUE_CHARS, LINE_CHARS, SubtitleError, block_cues, parse_subtitles
from scenes.numbers import spoken_facts

CH04_NARRATION = Path(__file__).resolve().parents[1] / "scenes" / "ch04_noise.narration.toml"


def _words(text: str) -> list[str]:
    return text.split()


def _timed_blocks(tmp_path: Path, texts: list[str], gap: float = 0.5):
    """Blocks spoken one after another by the silent voice: (start, data) each, as a scene would play them."""
    service, start, blocks = SilentService(cache_dir=tmp_path / "voiceovers"), 3.0, []
    for text in texts:
        data = service._wrap_generate_from_text(text)
        blocks.append((start, data))
        start += data["duration"] + gap
    return blocks


def test_a_sentence_cue_starts_and_ends_where_its_segments_do(tmp_path):
    (start, data), = _timed_blocks(tmp_path, ['First sentence here. <bookmark mark="b"/> Second one, short.'])
    cues = block_cues(start, data["segments"])
    first, second = data["segments"][0], data["segments"][1]
    assert [c.text for c in cues] == ["First sentence here.", "Second one, short."]
    assert cues[0].start == pytest.approx(start + first["start"])
    assert cues[0].end == pytest.approx(start + first["end"])
    assert cues[1].start == pytest.approx(start + second["start"])


def test_a_long_sentence_is_split_into_readable_cues_in_time_order(tmp_path):
    text = ("This sentence goes on for a long time, far longer than anyone could read in one go, "
            "because it keeps adding clauses, one after another, until the reader is tired of it.")
    (start, data), = _timed_blocks(tmp_path, [text])
    cues = block_cues(start, data["segments"])
    assert len(cues) >= 2
    for cue in cues:
        lines = cue.text.split("\n")
        assert len(lines) <= 2 and len(cue.text.replace("\n", " ")) <= CUE_CHARS
        assert all(len(line) <= LINE_CHARS + 12 for line in lines)
    assert all(a.end <= b.start + 1e-9 for a, b in zip(cues, cues[1:]))
    assert cues[0].start == pytest.approx(start) and cues[-1].end == pytest.approx(start + data["segments"][-1]["end"])
    assert _words(" ".join(c.text for c in cues)) == _words(text)


def test_vtt_and_srt_round_trip(tmp_path):
    blocks = _timed_blocks(tmp_path, ["One. Two, three.", 'Four <bookmark mark="x"/> five six seven.'])
    cues = [cue for start, data in blocks for cue in block_cues(start, data["segments"])]
    vtt, srt = write_subtitles(tmp_path / "subtitles", "Example", cues)
    assert vtt.read_text().startswith("WEBVTT\n")
    for path in (vtt, srt):
        assert path.stat().st_mode & 0o044 == 0o044, "subtitles must be readable by a web server"
        back = read_subtitles(path)
        assert [c.text for c in back] == [c.text for c in cues]
        for a, b in zip(back, cues):
            assert a.start == pytest.approx(b.start, abs=0.001) and a.end == pytest.approx(b.end, abs=0.001)


@pytest.mark.parametrize("text, complaint", [
    ("1\n00:00:01,000 -> 00:00:02,000\nHello\n", "without a timing line"),
    ("1\n00:00:02,000 --> 00:00:01,000\nHello\n", "ends before it starts"),
    ("WEBVTT\n\n1\n00:00:01,000 --> 00:00:02,000\nHello\n", "not in WebVTT form"),
    ("1\n00:00:01,000 --> 00:00:02,000\n", "no text"),
])
def test_broken_subtitles_are_refused(text, complaint):
    with pytest.raises(SubtitleError, match=complaint):
        parse_subtitles(text)


def test_subtitles_cover_the_chapter_narration(tmp_path, forward_capture):
    capture, _ = forward_capture
    narration = load_narration(CH04_NARRATION)
    texts = list(narration.filled(spoken_facts(capture)).values())
    blocks = _timed_blocks(tmp_path, texts)
    cues = [cue for start, data in blocks for cue in block_cues(start, data["segments"])]
    vtt, srt = write_subtitles(tmp_path / "subtitles", "NoiseForwardBackward", cues)
    expected = _words(" ".join(spoken_text(t) for t in texts))
    for path in (vtt, srt):
        back = read_subtitles(path)
        assert _words(" ".join(c.text for c in back)) == expected
        assert all(c.start < c.end for c in back)
        assert all(a.end <= b.start + 0.001 for a, b in zip(back, back[1:]))
    # Each block's cues lie within the time its audio plays.
    for start, data in blocks:
        for cue in block_cues(start, data["segments"]):
            assert start - 1e-9 <= cue.start and cue.end <= start + data["duration"] + 1e-9

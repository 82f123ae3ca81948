"""Joining chapters into the film: the pictures end to end, each chapter's voice where its pictures start, its subtitles shifted by the chapters before it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from scenes.assemble import AssemblyError, assemble, chapter_markers, film_cues, main, read_clip, video_seconds
from scenes.narration import Cue, read_subtitles, write_subtitles

FPS = 15


def _clip(folder: Path, name: str, seconds: float, voice_seconds: float, cues: list[Cue]) -> Path:
    """A chapter-like clip as manim writes it (H.264 + AAC): a tone for the voice, which stops before the pictures do."""
    path = folder / f"{name}.mp4"
    subprocess.run([
        "ffmpeg", "-nostdin", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc=size=160x90:rate={FPS}:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={voice_seconds}",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(path),
    ], check=True)
    write_subtitles(folder, name, cues)
    return path


def _loudness(path: Path, window: float = 0.05) -> tuple[np.ndarray, float]:
    """RMS of the film's sound in windows of ``window`` seconds, and the window length."""
    with av.open(str(path)) as container:
        samples = np.concatenate([frame.to_ndarray().reshape(-1) if frame.format.is_planar is False
                                  else frame.to_ndarray()[0] for frame in container.decode(audio=0)])
        rate = container.streams.audio[0].rate
    size = int(rate * window)
    usable = samples[: len(samples) // size * size].reshape(-1, size)
    return np.sqrt((usable.astype(np.float64) ** 2).mean(axis=1)), window


@pytest.fixture(scope="module")
def film(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chapters")
    first = _clip(folder, "first", 2.0, 1.2, [Cue(0.1, 0.6, "One."), Cue(0.7, 1.2, "Two.")])
    second = _clip(folder, "second", 1.0, 0.6, [Cue(0.0, 0.6, "Three.")])
    film = folder / "film.mp4"
    clips = assemble(film, [first, second])
    return film, clips


def test_the_film_lasts_as_long_as_its_chapters(film):
    path, clips = film
    assert [round(c.duration, 2) for c in clips] == [2.0, 1.0]
    assert video_seconds(path) == pytest.approx(3.0, abs=1 / FPS)
    with av.open(str(path)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.streams.audio[0].codec_context.name == "aac"


def test_each_chapters_voice_starts_with_its_pictures(film):
    path, clips = film
    loudness, window = _loudness(path)
    heard = loudness > 0.1 * loudness.max()
    # first voice 0 to 1.2 s, silence until the second chapter at 2.0 s, its voice to 2.6 s
    def at(t):
        return heard[int(t / window)]
    assert at(0.5) and at(1.0)
    assert not at(1.5) and not at(1.8)
    assert at(2.1) and at(2.4)
    assert not heard[int(2.7 / window):].any()  # and nothing after the second voice ends
    onset = np.flatnonzero(heard[int(1.3 / window):])[0] * window + 1.3
    assert onset == pytest.approx(clips[0].duration, abs=0.06)


def test_the_subtitles_are_shifted_by_the_chapters_before(film):
    path, clips = film
    for suffix in ("vtt", "srt"):
        cues = read_subtitles(path.with_suffix(f".{suffix}"))
        assert [c.text for c in cues] == ["One.", "Two.", "Three."]
        assert cues[0].start == pytest.approx(0.1, abs=1e-3)
        assert cues[2].start == pytest.approx(clips[0].duration, abs=1e-3)
        assert cues[2].end == pytest.approx(clips[0].duration + 0.6, abs=1e-3)


def test_the_film_has_a_chapter_marker_per_chapter(film):
    path, clips = film
    with av.open(str(path)) as container:
        chapters = container.chapters()
    assert [c["metadata"].get("title") for c in chapters] == ["first", "second"]
    assert float(chapters[1]["start"] * chapters[1]["time_base"]) == pytest.approx(clips[0].duration, abs=1e-3)


def test_cue_offsets_add_up_without_rendering():
    from scenes.assemble import Clip
    clips = [Clip(Path("a.mp4"), "A", 10.5, [Cue(1, 2, "a")]), Clip(Path("b.mp4"), "B", 4.0, []),
             Clip(Path("c.mp4"), "C", 3.0, [Cue(0.5, 1, "c")])]
    assert film_cues(clips) == [Cue(1, 2, "a"), Cue(15.0, 15.5, "c")]
    markers = chapter_markers(clips)
    assert "START=10500" in markers and "END=17500" in markers and "title=C" in markers


def test_subtitles_longer_than_their_clip_are_refused(tmp_path):
    clip = _clip(tmp_path, "short", 1.0, 0.5, [Cue(0.0, 3.0, "Too long.")])
    with pytest.raises(AssemblyError, match="past the clip's end"):
        read_clip(clip)


def test_a_missing_clip_is_one_clear_line(tmp_path, capsys):
    assert main([str(tmp_path / "film.mp4"), str(tmp_path / "nowhere.mp4")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "nowhere.mp4" in err and err.count("\n") == 1
    assert not (tmp_path / "film.mp4").exists()

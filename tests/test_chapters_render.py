"""Every chapter renders end to end with the silent voice at the lowest settings: video and audio, a length that matches its narration, subtitles that cover it.

A chapter with a render test of its own (``tests/test_ch04_render.py`` for ``ch04_noise``) is
left to it, so that no chapter is rendered twice in one test run.
"""

from __future__ import annotations

import json
from pathlib import Path

import av
import pytest

from scenes.chapters import find_chapters
from scenes.narration import NarratedScene, load_narration, read_subtitles, spoken_text
from scenes.narration.scene import narration_facts, narration_flags

pytestmark = pytest.mark.render  # renders chapters with manim (make test-quick leaves these out)

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
UNTESTED_ELSEWHERE = [chapter for chapter in find_chapters()
                      if not list(TESTS.glob(f"test_{chapter.module.split('_')[0]}*_render.py"))]


def _durations(video: Path) -> dict[str, float]:
    with av.open(str(video)) as container:
        return {stream.type: float(stream.duration * stream.time_base) for stream in container.streams}


@pytest.mark.parametrize("chapter", UNTESTED_ELSEWHERE, ids=[chapter.module for chapter in UNTESTED_ELSEWHERE])
def test_the_chapter_renders_with_its_narration_and_subtitles(chapter, request, render_chapter):
    module, scene = chapter.module, chapter.scene
    captures = {name: request.getfixturevalue(f"{name}_capture")[0] for name in chapter.reads}
    media, renders = render_chapter(module)
    videos = [renders / f"{module}.mp4"]  # (the render conftest's fixture made, laid out as `make video` leaves it)

    durations = _durations(videos[0])
    assert "video" in durations and "audio" in durations
    # The picture ends a closing hold after the last words (a wait is rounded to whole frames).
    assert durations["video"] == pytest.approx(durations["audio"] + NarratedScene.closing_hold, abs=0.3)

    narration = load_narration(chapter.narration)
    facts = narration_facts(captures, chapter.capture)
    flags = narration_flags(captures, chapter.capture)
    said = " ".join(spoken_text(text) for text in narration.filled(facts, flags).values()).split()
    for suffix in ("vtt", "srt"):
        cues = read_subtitles(media / "subtitles" / f"{scene}.{suffix}")
        assert " ".join(cue.text for cue in cues).split() == said
        assert all(a.end <= b.start + 1e-3 for a, b in zip(cues, cues[1:]))
        assert 0 <= cues[0].start and cues[-1].end <= durations["video"]

    # The block marks the clips and slides read: every block in the file's order, each one's
    # animations ending once its voice has, before the next block starts and within the video.
    marks = json.loads((media / "subtitles" / f"{scene}.marks.json").read_text())
    assert marks["scene"] == scene and marks["title"] == chapter.title
    assert [block["name"] for block in marks["blocks"]] == list(narration.blocks)
    for block, following in zip(marks["blocks"], marks["blocks"][1:] + [None]):
        # (the scene's clock moves in whole frames; the voice ends anywhere inside one)
        assert block["start"] < block["voice_end"] <= block["end"] + 1 / render_chapter.fps + 1e-6
        assert block["end"] <= (following["start"] if following else marks["duration"]) + 1e-6
    assert marks["duration"] == pytest.approx(durations["video"], abs=0.3)

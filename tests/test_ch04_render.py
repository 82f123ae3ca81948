"""Chapter "Noise, forward and backward" renders end to end with the silent voice: video and audio streams, length that matches the narration, subtitles that cover it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import av
import pytest

from scenes.ch04_noise import NoiseForwardBackward
from scenes.narration import load_narration, read_subtitles, spoken_text
from scenes.numbers import spoken_facts

pytestmark = pytest.mark.render  # renders chapters with manim (make test-quick leaves these out)

ROOT = Path(__file__).resolve().parents[1]
# The lowest settings that still exercise every animation: a render takes about 20 s on 2 cores.
FPS = 5
RESOLUTION = "426,240"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, forward_capture):
    """Render the chapter into a temporary media folder that holds a copy of the forward capture."""
    _, captures = forward_capture
    media = tmp_path_factory.mktemp("media")
    shutil.copytree(captures, media / "captures")
    env = {**os.environ, "LATENT_WALK_VOICE": "silent"}
    command = [sys.executable, "-m", "manim", "render", "--config_file", str(ROOT / "manim.cfg"),
               "-ql", "--fps", str(FPS), "-r", RESOLUTION, "--media_dir", str(media), "--progress_bar", "none",
               "scenes/ch04_noise.py", "NoiseForwardBackward"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    videos = [p for p in media.glob("videos/ch04_noise/*/NoiseForwardBackward.mp4")]
    assert len(videos) == 1, f"expected one video, found {videos}"
    return media, videos[0]


def _streams(video: Path) -> dict[str, float]:
    with av.open(str(video)) as container:
        kinds = {stream.type: float(stream.duration * stream.time_base) for stream in container.streams}
        kinds["container"] = container.duration / av.time_base
    return kinds


def test_the_mp4_has_video_and_audio(rendered):
    _, video = rendered
    streams = _streams(video)
    assert "video" in streams and "audio" in streams
    assert streams["video"] > 30


def test_the_length_matches_the_narration(rendered):
    media, video = rendered
    streams = _streams(video)
    narration_end = streams["audio"]  # manim's soundtrack ends where the last voiceover block ends
    # The chapter ends a closing hold after the last words; a wait is rounded to whole frames.
    expected = narration_end + NoiseForwardBackward.closing_hold
    assert streams["video"] == pytest.approx(expected, abs=0.3)
    cues = read_subtitles(media / "subtitles" / "NoiseForwardBackward.srt")
    assert narration_end - 0.6 <= cues[-1].end <= narration_end + 1e-3


def test_the_subtitles_parse_and_cover_the_narration(rendered, forward_capture):
    media, video = rendered
    capture, _ = forward_capture
    texts = load_narration(NoiseForwardBackward.chapter().narration).filled(spoken_facts(capture)).values()
    expected = " ".join(spoken_text(t) for t in texts).split()
    length = _streams(video)["video"]
    for suffix in ("vtt", "srt"):
        cues = read_subtitles(media / "subtitles" / f"NoiseForwardBackward.{suffix}")
        assert " ".join(c.text for c in cues).split() == expected
        assert all(a.end <= b.start + 1e-3 for a, b in zip(cues, cues[1:]))
        assert 0 <= cues[0].start and cues[-1].end <= length

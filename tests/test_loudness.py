"""A chapter's sound is brought to web loudness (-16 LUFS integrated, true peak at most -1.5 dBTP) with its picture
copied as it was; a silent render is copied unchanged. Measured with ffmpeg's EBU R128 meter (publish/report.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from publish.media import probe
from publish.report import measure_file
from scenes import loudness


def _render(path: Path, audio: str) -> Path:
    """A 6 s stand-in for a chapter render: a moving test picture in H.264 and the given sound in AAC."""
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=10",
                    "-f", "lavfi", "-i", audio, "-t", "6", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    str(path)], check=True)
    return path


@pytest.mark.parametrize("volume", ["0.1", "0.9"])  # far too quiet, and loud enough that the peak must be held
def test_a_quiet_or_loud_render_comes_out_at_web_loudness_with_its_picture_copied(tmp_path, volume):
    source = _render(tmp_path / "quiet.mp4", f"sine=frequency=220:sample_rate=22050,volume={volume},"
                                             "apulsator=hz=1.5")  # a voice comes and goes; a tone would not
    out = tmp_path / "chapter.mp4"
    assert loudness.main([str(source), str(out)]) == 0
    before, after = measure_file(source, (), "before", still=False), measure_file(out, (), "after", still=False)
    assert abs(before.loudness - loudness.TARGET_LUFS) > 3  # it needed bringing
    assert after.loudness == pytest.approx(loudness.TARGET_LUFS, abs=1.0)
    assert after.true_peak <= loudness.TRUE_PEAK_DBTP + 0.1
    video_in, video_out = probe(source).first("video"), probe(out).first("video")
    assert video_out["codec_name"] == "h264" and video_out["nb_frames"] == video_in["nb_frames"]
    assert probe(out).first("audio")["sample_rate"] == "22050"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # nothing half-written left


def test_a_silent_render_is_copied_unchanged(tmp_path):
    source = _render(tmp_path / "silent.mp4", "anullsrc=sample_rate=8000")
    out = tmp_path / "chapter.mp4"
    assert loudness.main([str(source), str(out)]) == 0
    assert out.read_bytes() == source.read_bytes()


def test_a_missing_render_is_one_line(tmp_path, capsys):
    assert loudness.main([str(tmp_path / "nope.mp4"), str(tmp_path / "out.mp4")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and not (tmp_path / "out.mp4").exists()



@pytest.mark.parametrize("film, says", [("/dev/zero", "is not a video file"), ("missing.mp4", "is not a video file"),
                                         ("not-a-video.mp4", "is not a readable media file: ")])
def test_the_report_refuses_a_film_that_is_no_video_in_one_line(tmp_path, capsys, film, says):
    from publish.__main__ import main

    renders = tmp_path / "renders"
    renders.mkdir()
    _render(renders / "ch01_opening.mp4", "anullsrc=sample_rate=8000")
    (renders / "ch01_opening.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nHello.\n", encoding="utf-8")
    (renders / "ch01_opening.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nHello.\n", encoding="utf-8")
    (renders / "ch01_opening.marks.json").write_text(
        '{"schema": "latent-walk/marks/1", "scene": "Opening", "title": "t", "duration": 6.0, "blocks": '
        '[{"name": "picture", "start": 0, "voice_end": 1, "end": 6, "text": "Hello."}]}\n', encoding="utf-8")
    (tmp_path / "not-a-video.mp4").write_text("these are words, not a video\n", encoding="utf-8")
    path = Path(film) if film.startswith("/") else tmp_path / film
    assert main(["report", "--from", str(renders), "--film", str(path), "ch01_opening"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], lines

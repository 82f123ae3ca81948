"""The three ways out, made from real (silent, tiny) chapter renders: web clips, the page in a real browser, the slide deck.

Two chapters are enough to exercise every path; the conftest renders them once per session
(``render_chapter``), and the chapter render tests reuse the same renders.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from bs4 import BeautifulSoup
from PIL import Image

from publish.browser import check_page, chromium, serve
from publish.clips import KINDS, ClipFiles, check_clip, make_clip
from publish.media import probe, read_renders
from publish.site import make_site, page, snippet
from publish.slides import DECK_NAME, make_slides, markdown_text, slide_cuts, slide_name
from scenes.chapters import chapter_named, find_chapters
from scenes.narration import read_subtitles

ROOT = Path(__file__).resolve().parents[1]
# The two shortest chapters, one reading the walk capture and one the forward capture.
MODULES = ("ch01_opening", "ch13_closing")


@pytest.fixture(scope="module")
def renders(render_chapter):
    for module in MODULES:
        _, folder = render_chapter(module)
    return read_renders(folder, MODULES)


@pytest.fixture(scope="module")
def clips(renders, tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    made = {render.module: make_clip(render, folder) for render in renders}
    return folder, made


@pytest.fixture(scope="module")
def site(clips, tmp_path_factory):
    folder, _ = clips
    out = tmp_path_factory.mktemp("site")
    return make_site(folder, out, MODULES)


def _run_publish(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "publish", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


# ----------------------------------------------------------------------------- clips


def test_every_clip_has_web_ready_streams_of_the_chapters_length(renders, clips):
    folder, made = clips
    for render in renders:
        manifest, kinds = made[render.module]
        assert kinds == list(KINDS), "a first run makes every file"
        assert check_clip(manifest, folder, render.duration) == []
        assert manifest["title"] == render.title and manifest["summary"] == chapter_named(render.module).summary
        assert manifest["duration"] == pytest.approx(render.duration, abs=0.1)
        for kind in KINDS:
            assert manifest["files"][kind]["bytes"] == ClipFiles(folder, render.module).path(kind).stat().st_size > 0


def test_the_stream_check_catches_a_clip_that_is_not_web_ready(renders, clips, tmp_path):
    folder, made = clips
    render = renders[0]
    manifest, _ = made[render.module]
    broken = tmp_path / "clips"
    broken.mkdir()
    for kind in KINDS:
        source = ClipFiles(folder, render.module).path(kind)
        (broken / source.name).write_bytes(source.read_bytes())
    # The render itself as the MP4: H.264 and AAC, but with its index at the end (no fast start)
    (broken / f"{render.module}.mp4").write_bytes(render.video.read_bytes())
    problems = check_clip(manifest, broken, render.duration + 5)
    assert any("not fast start" in problem for problem in problems)
    assert any("s long, the chapter is" in problem for problem in problems)


def test_subtitles_parse_and_cover_the_narration(renders, clips):
    folder, _ = clips
    for render in renders:
        said = " ".join(block.text for block in render.blocks).split()
        for kind in ("vtt", "srt"):
            cues = read_subtitles(ClipFiles(folder, render.module).path(kind))
            assert " ".join(cue.text for cue in cues).split() == said
            assert 0 <= cues[0].start and cues[-1].end <= render.duration + 1e-3


def test_the_poster_is_the_frame_the_chapter_chose(renders, clips):
    import av

    folder, made = clips
    for render in renders:
        poster = np.asarray(Image.open(ClipFiles(folder, render.module).path("poster")).convert("RGB"), dtype=float)
        with av.open(str(render.video)) as container:
            frames = [(frame.time, frame.to_ndarray(format="rgb24")) for frame in container.decode(video=0)]
        nearest = min(frames, key=lambda item: abs(item[0] - render.poster_time))[1].astype(float)
        assert poster.shape == nearest.shape
        assert np.abs(poster - nearest).mean() < 6, "the poster is not the frame at the poster block's end"
        assert poster.std() > 10, "the poster is a blank frame"
        assert made[render.module][0]["poster_time"] == pytest.approx(render.poster_time, abs=1e-3)


def test_a_second_run_remakes_nothing_and_a_newer_render_is_remade(renders, clips):
    folder, _ = clips
    render = renders[1]
    _, kinds = make_clip(render, folder)
    assert kinds == []
    # Every output older than the render (as after a new `make video`): every output is remade
    older = render.mtime - 100
    for kind in KINDS:
        os.utime(ClipFiles(folder, render.module).path(kind), (older, older))
    _, kinds = make_clip(render, folder)
    assert kinds == list(KINDS)
    _, kinds = make_clip(render, folder)
    assert kinds == []


def test_a_missing_render_names_the_target_to_run(tmp_path):
    result = _run_publish("clips", "ch01_opening", "--from", str(tmp_path / "nothing"), "--out", str(tmp_path / "clips"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert "ch01_opening.mp4 is missing" in result.stderr and "make video" in result.stderr
    assert not (tmp_path / "clips").exists()

    result = _run_publish("site", "--clips", str(tmp_path / "clips"), "--out", str(tmp_path / "site"))
    assert result.returncode == 2 and "make clips" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "site").exists()

    result = _run_publish("slides", "--from", str(tmp_path / "nothing"), "--out", str(tmp_path / "slides"))
    assert result.returncode == 2 and "make video" in result.stderr and "Traceback" not in result.stderr

    result = _run_publish("clips", "ch99_nothing", "--from", str(tmp_path))
    assert result.returncode == 2 and "no chapter named ch99_nothing" in result.stderr


# ----------------------------------------------------------------------------- the page


def test_the_page_embeds_every_clip_it_names(site, clips):
    folder, made = clips
    text = site.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text, "the page must need nothing from the internet"
    for module in MODULES:
        manifest = made[module][0]
        for kind in KINDS:
            assert f'clips/{manifest["files"][kind]["name"]}' in text
            assert (site.parent / "clips" / manifest["files"][kind]["name"]).is_file()
        assert f'id="{module}"' in text


def test_the_page_escapes_every_text_it_inserts(clips):
    folder, made = clips
    manifest = json.loads(json.dumps(made[MODULES[0]][0]))
    manifest["title"] = 'a "red" <script>alert(1)</script> & fish'
    manifest["summary"] = "</textarea><img src=x onerror=alert(2)>"
    text = page([manifest], {name: "#000000" for name in ("background", "ink", "muted", "faint", "signal", "highlight")},
                {manifest["module"]: "WEBVTT\n\n00:00.000 --> 00:01.000\n</script><script>alert(3)</script>\n"})
    assert "<script>alert" not in text and "<img src=x" not in text and "</textarea><img" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; fish" in text
    assert "alert(3)" not in text, "the page's own subtitles go in as base64, never as markup"
    # The snippet escapes too, and a second time inside the page's textarea
    assert "&lt;script&gt;" in snippet(manifest) and "&amp;lt;script&amp;gt;" in text


@pytest.mark.browser
@pytest.mark.skipif(chromium() is None, reason="needs Chromium; `make test` installs it through scripts/setup.sh")
def test_the_page_plays_in_a_real_browser(site, renders):
    expected = {render.module: render.duration for render in renders}
    with serve(site.parent) as url:
        report = check_page(url + "index.html", expected)
    assert report.problems == []
    assert sorted(video["id"] for video in report.videos) == sorted(MODULES)
    # Opened from disk too: subtitle files cannot be fetched there, so the page carries them inline
    report = check_page(site.as_uri(), expected)
    assert report.problems == []


@pytest.mark.browser
def test_the_browser_check_sees_a_broken_page(site, renders, tmp_path):
    if chromium() is None:
        pytest.skip("needs Chromium; `make test` installs it through scripts/setup.sh")
    broken = tmp_path / "site"
    (broken / "clips").mkdir(parents=True)
    for path in (site.parent / "clips").iterdir():
        if not path.name.endswith((".vtt", ".mp4")):
            (broken / "clips" / path.name).write_bytes(path.read_bytes())
    # A script that logs an error, videos that are not there, subtitle tracks that name a missing file
    (broken / "index.html").write_text(site.read_text(encoding="utf-8").replace(
        "</main>", "</main><script>console.error('a broken page')</script>").replace(
        'src="data:text/vtt;base64,', 'src="clips/missing.vtt" data-was="'), encoding="utf-8")
    expected = {render.module: render.duration + 30 for render in renders}
    with serve(broken) as url:
        report = check_page(url + "index.html", expected)
    assert any("a broken page" in problem for problem in report.problems)
    assert any("s long, expected" in problem for problem in report.problems)
    assert any("no cues" in problem for problem in report.problems)


# ----------------------------------------------------------------------------- the slide deck


def test_the_deck_has_a_slide_per_narration_block_with_its_sound_and_notes(renders, tmp_path):
    from manim_slides.config import PresentationConfig

    presentations, deck = make_slides(renders, tmp_path / "slides")
    assert deck.name == DECK_NAME and deck.is_file()
    text = deck.read_text(encoding="utf-8")
    numbers = {chapter.module: number for number, chapter in enumerate(find_chapters(), 1)}
    sections = BeautifulSoup(text, "html.parser").select("div.slides > section")
    assert len(sections) == sum(len(render.blocks) for render in renders)
    notes = [section.select_one("aside.notes").get_text() for section in sections]
    for render, path in zip(renders, presentations):
        config = PresentationConfig.from_file(path)  # what `manim-slides present` loads
        assert len(config.slides) == len(render.blocks)
        cuts = slide_cuts(render)
        assert cuts[0][0] == 0 and cuts[-1][1] == pytest.approx(render.duration)
        for index, (slide, (start, end)) in enumerate(zip(config.slides, cuts)):
            assert slide.file.name == slide_name(render, index)
            info = probe(slide.file)
            assert info.first("audio") is not None, "a slide keeps its stretch of the narration"
            assert info.duration == pytest.approx(end - start, abs=0.25)
            heading = f"Chapter {numbers[render.module]}, {render.title}: slide {index + 1} of {len(render.blocks)}"
            # Markdown for `manim-slides present`, plain text in the HTML deck
            assert slide.notes.startswith(markdown_text(heading)) and any(note.startswith(heading) for note in notes)
    # Self-contained: reveal.js and every video inlined, nothing loaded from elsewhere
    assert "data:video/mp4;base64," in text
    for attribute in ('src="http', "src='http", 'href="http', "href='http"):
        assert attribute not in text
    # A second run reuses every slide and the page
    before = {path: path.stat().st_mtime_ns for path in (tmp_path / "slides").rglob("*") if path.is_file()}
    make_slides(renders, tmp_path / "slides")
    after = {path: path.stat().st_mtime_ns for path in (tmp_path / "slides").rglob("*") if path.is_file()}
    changed = [path.name for path in before if after.get(path) != before[path] and path.suffix != ".json"]
    assert changed == []

"""Adding a chapter is adding two files: in a copy of the project, a throwaway chapter (its scene and its narration, nothing else) is found by the Makefile, the film's joiner, the page and the deck, each in its place.

The new chapter is ``ch01a_aside``: it plays after ``ch01_opening`` and before ``ch02_compass``.
It renders for real (silent voice, lowest settings) from the tiny walk capture, and the page and
the deck are made from it and the two chapters the export tests render (``ch01_opening`` and
``ch13_closing``), so the checks read real files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import RENDER_FPS, RENDER_RESOLUTION

from scenes.chapters import find_chapters

ROOT = Path(__file__).resolve().parents[1]
NEIGHBOURS = ("ch01_opening", "ch13_closing")

SCENE = '''"""Chapter "An aside": the walk's finished picture, and the prompt that made it."""

from manim import UP, FadeIn, Write

from scenes.narration import NarratedScene
from scenes.pictures import Frame, PixelPicture
from scenes.words import ChapterTitle


class Aside(NarratedScene):
    """The finished picture, large."""

    def tell(self) -> None:
        title = ChapterTitle(self.title)
        picture = PixelPicture(self.arrays["final_picture"], height=3.0)
        with self.narrate("picture"):
            self.play(Write(title), run_time=0.6)
            self.play(title.animate.scale(0.6).to_edge(UP), run_time=0.4)
            self.wait_until_bookmark("shown")
            self.play(FadeIn(picture), FadeIn(Frame(picture)), run_time=0.6)
'''

NARRATION = '''# Narration of "An aside" (scenes/ch01a_aside.py).

[chapter]
title = "An aside"
scene = "Aside"
reads = ["walk"]
summary = "The walk's finished picture, once more."
poster = "picture"

[blocks]

picture = """
An aside. <bookmark mark="shown"/> This is the picture the prompt {prompt} made, from seed {walk.seed}.
"""
'''


def _copy_of_the_project(target: Path) -> Path:
    """The project's files as git sees them (tracked, and new files it does not ignore), and the same .venv."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(ROOT / ".venv")
    return target


def _run(command: list[str], cwd: Path, **env: str) -> str:
    # The copy's own packages come first: python -m and python -c put the working folder on the path
    # ahead of the editable install.
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "CI": "true", **env})
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    copy = _copy_of_the_project(tmp_path_factory.mktemp("project"))
    (copy / "scenes" / "ch01a_aside.py").write_text(SCENE, encoding="utf-8")
    (copy / "scenes" / "ch01a_aside.narration.toml").write_text(NARRATION, encoding="utf-8")
    return copy


def test_the_chapter_list_and_make_find_it_in_its_place(project):
    listed = _run([sys.executable, "-m", "scenes.chapters"], project).split()
    modules = [word for word in listed if word.startswith("ch") and word[2].isdigit()]
    assert modules[:3] == ["ch01_opening", "ch01a_aside", "ch02_compass"]

    plan = _run(["make", "-n", "video", "LATENT_WALK_VOICE=silent"], project)
    assert "scenes/ch01a_aside.py Aside" in plan, "make would not render the new chapter"
    joins = [line for line in plan.splitlines() if "-m scenes.assemble" in line]
    assert len(joins) == 1, plan[-2000:]
    clips = [Path(word).stem for word in joins[0].split() if word.endswith(".mp4") and "chapters" in word]
    assert clips[:3] == ["ch01_opening", "ch01a_aside", "ch02_compass"] and clips[-1] == "ch13_closing"


def test_the_film_joiner_titles_it_from_its_narration(project):
    title = _run([sys.executable, "-c", "from scenes.assemble import chapter_title; "
                  "print(chapter_title('ch01a_aside'))"], project)
    assert title.strip() == "An aside"


@pytest.mark.render
def test_the_page_and_the_deck_include_it_in_its_place(project, walk_capture, render_chapter, tmp_path):
    _, captures = walk_capture
    media = tmp_path / "media"
    shutil.copytree(captures, media / "captures")
    _run([sys.executable, "-m", "manim", "render", "--config_file", "manim.cfg", "-ql", "--fps", str(RENDER_FPS),
          "-r", RENDER_RESOLUTION, "--media_dir", str(media), "--progress_bar", "none",
          "scenes/ch01a_aside.py", "Aside"], project, LATENT_WALK_VOICE="silent")
    renders = tmp_path / "renders"
    renders.mkdir()
    for module in NEIGHBOURS:
        _, theirs = render_chapter(module)
        for ext in ("mp4", "vtt", "srt", "marks.json"):
            shutil.copy2(theirs / f"{module}.{ext}", renders / f"{module}.{ext}")
    shutil.copy2(next(media.glob("videos/ch01a_aside/*/Aside.mp4")), renders / "ch01a_aside.mp4")
    for ext in ("vtt", "srt", "marks.json"):
        shutil.copy2(media / "subtitles" / f"Aside.{ext}", renders / f"ch01a_aside.{ext}")

    chosen = ["ch01_opening", "ch01a_aside", "ch13_closing"]
    _run([sys.executable, "-m", "publish", "clips", "--from", str(renders), "--out", str(tmp_path / "clips"), *chosen],
         project)
    _run([sys.executable, "-m", "publish", "site", "--clips", str(tmp_path / "clips"), "--out", str(tmp_path / "site"),
          *chosen], project)
    page = BeautifulSoup((tmp_path / "site" / "index.html").read_text(encoding="utf-8"), "html.parser")
    titles = [heading.get_text(" ", strip=True) for heading in page.select("h2")]
    assert any("An aside" in title for title in titles), titles
    place = [next(i for i, t in enumerate(titles) if name in t) for name in
             ("What happens in between?", "An aside", "What to remember")]
    assert place == sorted(place), titles
    assert (tmp_path / "clips" / "ch01a_aside.poster.png").is_file()

    _run([sys.executable, "-m", "publish", "slides", "--from", str(renders), "--out", str(tmp_path / "slides"),
          *chosen], project)
    deck = BeautifulSoup((tmp_path / "slides" / "latent-walk.html").read_text(encoding="utf-8"), "html.parser")
    notes = [section.select_one("aside.notes").get_text() for section in deck.select("div.slides > section")]
    headings = [note.split(":")[0] for note in notes]
    # numbered as it plays in the whole film: the opening is 1, the aside 2, and the closing moves up by one
    last = len(find_chapters()) + 1
    assert headings[0].startswith("Chapter 1, ") and "Chapter 2, An aside" in headings
    assert headings.index("Chapter 2, An aside") > 0 and headings[-1].startswith(f"Chapter {last}, What to remember")

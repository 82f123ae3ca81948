"""Narration files: no number typed by hand, and every placeholder names a fact of the capture its chapter reads.

Each chapter in ``scenes/chapters.py`` has ``scenes/<module>.narration.toml`` and a class
attribute ``capture_name``; the capture comes from the conftest fixture ``<capture_name>_capture``.
Numbers may appear only inside placeholders; words such as "first", "halfway" or "one step"
are words, not digits, and are allowed.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from scenes.chapters import ABOUT, CAPTURES_READ, CHAPTERS
from pipeline.experiments import EXPERIMENTS
from scenes.helpers import spoken, spoken_facts
from scenes.narration import NarrationError, digits_outside_placeholders, load_narration, placeholders_in
from pipeline.contract import Fact

SCENES = Path(__file__).resolve().parents[1] / "scenes"


def _narration_path(module: str) -> Path:
    return SCENES / f"{module}.narration.toml"


@pytest.mark.parametrize("module, scene", CHAPTERS)
def test_narration_types_no_numbers(module, scene):
    narration = load_narration(_narration_path(module))
    for name, text in narration.blocks.items():
        assert digits_outside_placeholders(text) == [], f"{module} block {name!r} types a number by hand"


def test_every_chapter_names_the_captures_it_reads_its_own_first():
    assert list(CAPTURES_READ) == [module for module, _ in CHAPTERS]
    for module, scene in CHAPTERS:
        reads = CAPTURES_READ[module]
        # (the forward capture is pipeline/forward.py; the rest are pipeline/experiments/)
        assert reads and set(reads) <= {"forward", *EXPERIMENTS}, f"{module} names captures nothing makes: {reads}"
        assert reads[0] == getattr(importlib.import_module(f"scenes.{module}"), scene).capture_name


def test_every_chapter_has_a_summary_and_a_poster_block_of_its_own_narration():
    assert list(ABOUT) == [module for module, _ in CHAPTERS]
    for module, about in ABOUT.items():
        assert about["summary"].strip() and "\n" not in about["summary"], module
        assert about["poster"] in load_narration(_narration_path(module)).blocks, (
            f"{module}'s poster names {about['poster']!r}, which is not one of its narration blocks")


@pytest.mark.parametrize("module, scene", CHAPTERS)
def test_every_placeholder_is_a_fact_of_the_chapter_capture(module, scene, request):
    capture_name = getattr(importlib.import_module(f"scenes.{module}"), scene).capture_name
    capture, _ = request.getfixturevalue(f"{capture_name}_capture")
    narration = load_narration(_narration_path(module))
    assert narration.placeholders(), f"{module} quotes no captured fact at all"
    missing = narration.placeholders() - set(capture.facts)
    assert not missing, f"{module} narration names facts the {capture_name} capture lacks: {sorted(missing)}"
    for text in narration.filled(spoken_facts(capture)).values():
        assert "{" not in text and "}" not in text


def test_the_digit_check_catches_typed_numbers():
    assert digits_outside_placeholders("It lasts {num_frames} frames, about 100 of them.") == ["100"]
    assert digits_outside_placeholders("At step {lost_step}, the first time.") == []
    assert placeholders_in("From {a} to {b}.") == ["a", "b"]


def test_a_placeholder_without_a_fact_is_refused(tmp_path):
    path = tmp_path / "chapter.narration.toml"
    path.write_text('[blocks]\nopening = "At step {no_such_fact}, it is gone."\n')
    with pytest.raises(NarrationError, match="no_such_fact"):
        load_narration(path).filled({"lost_step": "950"})


@pytest.mark.parametrize("text", ['opening = "At {lost_step:.2f} it ends."', 'opening = "Broken {brace."',
                                  'opening = "A <bookmark mark=\'two words\'/> mark."'])
def test_malformed_narration_is_refused(tmp_path, text):
    path = tmp_path / "chapter.narration.toml"
    path.write_text("[blocks]\n" + text + "\n")
    with pytest.raises(NarrationError):
        load_narration(path)


@pytest.mark.parametrize("fact, expected", [
    (Fact(950, "step", ""), "950"),
    (Fact(70.2, "% of amplitude", ""), "70"),
    (Fact(7.6, "% of amplitude", ""), "7.6"),
    (Fact(100.0, "% of draws", ""), "100"),
    (Fact("a big purple butterfly", "", ""), "a big purple butterfly"),
])
def test_facts_are_spoken_as_a_listener_wants_them(fact, expected):
    assert spoken(fact) == expected

"""Narration files: no number typed by hand, every placeholder names a fact of a capture its chapter reads, and each file's [chapter] table is whole.

Each chapter is ``scenes/chNN_name.py`` with ``scenes/chNN_name.narration.toml``; the captures
it reads come from the conftest fixtures ``<capture>_capture``. Numbers may appear only inside
placeholders; words such as "first", "halfway" or "one step" are words, not digits, and are allowed.
"""

from __future__ import annotations

import importlib

import pytest

from pipeline.contract import Fact
from pipeline.experiments import NAMES
from scenes.chapters import ChapterError, find_chapters, read_chapter
from scenes.narration import NarrationError, digits_outside_placeholders, load_narration, placeholders_in
from scenes.narration.scene import narration_facts, narration_flags
from scenes.numbers import shown, spoken

CHAPTERS = find_chapters()
MODULES = [chapter.module for chapter in CHAPTERS]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=MODULES)
def test_narration_types_no_numbers(chapter):
    narration = load_narration(chapter.narration)
    for text in narration.texts():
        assert digits_outside_placeholders(text) == [], f"{chapter.module} types a number by hand: {text[:60]!r}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=MODULES)
def test_every_chapter_says_what_it_is_and_its_class_is_the_one_named(chapter):
    assert chapter.reads and set(chapter.reads) <= set(NAMES), (
        f"{chapter.module} names captures nothing makes: {chapter.reads}")
    assert chapter.summary.strip() and chapter.title.strip()
    assert chapter.poster in load_narration(chapter.narration).blocks
    scene = getattr(importlib.import_module(f"scenes.{chapter.module}"), chapter.scene)
    assert scene.chapter() == chapter


def test_the_chapters_play_in_the_order_of_their_file_names():
    assert MODULES == sorted(MODULES, key=lambda m: (int(m[2:].split("_")[0].rstrip("abcdefghijklmnopqrstuvwxyz")), m))
    assert MODULES[0] == "ch01_opening" and MODULES[-1] == "ch13_closing"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=MODULES)
def test_every_placeholder_is_a_fact_of_a_capture_the_chapter_reads(chapter, request):
    captures = {name: request.getfixturevalue(f"{name}_capture")[0] for name in chapter.reads}
    narration = load_narration(chapter.narration)
    assert narration.placeholders(), f"{chapter.module} quotes no captured fact at all"
    facts = narration_facts(captures, chapter.capture)
    missing = narration.placeholders() - set(facts)
    assert not missing, f"{chapter.module} narration names facts its captures lack: {sorted(missing)}"
    for text in narration.filled(facts, narration_flags(captures, chapter.capture)).values():
        assert "{" not in text and "}" not in text


def test_a_placeholder_names_its_own_capture_plain_and_any_other_by_name():
    own = _capture({"step": Fact(12, "step", "")})
    other = _capture({"step": Fact(40, "step", ""), "share": Fact(7.6, "%", "")})
    facts = narration_facts({"walk": own, "map": other}, "walk")
    assert facts["step"] == "12" and facts["walk.step"] == "12" and facts["map.step"] == "40"
    assert "share" not in facts and facts["map.share"] == "7.6"


def _capture(facts):
    from pipeline.contract import Capture

    return Capture(path=None, spec={}, facts=facts, arrays={}, meanings={}, manifest={})


@pytest.mark.parametrize("table, complaint", [
    ("", r"needs a \[chapter\] table"),
    ('[chapter]\ntitle = "T"\nscene = "S"\nreads = ["walk"]\nsummary = "s"\n', "poster"),
    ('[chapter]\ntitle = "T"\nscene = "S"\nreads = []\nsummary = "s"\nposter = "a"\n', "reads"),
    ('[chapter]\ntitle = "T"\nscene = "S"\nreads = ["walk"]\nsummary = "s"\nposter = "b"\n', "not one of its blocks"),
    ('[chapter]\ntitle = "T"\nscene = "S"\nreads = ["walk"]\nsummary = "s"\nposter = "a"\nextra = 1\n', "unknown key"),
    ('[chapter]\ntitle = "T"\nscene = "not a class"\nreads = ["walk"]\nsummary = "s"\nposter = "a"\n', "class name"),
])
def test_a_chapter_table_that_says_too_little_or_too_much_is_refused(tmp_path, table, complaint):
    (tmp_path / "ch01_test.py").write_text("")
    path = tmp_path / "ch01_test.narration.toml"
    path.write_text(table + '\n[blocks]\na = "Words."\n')
    with pytest.raises(ChapterError, match=complaint):
        read_chapter(path)


def test_a_scene_file_without_narration_and_a_taken_number_are_refused(tmp_path):
    table = '[chapter]\ntitle = "T"\nscene = "S"\nreads = ["walk"]\nsummary = "s"\nposter = "a"\n[blocks]\na = "W."\n'
    (tmp_path / "ch01_one.py").write_text("")
    (tmp_path / "ch01_one.narration.toml").write_text(table)
    (tmp_path / "ch02_two.py").write_text("")
    with pytest.raises(ChapterError, match="needs its narration file"):
        find_chapters(tmp_path)
    (tmp_path / "ch01_two.narration.toml").write_text(table)
    (tmp_path / "ch02_two.py").rename(tmp_path / "ch01_two.py")
    with pytest.raises(ChapterError, match="is taken by"):
        find_chapters(tmp_path)


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
    # never "-0.0" or "0.0" for a value that is not zero; a real zero is "0", whatever its sign
    (Fact(-0.01, "correlation", ""), "about zero"),
    (Fact(0.04, "% of pictures", ""), "about zero"),
    (Fact(-0.0, "correlation", ""), "0"),
    (Fact(-0.2, "correlation", ""), "-0.2"),
])
def test_facts_are_spoken_as_a_listener_wants_them(fact, expected):
    assert spoken(fact) == expected


@pytest.mark.parametrize("fact, expected", [
    (Fact(-0.01, "correlation", ""), "-0.01"),
    (Fact(-0.0, "correlation", ""), "0"),
    (Fact(0.04, "% of pictures", ""), "0.04%"),
])
def test_facts_are_shown_with_the_digits_that_tell_them_from_zero(fact, expected):
    assert shown(fact) == expected


VARIANTS = """[blocks]
end = \"\"\"It found the {object} <bookmark mark="end"/> at the end.\"\"\"

[variants]
end = [{ when = "not found", text = \"\"\"It never found the {object}. <bookmark mark="end"/> Nothing.\"\"\" }]
"""


def test_a_sentence_that_holds_only_under_a_condition_is_chosen_by_the_facts(tmp_path):
    path = tmp_path / "chapter.narration.toml"
    path.write_text(VARIANTS)
    narration = load_narration(path)
    facts = {"object": "snail"}
    assert narration.filled(facts, {"found": True})["end"].startswith("It found the snail")
    # data made to go the other way: the sentence that it contradicts is not said
    assert narration.filled(facts, {"found": False})["end"].startswith("It never found the snail")
    with pytest.raises(NarrationError, match="yes-or-no facts"):
        narration.filled(facts, {})


def test_only_the_texts_spoken_must_be_filled(tmp_path):
    """A variant spoken where a fact is missing may leave it out; a spoken text that names it is refused."""
    path = tmp_path / "chapter.narration.toml"
    path.write_text('[blocks]\nend = "The judge saw {judged_share} percent."\n[variants]\n'
                    'end = [{ when = "not judged", text = "No judge knows these pictures." }]\n')
    narration = load_narration(path)
    assert narration.filled({}, {"judged": False})["end"] == "No judge knows these pictures."
    with pytest.raises(NarrationError, match="judged_share"):
        narration.filled({}, {"judged": True})


def test_a_variant_must_keep_its_blocks_bookmarks(tmp_path):
    path = tmp_path / "chapter.narration.toml"
    path.write_text(VARIANTS.replace(' <bookmark mark="end"/> Nothing.', " Nothing."))
    with pytest.raises(NarrationError, match="must keep the block's bookmarks"):
        load_narration(path)


def test_a_count_of_one_takes_its_noun_in_the_singular(tmp_path):
    path = tmp_path / "counts.narration.toml"
    path.write_text('[blocks]\nend = """In {right} of its {seeds} pictures, after {steps} steps, {right}.5 times."""\n',
                    encoding="utf-8")
    narration = load_narration(path)
    assert narration.filled({"right": "1", "seeds": "4", "steps": "1"})["end"] == \
        "In 1 of its 4 pictures, after 1 step, 1.5 times."
    assert narration.filled({"right": "2", "seeds": "1", "steps": "12"})["end"] == \
        "In 2 of its 1 picture, after 12 steps, 2.5 times."

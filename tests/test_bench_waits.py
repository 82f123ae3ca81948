"""scripts/bench_waits.py: the narration change it times is a real change that leaves a narration file whole."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_waits", REPO / "scripts" / "bench_waits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("narration", sorted((REPO / "scenes").glob("ch*.narration.toml")), ids=lambda p: p.stem)
def test_the_edit_adds_a_sentence_and_keeps_every_block(bench, narration):
    text = narration.read_text()
    edited = bench.edited(text)
    before, after = tomllib.loads(text), tomllib.loads(edited)
    assert edited != text and bench.EDIT.strip() in edited
    assert before["chapter"] == after["chapter"] and before["blocks"].keys() == after["blocks"].keys()


def test_its_film_file_is_a_film_of_its_own(bench, tmp_path):
    from pipeline import film

    path = tmp_path / "bench-waits.toml"
    path.write_text(bench.FILM_TEXT)
    own, default = film.read(path), film.read(REPO / "film.toml")
    assert own.name == bench.FILM_NAME != default.name
    assert all(own.prompts[key] != default.prompts[key] for key in ("walk", "object", "blend", "binding"))

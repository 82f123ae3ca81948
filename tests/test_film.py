"""A film is a file: film.toml names the prompts, seed, steps, guidance, model and voice; every capture's settings
follow from it, `make video FILM=path` makes another film into its own folder, and a bad film file is one line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from pipeline import film as films
from pipeline.contract import spec_hash
from pipeline.errors import UsageError
from pipeline.experiments import common, experiment, registry
from pipeline.experiments import map as map_experiment
from pipeline.experiments.models import open_model

REPO = Path(__file__).resolve().parents[1]

FISH = """
name = "{name}"
voice = "silent"
seed = 7
steps = 12
guidance = 3.5

[prompts]
walk = "a blue fish in the sea at night"
object = "a fish"
blend = "a house and a boat"
words = "a blue fish in the sea at night"
binding = "a yellow sun and a green tree"
"""


def _film_file(folder: Path, text: str = FISH, name: str = "fish", file: str = "fish.toml") -> Path:
    path = folder / file
    path.write_text(text.replace("{name}", name), encoding="utf-8")
    return path


def _pipeline(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)


def test_the_default_film_makes_the_captures_a_plain_capture_makes():
    film = films.read()
    assert film.is_default and film.folder == REPO / "media" and film.voice == "piper" and film.model is None
    for entry in registry():
        chosen = film.inputs_chosen() if entry.name == "map" else film.chosen(entry.name)
        assert all(not c for c in chosen.values()) if entry.name == "map" else chosen == {}, entry.name
    # and its prompts are the experiments' own defaults, each where the film says it is walked
    walked = films.prompt_of()
    assert set(walked.values()) == set(films.PROMPT_KEYS)  # every prompt of the film is walked by some experiment
    for name, key in walked.items():
        assert experiment(name).options["prompt"] == film.prompts[key], name


def test_every_capture_takes_its_settings_from_the_film(tmp_path):
    film = films.read(_film_file(tmp_path))
    assert film.folder == films.FILMS / "fish" and film.voice == "silent"
    model = open_model(None)
    for entry in registry():
        if entry.name in ("forward", "map"):
            continue
        chosen = film.chosen(entry.name)
        settings = common.settings(entry.module, **{k: v for k, v in chosen.items() if k != "model"})
        assert settings.prompt == film.prompts[entry.film_prompt], entry.name
        assert (settings.seed, settings.steps, settings.guidance) == (7, 12, 3.5), entry.name
    assert film.chosen("forward") == {}  # a toy-world picture dissolved by the scheduler: its own seed
    # the map is fitted over the captures the film makes, each with the film's settings for it
    spec = map_experiment.make_spec(model, {}, film.inputs_chosen())
    for name, digest in spec["inputs"]:
        module = experiment(name).module
        assert digest == spec_hash(module.make_spec(model, common.settings(module, **film.chosen(name)))), name
    assert spec["input_overrides"]["blend"]["prompt"] == "a house and a boat"
    plain = map_experiment.make_spec(model, {}, films.read().inputs_chosen())
    assert "input_overrides" not in plain and plain == map_experiment.make_spec(model, {})


def test_a_model_folder_is_read_relative_to_the_film_file(tmp_path):
    text = FISH.replace('voice = "silent"', 'voice = "silent"\nmodel = "models/sd"')
    film = films.read(_film_file(tmp_path, text))
    assert film.model == tmp_path / "models" / "sd"
    assert film.chosen("walk")["model"] == tmp_path / "models" / "sd" and "model" not in film.chosen("binding")


def _replace(line_from: str, line_to: str) -> str:
    assert line_from in FISH
    return FISH.replace(line_from, line_to)


BAD = [
    (_replace('voice = "silent"', 'voice = "silent"\ncolour = "red"'),
     "unknown key 'colour' in the top table; known: name, model, voice"),
    (_replace('object = "a fish"', 'object = "a fish"\nsky = "a sun"'), "unknown key 'sky' in [prompts]; known: walk"),
    (_replace('object = "a fish"\n', ''), "[prompts] has no object prompt"),
    (FISH[:FISH.index("[prompts]")], "has no [prompts] table"),
    (_replace('object = "a fish"', 'object = ""'), "the object prompt must be some words in quotes"),
    (_replace('blend = "a house and a boat"', 'blend = "a house"'), "the blend prompt: blend needs a prompt naming two"),
    (_replace('words = "a blue fish in the sea at night"', 'words = "fish"'), "the words prompt: words needs a prompt "
                                                                             "of two words or more"),
    (_replace('binding = "a yellow sun and a green tree"', 'binding = "a sun and a tree"'), "the binding prompt: binding "
                                                                                           "needs a prompt naming two"),
    (_replace('walk = "a blue fish in the sea at night"', 'walk = "' + "a blue fish and " * 8 + 'a fish"'),
     "the walk prompt: prompt 'a blue fish and"),
    (_replace('voice = "silent"', 'voice = "loud"'), "voice must be piper or silent; got 'loud'"),
    (_replace('steps = 12', 'steps = 0'), "steps must be a whole number from 1 to 1000; got 0"),
    (_replace('steps = 12', 'steps = 2.5'), "steps must be a whole number"),
    (_replace('guidance = 3.5', 'guidance = -1'), "guidance must be a number from 0 to 100"),
    (_replace('seed = 7', 'seed = "seven"'), "seed must be a whole number"),
    (_replace('name = "{name}"', 'name = "../up"'), "name must be lower-case letters"),
    (_replace('steps = 12', 'steps = = 12'), "is not valid TOML"),
    (_replace('voice = "silent"', 'model = "no-such-folder"'), "model "),
    (_replace('voice = "silent"', 'voice = "silent"\nchapters = ["ch13_closing", "ch01_opening"]'),
     "chapters must name each chapter once, in the order they play"),
    (_replace('voice = "silent"', 'voice = "silent"\nchapters = "ch01_opening"'), "chapters must be a list"),
    (_replace('voice = "silent"', 'voice = "silent"\nchapters = ["../ch01_opening"]'), "chapters must be a list"),
]


# The two cases refused only after the text encoder or diffusers is loaded, in each of two processes (seconds each).
ENCODED = {8, 16}


@pytest.mark.parametrize("text, says", [pytest.param(*case, marks=[pytest.mark.slow] if i in ENCODED else [])
                                        for i, case in enumerate(BAD)], ids=[f"bad-{i}" for i in range(len(BAD))])
def test_a_bad_film_file_is_one_line_exit_2_and_writes_nothing(tmp_path, text, says):
    path = _film_file(tmp_path, text, name="fish-bad")
    out = tmp_path / "captures"
    for args in (["film", "check", str(path)], ["capture", "walk", "--film", str(path), "--out", str(out)]):
        result = _pipeline(*args)
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], result.stderr
        assert "Traceback" not in result.stderr and result.stdout == ""
    assert not out.exists() and not (films.FILMS / "fish-bad").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_an_unsupported_model_class_is_refused_with_the_supported_ones(tmp_path):
    folder = tmp_path / "kandinsky"
    folder.mkdir()
    (folder / "model_index.json").write_text('{"_class_name": "KandinskyPipeline"}\n')
    path = _film_file(tmp_path, _replace('voice = "silent"', f'model = "{folder}"'))
    with pytest.raises(UsageError, match="KandinskyPipeline, which capture does not support; it records .*"
                                         "StableDiffusionXLPipeline.*FluxPipeline"):
        films.check(films.read(path))


def test_a_missing_film_file_and_flags_beside_a_film_are_refused(tmp_path):
    result = _pipeline("film", "check", str(tmp_path / "nowhere.toml"))
    assert result.returncode == 2 and "does not exist" in result.stderr and "Traceback" not in result.stderr
    path = _film_file(tmp_path)
    result = _pipeline("capture", "walk", "--film", str(path), "--seed", "3", "--out", str(tmp_path / "c"))
    assert result.returncode == 2 and "--film sets every capture's settings; give --seed in the film file" \
        in result.stderr
    assert not (tmp_path / "c").exists()


def test_show_prints_what_each_capture_takes(tmp_path):
    result = _pipeline("film", "show", str(_film_file(tmp_path)))
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert list(lines) == [e.name for e in registry()]
    assert "--prompt 'a house and a boat'" in lines["blend"] and "--seed 7" in lines["walk"]
    assert "its own defaults" in lines["forward"]


def test_two_film_files_never_share_a_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(films, "FILMS", tmp_path / "films")
    first = films.read(_film_file(tmp_path / "", file="one.toml"))
    folder = films.claim_folder(first)
    (folder / "film.mp4").write_bytes(b"the first film")
    assert films.claim_folder(first) == folder  # the same file again: its own folder
    (tmp_path / "other").mkdir()
    second = films.read(_film_file(tmp_path / "other", file="one.toml"))  # another file, the same name
    with pytest.raises(UsageError, match="holds the film of .*one.toml; give .* another name"):
        films.claim_folder(second)
    stray = tmp_path / "films" / "stray"
    stray.mkdir(parents=True)
    (stray / "mine.txt").write_text("not a film's")
    with pytest.raises(UsageError, match="was not made for a film file"):
        films.claim_folder(films.read(_film_file(tmp_path / "other", name="stray", file="stray.toml")))
    assert (folder / "film.mp4").read_bytes() == b"the first film" and (stray / "mine.txt").exists()


def _make(*args: str) -> subprocess.CompletedProcess:
    # without the voice `make test` exports to the tests: here the film file's voice is what is checked
    env = {k: v for k, v in os.environ.items() if k not in ("LATENT_WALK_VOICE", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    return subprocess.run(["make", "--no-print-directory", "-n", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL, env=env)


def test_make_video_with_a_film_file_makes_it_in_its_own_folder(tmp_path):
    name = f"test-film-{uuid.uuid4().hex[:8]}"
    folder = REPO / "media" / "films" / name
    try:
        path = _film_file(tmp_path, name=name)
        result = _make("film", f"FILM={path}")
        assert result.returncode == 0, result.stderr
        where = f"media/films/{name}"
        assert f"-m pipeline capture --all --film {path} --out {where}/captures" in result.stdout
        assert f"--media_dir {where} scenes/ch05_walk.py" in result.stdout
        assert f"-m scenes.assemble {where}/film.mp4 {where}/chapters/medium-silent/ch01_opening.mp4" in result.stdout
        assert "(medium quality, silent voice)" in result.stdout  # the default quality, the film file's voice
        assert "media/captures" not in result.stdout.replace(f"{where}/captures", "")
        spoken = _make("film", f"FILM={path}", "LATENT_WALK_VOICE=piper")  # a voice given outright wins
        assert "(medium quality, piper voice)" in spoken.stdout and f"{where}/chapters/medium-piper/" in spoken.stdout
        video = _make("video", f"FILM={path}")
        assert f"-m pipeline film check {path}" in video.stdout.splitlines()[0]
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # made by this test alone: its name is new
    bad = _film_file(tmp_path, _replace('voice = "silent"', 'voice = "loud"'), name=name, file="bad.toml")
    result = _make("film", f"FILM={bad}")
    assert result.returncode == 2 and "error: film file" in result.stderr and "voice must be" in result.stderr
    assert not folder.exists()


def test_reading_the_makefile_for_help_or_clean_or_a_dry_run_writes_nothing(tmp_path):
    """`make help` and `make -n clean` do not ask Python for the experiments or the chapters, and `make -n video`
    asks but neither claims a film's folder nor writes the chapters' inputs: in a fresh copy of the project (set
    up, nothing made yet), they write nothing at all."""
    from test_add_a_chapter import _copy_of_the_project

    project = _copy_of_the_project(tmp_path / "project")
    path = _film_file(tmp_path, name="elsewhere")
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    for goal in (["help"], ["-n", "clean"], ["help", f"FILM={path}"], [], ["-n", "video"], ["-n", "film"],
                 ["-n", "film", f"FILM={path}"], ["-n", "-j2", "all"]):
        result = subprocess.run(["make", "--no-print-directory", *goal], cwd=project, capture_output=True, text=True,
                                timeout=120, stdin=subprocess.DEVNULL, env=env)
        assert result.returncode == 0, result.stderr
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


def test_a_film_that_keeps_some_chapters_renders_and_joins_those_alone(tmp_path):
    name = f"test-cut-{uuid.uuid4().hex[:8]}"
    folder = REPO / "media" / "films" / name
    kept = ["ch01_opening", "ch05_walk", "ch13_closing"]
    try:
        text = FISH.replace('voice = "silent"', 'voice = "silent"\nchapters = ' + str(kept).replace("'", '"'))
        path = _film_file(tmp_path, text, name=name)
        assert films.read(path).chapters == tuple(kept)
        result = _make("film", f"FILM={path}")
        assert result.returncode == 0, result.stderr
        rendered = [line.split("scenes/")[1].split(".py")[0] for line in result.stdout.splitlines()
                    if "-m manim render" in line]
        assert sorted(rendered) == kept and rendered[0] == "ch05_walk"  # the most words first; joined in play order
        join = next(line for line in result.stdout.splitlines() if "-m scenes.assemble" in line)
        assert [Path(word).stem for word in join.split() if word.endswith(".mp4")][1:] == kept
        unknown = _film_file(tmp_path, text.replace("ch05_walk", "ch05_nowhere"), name=f"{name}-b", file="unknown.toml")
        result = _make("film", f"FILM={unknown}")
        assert result.returncode != 0 and "ch05_nowhere" in result.stderr and "Traceback" not in result.stderr
    finally:
        for made in (folder, folder.with_name(f"{name}-b")):  # made by this test alone: their names are new
            shutil.rmtree(made, ignore_errors=True)


def test_the_short_cut_keeps_chapters_that_exist_in_play_order():
    from scenes.chapters import find_chapters, kept

    film = films.read(REPO / "films" / "short.toml")
    assert film.chapters and [c.module for c in kept(find_chapters(), ",".join(film.chapters))] == list(film.chapters)


def test_renders_start_longest_first_and_every_chapter_once():
    from scenes.chapters import find_chapters, longest_first
    from scenes.narration.script import load_narration

    chapters = find_chapters()
    ordered = longest_first(chapters)
    words = [sum(len(t.split()) for t in load_narration(c.narration).blocks.values()) for c in ordered]
    assert sorted(c.module for c in ordered) == sorted(c.module for c in chapters)
    assert words == sorted(words, reverse=True) and words[0] > words[-1]


def test_every_capture_is_made_by_one_process_before_any_chapter_renders():
    result = _make("-B", "film")  # a dry run of everything make would do, in its order
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    captures = [i for i, line in enumerate(lines) if line.startswith(".venv/bin/python -m pipeline capture ")]
    renders = [i for i, line in enumerate(lines) if line.startswith(".venv/bin/python -m manim render ")]
    assert len(captures) == 1 and " capture --all --film " in lines[captures[0]], captures
    assert renders and captures[0] < min(renders)


@pytest.mark.parametrize("make, says", [
    (lambda path: path.write_text("seed = " + "[" * 20000 + "]" * 20000 + "\n"), "has a line of"),
    (lambda path: path.write_text("seed = " + "[\n" * 5000 + "]\n" * 5000), "nests brackets deeper than"),
    # a string ending in an escaped backslash ends there: what follows it is counted
    (lambda path: path.write_text('name = "a\\\\"\nseed = ' + "[\n" * 5000 + "]\n" * 5000), "nests brackets deeper than"),
    (lambda path: path.write_text("a = { b = " * 30 + "1" + " }" * 30 + "\n"), "nests brackets deeper than"),
    (lambda path: path.write_text("x" + ".y" * 100_000 + " = 1\n"), "is larger than"),
    (lambda path: path.write_text("x" + ".y" * 5_000 + " = 1\n"), "has a line of"),
    (lambda path: os.mkfifo(path), "is not a regular file"),
])
def test_a_film_file_that_would_eat_memory_or_time_is_one_line(tmp_path, make, says):
    path = tmp_path / "hostile.toml"
    make(path)
    started = time.monotonic()
    result = _pipeline("film", "check", str(path))
    assert result.returncode == 2 and time.monotonic() - started < 60, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: film file") and says in lines[0], result.stderr


def test_a_film_file_that_is_a_device_is_refused_unread():
    with pytest.raises(UsageError, match="is not a regular file"):
        films.read(Path("/dev/zero"))


def test_brackets_and_hashes_inside_strings_are_not_counted():
    from pipeline.files import check_toml_shape

    check_toml_shape('walk = "[[[[[[[[[[[[[[[[[[[[[[ # not a comment"\nwords = \'{{{{{{{{{{{{{{{{{{{{{{\'\n')

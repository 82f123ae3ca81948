"""Three films other than the default, each a film file of other prompts within the toy world, captured at the
tiny settings with `capture --all --film FILE` and rendered chapter by chapter with the silent voice at the lowest
settings: no chapter stops, no placeholder is left unfilled, the narration names the film's own prompts, and never
the default film's things (the butterfly and the snail), which none of these prompts names (but for the chapters that
show a toy-world picture chosen by its seed: the forward process and the latent twin's)."""

from __future__ import annotations

import re

import pytest
from conftest import TINY_STEPS, WORDS_FPS, chapter_media, made_once, render_silent, tiny_settings

from pipeline import cli
from pipeline import film as films
from pipeline.contract import read_capture
from scenes.chapters import find_chapters
from scenes.narration import read_subtitles

pytestmark = pytest.mark.render  # renders chapters with manim (make test-quick leaves these out)

CHAPTERS = find_chapters()
FILMS = {
    "fish": {"walk": "a blue fish in the sea at night", "object": "a fish", "blend": "a house and a boat",
             "words": "a blue fish in the sea at night", "binding": "a yellow sun and a green tree"},
    "sun": {"walk": "a yellow sun", "object": "a sun", "blend": "a tree and a flower", "words": "a yellow sun",
            "binding": "a green house and a pink boat"},
    "two-things": {"walk": "a house and a boat", "object": "a house", "blend": "a fish and a flower",
                   "words": "a small purple flower at night", "binding": "a purple fish and a green boat"},
}
DEFAULT_THINGS = re.compile(r"\b(butterfl(y|ies)|snails?)\b", re.IGNORECASE)
# Captures that dissolve a toy-world picture of their own choosing (by its seed, not by the film's prompts): the
# chapters that read them may name whatever that picture shows.
OWN_PICTURES = {"forward", "latent"}


def _film_text(name: str, prompts: dict[str, str]) -> str:
    lines = [f'name = "{name}"', 'voice = "silent"', "seed = 1", f"steps = {TINY_STEPS}", "", "[prompts]"]
    return "\n".join(lines + [f'{key} = "{prompt}"' for key, prompt in prompts.items()]) + "\n"


@pytest.fixture(scope="module", params=list(FILMS))
def film_media(request, tmp_path_factory):
    """A film's media folder: its film file, and its captures made by `capture --all --film` at the tiny settings."""
    name = request.param
    with made_once(tmp_path_factory, f"film-{name}") as (media, make_it):
        path = media / f"{name}.toml"
        if make_it:
            path.write_text(_film_text(name, FILMS[name]), encoding="utf-8")
            with pytest.MonkeyPatch.context() as patch:
                tiny_settings(patch, media.parent / f"{media.name}-latent-twin")
                assert cli.main(["capture", "--all", "--film", str(path), "--out", str(media / "captures")]) == 0
    return name, films.read(path), media


def test_every_capture_was_made_with_the_film_files_settings(film_media):
    name, film, media = film_media
    for key, experiment in (("walk", "walk"), ("walk", "guidance"), ("walk", "latent"), ("object", "seeds"),
                            ("object", "jump"), ("object", "explore"), ("words", "words"), ("binding", "binding")):
        spec = read_capture(media / "captures", name=experiment).spec
        first_seed = spec["seed"] if "seed" in spec else spec["seeds"][0]  # one walk's seed, or many from it
        assert spec["prompt"] == FILMS[name][key] and first_seed == 1 and spec["steps"] == TINY_STEPS, experiment
    assert read_capture(media / "captures", name="blend").spec["ends"] == FILMS[name]["blend"].split(" and ")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[chapter.module for chapter in CHAPTERS])
def test_every_chapter_of_every_film_renders_and_names_its_prompts(chapter, film_media):
    name, film, media = film_media
    media = chapter_media(media, chapter.module)
    video = render_silent(chapter.module, chapter.scene, media, fps=WORDS_FPS)
    assert video.stat().st_size > 0
    said = " ".join(cue.text for cue in read_subtitles(media / "subtitles" / f"{chapter.scene}.vtt"))
    assert said.strip(), f"{chapter.module} said nothing"
    assert "{" not in said and "}" not in said, f"{chapter.module}: a placeholder left unfilled: {said}"
    if not OWN_PICTURES & set(chapter.reads):
        assert not DEFAULT_THINGS.search(said), f"{chapter.module} of the {name} film names the default film's " \
                                                f"things: {said}"
    # the chapter's own prompt, where its capture walks one the film names, is said in words (the prompt grown word
    # by word: its last word, which the chapter names as it arrives)
    own = read_capture(media / "captures", name=chapter.capture).spec
    wanted = [own["prompt"]] if chapter.capture in ("walk", "binding") else own["ends"] if chapter.capture == "blend" \
        else [own["prompt"].split()[-1]] if chapter.capture == "words" else []
    flat = " ".join(said.lower().replace('"', " ").replace("“", " ").replace("”", " ").split())
    for prompt in wanted:
        assert prompt.lower() in flat, f"{chapter.module} never says {prompt!r}: {said}"

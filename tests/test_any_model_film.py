"""A film from any model: every chapter renders, silent and at the lowest settings, from captures of a tiny random
Stable Diffusion model, which the toy world's judge cannot read. No chapter stops, no placeholder is left unfilled,
and what each says quotes only facts its captures have: where the judge did not read the pictures, the narration's
variants say what can be said without it.

The Stable Diffusion folder is built here offline (tests/test_capture_checkpoint.py's builder: tokenizer in memory,
nothing downloaded). The experiments that take no --model come from the embedded model's tiny captures, as a film of
another model would have them: `forward` runs a scheduler only, `latent` compares the embedded pixel model with its
latent twin (tiny random components here, as in conftest), and `binding` needs the toy world's colour judge.
"""

from __future__ import annotations

import importlib

import pytest
from conftest import TINY_STEPS, WORDS_FPS, chapter_media, made_once, render_silent, tiny_settings

from pipeline.contract import read_capture
from scenes.chapters import find_chapters
from scenes.narration import load_narration, read_subtitles, spoken_text
from scenes.narration.scene import narration_facts, narration_flags
from scenes.narration.script import Narration
from scenes.words import JUDGE_ARRAYS, NOT_JUDGED

pytestmark = pytest.mark.render  # renders chapters with manim (make test-quick leaves these out)

EMBEDDED_ONLY = ("forward", "latent", "binding")  # no --model: the embedded model's (see the docstring)
ANY_MODEL = ("walk", "seeds", "jump", "guidance", "words", "blend", "explore", "map")  # the map last: fitted over them
CHAPTERS = find_chapters()


def _experiment(name):
    return importlib.import_module(f"pipeline.experiments.{name}")


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """A media folder whose captures are those of a film of the tiny Stable Diffusion model, at conftest's tiny
    settings (two steps, few seeds and points); made once per test run, whichever xdist worker asks first."""
    from test_capture_checkpoint import tiny_stable_diffusion

    with made_once(tmp_path_factory, "sd-film") as (media, make_it):
        if make_it:
            sd_folder = media / "tiny-stable-diffusion"
            tiny_stable_diffusion(sd_folder)
            root = media / "captures"
            with pytest.MonkeyPatch.context() as patch:
                tiny_settings(patch, media / "latent-twin")
                _experiment("forward").capture(root, progress=False)
                for name in EMBEDDED_ONLY[1:]:
                    _experiment(name).capture(root, steps=TINY_STEPS, progress=False)
                for name in ANY_MODEL:
                    _experiment(name).capture(root, steps=TINY_STEPS, model=sd_folder, progress=False)
    return media


def test_the_captures_are_of_the_stable_diffusion_model_and_the_judge_read_none(media):
    for name in ANY_MODEL:
        capture = read_capture(media / "captures", name=name)
        assert capture.spec["model"]["pipeline"] == "StableDiffusionPipeline"
        if name in JUDGE_ARRAYS:
            assert capture.facts["judged"].value is False and capture.spec["judge"] is None
            assert JUDGE_ARRAYS[name] not in capture.arrays
            assert not [fact for fact in capture.facts if fact.startswith(("judged_", "judge_", "grid_object"))]
    assert read_capture(media / "captures", name="walk").arrays["final_picture"].shape == (16, 16, 3)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[chapter.module for chapter in CHAPTERS])
def test_every_chapter_renders_and_says_only_what_its_captures_measured(chapter, media):
    captures = {name: read_capture(media / "captures", name=name) for name in chapter.reads}
    narration = load_narration(chapter.narration)
    flags = narration_flags(captures, chapter.capture)
    # What the chapter speaks is its blocks as these captures' facts choose them; filled from the captures' own
    # facts alone, so a spoken judge's fact that the capture lacks (or any other) fails here, by name.
    spoken_blocks = Narration(narration.path, narration.chosen(flags))
    texts = spoken_blocks.filled(narration_facts(captures, chapter.capture))
    for block, options in narration.variants.items():  # the captures say the judge read nothing: each says so
        if [when for when, _ in options] == ["not judged"]:
            assert narration.chosen(flags)[block] == options[0][1], f"{chapter.module}: {block} quotes the judge"

    own = chapter_media(media, chapter.module)
    video = render_silent(chapter.module, chapter.scene, own, fps=WORDS_FPS)
    assert video.stat().st_size > 0
    said = " ".join(spoken_text(text) for text in texts.values())
    cues = read_subtitles(own / "subtitles" / f"{chapter.scene}.vtt")
    shown = " ".join(cue.text for cue in cues)
    assert shown.split() == said.split()
    assert "{" not in shown and "}" not in shown and NOT_JUDGED not in shown

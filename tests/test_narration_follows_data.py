"""The narration follows the data, for any prompts: it names the configured prompts' words, never the default's, and a
sentence that holds only under a condition is said only where the measured facts bear it out.

Two kinds of test. Films of other prompts: every experiment captured at conftest's tiny settings with prompts unlike
the default ones (a two-object main prompt, eight words to grow, another pair to blend, another object to explore),
and every chapter's narration filled from them. Facts made to go the other way: an experiment's own fact code run on
those captures' arrays, changed so that the measurement contradicts what the default film says (a blend whose middle
is a mix, a grid the judge does not read as the object throughout, a word order that matters, ...), and the chosen
narration checked not to say the contradicted sentences, with every placeholder filled.
"""

from __future__ import annotations

import importlib
import re
import shutil

import numpy as np
import pytest
from conftest import TINY_STEPS, made_once, render_silent, tiny_settings

from pipeline.contract import Fact, read_capture
from scenes.chapters import chapter_named, find_chapters
from scenes.narration import load_narration, read_subtitles, spoken_text
from scenes.narration.scene import narration_facts, narration_flags
from scenes.numbers import spoken

# The film's prompts, none of them the default's: each experiment's --prompt
PROMPTS = {
    "walk": "a green tree and a yellow sun",  # two things in the main prompt
    "guidance": "a green tree and a yellow sun",
    "latent": "a green tree and a yellow sun",
    "seeds": "a yellow sun",
    "jump": "a yellow sun",
    "explore": "a yellow sun",
    "words": "a blue fish in the sea at night",  # eight words to grow, where the default has five
    "blend": "a house and a boat",
    "binding": "a pink house and a white boat",
}
MAP_INPUTS = ("walk", "seeds", "jump", "guidance", "words", "blend", "explore")
# Words of the default prompts that name things ("red" is also a colour of the film's own charts)
DEFAULT_WORDS = ("butterfly", "butterflies", "snail", "grass")
# Captures of no prompt of the film's (forward noises a toy-world picture of its own choosing; binding and latent show
# that picture's object too), so a chapter reading them may name a default object legitimately.
OWN_PICTURES = ("forward", "latent", "binding")
CHAPTERS = find_chapters()


def _experiment(name):
    return importlib.import_module(f"pipeline.experiments.{name}")


@pytest.fixture(scope="module")
def other_film(tmp_path_factory):
    """A media folder whose captures are a film of other prompts, at conftest's tiny settings: made once per test
    run, by the first xdist worker that asks (the module's tests are spread over the workers)."""
    with made_once(tmp_path_factory, "other-prompts") as (media, make_it):
        if make_it:
            root = media / "captures"
            with pytest.MonkeyPatch.context() as patch:
                tiny_settings(patch, media.parent / f"{media.name}-latent-twin")
                _experiment("forward").capture(root, progress=False)
                for name, prompt in PROMPTS.items():
                    _experiment(name).capture(root, steps=TINY_STEPS, prompt=prompt, progress=False)
                _experiment("map").capture(root, progress=False, inputs={
                    name: {"prompt": PROMPTS[name], "steps": TINY_STEPS} for name in MAP_INPUTS})
    return media


def _captures(media, chapter):
    return {name: read_capture(media / "captures", name=name) for name in chapter.reads}


def _said(chapter, captures) -> dict[str, str]:
    """Each block as the chapter speaks it from these captures: its chosen text, filled, as the subtitles say it."""
    narration = load_narration(chapter.narration)
    texts = narration.filled(narration_facts(captures, chapter.capture), narration_flags(captures, chapter.capture))
    return {block: spoken_text(text) for block, text in texts.items()}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def test_the_captures_are_of_the_configured_prompts(other_film):
    for name, prompt in PROMPTS.items():
        assert read_capture(other_film / "captures", name=name).facts["prompt"].value == prompt
    words = read_capture(other_film / "captures", name="words").facts
    assert words["word_count"].value == 8 and words["word_list"].value == PROMPTS["words"].split()
    blend = read_capture(other_film / "captures", name="blend").facts
    assert (blend["object_a"].value, blend["object_b"].value) == ("house", "boat") and blend["judged"].value
    assert not [fact for name in PROMPTS for fact in read_capture(other_film / "captures", name=name).facts
                if any(word in fact for word in DEFAULT_WORDS)]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[chapter.module for chapter in CHAPTERS])
def test_every_chapter_fills_and_names_the_configured_prompts_not_the_default(chapter, other_film):
    captures = _captures(other_film, chapter)
    said = " ".join(_said(chapter, captures).values())
    assert "{" not in said and "}" not in said
    if not set(chapter.reads) & set(OWN_PICTURES):
        assert not _words(said) & set(DEFAULT_WORDS), f"{chapter.module} names the default prompts' things: {said}"
    own = captures[chapter.capture].facts
    chosen = load_narration(chapter.narration).chosen(narration_flags(captures, chapter.capture))
    if any("{prompt}" in text for text in chosen.values()):  # a chapter that quotes its prompt quotes the configured one
        assert own["prompt"].value in said


def test_the_chapters_say_the_configured_prompts_words(other_film):
    said = {chapter.module: " ".join(_said(chapter, _captures(other_film, chapter)).values()) for chapter in CHAPTERS}
    assert "halfway between a house and a boat" in said["ch01_opening"]
    assert PROMPTS["walk"] in said["ch01_opening"] and PROMPTS["seeds"] in said["ch03_seeds"]
    assert {"house", "boat"} <= _words(said["ch11_blend"])  # the judge's objects, by their role facts
    assert "sun" in _words(said["ch12_explore"]) and "tree" in _words(said["ch09_guidance"])
    # the first word, the last, and the one that changed the picture most, whichever of the eight it is
    words = read_capture(other_film / "captures", name="words").facts
    growth = _said(chapter_named("ch10_words"), _captures(other_film, chapter_named("ch10_words")))["growth"]
    assert '"a"' in growth and '"night"' in growth and f'"{words["biggest_change_word"].value}"' in growth


@pytest.mark.render
def test_the_words_chapter_plays_every_word_of_a_longer_prompt(other_film, tmp_path):
    """Rendered with the silent voice: the growth block's words arrive on its bookmarks whatever the word count, and
    the subtitles say what the narration chose."""
    chapter = chapter_named("ch10_words")
    media = tmp_path / "media"
    shutil.copytree(other_film / "captures", media / "captures")
    video = render_silent(chapter.module, chapter.scene, media)
    assert video.stat().st_size > 0
    said = " ".join(_said(chapter, _captures(other_film, chapter)).values())
    shown = " ".join(cue.text for cue in read_subtitles(media / "subtitles" / f"{chapter.scene}.vtt"))
    assert shown.split() == said.split()


# ----------------------------------------------------------------------------- facts made to go the other way


def _chosen(module: str, facts, others=None) -> dict[str, str]:
    """The chapter's narration as these facts (its own capture's) choose and fill it; others: {capture: facts}."""
    chapter = chapter_named(module)
    narration = load_narration(chapter.narration)
    everything = {**{f"{c}.{k}": v for c, fs in (others or {}).items() for k, v in fs.items()}, **facts}
    flags = {k: v.value for k, v in everything.items() if isinstance(v.value, bool)}
    return {block: spoken_text(text)
            for block, text in narration.filled({k: spoken(v) for k, v in everything.items()}, flags).items()}


def _capture(media, name):
    capture = read_capture(media / "captures", name=name)
    return capture, {k: np.array(v) for k, v in capture.arrays.items()}


def _blend_facts(media, change):
    from types import SimpleNamespace

    import torch

    capture, arrays = _capture(media, "blend")
    change(arrays)
    encoding = SimpleNamespace(pooled=torch.from_numpy(arrays["pooled"]),
                               token_states=torch.from_numpy(arrays["token_states"]))
    return _experiment("blend")._facts(capture.spec, arrays, encoding, ["house", "boat"])


def _set_middle(arrays, presence):
    arrays["lerp_presence"][len(arrays["fractions"]) // 2] = presence


def test_a_blend_whose_middle_is_a_mix_is_not_said_to_snap(other_film):
    both = _blend_facts(other_film, lambda a: _set_middle(a, [0.9, 0.8]))
    assert both["middle_shows_both"].value and not both["snaps"].value
    said = _chosen("ch11_blend", both)
    assert "snaps" not in said["snap"] and "sees both" in said["snap"] and "not both things" not in said["closing"]
    neither = _blend_facts(other_film, lambda a: _set_middle(a, [0.1, 0.2]))
    assert neither["middle_shows_neither"].value and not neither["snaps"].value
    assert "snaps" not in _chosen("ch11_blend", neither)["snap"] and "neither" in _chosen("ch11_blend", neither)["snap"]
    one = _blend_facts(other_film, lambda a: _set_middle(a, [0.2, 0.9]))
    said = _chosen("ch11_blend", one)
    assert one["snaps"].value and "snaps from one to the other" in said["snap"]
    assert "sees a boat, 90 percent sure, and a house at only 20 percent" in said["snap"]


def test_a_prompt_naming_both_whose_picture_lacks_one_is_not_said_to_show_both(other_film):
    def lacks(arrays):
        arrays["combined_presence"] = np.array([0.95, 0.05], dtype=np.float32)

    facts = _blend_facts(other_film, lacks)
    assert not facts["combined_shows_both"].value
    said = _chosen("ch11_blend", facts)["combined"]
    assert "Both are there" not in said and "95 percent sure of the house, and 5 percent sure of the boat" in said


def test_an_arc_that_changes_the_pictures_is_not_said_to_change_nothing(other_film):
    def apart(arrays):
        arrays["slerp_finals"][1:-1] = 255 - arrays["lerp_finals"][1:-1]

    facts = _blend_facts(other_film, apart)
    assert not facts["arc_changes_little"].value and facts["arc_change"].value > 0
    assert "almost nothing" not in _chosen("ch11_blend", facts)["arc"]


def test_a_grid_the_judge_does_not_read_as_the_object_throughout_is_not_said_to_be_all_of_it(other_film):
    capture, arrays = _capture(other_film, "explore")
    arrays["grid_presence"][0, 0] = 0.1
    arrays["grid_presence"][1:] = 0.9
    noise = np.random.default_rng(0).normal(size=(3, *arrays["grid_finals"].shape[2:]))
    facts = _experiment("explore")._facts(capture.spec, noise, arrays, "sun")
    assert facts["grid_object_share"].value < 100 and not facts["all_judged_object"].value
    said = _chosen("ch12_explore", facts)["grid"]
    assert "Every one is" not in said and f"a sun in {spoken(facts['grid_object_share'])} percent" in said


def test_a_grid_whose_neighbours_are_unlike_is_not_said_to_have_neighbourhoods(other_film):
    capture, arrays = _capture(other_film, "explore")
    size = arrays["grid_finals"].shape[0]
    dark, light = np.zeros_like(arrays["grid_finals"][0, 0]), np.full_like(arrays["grid_finals"][0, 0], 255)
    for i in range(size):
        for j in range(size):  # a chequerboard: every neighbour the other picture
            arrays["grid_finals"][i, j] = dark if (i + j) % 2 else light
    noise = np.random.default_rng(0).normal(size=(3, *arrays["grid_finals"].shape[2:]))
    facts = _experiment("explore")._facts(capture.spec, noise, arrays, "sun")
    assert not facts["neighbours_alike"].value
    said = _chosen("ch12_explore", facts)
    assert "patches" not in said["grid"] and "neighbourhoods" not in said["closing"]


def test_seeds_the_judge_does_not_all_read_as_the_object_are_not_said_to_be_equally_good(other_film):
    capture, arrays = _capture(other_film, "seeds")
    arrays["judged_presence"][:] = 0.9
    arrays["judged_presence"][0] = 0.1
    facts = _experiment("seeds")._facts(capture.spec, arrays, 20.0, "sun")
    assert not facts["all_judged_object"].value and facts["judged_object_share"].value < 100
    said = _chosen("ch03_seeds", facts)
    assert "Each one is" not in said["different"] and "equally good answers" not in said["all"].replace(
        "not all equally good answers", "")
    everyone = dict(arrays, judged_presence=np.full_like(arrays["judged_presence"], 0.9))
    facts = _experiment("seeds")._facts(capture.spec, everyone, 20.0, "sun")
    said = _chosen("ch03_seeds", facts)["different"]
    # "a yellow sun" names a colour too: the prompt is not said to have named only the object
    assert facts["all_judged_object"].value and not facts["bare_prompt"].value
    assert "Each one is a sun" in said and "named only the object" not in said


def test_late_layouts_and_forks_that_never_settle_are_not_said_to_be_early(other_film):
    capture, arrays = _capture(other_film, "seeds")
    steps = capture.spec["steps"]
    arrays["commit_steps"][:] = steps
    arrays["fork_change_share"][:] = 0.95
    facts = _experiment("seeds")._facts(capture.spec, arrays, 20.0, "sun")
    assert not facts["commits_early"].value and not facts["forks_settle"].value
    said = _chosen("ch08_commit", facts)
    assert "long before the end" not in said["question"] and "only" not in said["commit"]
    assert "very start" not in said["end"] and f"Fork at step {steps}" not in said["change"]


def test_forks_that_settle_only_at_the_last_are_said_once(other_film):
    capture, arrays = _capture(other_film, "seeds")
    forks = [int(f) for f in arrays["fork_steps"]]
    arrays["fork_change_share"][:] = 0.95
    arrays["fork_change_share"][-1] = 0.05  # only the last fork settles
    facts = _experiment("seeds")._facts(capture.spec, arrays, 20.0, "sun")
    assert facts["forks_settle_only_at_last"].value and facts["fork_settled_step"].value == forks[-1]
    said = _chosen("ch08_commit", facts)["change"]
    assert said.count(f"step {forks[-1]}") == 1 and "Only from the last fork" in said and "By step" not in said
    arrays["fork_change_share"][-2] = 0.05  # two forks settle: the settled fork and the last are said apart
    facts = _experiment("seeds")._facts(capture.spec, arrays, 20.0, "sun")
    assert not facts["forks_settle_only_at_last"].value
    said = _chosen("ch08_commit", facts)["change"]
    assert f"Fork at step {forks[-2]}" in said and f"By step {forks[-1]}" in said


def test_finals_the_judge_misses_are_not_said_to_end_in_the_object(other_film):
    capture, arrays = _capture(other_film, "jump")
    arrays["finals_presence"][:] = 0.9
    arrays["finals_presence"][-1] = 0.2
    facts = _experiment("jump")._facts(None, capture.spec, arrays)
    assert not facts["all_finals_judged_object"].value
    assert "Every one of them ends in" not in _chosen("ch06_jump", facts)["finals"]


def test_guidance_that_does_not_bring_the_object_is_not_said_to(other_film):
    capture, arrays = _capture(other_film, "guidance")
    scales = [float(s) for s in arrays["scales"]]
    arrays["object_presence"][:] = 0.9  # the judge sees the object with guidance off too
    facts = _experiment("guidance")._facts(capture.spec, arrays, "tree", True)
    assert not facts["guidance_brings_object"].value and facts["judge_object_at_0"].value == 90
    said = _chosen("ch09_guidance", facts)["up"]
    assert "just" not in said and "is there" not in said and "90 percent sure it sees a tree" in said
    arrays["object_presence"][0] = 0.1  # guidance brings the object, but the colours fade at the top
    arrays["colourfulness"][scales.index(max(scales))] = 0.0
    facts = _experiment("guidance")._facts(capture.spec, arrays, "tree", True)
    assert facts["guidance_brings_object"].value and not facts["colours_grow_with_guidance"].value
    said = _chosen("ch09_guidance", facts)["up"]
    assert "grow stronger" not in said and "the tree is there" in said


def test_a_pipeline_that_skips_guidance_at_zero_is_not_said_to_ignore_the_prompt(other_film):
    capture, arrays = _capture(other_film, "guidance")
    facts = _experiment("guidance")._facts(capture.spec, arrays, "tree", False)
    assert not facts["unguided_ignores_prompt"].value
    said = _chosen("ch09_guidance", facts)
    assert "ignored" not in said["up"] and "ignores" not in said["closing"] and "no off" in said["closing"]


def _words_facts(media, change):
    capture, arrays = _capture(media, "words")
    change(arrays)
    return _experiment("words")._facts(capture.spec, arrays)


def test_a_word_order_that_matters_is_not_said_to_hardly_matter(other_film):
    def shuffled(arrays):
        arrays["variant_change"][:] = 80.0

    facts = _words_facts(other_film, shuffled)
    assert facts["order_matters"].value
    said = _chosen("ch10_words", facts)
    assert "hardly matters" not in said["closing"] and "order of the words matters" in said["closing"]
    assert "even though" not in said["order"]


@pytest.mark.parametrize("biggest", ["first", "middle", "last"])
def test_the_growth_names_the_word_that_changed_the_picture_most_wherever_it_is(other_film, biggest):
    def peak(arrays):
        change = arrays["growth_change"]
        change[1:] = 1.0
        change[{"first": 1, "middle": 4, "last": len(change) - 1}[biggest]] = 50.0

    facts = _words_facts(other_film, peak)
    words = PROMPTS["words"].split()
    place = facts["biggest_change_position"].value
    assert (place == 1) == (biggest == "first") and (place == len(words)) == (biggest == "last")
    said = _chosen("ch10_words", facts)["growth"]
    assert f'"{words[place - 1]}"' in said and '"night"' in said and "{" not in said
    if biggest == "middle":
        assert 'most is "in": 50 percent' in said
    else:
        assert {"first": "No word after it", "last": "more than any word before it"}[biggest] in said


def test_the_opening_says_a_laptop_only_of_the_projects_own_model(other_film):
    chapter = chapter_named("ch01_opening")
    captures = _captures(other_film, chapter)
    walk = captures["walk"].facts
    assert walk["embedded_model"].value and "laptop" in _said(chapter, captures)["picture"]
    elsewhere = {**walk, "embedded_model": Fact(False, "", "a model from elsewhere")}
    said = _chosen("ch01_opening", elsewhere, {"blend": captures["blend"].facts})
    assert "laptop" not in said["picture"] and "toy world" not in said["picture"]


def test_a_difference_that_does_not_fade_is_not_said_to_fade(other_film):
    capture, arrays = _capture(other_film, "guidance")
    arrays["direction_size"][:] = 6.0
    facts = _experiment("guidance")._facts(capture.spec, arrays, "tree", True)
    assert not facts["direction_fades"].value
    said = _chosen("ch09_guidance", facts)["steps"]
    assert "fades" not in said and "does its work early" not in said and "6 percent" in said
    arrays["direction_size"][-1] = 0.5
    facts = _experiment("guidance")._facts(capture.spec, arrays, "tree", True)
    assert facts["direction_fades"].value and "fades" in _chosen("ch09_guidance", facts)["steps"]

"""Colour binding: the colour judge's reading of known pictures, the verdicts, the prompt set, and the tiny capture."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from pipeline.colour_judge import (
    COLOUR_NAMES,
    VERDICTS,
    binding_verdicts,
    load_colour_judge,
    object_colours,
    read_record,
    read_sides,
    two_object_scene,
)
from pipeline.errors import UsageError
from pipeline.experiments import binding
from pipeline.toyworld import OBJECTS, render, scene_from


@pytest.fixture(scope="module")
def colour_judge():
    return load_colour_judge()


def test_the_colour_judge_reads_each_side_of_known_pictures(colour_judge):
    cases = [(("butterfly", "snail"), ("red", "blue"), "day"), (("snail", "butterfly"), ("blue", "red"), "grass"),
             (("fish", "boat"), ("yellow", "purple"), "sea"), (("house", "tree"), ("pink", "green"), "night"),
             (("flower", "sun"), ("white", "orange"), "day")]
    pictures = np.stack([render(scene_from(kinds, colours, background=bg, seed=i))
                         for i, (kinds, colours, bg) in enumerate(cases)])
    reading = read_sides(colour_judge, pictures)
    for (kinds, colours, _), read_kinds, read_colours in zip(cases, reading["kind"], reading["colour"]):
        # scene_from draws the first thing on the left
        assert [OBJECTS[k] for k in read_kinds] == list(kinds)
        assert [COLOUR_NAMES[c] for c in read_colours] == list(colours)


def test_the_colour_judge_is_accurate_on_fresh_pictures(colour_judge):
    """Its record says what it scored after training; a fresh sample of pictures it never saw agrees."""
    from pipeline.colour_judge import accuracy

    recorded = read_record()["accuracy_on_fresh_pictures"]
    assert recorded["per_object"] >= 0.98
    again = accuracy(colour_judge, count=300, offset=900_000_000_000)
    assert again["per_object"] >= 0.97, again


def test_two_object_scenes_put_one_thing_on_each_side():
    for seed in range(50):
        scene = two_object_scene(seed)
        assert sorted(o.position for o in scene.objects) == ["left", "right"]
        assert scene.objects[0].kind != scene.objects[1].kind


def test_object_colours_finds_each_named_thing_on_its_side():
    butterfly, snail, fish = (OBJECTS.index(o) for o in ("butterfly", "snail", "fish"))
    red, blue = COLOUR_NAMES.index("red"), COLOUR_NAMES.index("blue")
    reading = {"kind": np.array([[snail, butterfly], [butterfly, snail], [butterfly, butterfly], [fish, snail]]),
               "colour": np.array([[blue, red], [red, blue], [red, red], [red, blue]])}
    found = object_colours(reading, ("butterfly", "snail"))
    assert found.tolist() == [[red, blue], [red, blue], [-1, -1], [-1, -1]]


def test_each_verdict_is_given_where_it_belongs():
    red, blue, green = (COLOUR_NAMES.index(c) for c in ("red", "blue", "green"))
    read = np.array([[red, blue], [blue, red], [red, red], [blue, blue], [green, blue], [-1, -1]])
    verdicts = binding_verdicts(read, ("red", "blue"))
    assert verdicts.tolist() == ["right", "swapped", "one colour on both", "one colour on both", "other colours",
                                 "objects wrong"]
    assert set(verdicts) <= set(VERDICTS)


def test_the_prompt_set_has_every_order_and_each_prompt_its_swapped_twin():
    entries = binding.prompt_set(("butterfly", "snail"), ("red", "blue"))
    prompts = [e[0] for e in entries]
    assert prompts[0] == "a red butterfly and a blue snail"
    assert len(prompts) == len(set(prompts)) == 4 * (1 + len(binding.OTHER_PAIRS)) * (1 + len(binding.OTHER_COLOURS))
    assert "a blue butterfly and a red snail" in prompts and "a blue snail and a red butterfly" in prompts
    twins = binding._twin(entries)
    for i, j in enumerate(twins):
        assert twins[j] == i and i != j
        assert entries[i][1] == entries[j][1] and entries[i][2] == entries[j][2][::-1]
    for prompt, objects, colours in entries:  # each prompt says what the entry says it asks for
        assert binding.parse(prompt) == (objects, colours)


@pytest.mark.parametrize("prompt", ["a butterfly", "a red butterfly and a red snail", "a red butterfly and a blue dog",
                                    "a red snail and a blue snail", "three red butterflies and a blue snail"])
def test_a_prompt_binding_cannot_use_is_refused(prompt):
    with pytest.raises(UsageError, match="two different objects"):
        binding.parse(prompt)


def test_the_command_line_refuses_it_in_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pipeline", "capture", "binding", "--prompt", "a red butterfly",
                             "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "two different objects" in result.stderr
    assert "Traceback" not in result.stderr
    assert not any((tmp_path / "out").glob("binding*"))


def test_the_tiny_capture_has_its_facts_and_consistent_arrays(binding_capture):
    capture, _ = binding_capture
    a, f = capture.arrays, capture.facts
    prompts, seeds = a["verdicts"].shape
    assert prompts == len(a["prompts"]) == 4 and seeds == len(a["seeds"]) == 2
    assert a["finals"].shape[:2] == (prompts, seeds) and a["finals"].dtype == np.uint8
    assert set(a["verdicts"].reshape(-1)) <= set(VERDICTS)
    shares = [f[k].value for k in ("binding_score", "swapped_share", "one_colour_share", "other_colours_share",
                                   "objects_wrong_share")]
    assert sum(shares) == pytest.approx(100, abs=0.3)
    assert f["binding_score"].value == pytest.approx(100 * np.mean(a["verdicts"] == "right"), abs=0.06)
    assert f["prompt"].value == "a red butterfly and a blue snail"
    assert f["swapped_prompt"].value == "a blue butterfly and a red snail"
    assert str(a["prompts"][a["twin_of"][0]]) == f["swapped_prompt"].value
    # settle steps: -1 where the things are missing, else a step of the walk (or one past it: never settled)
    settle, steps = a["settle_steps"], capture.spec["steps"]
    assert ((settle == -1) | ((settle >= 1) & (settle <= steps + 1))).all()
    assert ((settle == -1) == (a["verdicts"][..., None] == "objects wrong")).all()
    # the scores at each scale are shares; the capture's own scale is read from the main walks' first seeds
    own = list(a["curve_scales"]).index(capture.spec["guidance"])
    assert a["curve_scores"][own] == pytest.approx(100 * np.mean(a["verdicts"][:, :1] == "right"))
    # a swap moves the pooled vector less than changing a colour; distances are real numbers, not zero
    assert 0 < f["pooled_swap_distance"].value < f["pooled_yardstick_distance"].value
    assert f["token_swap_distance"].value > 0
    for name, value in f.items():
        assert value.meaning, name
    assert f["geneval_sd15"].unit.endswith("(published)") and "not measured here" in f["geneval_sd15"].meaning
    assert isinstance(f["compass_blind"].value, bool) and isinstance(f["mostly_right"].value, bool)


def test_the_model_card_section_quotes_the_capture_and_marks_published_figures(binding_capture, tmp_path):
    from types import SimpleNamespace

    from pipeline.evaluate import BINDING_BEGIN, BINDING_END, binding_section, write_binding_section

    capture, _ = binding_capture
    text = binding_section(capture)
    f = capture.facts
    assert f"| both colours on the right things (colour attribution) | {f['binding_score'].value:g}% |" in text
    assert "| Stable Diffusion 1.5 | 6% |" in text and "not like-for-like" in text.replace("not a like-for-like",
                                                                                           "not like-for-like")
    card = tmp_path / "MODEL_CARD.md"
    card.write_text("# card\n\nbefore\n\n## Limits\n\n- small\n")
    write_binding_section(SimpleNamespace(card=card), capture)
    write_binding_section(SimpleNamespace(card=card), capture)  # a second time replaces, never repeats
    written = card.read_text()
    assert written.count(BINDING_BEGIN) == 1 and written.count(BINDING_END) == 1
    assert written.startswith("# card\n\nbefore\n") and written.rstrip().endswith("- small")


def _facts_for(binding_capture, verdict_of):
    """The binding facts recomputed from the tiny capture's arrays with made-up verdicts: verdict_of(prompt, seed)."""
    capture, _ = binding_capture
    arrays = dict(capture.arrays)
    prompts, seeds = arrays["verdicts"].shape
    arrays["verdicts"] = np.array([[verdict_of(p, s) for s in range(seeds)] for p in range(prompts)])
    return binding._facts(capture.spec, arrays)


def test_the_narration_follows_the_verdicts_whichever_way_they_go(binding_capture):
    """Data made to go both ways: a model that binds every colour, and one that ignores the word order."""
    from scenes.chapters import chapter_named
    from scenes.narration.script import load_narration
    from scenes.numbers import spoken

    narration = load_narration(chapter_named("ch10a_binding").narration)
    capture, _ = binding_capture
    twin = capture.arrays["twin_of"]

    def chosen(facts):
        flags = {k: v.value for k, v in facts.items() if isinstance(v.value, bool)}
        return narration.filled({k: spoken(v) for k, v in facts.items()}, flags)

    binds = _facts_for(binding_capture, lambda p, s: "right")
    assert binds["binding_score"].value == 100 and binds["swap_ignored_share"].value == 0
    assert binds["mostly_right"].value and not binds["swaps_common"].value
    closing = chosen(binds)["closing"]
    assert "coin toss" not in closing and "100 percent of the time" in closing

    # each prompt right, its twin swapped: the same picture whatever the word order
    ignores = _facts_for(binding_capture, lambda p, s: "right" if p < twin[p] else "swapped")
    assert ignores["binding_score"].value == 50 and ignores["swap_ignored_share"].value == 100
    assert ignores["swaps_common"].value
    closing = chosen(ignores)["closing"]
    assert "coin toss" in closing and "100 percent of the time" in closing

    misses = _facts_for(binding_capture, lambda p, s: "objects wrong")
    assert not misses["mostly_right"].value and misses["twin_pair_count"].value == 0
    assert "only 0 of the" in chosen(misses)["pictures"]


def test_walks_gather_whole_prompt_pairs_into_batches_of_about_16_pictures_and_keep_their_order():
    """The guidance curve walks one seed per prompt: 16 prompts a walk (not 4, which left the processor idle),
    and the finals come back in prompt and seed order whatever the batching."""
    from types import SimpleNamespace

    class Model:
        def __init__(self):
            self.batches = []

        def walk(self, *, steps, guidance, seeds, prompts, eta, progress):
            self.batches.append(len(prompts))
            final = np.stack([np.full((2, 2, 3), (int(p[1:]) * 10 + s) / 1000.0) for p, s in zip(prompts, seeds)])
            return SimpleNamespace(final=final)

    prompts = [f"p{i}" for i in range(48)]
    for seeds in ((0, 1, 2, 3), (0,), (0, 1)):
        model = Model()
        finals, _ = binding._walk(model, prompts, seeds, 3, 2.0, None, keep_clean=False)
        assert set(model.batches) == {16} and sum(model.batches) == len(prompts) * len(seeds)
        expected = np.rint([[(i * 10 + s) / 1000.0 * 255 for s in seeds] for i in range(48)])
        assert finals.shape == (48, len(seeds), 2, 2, 3) and np.array_equal(finals[..., 0, 0, 0], expected)


def test_guidance_0_is_walked_once_as_the_empty_prompts_walk_and_is_every_prompts_picture():
    """At guidance 0 the pipeline's prediction is the unconditional one plus 0 x the prompt's difference: each prompt's
    walk from a seed is the empty prompt's walk from it, bit for bit (float32), so the curve walks it once a seed."""
    from pipeline.experiments.models import open_model
    from pipeline.precision import running_in

    model = open_model()
    prompts = [entry[0] for entry in binding.prompt_set(("butterfly", "snail"), ("red", "blue"))][:3]
    with running_in("float32", "cpu", model.pipe):
        walked, _ = binding._walk(model, prompts, [0, 1], 3, 0.0, None, keep_clean=False)
        once = binding._unprompted(model, [0, 1], 3, None)
    assert walked.shape == (3, *once.shape) and not np.array_equal(once[0], once[1])
    assert all(np.array_equal(walked[i], once) for i in range(3))

"""Every experiment on a tiny configuration of the real embedded model: arrays, facts with units, determinism and the cache."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from pipeline.contract import read_capture
from pipeline.experiments import NAMES, explore, measures, words

STEPS = 2  # the tiny captures' steps: conftest's tiny_captures computes every experiment once per session


def _module(name):
    return importlib.import_module(f"pipeline.experiments.{name}")


@pytest.mark.parametrize("name", [n for n in NAMES if n != "forward"])
def test_each_experiment_writes_its_arrays_and_facts(tiny_captures, name):
    captures, root = tiny_captures
    capture = captures[name]
    assert set(_module(name).ARRAY_NAMES) <= set(capture.arrays)
    assert capture.spec["experiment"] == name and capture.spec["model"]["pipeline"] == "ToyWorldPipeline"
    assert read_capture(root, name).path == capture.path  # it is the current one
    assert capture.facts, "an experiment without facts gives the film nothing to quote"
    for key, fact in capture.facts.items():
        assert isinstance(fact.unit, str) and fact.meaning.strip(), key
        assert fact.value is not None and fact.value == fact.value, key  # no NaN
        if isinstance(fact.value, (int, float)) and not isinstance(fact.value, bool):
            assert fact.unit, f"{key} is a number without a unit"
    for key, array in capture.arrays.items():
        if key.endswith("pictures") or key in ("finals", "final_picture", "combined_final", "fork_finals",
                                                 "fork_reference_final", "first_guesses", "ladder_finals"):
            assert array.dtype == np.uint8 and array.shape[-3:] == (32, 32, 3), key


def test_walk(tiny_captures):
    a, facts = tiny_captures[0]["walk"].arrays, tiny_captures[0]["walk"].facts
    assert list(a["tokens"]) == ["[CLS]", "a", "red", "butterfly", "on", "grass", "[SEP]"]
    assert a["trajectory"].shape == (STEPS + 1, 3, 32, 32) and a["trajectory"].dtype == np.float16
    assert np.array_equal(a["trajectory_pictures"][-1], a["final_picture"])
    assert a["guess_distance"][-1] < 1.0 < a["guess_distance"][0]
    assert facts["picture_numbers"].value == 3072 and facts["token_state_numbers"].value == 24 * 384
    assert facts["token_count"].value == 5


def test_seeds(tiny_captures):
    capture = tiny_captures[0]["seeds"]
    a = capture.arrays
    count = len(capture.spec["seeds"])
    assert a["finals"].shape == (count, 32, 32, 3)
    assert a["predicted_clean_pictures"].shape == (STEPS, count, 32, 32, 3)
    assert len({a["finals"][i].tobytes() for i in range(count)}) == count, "different seeds, different pictures"
    assert np.allclose(a["layout_distance"][-1], 0, atol=0.02)  # the last guess is the picture
    assert np.all((1 <= a["commit_steps"]) & (a["commit_steps"] <= STEPS))
    forks = capture.spec["forks"]
    assert a["fork_finals"].shape == (len(forks["fork_steps"]), len(forks["branch_seeds"][0]), 32, 32, 3)
    assert list(a["fork_steps"]) == forks["fork_steps"] and forks["fork_steps"][0] == 0
    # fresh noise from the start changes the ending; the same noise to the end would not
    assert a["fork_change"][0] > 1.0
    assert capture.facts["commit_step"].value == int(np.ceil(np.median(a["commit_steps"])))


def test_forks_share_the_walk_up_to_the_fork_and_part_after(monkeypatch):
    from tqdm import tqdm

    from pipeline.experiments import common, seeds
    from pipeline.experiments.models import open_model

    model = open_model()
    monkeypatch.setattr(seeds, "BRANCHES", 2)
    spec = seeds.make_spec(model, common.settings(seeds, steps=4))
    spec["forks"].update(fork_steps=[2], branch_seeds=[[7, 8]])
    with tqdm(disable=True) as bar:
        trajectory = seeds._forks(model, spec, bar)["walk"].trajectory.numpy()
    # rows of one batch agree to float rounding while they share their noise ...
    for row in (1, 2):
        assert np.allclose(trajectory[:3, 0], trajectory[:3, row], atol=1e-4)
    # ... and part once the fork's fresh noise comes in (DDIM's last step adds none, so step 3 of 4)
    assert np.abs(trajectory[3, 0] - trajectory[3, 1]).max() > 0.05
    assert np.abs(trajectory[3, 1] - trajectory[3, 2]).max() > 0.05


def test_jump(tiny_captures):
    capture = tiny_captures[0]["jump"]
    a = capture.arrays
    assert np.allclose(a["mean_of_finals"], a["finals"].astype(np.float64).mean(axis=0) / 255, atol=1e-6)
    ladder = capture.spec["ladder"]
    assert a["ladder_finals"].shape == (len(ladder["steps"]), len(ladder["seeds"]), 32, 32, 3)
    # the rung as long as the main walks is their own pictures: same seeds, prompt and steps
    rung = ladder["steps"].index(STEPS)
    assert np.array_equal(a["ladder_finals"][rung], a["finals"][: len(ladder["seeds"])])
    assert np.all(a["ladder_distance_to_longest"][-1] == 0)
    assert capture.facts["first_guess_to_mean"].value < capture.facts["final_to_mean"].value
    assert {"sharpness_1_step", "judge_1_step", "toyworld_sharpness"} <= set(capture.facts)


def test_guidance(tiny_captures):
    capture = tiny_captures[0]["guidance"]
    a = capture.arrays
    assert 2.0 in list(a["scales"]) and a["scales"][0] == 0  # the shown scale, 2, joins the list
    assert capture.spec["scales"] == sorted(capture.spec["scales"]) and a["distance_from_unguided"][0] == 0
    assert np.allclose(a["guidance_direction"].astype(np.float32),
                       (a["conditional_clean_pictures"].astype(np.float32)
                        - a["unconditional_clean_pictures"]) / 255, atol=2e-3)
    assert a["object_presence"].shape == a["scales"].shape and "judge_object_at_2" in capture.facts


def test_words(tiny_captures):
    a = tiny_captures[0]["words"].arrays
    assert list(a["growth_prompts"]) == ["", "a", "a red", "a red butterfly", "a red butterfly on",
                                         "a red butterfly on grass"]
    assert list(a["variant_prompts"]) == words.word_orders("a red butterfly on grass")
    assert a["growth_similarity"][-1] == pytest.approx(1.0)
    assert list(a["growth_tokens"][2][:4]) == ["[CLS]", "a", "red", "[SEP]"]


def test_word_orders_keep_the_words():
    assert words.word_orders("a red butterfly on grass") == [
        "on grass a red butterfly", "a grass butterfly on red", "grass on butterfly red a"]
    assert words.word_orders("a snail") == ["snail a"] and words.word_orders("snail") == []


def test_blend(tiny_captures):
    capture = tiny_captures[0]["blend"]
    a = capture.arrays
    assert list(a["prompts"]) == ["a butterfly", "a snail", "a butterfly and a snail"]
    assert a["lerp_finals"].shape == a["slerp_finals"].shape == (3, 32, 32, 3)
    assert len({a["lerp_finals"][0].tobytes(), a["lerp_finals"][-1].tobytes(), a["combined_final"].tobytes()}) == 3
    assert a["slerp_state_norm"][1] > a["lerp_state_norm"][1]  # the straight path's middle is shorter
    for key in ("pooled_off_path", "pooled_along_path", "states_off_path", "states_along_path"):
        assert capture.facts[key].unit.startswith("%")


def test_off_path_geometry():
    a, b = np.array([0.0, 0.0]), np.array([2.0, 0.0])
    assert measures.off_path(a, b, np.array([1.0, 1.0])) == pytest.approx((0.5, 0.5))
    assert measures.off_path(a, b, np.array([3.0, 0.0])) == pytest.approx((0.0, 1.5))


def test_fit_plane_finds_the_principal_axes():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(60, 20)) * np.linspace(5, 0.1, 20)
    mean, basis, share = measures.fit_plane(points)
    _, singular, axes = np.linalg.svd(points - points.mean(axis=0), full_matrices=False)
    assert np.allclose(np.abs(basis), np.abs(axes[:2])) and np.allclose(share, singular[:2] ** 2 / (singular**2).sum())
    assert np.allclose(measures.project(points[:3], mean, basis), (points[:3] - mean) @ basis.T)


def test_slerp_keeps_length_and_ends():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 16)), rng.normal(size=(3, 16))
    a[2] = 0  # a padding row
    assert np.allclose(measures.slerp(a, b, 0.0), a) and np.allclose(measures.slerp(a, b, 1.0), b)
    middle = measures.slerp(a, b, 0.5)
    expected = (np.linalg.norm(a[:2], axis=1) + np.linalg.norm(b[:2], axis=1)) / 2
    assert np.allclose(np.linalg.norm(middle[:2], axis=1), expected)
    assert np.allclose(middle[2], b[2] / 2)


def test_explore(tiny_captures):
    a = tiny_captures[0]["explore"].arrays
    assert a["grid_finals"].shape == (3, 3, 32, 32, 3) and a["loop_finals"].shape == (4, 32, 32, 3)
    assert list(a["loop_angles"]) == [0, 90, 180, 270]
    assert np.array_equal(a["grid_noise_pictures"][0, 0], a["loop_noise_pictures"][0])  # both start at seed A
    assert np.array_equal(a["grid_noise_pictures"][-1, 0], a["loop_noise_pictures"][1])  # seed B: u = 1, 90 degrees


def test_grid_noise_stays_on_the_sphere_through_the_seeds():
    rng = np.random.default_rng(1)
    a, b, c = (rng.normal(size=(3, 8, 8)) for _ in range(3))
    grid = explore.grid_noise(a, b, c, [0.0, 0.5, 1.0])
    assert np.array_equal(grid[0, 0], a) and np.array_equal(grid[2, 0], b) and np.array_equal(grid[0, 2], c)
    length = np.linalg.norm(grid[1, 0])
    assert length == pytest.approx((np.linalg.norm(a) + np.linalg.norm(b)) / 2)
    assert np.linalg.norm((a + b) / 2) < 0.9 * length  # a straight mix would be too quiet
    angles, loop = explore.loop_noise(a, b, 8)
    assert np.allclose(loop[0], a) and np.allclose(loop[2], b) and np.allclose(loop[4], -a)


def test_map(tiny_captures):
    captures, _ = tiny_captures
    a = captures["map"].arrays
    basis = a["picture_basis"].astype(np.float64)
    assert np.allclose(basis @ basis.T, np.eye(2), atol=1e-5)
    assert list(a["input_captures"]) == [captures[n].path.name for n in
                                         ("walk", "seeds", "jump", "guidance", "words", "blend", "explore")]
    # a scene placing the walk's final picture with the stored basis gets the stored point
    final = captures["walk"].arrays["final_picture"].astype(np.float64).ravel() / 255
    assert np.allclose((final - a["picture_mean"]) @ basis.T, a["walk_trajectory_xy"][-1], atol=1e-3)
    pooled = captures["walk"].arrays["pooled"]
    assert np.allclose((pooled - a["prompt_mean"]) @ a["prompt_basis"].T, a["walk_prompt_xy"], atol=1e-5)
    assert len(a["atlas_prompts"]) == 104 and set(a["atlas_object"]) >= {"butterfly", "snail"}
    assert captures["map"].facts["atlas_same_object_neighbour"].value > 50


def test_an_identical_spec_is_read_back_not_recomputed(tiny_captures, monkeypatch):
    captures, root = tiny_captures
    walk = _module("walk")

    def must_not_run(*args, **kwargs):
        raise AssertionError("computed again")

    monkeypatch.setattr(walk, "compute", must_not_run)
    capture, cached = walk.capture(root, steps=STEPS, progress=False)
    assert cached and capture.path == captures["walk"].path


def test_same_spec_same_bytes(tiny_captures, tmp_path):
    captures, _ = tiny_captures
    again, cached = _module("walk").capture(tmp_path, steps=STEPS, progress=False)
    assert not cached and again.path.name == captures["walk"].path.name
    assert (again.path / "arrays.npz").read_bytes() == (captures["walk"].path / "arrays.npz").read_bytes()


def test_a_damaged_capture_is_reported_and_recomputed(tiny_captures, tmp_path, capsys):
    import shutil

    captures, _ = tiny_captures
    root = tmp_path / "captures"
    shutil.copytree(captures["walk"].path, root / captures["walk"].path.name)
    npz = root / captures["walk"].path.name / "arrays.npz"
    npz.write_bytes(npz.read_bytes()[:-100])
    capture, cached = _module("walk").capture(root, steps=STEPS, progress=False)
    assert not cached and "damaged capture" in capsys.readouterr().err
    assert (capture.path / "arrays.npz").read_bytes() == (captures["walk"].path / "arrays.npz").read_bytes()


def test_an_interrupted_capture_leaves_nothing(tmp_path, monkeypatch):
    from pipeline import recorder

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(recorder.Recorder, "callback", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _module("walk").capture(tmp_path, steps=STEPS, progress=False)
    assert list(tmp_path.iterdir()) == []

"""The forward-process capture: deterministic, faithful to the scheduler, and its facts agree with its arrays."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.contract import read_capture, spec_hash
from pipeline.errors import UsageError
from pipeline.experiments import forward


def test_same_spec_gives_byte_identical_arrays(forward_capture, tmp_path):
    capture, _ = forward_capture
    again, cached = forward.capture(tmp_path, force=True, progress=False)
    assert not cached and again.path.name == capture.path.name
    assert (again.path / "arrays.npz").read_bytes() == (capture.path / "arrays.npz").read_bytes()


def test_arrays_have_the_contracted_names_shapes_and_types(forward_capture):
    arrays = forward_capture[0].arrays
    frames = len(forward.frame_timesteps())
    assert frames == 101
    assert arrays["clean"].shape == arrays["noise"].shape == (32, 32, 3)
    assert arrays["noisy"].shape == (frames, 32, 32, 3) and arrays["noisy"].dtype == np.float32
    assert arrays["frames"].shape == (frames, 32, 32, 3) and arrays["frames"].dtype == np.uint8
    assert arrays["timesteps"].dtype == np.int64
    assert arrays["timesteps"][0] == 0 and arrays["timesteps"][-1] == 999
    assert arrays["clean"].min() >= -1 and arrays["clean"].max() <= 1
    assert arrays["candidates"].shape == (forward.CANDIDATES, 32, 32, 3)


def test_the_scheduler_is_rebuilt_from_the_spec_as_it_was_set_up():
    spec = forward.make_spec()
    made, rebuilt = forward._scheduler(), forward._recorded_scheduler(spec)
    assert type(rebuilt) is type(made)
    assert rebuilt.alphas_cumprod.numpy().tobytes() == made.alphas_cumprod.numpy().tobytes()


def test_frames_are_the_scheduler_mix_of_picture_and_noise(forward_capture):
    a = forward_capture[0].arrays
    s, n = a["signal_level"][:, None, None, None], a["noise_level"][:, None, None, None]
    np.testing.assert_allclose(a["noisy"], s * a["clean"] + n * a["noise"], atol=1e-5)
    np.testing.assert_allclose(a["signal_level"] ** 2 + a["noise_level"] ** 2, 1.0, atol=1e-5)
    shown = np.clip(np.rint((a["noisy"] + 1) * 127.5), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(a["frames"], shown)
    # step 0 is still the picture (candidates[0] is the picture itself), within a few levels of 255
    difference = np.abs(a["frames"][0].astype(int) - a["candidates"][0].astype(int))
    assert difference.max() <= 5 and difference.mean() < 1


def test_signal_fades_monotonically_to_nothing(forward_capture):
    a = forward_capture[0].arrays
    assert np.all(np.diff(a["signal_level"]) < 0)
    assert np.all(np.diff(a["noise_level"]) > 0)
    assert a["signal_level"][0] > 0.99 and a["signal_level"][-1] < 0.01


def test_match_rate_is_certain_at_first_and_chance_at_the_end(forward_capture):
    match = forward_capture[0].arrays["match_rate"]
    chance = 1 / forward.CANDIDATES
    assert match[0] == 1.0
    assert match[-1] < chance + 0.06  # 256 draws: the standard error near chance is about 1.1 points


def test_facts_have_units_meanings_and_agree_with_the_arrays(forward_capture):
    capture = forward_capture[0]
    facts, a = capture.facts, capture.arrays
    for key in ("num_train_timesteps", "lost_step", "signal_percent_at_lost_step", "noise_percent_at_lost_step",
                "num_frames", "signal_percent_at_half", "noise_louder_step", "chance_percent"):
        assert facts[key].unit and facts[key].meaning, key
    assert facts["num_train_timesteps"].value == 1000 and facts["num_frames"].value == 101
    lost = int(np.flatnonzero(a["timesteps"] == facts["lost_step"].value)[0])
    assert a["match_rate"][lost] < 0.5 and np.all(a["match_rate"][:lost] >= 0.5)
    assert facts["signal_percent_at_lost_step"].value == round(100 * float(a["signal_level"][lost]), 1)
    assert facts["noise_percent_at_lost_step"].value == round(100 * float(a["noise_level"][lost]), 1)
    half = int(np.flatnonzero(a["timesteps"] == 500)[0])
    assert facts["signal_percent_at_half"].value == round(100 * float(a["signal_level"][half]), 1)
    assert facts["caption"].value == capture.spec["picture"]["caption"]


def test_second_call_is_a_cache_hit(forward_capture):
    capture, root = forward_capture
    again, cached = forward.capture(root, progress=False)
    assert cached and again.path == capture.path
    assert again.manifest["created"] == capture.manifest["created"]
    assert read_capture(root, "forward").path == capture.path


def test_spec_names_the_scheduler_picture_and_versions():
    spec = forward.make_spec()
    assert spec["scheduler"]["class"] == "DDPMScheduler"
    assert spec["scheduler"]["config"]["beta_schedule"] == "squaredcos_cap_v2"
    assert spec["scheduler"]["config"]["num_train_timesteps"] == 1000
    assert spec["picture"]["seed"] == forward.OPTIONS["seed"] and spec["picture"]["caption"]
    assert {"diffusers", "torch", "numpy"} <= set(spec["versions"])
    assert spec_hash(spec) != spec_hash(forward.make_spec(forward.OPTIONS["seed"] + 1))
    with pytest.raises(UsageError):
        forward.make_spec(-1)

"""The recorder: x0-hat derived in one place agrees with each scheduler's own, and recording changes nothing about a run."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from diffusers import (
    DDIMScheduler,
    DDPMScheduler,
    DPMSolverMultistepScheduler,
    EulerAncestralDiscreteScheduler,
    EulerDiscreteScheduler,
    FlowMatchEulerDiscreteScheduler,
    HeunDiscreteScheduler,
    LMSDiscreteScheduler,
    UniPCMultistepScheduler,
)

from pipeline import recorder
from pipeline.errors import UsageError

SHAPE = (2, 4, 8, 8)
COMMON = dict(num_train_timesteps=1000, beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012)


def _returned_x0(scheduler, output, timestep, sample):
    """What the scheduler itself says x0 is: its step's pred_original_sample, or, for multistep
    solvers that return none, its own conversion of the model output. Measured on a twin, since
    both advance the scheduler's state."""
    twin = copy.deepcopy(scheduler)
    if isinstance(twin, (DPMSolverMultistepScheduler, UniPCMultistepScheduler)):
        if twin.step_index is None:
            twin._init_step_index(timestep)
        return twin.convert_model_output(output, sample=sample)
    kwargs = {"generator": torch.Generator().manual_seed(1)} if isinstance(
        twin, (EulerAncestralDiscreteScheduler, DDPMScheduler)) else {}
    return twin.step(output, timestep, sample, **kwargs).pred_original_sample


@pytest.mark.parametrize("cls, config", [
    (DDIMScheduler, dict(prediction_type="epsilon")),
    (DDIMScheduler, dict(prediction_type="v_prediction")),
    (DDIMScheduler, dict(prediction_type="sample")),
    (DDPMScheduler, dict(prediction_type="v_prediction", clip_sample=False)),
    (EulerDiscreteScheduler, dict(prediction_type="epsilon")),
    (EulerDiscreteScheduler, dict(prediction_type="v_prediction", use_karras_sigmas=True)),
    (EulerAncestralDiscreteScheduler, dict(prediction_type="epsilon")),
    (LMSDiscreteScheduler, dict(prediction_type="v_prediction")),
    (DPMSolverMultistepScheduler, dict(prediction_type="epsilon")),
    (DPMSolverMultistepScheduler, dict(prediction_type="v_prediction", use_karras_sigmas=True)),
    (UniPCMultistepScheduler, dict(prediction_type="epsilon")),
    (DPMSolverMultistepScheduler, dict(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0)),
], ids=lambda v: v.__name__ if isinstance(v, type) else v.get("prediction_type"))
def test_predicted_clean_agrees_with_the_scheduler_itself(cls, config):
    scheduler = cls(**COMMON, **{k: v for k, v in config.items() if k != "clip_sample"},
                    **({"clip_sample": False} if cls in (DDIMScheduler, DDPMScheduler) else {}))
    scheduler.set_timesteps(10)
    g = torch.Generator().manual_seed(0)
    sample = torch.randn(SHAPE, generator=g) * scheduler.init_noise_sigma
    for timestep in scheduler.timesteps[:4]:
        output = torch.randn(SHAPE, generator=g)
        ours = recorder.predicted_clean(scheduler, output, sample, timestep)  # before step(), as the recorder does
        theirs = _returned_x0(scheduler, output, timestep, sample)
        torch.testing.assert_close(ours, theirs.float(), rtol=1e-4, atol=1e-4)
        kwargs = {"generator": g} if cls in (EulerAncestralDiscreteScheduler, DDPMScheduler) else {}
        sample = scheduler.step(output, timestep, sample, **kwargs).prev_sample


def test_predicted_clean_of_flow_matching_recovers_the_picture():
    scheduler = FlowMatchEulerDiscreteScheduler()
    scheduler.set_timesteps(8)
    g = torch.Generator().manual_seed(0)
    clean, noise = torch.randn(SHAPE, generator=g), torch.randn(SHAPE, generator=g)
    for timestep in scheduler.timesteps[:3]:
        sigma = float(scheduler.sigmas[recorder._step_index(scheduler, timestep)])
        sample = (1 - sigma) * clean + sigma * noise
        velocity = noise - clean  # what a perfect flow-matching model predicts
        torch.testing.assert_close(recorder.predicted_clean(scheduler, velocity, sample, timestep), clean,
                                   rtol=1e-5, atol=1e-5)
        signal, level = recorder.noise_levels(scheduler, timestep)
        assert signal == pytest.approx(1 - sigma) and level == pytest.approx(sigma)
        scheduler.step(velocity, timestep, sample)


@pytest.mark.parametrize("config", [dict(), dict(shift=3.0), dict(use_dynamic_shifting=True)],
                         ids=["plain", "shifted", "dynamic"])
def test_the_last_flow_matching_step_lands_on_the_guess(config):
    """Euler's last step goes to noise level 0, where x_t - sigma v is all that is left: the scheduler's own
    arithmetic checks the one formula, shifted sigmas (SD3) and resolution-dependent ones (Flux) included."""
    scheduler = FlowMatchEulerDiscreteScheduler(**config)
    scheduler.set_timesteps(3, **({"mu": 0.8} if config.get("use_dynamic_shifting") else {}))
    g = torch.Generator().manual_seed(0)
    sample = torch.randn(SHAPE, generator=g)
    for timestep in scheduler.timesteps:
        velocity = torch.randn(SHAPE, generator=g)
        guess = recorder.predicted_clean(scheduler, velocity, sample, timestep)
        signal, noise = recorder.noise_levels(scheduler, timestep)
        assert signal + noise == pytest.approx(1.0)
        sample = scheduler.step(velocity, timestep, sample).prev_sample
    torch.testing.assert_close(sample, guess, rtol=1e-5, atol=1e-5)


def test_every_parameterisation_recovers_the_picture_under_flow_sigmas():
    """Epsilon, velocity and direct x-prediction, each given as the kind its model predicts."""
    scheduler = FlowMatchEulerDiscreteScheduler(shift=3.0)
    scheduler.set_timesteps(4)
    g = torch.Generator().manual_seed(2)
    clean, noise = torch.randn(SHAPE, generator=g), torch.randn(SHAPE, generator=g)
    timestep = scheduler.timesteps[1]
    sigma = float(scheduler.sigmas[1])
    sample = (1 - sigma) * clean + sigma * noise
    for kind, output in (("flow", noise - clean), ("epsilon", noise), ("sample", clean)):
        torch.testing.assert_close(recorder.predicted_clean(scheduler, output, sample, timestep, kind), clean,
                                   rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name, config, message, supported", [
    ("HeunDiscreteScheduler", {}, "the scheduler HeunDiscreteScheduler is not supported",
     "FlowMatchEulerDiscreteScheduler"),
    ("DDIMScheduler", {"prediction_type": "banana"}, "predicts 'banana', which gives no way to the guess",
     "epsilon, v_prediction, sample, flow_prediction"),
    (None, {}, "the scheduler None is not supported", "DDIMScheduler"),
])
def test_a_scheduler_without_a_way_to_the_guess_is_refused_in_one_line(name, config, message, supported):
    with pytest.raises(UsageError, match=message) as refused:
        recorder.check_scheduler(name, config)
    assert "\n" not in str(refused.value) and supported in str(refused.value)


def test_noise_levels_follow_the_schedule():
    ddim = DDIMScheduler(**COMMON)
    ddim.set_timesteps(5)
    t = int(ddim.timesteps[2])
    signal, noise = recorder.noise_levels(ddim, t)
    assert signal == pytest.approx(float(ddim.alphas_cumprod[t]) ** 0.5)
    assert signal**2 + noise**2 == pytest.approx(1.0)
    euler = EulerDiscreteScheduler(**COMMON)
    euler.set_timesteps(5)
    sigma = float(euler.sigmas[0])
    signal, noise = recorder.noise_levels(euler, euler.timesteps[0])
    assert noise / signal == pytest.approx(sigma) and signal**2 + noise**2 == pytest.approx(1.0)


def test_an_unsupported_scheduler_is_refused_not_guessed():
    with pytest.raises(UsageError, match="HeunDiscreteScheduler is not supported"):
        recorder.predicted_clean(HeunDiscreteScheduler(), torch.zeros(SHAPE), torch.zeros(SHAPE), 999)


# ----------------------------------------------------------------------------- the embedded model


@pytest.fixture(scope="module")
def toy_pipe():
    from pipeline.model import load_pipeline

    return load_pipeline()


def _generators(seeds):
    return [torch.Generator().manual_seed(s) for s in seeds]


@pytest.mark.parametrize("eta", [0.0, 1.0], ids=["deterministic", "stochastic"])
def test_recording_changes_nothing_bit_for_bit(toy_pipe, eta):
    prompts = ["a red butterfly on grass", "a blue fish at sea"]
    walk = recorder.record(toy_pipe, prompt=prompts, num_inference_steps=3, guidance_scale=2.0,
                           generator=_generators([0, 1]), eta=eta)
    plain = toy_pipe(prompts, num_inference_steps=3, guidance_scale=2.0, generator=_generators([0, 1]), eta=eta).images
    assert walk.final.dtype == plain.dtype and np.array_equal(walk.final, plain)
    # the wrappers are gone again: the pipeline is exactly as before
    assert "forward" not in toy_pipe.unet.__dict__ and "step" not in toy_pipe.scheduler.__dict__


def test_a_walk_holds_every_step(toy_pipe):
    walk = recorder.record(toy_pipe, prompt=["a red butterfly on grass"], num_inference_steps=3, guidance_scale=2.5,
                           generator=_generators([4]))
    assert walk.steps == 3 and walk.trajectory.shape == (4, 1, 3, 32, 32)
    assert walk.noise_family == "vp" and walk.prediction_type == "v_prediction"
    assert list(walk.timesteps) == [int(t) for t in toy_pipe.scheduler.timesteps]
    assert walk.noise_level[0] == pytest.approx(1.0, abs=1e-4) and np.all(np.diff(walk.noise_level) < 0)
    # the guided output is the pipeline's own combination of the two recorded halves
    torch.testing.assert_close(walk.guided_output, walk.unconditional_output
                               + 2.5 * (walk.conditional_output - walk.unconditional_output))
    assert torch.equal(walk.trajectory[:-1], walk.sample_before)  # x_t after a step is the next step's input
    # DDIM's last step lands on its own guess, which the pipeline clips into the picture
    from pipeline.model import to_uint8
    assert np.array_equal(recorder.pictures(toy_pipe, walk.predicted_clean[-1]), to_uint8(walk.final))
    assert walk.prompt.tokens == [["[CLS]", "a", "red", "butterfly", "on", "grass", "[SEP]"]]
    assert walk.negative_prompt.tokens == [["[CLS]", "[SEP]"]]
    assert walk.prompt.token_states.shape == (1, 24, 384) and walk.prompt.pooled.shape == (1, 384)
    states, empty = toy_pipe.encode_prompt(["a red butterfly on grass"])  # what the model was conditioned on
    assert torch.equal(walk.prompt.token_states, states) and torch.equal(walk.negative_prompt.token_states, empty)


def test_without_guidance_there_is_no_unconditional_half(toy_pipe):
    walk = recorder.record(toy_pipe, prompt=["a snail"], num_inference_steps=2, guidance_scale=1.0,
                           generator=_generators([0]))
    assert walk.unconditional_output is None and walk.unconditional_clean is None
    assert torch.equal(walk.guided_output, walk.conditional_output)


def test_the_wrappers_come_off_when_a_run_is_interrupted(toy_pipe):
    def interrupt(step_index):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        recorder.record(toy_pipe, prompt=["a snail"], num_inference_steps=3, guidance_scale=2.0,
                        generator=_generators([0]), on_step_end=interrupt)
    assert "forward" not in toy_pipe.unet.__dict__ and "step" not in toy_pipe.scheduler.__dict__
    plain = toy_pipe(["a snail"], num_inference_steps=2, generator=_generators([0])).images
    assert plain.shape == (1, 32, 32, 3)

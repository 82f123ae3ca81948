"""The embedded model: training lowers the loss, the shipped weights sample deterministically, the judge is sound."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from pipeline.errors import UsageError
from pipeline.judge import accuracy, load_judge
from pipeline.model import load_pipeline, new_unet, shared_text_encoder, training_scheduler
from pipeline.model_folder import DEFAULT_MODEL_DIR
from pipeline.train import ToyBatches, batch_loss

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pipe():
    return load_pipeline()


@pytest.mark.train
def test_a_few_training_steps_on_a_fixed_batch_lower_the_loss():
    torch.manual_seed(0)
    unet = new_unet(0)
    optimiser = torch.optim.AdamW(unet.parameters(), lr=1e-3)
    alphas = training_scheduler().alphas_cumprod
    clean, scenes = ToyBatches(8, 1)[0]
    encoder = shared_text_encoder()
    with torch.no_grad():
        before = batch_loss(unet, encoder, alphas, clean, scenes, seed=0, step=0).item()
    for _ in range(12):
        loss = batch_loss(unet, encoder, alphas, clean, scenes, seed=0, step=0)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    with torch.no_grad():
        after = batch_loss(unet, encoder, alphas, clean, scenes, seed=0, step=0).item()
    assert after < 0.7 * before, (before, after)


def test_shipped_weights_sample_deterministically(pipe):
    def sample():
        gens = [torch.Generator().manual_seed(s) for s in (0, 1)]
        return pipe(["a red butterfly", "a blue boat at sea"], num_inference_steps=4, generator=gens).images

    first, second = sample(), sample()
    assert first.shape == (2, 32, 32, 3)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first[0], first[1])  # different prompts and seeds give different pictures


def test_callback_sees_every_steps_latents(pipe):
    recorded = []

    def record(pipeline, i, t, tensors):
        recorded.append((i, int(t), tensors["latents"].clone()))
        return tensors

    out = pipe("a yellow sun", num_inference_steps=5, generator=torch.Generator().manual_seed(3),
               callback_on_step_end=record)
    assert [i for i, _, _ in recorded] == list(range(5))
    timesteps = [t for _, t, _ in recorded]
    assert timesteps == sorted(timesteps, reverse=True) and timesteps[0] == 999
    final = ((recorded[-1][2].clamp(-1, 1) + 1) / 2).permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(out.images, final, atol=1e-6)


def test_the_prompt_steers_the_picture(pipe):
    """Same seed, different prompts: the judge sees the object each prompt names."""
    judge = load_judge()
    from pipeline.judge import verdicts
    from pipeline.model import to_uint8
    from pipeline.toyworld import OBJECTS

    kinds = ["butterfly", "house", "sun", "boat"]
    gens = [torch.Generator().manual_seed(7) for _ in kinds]
    pictures = to_uint8(pipe([f"a {k}" for k in kinds], num_inference_steps=20, generator=gens).images)
    seen = [OBJECTS[i] for i in verdicts(judge, pictures)["object"]]
    assert seen == kinds


def test_judge_reads_fresh_toyworld_pictures():
    scores = accuracy(load_judge(), count=300, offset=700_000_000_000)
    assert scores["object"] >= 0.98 and scores["colour"] >= 0.98 and scores["background"] >= 0.98, scores
    assert scores["both_objects"] >= 0.9, scores


@pytest.mark.parametrize("kwargs, message", [
    ({"prompt": []}, "empty"),
    ({"prompt": "a fish", "num_inference_steps": 0}, "at least 1"),
    ({"prompt": "a fish", "guidance_scale": -1.0}, "0 or more"),
    ({"prompt": "a " * 30 + "fish"}, "shorten it"),
])
def test_bad_input_is_one_clear_line(pipe, kwargs, message):
    with pytest.raises(UsageError) as err:
        pipe(**kwargs)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_missing_and_damaged_weights_are_refused(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        load_pipeline(tmp_path / "nowhere")
    damaged = tmp_path / "damaged"
    shutil.copytree(DEFAULT_MODEL_DIR, damaged)
    weights = damaged / "unet" / "diffusion_pytorch_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(UsageError, match="damaged"):
        load_pipeline(damaged)


def _cli(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("args", [["train", "--steps", "0"], ["evaluate", "--steps", "0"],
                                  ["evaluate", "--model", "/nonexistent/model"], ["judge", "--steps", "-3"]])
@pytest.mark.slow
def test_cli_bad_input_exits_2_with_one_line(args):
    result = _cli(*args)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.train
def test_training_resumes_from_its_checkpoint(tmp_path):
    common = ["train", "--batch-size", "4", "--workers", "0", "--device", "cpu", "--checkpoint-every", "1",
              "--out", str(tmp_path / "model"), "--checkpoints", str(tmp_path / "checkpoints")]
    first = _cli(*common, "--steps", "2")
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "model" / "unet" / "diffusion_pytorch_model.safetensors").is_file()
    second = _cli(*common, "--steps", "3")
    assert second.returncode == 0, second.stderr
    assert "resuming from step 2" in second.stdout
    assert '"steps": 3' in (tmp_path / "model" / "training.json").read_text()


@pytest.mark.train
@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_terminal_stopping_training_and_its_workers_saves_and_says_where_to_resume(sent, tmp_path):
    """A terminal sends SIGTERM or Ctrl-C to the whole process group, the picture workers included: training saves
    its state and says in one line how to resume, within seconds; no worker's death becomes a DataLoader traceback,
    and no worker is left behind."""
    log = tmp_path / "stderr.txt"
    with open(log, "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "train", "--steps", "100000", "--batch-size", "4", "--workers", "1",
             "--device", "cpu", "--checkpoint-every", "100000", "--out", str(tmp_path / "model"),
             "--checkpoints", str(tmp_path / "checkpoints")],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True,
            # as a terminal starts it: Ctrl-C's default action (a process inherits an ignored SIGINT from its parent,
            # and the test process's may have been set aside by another test's code)
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.default_int_handler))
        try:
            deadline = time.monotonic() + 240
            # steps taken (the bar's count past 0): the workers are making pictures, not still starting
            while not re.search(r"\| *[1-9][0-9]*/100000", log.read_text()) and time.monotonic() < deadline \
                    and process.poll() is None:
                time.sleep(0.5)
            time.sleep(1.0)
            assert process.poll() is None, log.read_text()[-2000:]
            os.killpg(process.pid, sent)
            sent_at = time.monotonic()
            process.wait(timeout=60)
            took = time.monotonic() - sent_at
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
    said = log.read_text()
    assert process.returncode == 2, said[-2000:]
    assert "Traceback" not in said and "DataLoader worker" not in said, said[-2000:]
    last = said.strip().splitlines()[-1]
    assert last.startswith("error: training stopped at step ") and "resumes from" in last, last
    assert took < 20, f"training took {took:.0f} s to stop"
    assert (tmp_path / "checkpoints" / "train-state.json").is_file()
    time.sleep(1.0)
    with pytest.raises(ProcessLookupError):  # the group is gone: no worker outlived the trainer
        os.killpg(process.pid, 0)


def test_the_encoder_answers_a_list_asked_again_with_copies_of_its_own_answer():
    """A list of prompts encoded again is answered from the last answers: the encoder's own tensors, bit for bit,
    copied (a caller that edits its answer in place does not change the next one); long lists are not kept."""
    from pipeline import text_encoder

    encoder = shared_text_encoder()
    prompts = ["a red fish", "", "a blue snail beside a house"]
    first = encoder.encode(prompts)
    fresh = encoder._encode(prompts)
    first.token_states.add_(1.0)  # an edit in place by a caller
    again = encoder.encode(prompts)
    assert torch.equal(again.token_states, fresh.token_states) and torch.equal(again.pooled, fresh.pooled)
    assert torch.equal(again.token_ids, fresh.token_ids) and again.tokens == fresh.tokens
    assert again.token_states.data_ptr() != encoder.encode(prompts).token_states.data_ptr()
    many = [f"a red fish {i}" for i in range(text_encoder.ANSWERED_UP_TO + 1)]
    kept = len(encoder._answers)
    encoder.encode(many)
    assert len(encoder._answers) == kept and (tuple(prompts), torch.get_num_threads()) in encoder._answers
    with pytest.raises(UsageError, match="a prompt must be text, got list"):
        encoder.encode([["a red fish"]])  # not text: refused in one line, not a failure to hash it

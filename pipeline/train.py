"""Trains the embedded model on an endless stream of toy-world pictures, seeded, checkpointed and resumable."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from pipeline import options
from pipeline.checkpoints import (
    all_finite,
    install_folder,
    leave_signals_to_main,
    load_state,
    optimiser_tensors,
    restore_optimiser,
    save_state,
)
from pipeline.errors import UsageError
from pipeline.files import write_whole
from pipeline.model import (
    ToyWorldPipeline,
    new_unet,
    plain_attention_for_training,
    sampling_scheduler,
    training_scheduler,
)
from pipeline.model_folder import DEFAULT_MODEL_DIR, REPO_ROOT
from pipeline.precision import for_training
from pipeline.text_encoder import TextEncoder
from pipeline.toyworld import render, sample_scene, to_model_space

CFG_DROPOUT = 0.1  # share of captions replaced by the empty prompt, so the model also learns to draw unprompted
EMA_DECAY = 0.999


class ToyBatches(torch.utils.data.Dataset):
    """Batch i holds the scenes of seeds [i*B, (i+1)*B): any batch can be made again, in any worker."""

    def __init__(self, batch_size: int, num_batches: int, seed_offset: int = 0):
        self.batch_size, self.num_batches, self.seed_offset = batch_size, num_batches, seed_offset

    def __len__(self):
        return self.num_batches

    def __getitem__(self, index: int):
        start = self.seed_offset + index * self.batch_size
        scenes = [sample_scene(s) for s in range(start, start + self.batch_size)]
        pictures = np.stack([render(s) for s in scenes])
        return torch.from_numpy(to_model_space(pictures)), scenes


def update_ema(ema: torch.nn.Module, model: torch.nn.Module, step: int, ceiling: float) -> None:
    """The weights' moving average after ``step``: its decay grows from 0.1 toward ``ceiling`` over the first steps,
    so the early random weights fade fast; one call for every parameter."""
    decay = min(ceiling, (1 + step) / (10 + step))
    with torch.no_grad():
        torch._foreach_lerp_(list(ema.parameters()), list(model.parameters()), 1 - decay)


def learning_rate(step: int, total: int, peak: float) -> float:
    """Warm up, hold, then a cosine decay to a tenth: most of the quality arrives during the decay."""
    warmup = max(50, total // 50)
    if step < warmup:
        return peak * (step + 1) / warmup
    hold_until = total // 2
    if step < hold_until:
        return peak
    progress = (step - hold_until) / max(1, total - hold_until)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def batch_loss(unet, encoder: TextEncoder, alphas: torch.Tensor, clean: torch.Tensor, scenes, seed: int,
               step: int) -> torch.Tensor:
    """The v-prediction loss on one batch; noise, timesteps and dropped captions are fixed by (seed, step)."""
    device = alphas.device
    rng = np.random.default_rng([seed, step])
    drops = rng.random(len(scenes)) < CFG_DROPOUT
    captions = ["" if drop else s.caption for s, drop in zip(scenes, drops)]
    g = torch.Generator().manual_seed(int(rng.integers(2**62)))
    noise = torch.randn(clean.shape, generator=g)
    timesteps = torch.randint(0, len(alphas), (clean.shape[0],), generator=g)
    clean, noise, timesteps = clean.to(device), noise.to(device), timesteps.to(device)
    a = alphas[timesteps].view(-1, 1, 1, 1)
    noisy = a.sqrt() * clean + (1 - a).sqrt() * noise
    velocity = a.sqrt() * noise - (1 - a).sqrt() * clean
    prediction = unet(noisy, timesteps, encoder_hidden_states=encoder.states_for(captions)).sample
    return torch.nn.functional.mse_loss(prediction.float(), velocity)


# The resumable state (pipeline/checkpoints.py): train-state.safetensors and train-state.json.
STATE_TENSORS = "train-state.safetensors"
STATE_JSON = "train-state.json"


def export_model(unet, out: Path, record: dict) -> None:
    """Writes the model folder next to the old one, then swaps it in, so a failure never loses the old weights;
    weights that are not all finite never replace anything."""
    out = Path(out)
    if not all_finite(unet):
        raise UsageError(f"the trained weights are not all finite numbers; {out} was left as it was")
    staging = out.with_name(out.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    ToyWorldPipeline(unet=unet, scheduler=sampling_scheduler()).save_pretrained(str(staging), safe_serialization=True)
    write_whole(staging / "training.json", json.dumps(record, indent=2) + "\n")
    install_folder(staging, out)


def resume_advice(args) -> str:
    """The command that picks up where this run stopped: `make model` for the Makefile's own folders, else this
    command with the same folders."""
    if Path(args.checkpoints).resolve() == (REPO_ROOT / "checkpoints").resolve() and \
            Path(args.out).resolve() == DEFAULT_MODEL_DIR.resolve():
        return "`make model`"
    return f"`python -m pipeline train --checkpoints {args.checkpoints} --out {args.out}`"


def train(args) -> dict:
    device = options.torch_device(args.device)
    # bfloat16 on a GPU, and on a CPU that does it natively (AMX, AVX-512 BF16); float32 on any other CPU, where
    # bfloat16 is many times slower (scripts/bench.py measures a step in both); LATENT_WALK_PRECISION overrides.
    # Chosen first, so a bad choice is refused before anything is built or written.
    autocast, precision = for_training(device)
    torch.manual_seed(args.seed)
    if device.type == "cpu":
        torch.set_num_threads(max(1, os.cpu_count() or 1))
    unet = new_unet(args.seed).to(device)
    plain_attention_for_training(unet, device)
    ema = new_unet(args.seed).to(device)
    ema.load_state_dict(unet.state_dict())
    ema.requires_grad_(False)
    optimiser = torch.optim.AdamW(unet.parameters(), lr=args.lr, weight_decay=0.01)
    scheduler = training_scheduler()
    alphas = scheduler.alphas_cumprod.to(device)
    encoder = TextEncoder(device=device)

    state_path = Path(args.checkpoints) / STATE_JSON
    start, elapsed_before, total = 0, 0.0, args.steps
    identity = {"batch_size": args.batch_size, "lr": args.lr, "seed": args.seed}
    if (Path(args.checkpoints) / "train-state.pt").exists():
        print(f"{Path(args.checkpoints) / 'train-state.pt'} is an older pickle checkpoint, which is never loaded "
              "(it could run code); training starts afresh")
    saved = None if args.fresh else load_state(Path(args.checkpoints) / STATE_TENSORS)
    if saved is not None:
        tensors, record = saved
        if record.get("identity") == identity:
            try:
                unet.load_state_dict({k[len("unet."):]: v for k, v in tensors.items() if k.startswith("unet.")})
                ema.load_state_dict({k[len("ema."):]: v for k, v in tensors.items() if k.startswith("ema.")})
                restore_optimiser(optimiser, tensors, record["optimiser"])
                start, elapsed_before = int(record["step"]), float(record["elapsed"])
                total = int(record["total"]) if args.time_budget is not None else args.steps
            except (KeyError, ValueError, TypeError, RuntimeError) as e:
                raise UsageError(f"checkpoint {state_path} does not fit this model ({str(e).splitlines()[0][:100]}): "
                                 "remove it or pass --fresh") from None
            print(f"resuming from step {start} of {total} ({state_path})")
        else:
            print(f"checkpoint {state_path} belongs to other settings; starting afresh (use --fresh to silence)")

    workers = args.workers if args.workers is not None else max(0, (os.cpu_count() or 1) - 1)
    # the picture stream is planned long enough for a time budget to stretch the run
    planned = total if args.time_budget is None else 10**7
    batches = ToyBatches(args.batch_size, planned)
    loader = torch.utils.data.DataLoader(
        batches, batch_size=None, sampler=range(start, planned), num_workers=workers,
        prefetch_factor=4 if workers else None, persistent_workers=False, worker_init_fn=leave_signals_to_main,
    )

    stop = {"now": False}
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__("now", True))

    def save(step):
        tensors, rest = optimiser_tensors(optimiser)
        tensors.update({f"unet.{k}": v for k, v in unet.state_dict().items()})
        tensors.update({f"ema.{k}": v for k, v in ema.state_dict().items()})
        save_state(Path(args.checkpoints) / STATE_TENSORS, tensors, {
            "identity": identity, "optimiser": rest, "step": int(step), "total": int(total),
            "elapsed": elapsed_before + time.time() - t0})

    t0 = time.time()
    losses: list[float] = []
    bar = tqdm(total=total, initial=start, desc="training", unit="step", dynamic_ncols=True,
               mininterval=2.0)
    step = start  # steps done: the next one to take
    t_measure = time.time()  # the time budget's rate is measured from step start + 10 (set below) to start + 40
    try:
        for index, (clean, scenes) in zip(range(start, planned), loader):
            if index >= total:
                break
            step = index
            if args.time_budget is not None and step == start + 40:
                rate = 30 / (time.time() - t_measure)
                total = max(step + 1, int(rate * args.time_budget))
                bar.total = total
                bar.refresh()
            if args.time_budget is not None and step == start + 10:
                t_measure = time.time()
            for group in optimiser.param_groups:
                group["lr"] = learning_rate(step, total, args.lr)
            with autocast:
                loss = batch_loss(unet, encoder, alphas, clean, scenes, args.seed, step)
            if not torch.isfinite(loss):
                raise UsageError(f"training diverged at step {step} (the loss is {loss.item()}): try a lower --lr; "
                                 f"{args.out} was left as it was")
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
            optimiser.step()
            update_ema(ema, unet, step, EMA_DECAY)
            losses.append(loss.item())
            step = index + 1
            bar.update(1)
            if step % 10 == 0:
                bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}", lr=f"{group['lr']:.1e}")
            if step % args.checkpoint_every == 0:
                save(step)
            if stop["now"]:
                raise KeyboardInterrupt
    except KeyboardInterrupt:
        save(step)
        bar.close()
        raise UsageError(f"training stopped at step {step}; {resume_advice(args)} resumes from {state_path}") from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    bar.close()
    seconds = elapsed_before + time.time() - t0
    record = {
        "steps": int(step), "batch_size": args.batch_size, "peak_lr": args.lr, "seed": args.seed,
        "ema_decay": EMA_DECAY, "cfg_dropout": CFG_DROPOUT, "device": str(device),
        "device_name": torch.cuda.get_device_name(0) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads",
        "training_seconds": round(seconds, 1), "final_loss": round(float(np.mean(losses[-100:])), 5) if losses else None,
        "parameters": int(sum(p.numel() for p in unet.parameters())), "torch": torch.__version__,
        "precision": precision,
    }
    save(step)
    export_model(ema.to("cpu").float(), Path(args.out), record)
    print(f"model written to {args.out} after {step} steps in {seconds / 60:.1f} min (loss {record['final_loss']})")
    return record


def run(args) -> int:
    train(args)
    return 0

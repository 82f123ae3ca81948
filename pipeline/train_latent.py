"""Trains the latent twin on the CPU: the toy-world data made once, an autoencoder, then a latent UNet.

Four stages, each checkpointed in ``checkpoints/latent/`` (safetensors and JSON, never pickle) and resumed
where it stopped:

1. data: N toy-world pictures rendered once with their captions, and the MiniLM token states of each
   distinct caption encoded once (sorted by length, so padding costs nothing);
2. the autoencoder (``AutoencoderKL``, 32x32x3 to 8x8x4) on those pictures: L1 + squared error + an
   edge term, and a KL weight of 1e-6 as Stable Diffusion's; then its reconstructions are measured
   (PSNR, and the judge's agreement on held-out pictures);
3. every picture encoded once (the posterior's mean and spread), and the latent scaling factor measured
   as Stable Diffusion's was: 1 / std of latents drawn over the whole set;
4. the latent UNet with the pixel model's objective (v-prediction, cosine schedule, 1000 steps, 10% of
   captions dropped for classifier-free guidance, EMA), each batch gathered from the caches.

Every random draw and batch is fixed by (seed, stage, step), so a resumed run makes the same weights as an
unbroken one (up to float rounding: the optimiser's state round-trips through safetensors). The same command makes the shipped weights: ``python -m pipeline train-latent``.
"""

from __future__ import annotations

import json
import math
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
    load_state,
    optimiser_tensors,
    read_record,
    restore_optimiser,
    save_state,
)
from pipeline.errors import UsageError
from pipeline.files import write_whole
from pipeline.latent import (
    ToyWorldLatentPipeline,
    latent_unet_config,
    new_latent_unet,
    new_vae,
    vae_config,
)
from pipeline.model import plain_attention_for_training, sampling_scheduler, training_scheduler
from pipeline.precision import for_training
from pipeline.text_encoder import MAX_TOKENS, STATE_WIDTH
from pipeline.tool_arguments import HOLDOUT_COUNT
from pipeline.toyworld import render, sample_scene, to_model_space
from pipeline.train import CFG_DROPOUT, learning_rate, update_ema

KL_WEIGHT = 1e-6  # Stable Diffusion's autoencoder weight on KL (against a summed reconstruction loss)
HOLDOUT_SEEDS = 700_000_000_000  # pictures the autoencoder is measured on, apart from every other stream
STAGES = ("data", "vae", "latents", "unet")


# ----------------------------------------------------------------------------- state on disk


# ----------------------------------------------------------------------------- settings


def _check(args) -> None:
    """What the options' own checks (pipeline/options.py) cannot see: how they fit together, and the folders."""
    if args.pictures < max(args.vae_batch_size, args.unet_batch_size):
        raise UsageError(f"--pictures ({args.pictures}) must be at least one batch")
    for name in ("checkpoints", "out"):
        path = Path(getattr(args, name))
        if path.exists() and not path.is_dir():
            raise UsageError(f"--{name} {path} is a file, not a folder")
    try:
        Path(args.checkpoints).mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot make checkpoint folder {args.checkpoints}: {e.strerror or e}") from None


class _Stop:
    """SIGTERM and Ctrl-C both end a stage at the next step boundary, after saving."""

    def __init__(self):
        self.now = False

    def __enter__(self):
        self.previous = signal.signal(signal.SIGTERM, lambda *_: setattr(self, "now", True))
        return self

    def __exit__(self, *exc):
        signal.signal(signal.SIGTERM, self.previous)


def _bar(stage: int, what: str, total: int, initial: int = 0, unit: str = "step"):
    return tqdm(total=total, initial=initial, desc=f"[{stage}/4] {what}", unit=unit, dynamic_ncols=True,
                mininterval=2.0)


# ----------------------------------------------------------------------------- stage 1: data


def make_data(args, folder: Path, device: torch.device) -> dict:
    """Renders the pictures and encodes each distinct caption once; cached in data.safetensors + data.json."""
    tensor_path = folder / "data.safetensors"
    identity = {"pictures": args.pictures, "seeds_from": 0, "max_tokens": MAX_TOKENS}
    meta = None if args.fresh else read_record(tensor_path)
    if meta and meta.get("identity") == identity:
        tensors, meta = load_state(tensor_path)
        return {**meta, **tensors, "cached": True}
    from pipeline.text_encoder import TextEncoder

    t0 = time.time()
    n = args.pictures
    pictures = np.empty((n, 32, 32, 3), dtype=np.uint8)
    captions: list[str] = []
    bar = _bar(1, "making the data: rendering pictures", n, unit="pic")
    for i in range(n):
        scene = sample_scene(i)
        pictures[i] = render(scene)
        captions.append(scene.caption)
        if i % 500 == 499:
            bar.update(500)
    bar.update(n - bar.n)
    bar.close()
    render_seconds = time.time() - t0

    t1 = time.time()
    unique = ["", *sorted(set(captions) - {""})]  # row 0: the empty prompt (classifier-free guidance)
    row = {c: i for i, c in enumerate(unique)}
    caption_index = np.array([row[c] for c in captions], dtype=np.int64)
    encoder = TextEncoder(device=device)
    lengths = np.array([len(encoder.tokenizer(c)["input_ids"]) for c in unique])
    states = torch.zeros(len(unique), MAX_TOKENS, STATE_WIDTH, dtype=torch.float16)
    order = np.argsort(lengths, kind="stable")
    bar = _bar(1, "making the data: encoding captions", len(unique), unit="caption")
    encoder.check(unique)  # a caption too long for the encoder is refused, as at sampling
    with torch.no_grad():
        for start in range(0, len(order), 256):
            rows = order[start:start + 256]
            # padded only to the longest caption of the batch: padding is masked out and zeroed, so the real
            # tokens' states are those of sampling (which pads to MAX_TOKENS), and the cut padding is zero
            batch = encoder.tokenizer([unique[r] for r in rows], padding=True, return_tensors="pt")
            ids, mask = batch["input_ids"].to(device), batch["attention_mask"].to(device)
            out = encoder.model(input_ids=ids, attention_mask=mask).last_hidden_state.float() * mask[..., None]
            states[torch.from_numpy(rows), :ids.shape[1]] = out.cpu().half()
            bar.update(len(rows))
    bar.close()
    encode_seconds = time.time() - t1
    meta = {"identity": identity, "captions": unique, "render_seconds": round(render_seconds, 1),
            "encode_seconds": round(encode_seconds, 1), "unique_captions": len(unique)}
    tensors = {"pictures": torch.from_numpy(pictures), "caption_index": torch.from_numpy(caption_index),
               "states": states}
    save_state(tensor_path, tensors, meta)
    return {**meta, **tensors, "cached": False}


# ----------------------------------------------------------------------------- stage 2: the autoencoder


def vae_loss(vae, x: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, dict]:
    """L1 + squared error + edges (L1 on neighbouring-pixel differences), and KL at Stable Diffusion's weight."""
    posterior = vae.encode(x).latent_dist
    z = posterior.mean + posterior.std * torch.randn(posterior.mean.shape, generator=generator).to(x.device)
    y = vae.decode(z).sample.float()
    l1 = (y - x).abs().mean()
    mse = ((y - x) ** 2).mean()
    edges = ((y[..., 1:, :] - y[..., :-1, :]) - (x[..., 1:, :] - x[..., :-1, :])).abs().mean() + \
            ((y[..., :, 1:] - y[..., :, :-1]) - (x[..., :, 1:] - x[..., :, :-1])).abs().mean()
    kl = posterior.kl().float().mean() / x[0].numel()  # summed over the latent, per picture element
    loss = l1 + mse + 0.5 * edges + KL_WEIGHT * kl
    return loss, {"l1": float(l1.detach()), "mse": float(mse.detach())}


def _loop(stage_no: int, what: str, steps: int, batch_size: int, lr: float, model, step_fn, state_path: Path,
          identity: dict, args, device, extra_models: dict | None = None, budget: float | None = None) -> dict:
    """One training stage: resumable, seeded per step, cosine learning rate, Ctrl-C saves first.

    With a time ``budget`` (seconds), ``steps`` is the most it takes: the speed over steps 5..25 sets how many
    fit, once, and the choice is kept in the checkpoint (so a resumed run keeps it)."""
    if budget is not None:
        identity = {**identity, "steps": None, "time_budget": round(budget)}
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    extra_models = extra_models or {}
    meta = None if args.fresh else read_record(state_path)
    start, elapsed_before, losses = 0, 0.0, []
    if meta:
        if meta.get("identity") == identity:
            tensors, meta = load_state(state_path)
            model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
            for name, other in extra_models.items():
                other.load_state_dict({k[len(name) + 1:]: v for k, v in tensors.items() if k.startswith(name + ".")})
            restore_optimiser(optimiser, tensors, meta["optimiser"])
            start, elapsed_before, losses = meta["step"], meta["elapsed"], meta.get("losses", [])
            steps = meta.get("total", steps)
            budget = None if meta.get("total_fixed") else budget
            if start < steps:
                print(f"resuming {what} from step {start} of {steps} ({state_path})")
        else:
            print(f"checkpoint {state_path} belongs to other settings; starting {what} afresh")

    t0 = time.time()

    def save(step: int, done: bool = False) -> None:
        tensors, opt_meta = optimiser_tensors(optimiser)
        tensors.update({f"model.{k}": v for k, v in model.state_dict().items()})
        for name, other in extra_models.items():
            tensors.update({f"{name}.{k}": v for k, v in other.state_dict().items()})
        save_state(state_path, tensors, {
            "identity": identity, "step": step, "total": steps, "total_fixed": budget is None,
            "elapsed": elapsed_before + time.time() - t0, "done": done, "losses": losses, "optimiser": opt_meta})

    earlier = {"steps_before": start, "seconds_before": round(elapsed_before, 1)}  # what earlier runs had done
    if start >= steps:
        return {"seconds": elapsed_before, "losses": losses, "steps": start, **earlier}
    autocast, _ = for_training(device)
    bar = _bar(stage_no, what, steps, initial=start)
    step = start
    model.train()
    with _Stop() as stop:
        try:
            step = start
            while step < steps:
                if budget is not None and step == start + 5:
                    t_rate = time.time()
                if budget is not None and step == start + 25:
                    rate = 20 / (time.time() - t_rate)
                    steps = max(step + 1, min(steps, int(rate * (budget - (elapsed_before + t_rate - t0)) + 5)))
                    budget = None
                    bar.total = steps
                    bar.refresh()
                for group in optimiser.param_groups:
                    group["lr"] = learning_rate(step, steps, lr)
                with autocast:
                    loss = step_fn(step)
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimiser.step()
                for other in extra_models.values():  # the EMA of the weights
                    update_ema(other, model, step, args.ema_decay)
                losses.append(round(float(loss.item()), 6))
                bar.update(1)
                if step % 10 == 0:
                    bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}", lr=f"{group['lr']:.1e}")
                if (step + 1) % args.checkpoint_every == 0 and step + 1 < steps:
                    save(step + 1)
                if stop.now:
                    raise KeyboardInterrupt
                step += 1
        except KeyboardInterrupt:
            save(len(losses) if len(losses) in (step, step + 1) else step)
            bar.close()
            raise UsageError(f"training stopped during {what} at step {step}; the same command resumes from "
                             f"{state_path.parent}") from None
    bar.close()
    budget = None
    save(steps, done=True)
    return {"seconds": elapsed_before + time.time() - t0, "losses": losses, "steps": steps, **earlier}


def _batch_indices(seed: int, stage: int, step: int, batch_size: int, n: int) -> np.ndarray:
    """Epochs of shuffled pictures: step s takes its slice of the epoch's permutation, fixed by (seed, stage)."""
    per_epoch = n // batch_size
    epoch, within = divmod(step, per_epoch)
    perm = np.random.default_rng([seed, stage, epoch]).permutation(n)
    return perm[within * batch_size:(within + 1) * batch_size]


def train_vae(args, folder: Path, data: dict, device: torch.device,
              budget: float | None = None) -> tuple[torch.nn.Module, dict]:
    vae = new_vae(args.seed).to(device)
    pictures = data["pictures"]
    n = pictures.shape[0]
    identity = {"stage": "vae", "config": json.loads(json.dumps(vae_config())), "steps": args.vae_steps,
                "batch_size": args.vae_batch_size, "lr": args.vae_lr, "seed": args.seed, "pictures": n}

    def step_fn(step):
        idx = _batch_indices(args.seed, 2, step, args.vae_batch_size, n)
        x = torch.from_numpy(to_model_space(pictures[torch.from_numpy(idx)].numpy())).to(device)
        g = torch.Generator().manual_seed(int(np.random.default_rng([args.seed, 2, step, 1]).integers(2**62)))
        loss, _ = vae_loss(vae, x, g)
        return loss

    result = _loop(2, "training the autoencoder", args.vae_steps, args.vae_batch_size, args.vae_lr, vae, step_fn,
                   folder / "vae-state.safetensors", identity, args, device, budget=budget)
    return vae.eval(), result


@torch.no_grad()
def reconstruction_report(vae, count: int = HOLDOUT_COUNT, judge_dir: Path | None = None,
                          device: torch.device | str = "cpu") -> dict:
    """The autoencoder on held-out pictures: PSNR, RMS error in percent of full brightness, and the judge's
    agreement (object, both objects, colour, background) on the reconstructions against the scenes."""
    from pipeline.judge import COLOUR_NAMES, load_judge, verdicts
    from pipeline.toyworld import BACKGROUNDS, OBJECTS, to_pictures

    scenes = [sample_scene(s) for s in range(HOLDOUT_SEEDS, HOLDOUT_SEEDS + count)]
    originals = np.stack([render(s) for s in scenes])
    recon = []
    for start in range(0, count, 250):
        x = torch.from_numpy(to_model_space(originals[start:start + 250])).to(device)
        y = vae.decode(vae.encode(x).latent_dist.mean).sample.float().cpu().numpy()
        recon.append(to_pictures(y))
    recon = np.concatenate(recon)
    err = recon.astype(np.float64) - originals.astype(np.float64)
    mse = float((err ** 2).mean())
    report = {"pictures": count, "holdout_seeds_from": HOLDOUT_SEEDS,
              "psnr_db": round(10 * math.log10(255.0 ** 2 / max(mse, 1e-12)), 2),
              "rms_percent": round(100 * math.sqrt(mse) / 255.0, 2)}
    try:
        judge = load_judge(judge_dir)
    except UsageError:
        return report
    v = verdicts(judge, recon)
    single = [i for i, s in enumerate(scenes) if len(s.objects) == 1]
    double = [i for i, s in enumerate(scenes) if len(s.objects) == 2]
    report["judge"] = {
        "object": float(np.mean([v["object"][i] == OBJECTS.index(scenes[i].objects[0].kind) for i in single])),
        "colour": float(np.mean([v["colour"][i] == COLOUR_NAMES.index(scenes[i].objects[0].colour) for i in single])),
        "background": float(np.mean(v["background"] == np.array([BACKGROUNDS.index(s.background) for s in scenes]))),
        "both_objects": float(np.mean([set(np.argsort(v["presence"][i])[-2:].tolist())
                                       == {OBJECTS.index(k) for k in scenes[i].object_kinds} for i in double])),
    }
    ref = verdicts(judge, originals)  # the judge on the originals, so its own errors are not blamed on the VAE
    report["judge_on_originals"] = {
        "object": float(np.mean([ref["object"][i] == OBJECTS.index(scenes[i].objects[0].kind) for i in single])),
        "colour": float(np.mean([ref["colour"][i] == COLOUR_NAMES.index(scenes[i].objects[0].colour)
                                 for i in single])),
        "background": float(np.mean(ref["background"] == np.array([BACKGROUNDS.index(s.background) for s in scenes]))),
    }
    return report


# ----------------------------------------------------------------------------- stage 3: latents


@torch.no_grad()
def encode_all(vae, data: dict, folder: Path, device: torch.device, seed: int, fresh: bool) -> dict:
    """The posterior (mean, std) of every picture, and the scaling factor 1 / std of latents drawn from it."""
    path = folder / "latents.safetensors"
    meta = None if fresh else read_record(path)
    vae_sha = _tensor_digest(vae)
    if meta and meta.get("vae") == vae_sha:
        tensors, meta = load_state(path)
        return {**meta, **tensors, "cached": True}
    t0 = time.time()
    pictures = data["pictures"]
    n = pictures.shape[0]
    means, stds = [], []
    bar = _bar(3, "encoding every picture to latents", n, unit="pic")
    for start in range(0, n, 500):
        x = torch.from_numpy(to_model_space(pictures[start:start + 500].numpy())).to(device)
        dist = vae.encode(x).latent_dist
        means.append(dist.mean.float().cpu())
        stds.append(dist.std.float().cpu())
        bar.update(x.shape[0])
    bar.close()
    mean, std = torch.cat(means), torch.cat(stds)
    g = torch.Generator().manual_seed(seed)
    drawn = mean + std * torch.randn(mean.shape, generator=g)
    scaling = 1.0 / float(drawn.std())
    meta = {"vae": vae_sha, "scaling_factor": scaling, "latent_mean": float(drawn.mean()),
            "latent_std": float(drawn.std()), "seconds": round(time.time() - t0, 1), "pictures": n}
    save_state(path, {"mean": mean, "std": std}, meta)
    return {**meta, "mean": mean, "std": std, "cached": False}


def _tensor_digest(module) -> str:
    import hashlib

    digest = hashlib.sha256()
    for k, v in module.state_dict().items():
        digest.update(k.encode())
        digest.update(v.detach().float().cpu().numpy().tobytes())
    return digest.hexdigest()


# ----------------------------------------------------------------------------- stage 4: the latent UNet


def train_unet(args, folder: Path, data: dict, latents: dict, device: torch.device, budget: float | None = None):
    unet = new_latent_unet(args.seed).to(device)
    plain_attention_for_training(unet, device)
    ema = new_latent_unet(args.seed).to(device)
    ema.load_state_dict(unet.state_dict())
    ema.requires_grad_(False)
    alphas = training_scheduler().alphas_cumprod.to(device)
    mean, std = latents["mean"].to(device), latents["std"].to(device)
    scaling = float(latents["scaling_factor"])
    states = data["states"]
    caption_index = data["caption_index"]
    n = mean.shape[0]
    identity = {"stage": "unet", "config": json.loads(json.dumps(latent_unet_config())), "steps": args.unet_steps,
                "batch_size": args.unet_batch_size, "lr": args.unet_lr, "seed": args.seed, "pictures": n,
                "ema_decay": args.ema_decay, "latents": latents["vae"]}

    def step_fn(step):
        b = args.unet_batch_size
        idx = torch.from_numpy(_batch_indices(args.seed, 4, step, b, n))
        rng = np.random.default_rng([args.seed, 4, step])
        drops = torch.from_numpy(rng.random(b) < CFG_DROPOUT)
        rows = torch.where(drops, torch.zeros_like(caption_index[idx]), caption_index[idx])
        cond = states[rows].float().to(device)
        g = torch.Generator().manual_seed(int(rng.integers(2**62)))
        draw = torch.randn((b, *mean.shape[1:]), generator=g).to(device)
        noise = torch.randn((b, *mean.shape[1:]), generator=g).to(device)
        timesteps = torch.randint(0, len(alphas), (b,), generator=g).to(device)
        clean = (mean[idx.to(device)] + std[idx.to(device)] * draw) * scaling
        a = alphas[timesteps].view(-1, 1, 1, 1)
        noisy = a.sqrt() * clean + (1 - a).sqrt() * noise
        velocity = a.sqrt() * noise - (1 - a).sqrt() * clean
        prediction = unet(noisy, timesteps, encoder_hidden_states=cond).sample
        return torch.nn.functional.mse_loss(prediction.float(), velocity)

    result = _loop(4, "training the latent UNet", args.unet_steps, args.unet_batch_size, args.unet_lr, unet,
                   step_fn, folder / "unet-state.safetensors", identity, args, device, extra_models={"ema": ema},
                   budget=budget)
    return ema.eval(), result


# ----------------------------------------------------------------------------- export


def export_latent_model(vae, unet, out: Path, record: dict) -> None:
    """Writes the folder beside the old one, then swaps it in, so a failure never loses the old weights;
    weights that are not all finite never replace anything."""
    out = Path(out)
    if not all_finite(vae, unet):
        raise UsageError(f"the trained weights are not all finite numbers; {out} was left as it was")
    staging = out.with_name(out.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    pipe = ToyWorldLatentPipeline(vae=vae, unet=unet, scheduler=sampling_scheduler())
    pipe.save_pretrained(str(staging), safe_serialization=True)
    write_whole(staging / "training.json", json.dumps(record, indent=2) + "\n")
    install_folder(staging, out)


def train(args) -> dict:
    device = options.torch_device(args.device)
    _, precision = for_training(device)  # first: a bad LATENT_WALK_PRECISION is refused before any folder is made
    _check(args)
    torch.manual_seed(args.seed)
    if device.type == "cpu":
        torch.set_num_threads(args.threads)
    folder = Path(args.checkpoints)
    started = time.time()

    t = time.time()
    data = make_data(args, folder, device)
    data_wall = time.time() - t

    # a time budget: what is left after the data goes 30% to the autoencoder, the rest (less a reserve for
    # measuring and encoding) to the UNet; each stage sets its steps from its own measured speed
    left = None if args.time_budget is None else args.time_budget - data["render_seconds"] - data["encode_seconds"]
    if left is not None and left < 120:
        raise UsageError(f"--time-budget {args.time_budget:g} leaves {left:.0f} s after making the data: give more")
    vae, vae_result = train_vae(args, folder, data, device, None if left is None else 0.3 * (left - 120))
    t = time.time()
    recon = reconstruction_report(vae, count=args.holdout_pictures, device=device)
    recon_seconds = time.time() - t
    print(f"autoencoder: PSNR {recon['psnr_db']} dB, RMS {recon['rms_percent']}% of full brightness"
          + (", judged on reconstructions: " + ", ".join(f"{k} {v:.1%}" for k, v in recon["judge"].items())
             if "judge" in recon else ""))

    latents = encode_all(vae, data, folder, device, args.seed, args.fresh)
    vae.register_to_config(scaling_factor=float(latents["scaling_factor"]))

    unet_budget = None
    if left is not None:
        unet_budget = max(60.0, left - 120 - vae_result["seconds"])
    unet, unet_result = train_unet(args, folder, data, latents, device, unet_budget)

    record = {
        "recipe": {"pictures": args.pictures, "vae_steps": args.vae_steps, "vae_batch_size": args.vae_batch_size,
                   "vae_lr": args.vae_lr, "unet_steps": args.unet_steps, "unet_batch_size": args.unet_batch_size,
                   "unet_lr": args.unet_lr, "ema_decay": args.ema_decay, "seed": args.seed,
                   "cfg_dropout": CFG_DROPOUT, "kl_weight": KL_WEIGHT,
                   "vae_loss": "L1 + squared error + 0.5 edge L1 + KL 1e-6", "time_budget": args.time_budget,
                   "vae_steps_trained": vae_result["steps"], "unet_steps_trained": unet_result["steps"]},
        "command": _command(args),
        "device": str(device),
        "device_name": torch.cuda.get_device_name(0) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads",
        "precision": precision,
        "torch": torch.__version__,
        "scaling_factor": float(latents["scaling_factor"]),
        "unique_captions": int(data["unique_captions"]),
        "seconds": {
            "render_pictures": data["render_seconds"], "encode_captions": data["encode_seconds"],
            "data_this_run": round(data_wall, 1),
            "vae": round(vae_result["seconds"], 1), "reconstruction_check": round(recon_seconds, 1),
            "encode_latents": latents["seconds"], "unet": round(unet_result["seconds"], 1),
        },
        "vae_final_loss": round(float(np.mean(vae_result["losses"][-100:])), 5) if vae_result["losses"] else None,
        "unet_final_loss": round(float(np.mean(unet_result["losses"][-100:])), 5) if unet_result["losses"] else None,
        "reconstruction": recon,
        # what this run read from checkpoints/latent/ instead of making (the card says so: pipeline/evaluate.py)
        "reused": {"data": bool(data["cached"]), "latents": bool(latents["cached"]),
                   **{f"{name}_{key}": result[key] for name, result in (("vae", vae_result), ("unet", unet_result))
                      for key in ("steps_before", "seconds_before")}},
        "parameters": {"vae": int(sum(p.numel() for p in vae.parameters())),
                       "unet": int(sum(p.numel() for p in unet.parameters()))},
    }
    s = record["seconds"]
    record["seconds"]["total_training"] = round(s["render_pictures"] + s["encode_captions"] + s["vae"]
                                                + s["reconstruction_check"] + s["encode_latents"] + s["unet"], 1)
    record["seconds"]["this_run_wall"] = round(time.time() - started, 1)
    export_latent_model(vae.to("cpu").float(), unet.to("cpu").float(), Path(args.out), record)
    print(f"latent model written to {args.out} ({record['seconds']['total_training'] / 60:.1f} min of training)")
    return record


def _command(args) -> str:
    budget = f"--time-budget {args.time_budget:g} " if args.time_budget is not None else ""
    return (f"python -m pipeline train-latent {budget}--pictures {args.pictures} --vae-steps {args.vae_steps} "
            f"--vae-batch-size {args.vae_batch_size} --vae-lr {args.vae_lr:g} --unet-steps {args.unet_steps} "
            f"--unet-batch-size {args.unet_batch_size} --unet-lr {args.unet_lr:g} --ema-decay {args.ema_decay:g} "
            f"--seed {args.seed}")


def run(args) -> int:
    train(args)
    return 0

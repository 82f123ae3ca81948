"""An independent judge: a small classifier trained only on toy-world pictures, used to measure the model's pictures."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from pipeline import options
from pipeline.checkpoints import leave_signals_to_main
from pipeline.errors import UsageError
from pipeline.files import write_whole, written
from pipeline.model_folder import DEFAULT_JUDGE_DIR
from pipeline.toyworld import BACKGROUNDS, COLOURS, OBJECTS, SIZE, Scene, render, sample_scene, to_model_space

COLOUR_NAMES = tuple(COLOURS)
# Seed ranges kept apart: the model trains on seeds from 0, the judge on these, evaluation on others
JUDGE_TRAIN_SEEDS = 500_000_000_000
JUDGE_TEST_SEEDS = 600_000_000_000


class Judge(nn.Module):
    """Four convolution stages, then heads for which objects are present, colour, background, place and size."""

    def __init__(self, width: int = 48):
        super().__init__()

        def stage(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.GroupNorm(8, cout), nn.SiLU(),
                                 nn.Conv2d(cout, cout, 3, padding=1), nn.GroupNorm(8, cout), nn.SiLU())

        self.features = nn.Sequential(stage(3, width), nn.MaxPool2d(2), stage(width, 2 * width), nn.MaxPool2d(2),
                                      stage(2 * width, 4 * width), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        f = 4 * width
        self.presence = nn.Linear(f, len(OBJECTS))
        self.colour = nn.Linear(f, len(COLOURS))
        self.background = nn.Linear(f, len(BACKGROUNDS))
        self.placement = nn.Linear(f, 3)  # centre x, centre y, side: fractions of the picture

    def forward(self, x):
        h = self.features(x)
        return {"presence": self.presence(h), "colour": self.colour(h), "background": self.background(h),
                "placement": self.placement(h)}


def labels(scenes: list[Scene]) -> dict[str, torch.Tensor]:
    presence = torch.zeros(len(scenes), len(OBJECTS))
    colour = torch.full((len(scenes),), -1, dtype=torch.long)  # colour and place are judged for one object only
    placement = torch.full((len(scenes), 3), float("nan"))
    for i, s in enumerate(scenes):
        for o in s.objects:
            presence[i, OBJECTS.index(o.kind)] = 1
        if len(s.objects) == 1:
            o = s.objects[0]
            colour[i] = COLOUR_NAMES.index(o.colour)
            placement[i] = torch.tensor([o.centre[0] / SIZE, o.centre[1] / SIZE, o.side / SIZE])
    background = torch.tensor([BACKGROUNDS.index(s.background) for s in scenes])
    return {"presence": presence, "colour": colour, "background": background, "placement": placement}


def _loss(out, y):
    loss = nn.functional.binary_cross_entropy_with_logits(out["presence"], y["presence"])
    loss = loss + nn.functional.cross_entropy(out["background"], y["background"])
    single = y["colour"] >= 0
    if single.any():
        loss = loss + nn.functional.cross_entropy(out["colour"][single], y["colour"][single])
        loss = loss + 10 * nn.functional.mse_loss(out["placement"][single], y["placement"][single])
    return loss


class _Batches(torch.utils.data.Dataset):
    def __init__(self, batch_size, offset, count):
        self.batch_size, self.offset, self.count = batch_size, offset, count

    def __len__(self):
        return self.count

    def __getitem__(self, i):
        start = self.offset + i * self.batch_size
        scenes = [sample_scene(s) for s in range(start, start + self.batch_size)]
        return torch.from_numpy(to_model_space(np.stack([render(s) for s in scenes]))), labels(scenes)


def roughen(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Mild noise and blur, so the judge reads slightly imperfect pictures the way a person would."""
    sigma = torch.rand(x.shape[0], 1, 1, 1, generator=g) * 0.12
    x = x + sigma * torch.randn(x.shape, generator=g)
    blur = torch.rand(x.shape[0], generator=g) < 0.3
    if blur.any():
        kernel = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16
        kernel = kernel.expand(3, 1, 3, 3)
        x[blur] = nn.functional.conv2d(nn.functional.pad(x[blur], (1, 1, 1, 1), mode="replicate"), kernel, groups=3)
    return x


def train_judge(steps: int = 1500, batch_size: int = 128, seed: int = 0, device: str = "cpu",
                workers: int | None = None) -> Judge:
    torch.manual_seed(seed)
    judge = Judge().to(device)
    optimiser = torch.optim.AdamW(judge.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=2e-3, total_steps=steps, pct_start=0.1)
    workers = workers if workers is not None else max(0, (os.cpu_count() or 1) - 1)
    loader = torch.utils.data.DataLoader(_Batches(batch_size, JUDGE_TRAIN_SEEDS, steps), batch_size=None,
                                         num_workers=workers, prefetch_factor=4 if workers else None,
                                         worker_init_fn=leave_signals_to_main)
    g = torch.Generator().manual_seed(seed)
    bar = tqdm(loader, total=steps, desc="training the judge", unit="step", mininterval=2.0)
    for step, (x, y) in enumerate(bar):
        x = roughen(x, g).to(device)
        y = {k: v.to(device) for k, v in y.items()}
        loss = _loss(judge(x), y)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        sched.step()
        if step % 20 == 0:
            bar.set_postfix(loss=f"{loss.item():.3f}")
    return judge.eval().cpu()


@torch.no_grad()
def verdicts(judge: Judge, pictures: np.ndarray, batch: int = 256) -> dict[str, np.ndarray]:
    """The judge's reading of uint8 pictures (N, H, W, 3): probabilities and best guesses per head."""
    outs = []
    for i in range(0, len(pictures), batch):
        x = torch.from_numpy(to_model_space(pictures[i:i + batch]))
        outs.append({k: v.float() for k, v in judge(x).items()})
    cat = {k: torch.cat([o[k] for o in outs]) for k in outs[0]}
    presence = torch.sigmoid(cat["presence"]).numpy()
    return {
        "presence": presence,
        "object": presence.argmax(1),
        "colour": cat["colour"].argmax(1).numpy(),
        "background": cat["background"].argmax(1).numpy(),
        "placement": (cat["placement"].numpy() * SIZE),
    }


def accuracy(judge: Judge, count: int = 2000, offset: int = JUDGE_TEST_SEEDS) -> dict[str, float]:
    """The judge's accuracy on fresh toy-world pictures it never saw."""
    scenes = [sample_scene(s) for s in range(offset, offset + count)]
    v = verdicts(judge, np.stack([render(s) for s in scenes]))
    single = np.array([len(s.objects) == 1 for s in scenes])
    obj_ok, both_ok = [], []
    for i, s in enumerate(scenes):
        if len(s.objects) == 1:
            obj_ok.append(v["object"][i] == OBJECTS.index(s.objects[0].kind))
        else:
            top2 = set(np.argsort(v["presence"][i])[-2:].tolist())
            both_ok.append(top2 == {OBJECTS.index(k) for k in s.object_kinds})
    colours = np.array([COLOUR_NAMES.index(s.objects[0].colour) for s in scenes])
    backgrounds = np.array([BACKGROUNDS.index(s.background) for s in scenes])
    return {
        "pictures": count,
        "object": float(np.mean(obj_ok)),
        "both_objects": float(np.mean(both_ok)),
        "colour": float(np.mean(v["colour"][single] == colours[single])),
        "background": float(np.mean(v["background"] == backgrounds)),
    }


def save_weights(module: nn.Module, folder: Path, stem: str, record: dict) -> None:
    """A judge's weights (``<stem>.safetensors``) and its training record (``<stem>.json``), each written whole."""
    from safetensors.torch import save_file

    folder = Path(folder)
    with written(folder / f"{stem}.safetensors") as tmp:
        save_file({k: v.contiguous() for k, v in module.state_dict().items()}, str(tmp))
    write_whole(folder / f"{stem}.json", json.dumps(record, indent=2) + "\n")


def load_weights(module: nn.Module, folder: Path, stem: str, what: str, target: str) -> nn.Module:
    """``module`` with the weights of ``<folder>/<stem>.safetensors``, for evaluation; a missing or damaged file is
    one clear line naming ``what`` it is and the make ``target`` that trains it."""
    from safetensors.torch import load_file

    path = Path(folder) / f"{stem}.safetensors"
    if not path.is_file():
        raise UsageError(f"no {what} at {path}: run `make {target}`")
    try:
        module.load_state_dict(load_file(str(path)))
    except Exception as exc:  # any damage to the file reads as one clear line
        raise UsageError(f"{what} weights {path} are damaged ({type(exc).__name__}): run `make {target}`") from exc
    return module.eval()


def save_judge(judge: Judge, folder: Path, record: dict) -> None:
    save_weights(judge, folder, "judge", record)


def load_judge(folder: Path | None = None) -> Judge:
    return load_weights(Judge(), folder or DEFAULT_JUDGE_DIR, "judge", "judge", "judge")


def run(args) -> int:
    device = str(options.torch_device(args.device))
    t0 = time.time()
    judge = train_judge(args.steps, args.batch_size, args.seed, device)
    seconds = time.time() - t0
    scores = accuracy(judge)
    if not all(np.isfinite(v) for v in scores.values()) or not all(
            torch.isfinite(t).all() for t in judge.state_dict().values()):
        raise UsageError(f"the judge's training diverged (its weights or scores are not finite); {args.out} was "
                         "left as it was")
    record = {"steps": args.steps, "batch_size": args.batch_size, "seed": args.seed, "training_seconds": round(seconds, 1),
              "device": device, "accuracy_on_fresh_pictures": scores,
              "parameters": int(sum(p.numel() for p in judge.parameters()))}
    save_judge(judge, args.out, record)
    print(f"judge written to {args.out}: " + ", ".join(f"{k} {v:.1%}" for k, v in scores.items() if k != "pictures"))
    return 0

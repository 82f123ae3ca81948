"""The colour judge: which object stands on each side of a two-object toy-world picture, and in which colour.

The toy world draws "a red butterfly and a blue snail" with one object on each side, in either
order. The main judge (pipeline/judge.py) says which objects are there, and reads one colour
for a one-object picture; it cannot say which of two objects wears which colour. This small
network reads each half on its own: the picture's convolution features are averaged over the
left half and over the right half, and the same two heads read, for each half, which object it
shows and its colour. Trained only on toy-world pictures (mildly roughened, like the main
judge), from a seed range of its own; its accuracy on fresh pictures goes into its record and
the model card. `binding_verdicts` turns its reading into the GenEval-style verdict for a
prompt that names two objects with a colour each.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from pipeline import options
from pipeline.errors import UsageError
from pipeline.judge import COLOUR_NAMES, load_weights, roughen, save_weights
from pipeline.model_folder import DEFAULT_COLOUR_JUDGE_DIR
from pipeline.toyworld import BACKGROUNDS, OBJECTS, Scene, choose, render, scene_of_two, to_model_space

# Seed ranges of its own: the model trains from 0, the main judge from 5e11, evaluation above
TRAIN_SEEDS = 700_000_000_000
TEST_SEEDS = 800_000_000_000
SIDES = ("left", "right")
# The verdicts of one two-object picture against its prompt, as binding_verdicts names them
VERDICTS = ("right", "swapped", "one colour on both", "other colours", "objects wrong")


def two_object_scene(seed: int) -> Scene:
    """A two-object toy-world scene for one seed, drawn as the toy world draws its two-object captions."""
    rng = np.random.default_rng([seed, 20261201])
    background = choose(rng, BACKGROUNDS)
    say = {"colour": True, "background": bool(rng.random() < 0.8), "size": False, "position": False}
    return scene_of_two(rng, background, say, int(rng.integers(2**31)))


def side_labels(scenes: list[Scene]) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, 2) object and (N, 2) colour indices, left side first."""
    kinds = torch.zeros(len(scenes), 2, dtype=torch.long)
    colours = torch.zeros(len(scenes), 2, dtype=torch.long)
    for i, s in enumerate(scenes):
        for o in s.objects:
            side = SIDES.index(o.position)
            kinds[i, side] = OBJECTS.index(o.kind)
            colours[i, side] = COLOUR_NAMES.index(o.colour)
    return kinds, colours


class ColourJudge(nn.Module):
    """Three convolution stages to an 8x8 map, averaged over each half; per half, which object and which colour."""

    def __init__(self, width: int = 32):
        super().__init__()

        def stage(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.GroupNorm(8, cout), nn.SiLU(),
                                 nn.Conv2d(cout, cout, 3, padding=1), nn.GroupNorm(8, cout), nn.SiLU())

        self.features = nn.Sequential(stage(3, width), nn.MaxPool2d(2), stage(width, 2 * width), nn.MaxPool2d(2),
                                      stage(2 * width, 4 * width))
        f = 4 * width
        self.kind = nn.Linear(f, len(OBJECTS))
        self.colour = nn.Linear(f, len(COLOUR_NAMES))

    def forward(self, x):
        h = self.features(x)  # (N, F, 8, 8)
        half = h.shape[-1] // 2
        sides = torch.stack([h[..., :half].mean((-2, -1)), h[..., half:].mean((-2, -1))], 1)  # (N, 2, F)
        return {"kind": self.kind(sides), "colour": self.colour(sides)}


def _pictures(seeds) -> tuple[np.ndarray, torch.Tensor, torch.Tensor]:
    """uint8 pictures (N, H, W, 3) of the seeds' two-object scenes, with their side labels."""
    scenes = [two_object_scene(int(s)) for s in seeds]
    kinds, colours = side_labels(scenes)
    return np.stack([render(s) for s in scenes]), kinds, colours


def train_colour_judge(steps: int = 1600, batch_size: int = 128, pictures: int = 24_000, seed: int = 0,
                       device: str = "cpu") -> ColourJudge:
    """Trained on a fixed set of pictures drawn once, each batch roughened afresh."""
    torch.manual_seed(seed)
    x_all, kinds_all, colours_all = [], [], []
    for start in tqdm(range(0, pictures, 1000), desc="drawing the colour judge's pictures", unit="k pictures"):
        x, k, c = _pictures(range(TRAIN_SEEDS + start, TRAIN_SEEDS + min(pictures, start + 1000)))
        x_all.append(torch.from_numpy(to_model_space(x)))
        kinds_all.append(k)
        colours_all.append(c)
    x_all, kinds_all, colours_all = torch.cat(x_all), torch.cat(kinds_all), torch.cat(colours_all)
    judge = ColourJudge().to(device)
    optimiser = torch.optim.AdamW(judge.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=3e-3, total_steps=steps, pct_start=0.1)
    g = torch.Generator().manual_seed(seed)
    bar = tqdm(range(steps), desc="training the colour judge", unit="step", mininterval=2.0)
    for step in bar:
        pick = torch.randint(len(x_all), (batch_size,), generator=g)
        x = roughen(x_all[pick].clone(), g).to(device)
        out = judge(x)
        loss = (nn.functional.cross_entropy(out["kind"].flatten(0, 1), kinds_all[pick].flatten().to(device))
                + nn.functional.cross_entropy(out["colour"].flatten(0, 1), colours_all[pick].flatten().to(device)))
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        sched.step()
        if step % 20 == 0:
            bar.set_postfix(loss=f"{loss.item():.3f}")
    return judge.eval().cpu()


@torch.no_grad()
def read_sides(judge: ColourJudge, pictures: np.ndarray, batch: int = 256) -> dict[str, np.ndarray]:
    """The colour judge's reading of uint8 pictures (N, H, W, 3): per side (left, right), the object and
    colour indices (N, 2) and the colour probabilities (N, 2, colours)."""
    kinds, colours = [], []
    for i in range(0, len(pictures), batch):
        out = judge(torch.from_numpy(to_model_space(pictures[i:i + batch])))
        kinds.append(out["kind"].float())
        colours.append(out["colour"].float())
    kind, colour = torch.cat(kinds), torch.cat(colours)
    return {"kind": kind.argmax(-1).numpy(), "colour": colour.argmax(-1).numpy(),
            "colour_probability": torch.softmax(colour, -1).numpy()}


def object_colours(reading: dict[str, np.ndarray], objects: tuple[str, str]) -> np.ndarray:
    """For each picture, the colour index read on each named object, (N, 2); -1 where the two sides do
    not show exactly the two named objects (one missing, or one drawn twice)."""
    want = [OBJECTS.index(o) for o in objects]
    out = np.full((len(reading["kind"]), 2), -1, dtype=np.int64)
    for i, (kinds, colours) in enumerate(zip(reading["kind"], reading["colour"])):
        if sorted(kinds.tolist()) == sorted(want) and want[0] != want[1]:
            for j, obj in enumerate(want):
                out[i, j] = colours[kinds.tolist().index(obj)]
    return out


def binding_verdicts(colours_read: np.ndarray, colours_asked: tuple[str, str]) -> np.ndarray:
    """For each picture, one of VERDICTS: the colours asked for on the right objects; swapped; one of them on
    both; anything else; or the two objects not both there (colours_read -1, see object_colours)."""
    a, b = (COLOUR_NAMES.index(c) for c in colours_asked)
    verdicts = []
    for first, second in colours_read.tolist():
        if first < 0:
            verdicts.append("objects wrong")
        elif (first, second) == (a, b):
            verdicts.append("right")
        elif (first, second) == (b, a):
            verdicts.append("swapped")
        elif first == second and first in (a, b):
            verdicts.append("one colour on both")
        else:
            verdicts.append("other colours")
    return np.array(verdicts)


def accuracy(judge: ColourJudge, count: int = 2000, offset: int = TEST_SEEDS) -> dict[str, float]:
    """The colour judge's accuracy on fresh two-object pictures it never saw: per object (its kind and colour
    both right), per object's colour, and per picture (both objects' colours right)."""
    x, kinds, colours = _pictures(range(offset, offset + count))
    reading = read_sides(judge, x)
    kind_ok = reading["kind"] == kinds.numpy()
    colour_ok = reading["colour"] == colours.numpy()
    return {
        "pictures": count,
        "per_object": float(np.mean(kind_ok & colour_ok)),
        "object_kind": float(np.mean(kind_ok)),
        "object_colour": float(np.mean(colour_ok)),
        "both_colours_right": float(np.mean((kind_ok & colour_ok).all(1))),
    }


def save_colour_judge(judge: ColourJudge, folder: Path, record: dict) -> None:
    save_weights(judge, folder, "colour_judge", record)


def load_colour_judge(folder: Path | None = None) -> ColourJudge:
    return load_weights(ColourJudge(), folder or DEFAULT_COLOUR_JUDGE_DIR, "colour_judge", "colour judge",
                        "colour-judge")


_LOADED: dict[str, object] = {}


def colour_judge_with(weights_sha256: str) -> ColourJudge:
    """The shipped colour judge, loaded once per process, if its weights are still the ones a spec recorded."""
    from pipeline.experiments.models import folder_hashes

    if _LOADED.get("sha") != weights_sha256:
        if folder_hashes(DEFAULT_COLOUR_JUDGE_DIR)[0] != weights_sha256:
            raise RuntimeError("the colour judge's weights changed since the spec was made")
        _LOADED.update(sha=weights_sha256, judge=load_colour_judge(DEFAULT_COLOUR_JUDGE_DIR))
    return _LOADED["judge"]


def read_record(folder: Path | None = None) -> dict:
    path = (Path(folder) if folder else DEFAULT_COLOUR_JUDGE_DIR) / "colour_judge.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UsageError(f"the colour judge's record {path} cannot be read ({type(exc).__name__}): "
                         "run `make colour-judge`") from None


def run(args) -> int:
    device = str(options.torch_device(args.device))
    t0 = time.time()
    judge = train_colour_judge(args.steps, args.batch_size, args.pictures, args.seed, device)
    seconds = time.time() - t0
    scores = accuracy(judge)
    if not all(np.isfinite(v) for v in scores.values()) or not all(
            torch.isfinite(t).all() for t in judge.state_dict().values()):
        raise UsageError(f"the colour judge's training diverged (its weights or scores are not finite); "
                         f"{args.out} was left as it was")
    record = {"steps": args.steps, "batch_size": args.batch_size, "pictures": args.pictures, "seed": args.seed,
              "training_seconds": round(seconds, 1), "device": device, "torch_threads": torch.get_num_threads(),
              "accuracy_on_fresh_pictures": scores,
              "parameters": int(sum(p.numel() for p in judge.parameters()))}
    save_colour_judge(judge, args.out, record)
    print(f"colour judge written to {args.out}: "
          + ", ".join(f"{k} {v:.1%}" for k, v in scores.items() if k != "pictures"))
    return 0

"""Each training and measuring tool's command-line arguments, declared without importing the tool.

The tools import torch and diffusers, which take seconds; their arguments are checked before any of that, so that
a bad number or a missing folder is one line at once (pipeline/cli.py builds the parser from these, and imports a
tool only to run it).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline import defaults, options
from pipeline.model_folder import (
    DEFAULT_COLOUR_JUDGE_DIR,
    DEFAULT_JUDGE_DIR,
    DEFAULT_LATENT_CHECKPOINTS,
    DEFAULT_LATENT_DIR,
    DEFAULT_MODEL_DIR,
    REPO_ROOT,
)

# pictures the latent twin's autoencoder is measured on, held out of its training
HOLDOUT_COUNT = 1000


def train(parser: argparse.ArgumentParser) -> None:
    """`python -m pipeline train`: the embedded model's training."""
    # the defaults are the recipe of the shipped weights (MODEL_CARD.md)
    parser.add_argument("--steps", type=options.whole("--steps", 1, 10**7), default=3018,
                        help="training steps (default 3018)")
    parser.add_argument("--batch-size", type=options.whole("--batch-size", 1, 65536), default=512,
                        help="pictures a step (default 512)")
    parser.add_argument("--lr", type=options.number("--lr", above=0.0, high=1.0), default=1.5e-3,
                        help="peak learning rate, above 0 and at most 1 (default 1.5e-3)")
    parser.add_argument("--seed", type=options.seed, default=0)
    parser.add_argument("--out", type=options.folder_to_write("--out"), default=DEFAULT_MODEL_DIR,
                        help="model folder to write")
    parser.add_argument("--checkpoints", type=options.folder_to_write("--checkpoints"),
                        default=REPO_ROOT / "checkpoints", help="folder for resumable training state")
    parser.add_argument("--checkpoint-every", type=options.whole("--checkpoint-every", 1), default=250)
    parser.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint and start again")
    parser.add_argument("--device", type=options.device, default="auto",
                        help="cuda, cpu or auto (cuda when there is one)")
    parser.add_argument("--workers", type=options.whole("--workers", 0, 64), default=None,
                        help="picture-making processes (default: cores - 1)")
    parser.add_argument("--time-budget", type=options.number("--time-budget", above=0.0), default=None,
                        help="seconds to train: sets --steps from the speed measured over the first steps")


def train_latent(parser: argparse.ArgumentParser) -> None:
    """`python -m pipeline train-latent`: the latent twin's training."""
    # the defaults are the recipe of the shipped weights (MODEL_CARD.md): 60000 pictures, 4000 autoencoder and
    # 12000 UNet steps, trained from nothing on 2 CPU threads in bfloat16 (AMX) in 71 minutes (`make latent-model`
    # makes the same weights)
    whole, number = options.whole, options.number
    parser.add_argument("--pictures", type=whole("--pictures", 1, 10**7), default=60_000,
                        help="toy-world pictures made once (default 60000)")
    parser.add_argument("--vae-steps", type=whole("--vae-steps", 1, 10**7), default=4000,
                        help="autoencoder steps (default 4000; at most, with --time-budget)")
    parser.add_argument("--vae-batch-size", type=whole("--vae-batch-size", 1, 65536), default=64)
    parser.add_argument("--vae-lr", type=number("--vae-lr", above=0.0, high=1.0), default=1e-3)
    parser.add_argument("--unet-steps", type=whole("--unet-steps", 1, 10**7), default=12000,
                        help="latent UNet steps (default 12000; at most, with --time-budget)")
    parser.add_argument("--unet-batch-size", type=whole("--unet-batch-size", 1, 65536), default=128)
    parser.add_argument("--unet-lr", type=number("--unet-lr", above=0.0, high=1.0), default=1e-3)
    parser.add_argument("--ema-decay", type=number("--ema-decay", 0.0, 0.99999), default=0.995)
    parser.add_argument("--seed", type=options.seed, default=0)
    parser.add_argument("--out", type=Path, default=DEFAULT_LATENT_DIR, help="model folder to write")
    parser.add_argument("--checkpoints", type=Path, default=DEFAULT_LATENT_CHECKPOINTS,
                        help="folder for the data caches and resumable training state")
    parser.add_argument("--checkpoint-every", type=whole("--checkpoint-every", 1), default=100,
                        help="steps between checkpoints")
    parser.add_argument("--fresh", action="store_true", help="ignore existing checkpoints and start again")
    parser.add_argument("--device", type=options.device, default="auto",
                        help="cuda, cpu or auto (cuda when there is one)")
    parser.add_argument("--threads", type=whole("--threads", 1, 256), default=2, help="CPU threads (default 2)")
    parser.add_argument("--holdout-pictures", type=whole("--holdout-pictures", 1, 10**6), default=HOLDOUT_COUNT,
                        help=f"held-out pictures the autoencoder is measured on (default {HOLDOUT_COUNT})")
    parser.add_argument("--time-budget", type=number("--time-budget", above=0.0), default=None, metavar="SECONDS",
                        help="seconds for the whole recipe: after the data, sets --vae-steps and --unet-steps "
                             "(as most) from the speed measured over each stage's first steps; training.json "
                             "records the steps chosen")


def judge(parser: argparse.ArgumentParser) -> None:
    """`python -m pipeline judge`: the judge's training."""
    parser.add_argument("--steps", type=options.whole("--steps", 1, 10**6), default=1500)
    parser.add_argument("--batch-size", type=options.whole("--batch-size", 1, 65536), default=128)
    parser.add_argument("--seed", type=options.seed, default=0)
    parser.add_argument("--out", type=options.folder_to_write("--out"), default=DEFAULT_JUDGE_DIR)
    parser.add_argument("--device", type=options.device, default="auto")


def colour_judge(parser: argparse.ArgumentParser) -> None:
    """`python -m pipeline colour-judge`: the colour judge's training."""
    parser.add_argument("--steps", type=options.whole("--steps", 1, 10**6), default=1600)
    parser.add_argument("--batch-size", type=options.whole("--batch-size", 1, 65536), default=128)
    parser.add_argument("--pictures", type=options.whole("--pictures", 1, 10**7), default=24_000,
                        help="how many pictures to draw once and train on (each batch roughened afresh)")
    parser.add_argument("--seed", type=options.seed, default=0)
    parser.add_argument("--out", type=options.folder_to_write("--out"), default=DEFAULT_COLOUR_JUDGE_DIR)
    parser.add_argument("--device", type=options.device, default="auto")


def evaluate(parser: argparse.ArgumentParser) -> None:
    """`python -m pipeline evaluate`: the model card's measurements."""
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--judge", type=Path, default=DEFAULT_JUDGE_DIR)
    parser.add_argument("--pairs", type=options.whole("--pairs", 1, 100_000), default=240,
                        help="held-out prompt and seed pairs (default 240)")
    parser.add_argument("--sweep-pairs", type=options.whole("--sweep-pairs", 1, 100_000), default=64,
                        help="pairs per guidance value of the sweep")
    parser.add_argument("--guidance", type=options.guidance, default=defaults.GUIDANCE,
                        help="the guidance the film uses")
    parser.add_argument("--steps", type=options.steps, default=defaults.STEPS)
    parser.add_argument("--card", type=options.file_to_write("--card", "MODEL_CARD.md"),
                        default=REPO_ROOT / "MODEL_CARD.md")
    parser.add_argument("--speed-only", action="store_true",
                        help="re-measure only the speed figures (on a quiet machine) and rewrite the card")
    parser.add_argument("--latent-model", type=Path, default=DEFAULT_LATENT_DIR, metavar="DIR",
                        help="the latent twin's folder (default model/toyworld-latent; skipped with a note if absent)")
    parser.add_argument("--latent-only", action="store_true",
                        help="measure only the latent twin (and the pixel model on the same prompts) and rewrite "
                             "its section of the card")
    parser.add_argument("--binding-only", action="store_true",
                        help="capture the binding experiment (or read it back) and rewrite only the card's section "
                             "on colour binding")
    parser.add_argument("--precision-only", action="store_true",
                        help="sample the first --pairs held-out prompts and seeds in float32 and in bfloat16, "
                             "judge both, and rewrite only the card's section on the precision's effect")
    parser.add_argument("--samples", type=Path, default=REPO_ROOT / "media" / "model" / "samples.png",
                        help="where to save a grid of sampled pictures to look at")

"""Benchmark: sample 16 pictures with 50 steps and guidance on this machine's CPU, and print the seconds."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from pipeline.evaluate import sampling_speed  # noqa: E402
from pipeline.model import load_pipeline  # noqa: E402

if __name__ == "__main__":
    pipe = load_pipeline()
    seconds = sampling_speed(pipe)
    print(f"16 pictures, 50 steps, guidance 2, {torch.get_num_threads()} threads: {seconds:.1f} s")

"""Benchmark: sample 16 pictures with 50 steps and guidance on this machine's CPU, and print the seconds."""

import torch

from pipeline.evaluate import sampling_speed
from pipeline.model import load_pipeline

if __name__ == "__main__":
    pipe = load_pipeline()
    seconds = sampling_speed(pipe)
    print(f"16 pictures, 50 steps, guidance 2, {torch.get_num_threads()} threads: {seconds:.1f} s")

"""Benchmarks of capturing (not timed tests): the recorder's overhead against the plain pipeline call, and `capture --all` wall time.

    .venv/bin/python scripts/bench_capture.py                  # both
    .venv/bin/python scripts/bench_capture.py --skip-all       # the overhead only
    .venv/bin/python scripts/bench_capture.py --repeats 5 --batch 8 --threads 1
    .venv/bin/python scripts/bench_capture.py --skip-all --repeats 1 --compare 2   # the three ways bfloat16 runs

The overhead is measured side by side in one process on the same model and inputs: plain
call and recorded call alternate, so a machine that slows down mid-run slows both alike,
and the median of the pairs' time ratios is the overhead (on a machine shared with other
work, cpu time is the steadier one). `capture --all --force` runs in a fresh process into a
temporary folder, as `make video` would run it, and its wall time is reported, with the FLOPs
of the UNet calls it made through OpenVINO against the machine's bfloat16 floor (measured before
and after it, the faster kept): how far the run is from the least time this machine could take.
Targets: overhead at most 10%, `capture --all` from nothing at most 60 s on 2 CPU cores (set on a
Xeon with AMX; a processor with AVX-512 BF16 but no AMX has a floor five to seven times lower).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def overhead(batch: int, steps: int, repeats: int) -> dict:
    import numpy as np
    import torch

    from pipeline import recorder
    from pipeline.model import DEFAULT_GUIDANCE, load_pipeline

    pipe = load_pipeline()
    prompts = ["a red butterfly on grass"] * batch

    def generators():
        return [torch.Generator().manual_seed(s) for s in range(batch)]

    def plain():
        return pipe(prompts, num_inference_steps=steps, guidance_scale=DEFAULT_GUIDANCE, generator=generators()).images

    def recorded():
        walk = recorder.record(pipe, prompt=prompts, num_inference_steps=steps, guidance_scale=DEFAULT_GUIDANCE,
                               generator=generators())
        return walk.final

    plain()  # the first call pays for loading the text encoder and warming up
    times = {"plain": [], "recorded": []}
    cpu = {"plain": [], "recorded": []}
    for _ in range(repeats):
        for name, run in (("plain", plain), ("recorded", recorded)):
            started, started_cpu = time.perf_counter(), time.process_time()
            images = run()
            times[name].append(time.perf_counter() - started)
            cpu[name].append(time.process_time() - started_cpu)
            if name == "plain":
                reference = images
            elif not np.array_equal(images, reference):
                raise SystemExit("the recorded run's pictures differ from the plain call's")
    result = {"times": times, "cpu": cpu}
    for kind in ("times", "cpu"):
        # each recorded run against the plain run just before it: a machine whose speed drifts
        # (other work starting or stopping) moves both runs of a pair alike
        ratios = [r / p for p, r in zip(result[kind]["plain"], result[kind]["recorded"])]
        result[kind + "_overhead"] = statistics.median(ratios) - 1
    return result


# `capture --all` with the toy-world UNets under plain autocast, as bfloat16 ran before precision.bfloat16_unet
_AUTOCAST_ONLY = ("import sys; from pipeline import precision; precision.whole_unet = lambda *a, **k: False; "
                  "from pipeline.cli import main; sys.exit(main(sys.argv[1:]))")
# how bfloat16 runs the toy-world UNets, as --compare names them
WAYS = ("plain autocast", "the UNet's bfloat16 copy in torch", "the UNet through OpenVINO")


# `capture --all` as it runs, counting the UNet's work through OpenVINO: each compiled call's FLOPs (its pictures
# filled up to the compiled size included; counted in torch on the function OpenVINO converts), written as JSON to
# the file named by the first argument when the run ends
_COUNTING = """
import atexit, collections, json, sys, time
from pipeline import openvino_unet
path = sys.argv.pop(1)
calls, unets = collections.Counter(), {}
engine, run = openvino_unet.engine, openvino_unet.Engine._run
def counted_engine(unet, length):
    made = engine(unet, length)
    unets[id(made)] = (made, unet, length)  # the engine kept: its id is never another's
    return made
def counted_run(self, size, pictures, steps, texts):
    calls[(id(self), size, len(texts))] += 1
    return run(self, size, pictures, steps, texts)
openvino_unet.engine, openvino_unet.Engine._run = counted_engine, counted_run
def report():
    ended = time.time()  # the run's end: the counting below is not the run's time
    total = sum(n * openvino_unet.call_flops(unets[made][1], size, texts, unets[made][2])
                for (made, size, texts), n in calls.items())
    open(path, "w").write(json.dumps({"flops": total, "calls": sum(calls.values()), "ended": ended}))
atexit.register(report)
from pipeline.cli import main
sys.exit(main(sys.argv[1:]))
"""


def capture_all(way: str | None = None, counted: dict | None = None) -> float:
    """Seconds for `capture --all` from nothing, in a fresh process, into a temporary folder, with an empty
    OpenVINO cache (its conversions are counted); bfloat16 runs the toy-world UNets ``way`` (one of ``WAYS``), or as
    the environment says where None (a machine without fast bfloat16 runs float32 whichever way is named). Given
    ``counted``, the run counts the FLOPs of the UNet's calls through OpenVINO into it (none where it runs in torch)."""
    with tempfile.TemporaryDirectory() as out, tempfile.TemporaryDirectory() as cache:
        report = Path(cache) / "counted.json"
        if way == WAYS[0]:
            start = [sys.executable, "-c", _AUTOCAST_ONLY]
        elif counted is not None:
            start = [sys.executable, "-c", _COUNTING, str(report)]
        else:
            start = [sys.executable, "-m", "pipeline"]
        env = {**os.environ, "LATENT_WALK_CACHE": cache}
        if way in WAYS[1:]:
            env["LATENT_WALK_UNET"] = "torch" if way == WAYS[1] else "openvino"
        command = [*start, "capture", "--all", "--force", "--out", out]
        started, since = time.perf_counter(), time.time()
        subprocess.run(command, cwd=REPO, check=True, env=env)
        seconds = time.perf_counter() - started
        if counted is not None and report.is_file():
            counted.update(json.loads(report.read_text()))
            seconds = min(seconds, counted["ended"] - since)
        return seconds


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"a whole number, 0 or more; got {text!r}")
    return int(text)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"a whole number, 1 or more; got {text!r}")
    return int(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=_positive, default=8, help="pictures per call (default 8)")
    parser.add_argument("--steps", type=_positive, default=25, help="steps per call (default 25)")
    parser.add_argument("--repeats", type=_positive, default=5, help="plain/recorded pairs (default 5)")
    parser.add_argument("--skip-all", action="store_true", help="skip the `capture --all` wall time")
    parser.add_argument("--compare", type=_count, default=0, metavar="N",
                        help="also time `capture --all` from nothing N times each way, in turns: bfloat16 under "
                             "plain autocast, the UNet's bfloat16 copy in torch (precision.bfloat16_unet) and the UNet "
                             "through OpenVINO (pipeline/openvino_unet.py), the best of each kept")
    parser.add_argument("--threads", type=_positive, default=None,
                        help="torch threads for the overhead runs (default: torch's own, one per core); on a busy "
                             "machine 1 gives steadier numbers, and cpu time then stands for an idle core's wall time")
    args = parser.parse_args()
    if args.compare > 0:
        from pipeline import openvino_unet

        if not openvino_unet.chosen():
            print("error: --compare needs OpenVINO running bfloat16 on this CPU (installed, AVX-512 or AMX, and "
                  "LATENT_WALK_UNET not torch)", file=sys.stderr)
            return 2

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)

    print(f"cpu cores: {os.cpu_count()} (affinity {len(os.sched_getaffinity(0))}), torch threads: "
          f"{torch.get_num_threads()}", flush=True)
    result = overhead(args.batch, args.steps, args.repeats)
    for kind, label in (("times", "wall"), ("cpu", "cpu")):
        for name in ("plain", "recorded"):
            values = result[kind][name]
            print(f"{name:>8} call, {label}: {statistics.median(values):6.2f} s (median of "
                  f"{', '.join(f'{t:.2f}' for t in values)})")
        print(f"recording overhead, {label}: {100 * result[kind + '_overhead']:+.1f}% (median of the pairs' ratios; "
              f"target: at most +10%; {args.batch} pictures x {args.steps} steps, same pictures bit for bit)",
              flush=True)
    if not args.skip_all:
        from bench import floor

        floors = [floor("bfloat16")]
        counted: dict = {}
        wall = capture_all(counted=counted)
        floors.append(floor("bfloat16"))  # after it too, the faster kept: a slow spell while first measured
        print(f"capture --all --force: {wall:.1f} s wall (target: at most 60 s on 2 cores)")
        if counted.get("flops"):
            gflop, best = counted["flops"] / 1e9, max(floors)
            print(f"  its UNet work through OpenVINO: {counted['calls']} calls, {gflop:,.0f} GFLOP (pictures filled "
                  f"up to the compiled sizes included), {gflop / best:.1f} s at this machine's bfloat16 floor "
                  f"({best:,.0f} GFLOP/s): the whole run took {wall / (gflop / best):.2f} x that", flush=True)
    if args.compare > 0:
        ways = {way: [] for way in WAYS}
        for _ in range(args.compare):
            for way, runs in ways.items():
                runs.append(capture_all(way))
                print(f"capture --all, {way}: {runs[-1]:.1f} s (load average {os.getloadavg()[0]:.2f})", flush=True)
        best = {way: min(runs) for way, runs in ways.items()}
        print(f"capture --all from nothing, best of {args.compare}: "
              + ", ".join(f"{way} {seconds:.1f} s" for way, seconds in best.items())
              + f"; OpenVINO {best[WAYS[0]] / best[WAYS[2]]:.2f} x faster than autocast, "
                f"{best[WAYS[1]] / best[WAYS[2]]:.2f} x faster than the torch copy (target: at most 60 s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

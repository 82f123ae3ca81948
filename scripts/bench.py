"""`make bench`: every speed figure of the project as a ratio to its reference, measured in one run on this machine.

    .venv/bin/python scripts/bench.py                       # everything (about 6 minutes on 2 cores)
    .venv/bin/python scripts/bench.py --skip-renders        # the model's figures only
    .venv/bin/python scripts/bench.py --qualities low,medium,high --chapter ch05_walk

What it prints, each beside its reference measured in the same run (a benchmark, not a timed test: run it on a
quiet machine; the load average is printed before and after):
- the machine's floors: float32 and bfloat16 matrix products (2048 x 2048), in GFLOP/s, measured before and after
  the sampling and the faster kept;
- sampling 16 pictures x 50 steps with guidance: seconds, against the time those FLOPs (counted with
  torch.utils.flop_counter) take at each floor, in float32 and, where it runs, in bfloat16 (plain autocast, the
  UNet as a whole in bfloat16 in torch, and as captures run it: the UNet through OpenVINO);
- a training step of the CPU recipe in float32, and bfloat16 autocast against it;
- a recorded walk (the capture's recorder) against the plain pipeline call on the same inputs;
- one chapter rendered with the silent voice at each quality: render time against the clip's length, and against the
  same render drawn manim's way (every shape above its still picture at each frame: scenes/redraw.py);
- two chapters rendered side by side (two processes) against one after the other: the parallel speed-up.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUALITIES = {"low": ("-ql", "480p15"), "medium": ("-qm", "720p30"), "high": ("-qh", "1080p60")}
SIDE = 2048


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def floor(dtype_name: str) -> float:
    """GFLOP/s of square matrix products in this dtype on this process's threads: the best of ten timed runs,
    on matrices grown from 256 until a product takes a tenth of a second or the side reaches SIDE (a CPU without
    native bfloat16 runs it a hundred times slower than float32, so a fixed size could take minutes)."""
    import torch

    dtype = getattr(torch, dtype_name)
    side = 256
    while True:
        a = torch.randn(side, side, dtype=dtype)
        b = torch.randn(side, side, dtype=dtype)
        a @ b  # warm-up
        best = float("inf")
        for _ in range(10):
            started = time.perf_counter()
            a @ b
            best = min(best, time.perf_counter() - started)
        if best > 0.1 or side >= SIDE:
            return 2 * side**3 / best / 1e9
        side *= 2


def sampling(pictures: int, steps: int, time_bf16: bool) -> dict:
    """Seconds for the film's sampling work in float32 and (where it is not far slower) in each way bfloat16 runs,
    and its FLOPs."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from pipeline.evaluate import sampling_speed
    from pipeline.model import DEFAULT_GUIDANCE, load_pipeline
    from pipeline.precision import running_in

    pipe = load_pipeline()
    unet = pipe.unet
    sample = torch.randn(2 * pictures, unet.config.in_channels, unet.config.sample_size, unet.config.sample_size)
    states = torch.randn(2 * pictures, 24, unet.config.cross_attention_dim)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        unet(sample, torch.tensor(500), encoder_hidden_states=states)
    flops = counter.get_total_flops() * steps
    result = {"flops": flops, "float32_s": sampling_speed(pipe, n=pictures, steps=steps, guidance=DEFAULT_GUIDANCE)}
    if time_bf16:
        from pipeline import openvino_unet
        from pipeline.precision import bfloat16_unet

        # plain autocast (how bfloat16 ran first), the UNet's bfloat16 copy in torch, and as captures run it (the
        # UNet through OpenVINO), taken in turns, three times each, the best of each kept: a shared machine's slow
        # spells fall on all alike. Each way's first run (a conversion, a compilation) is not timed.
        ways = {"autocast_s": contextlib.nullcontext, "torch_whole_s": lambda: bfloat16_unet(unet)}
        if openvino_unet.chosen():
            ways["openvino_s"] = lambda: openvino_unet.openvino_unet(unet)
            # the FLOPs it does: guidance's batch runs each picture once for both texts up to the first text-reading
            # block, and the upsamplers run as transposed convolutions (the function OpenVINO converts, counted in torch)
            result["openvino_flops"] = openvino_unet.call_flops(unet, pictures, 2, states.shape[1]) * steps
        for way in ways.values():
            with running_in("bfloat16", "cpu"), way():
                sampling_speed(pipe, n=pictures, steps=1, guidance=DEFAULT_GUIDANCE)
        for key, way in list(ways.items()) * 3:
            with running_in("bfloat16", "cpu"), way():
                seconds = sampling_speed(pipe, n=pictures, steps=steps, guidance=DEFAULT_GUIDANCE)
            result[key] = min(seconds, result.get(key, float("inf")))
        result["bfloat16_s"] = result.get("openvino_s", result["torch_whole_s"])  # as captures run it
    return result


def recorder_overhead(repeats: int) -> float:
    """scripts/bench_capture.py's measurement (a script beside this one, loaded from its file)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_capture", REPO / "scripts" / "bench_capture.py")
    bench_capture = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_capture)
    return bench_capture.overhead(batch=8, steps=25, repeats=repeats)["times_overhead"]


def _clip_seconds(video: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(video)],
                         capture_output=True, text=True, check=True).stdout
    return float(json.loads(out)["format"]["duration"])


def _render_command(module: str, scene: str, media: Path, quality: str) -> list[str]:
    return [sys.executable, "-m", "manim", "render", "--config_file", str(REPO / "manim.cfg"), QUALITIES[quality][0],
            "--media_dir", str(media), "--progress_bar", "none", f"scenes/{module}.py", scene]


def _media(captures: Path) -> Path:
    media = Path(tempfile.mkdtemp(prefix="latent-walk-bench-"))
    (media / "captures").symlink_to(captures.resolve())
    return media


def render(module: str, scene: str, quality: str, captures: Path, drawing: str = "regions") -> tuple[float, float]:
    """(render seconds, clip seconds) of one chapter, silent, at one quality, from the film's captures; ``drawing``
    "manim" draws every shape above manim's still picture at each frame (scenes/redraw.py's reference)."""
    media = _media(captures)
    try:
        env = {**os.environ, "LATENT_WALK_VOICE": "silent", "LATENT_WALK_REDRAW": drawing}
        started = time.perf_counter()
        subprocess.run(_render_command(module, scene, media, quality), cwd=REPO, env=env, check=True,
                       capture_output=True)
        seconds = time.perf_counter() - started
        video = next(media.glob(f"videos/{module}/{QUALITIES[quality][1]}/{scene}.mp4"))
        return seconds, _clip_seconds(video)
    finally:
        shutil.rmtree(media, ignore_errors=True)


def parallel(chapters: list[tuple[str, str]], captures: Path) -> tuple[float, float]:
    """(one after the other, side by side) seconds for rendering these chapters at low quality."""
    env = {**os.environ, "LATENT_WALK_VOICE": "silent"}
    media = [_media(captures) for _ in range(2)]
    try:
        started = time.perf_counter()
        for module, scene in chapters:
            subprocess.run(_render_command(module, scene, media[0], "low"), cwd=REPO, env=env, check=True,
                           capture_output=True)
        serial = time.perf_counter() - started
        started = time.perf_counter()
        running = [subprocess.Popen(_render_command(module, scene, media[1], "low"), cwd=REPO, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for module, scene in chapters]
        if any(p.wait() != 0 for p in running):
            raise SystemExit("a chapter rendered side by side failed")
        return serial, time.perf_counter() - started
    finally:
        for m in media:
            shutil.rmtree(m, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qualities", default="low,medium", help="render qualities to time (default low,medium; "
                                                                  "high takes minutes more)")
    parser.add_argument("--chapter", default="ch01_opening", help="the chapter timed at each quality")
    parser.add_argument("--pair", default="ch01_opening,ch13_closing", help="the two chapters rendered side by side")
    parser.add_argument("--captures", type=Path, default=REPO / "media" / "captures",
                        help="the film's captures the chapters read (default media/captures: run `make captures`)")
    parser.add_argument("--skip-renders", action="store_true", help="only the model's figures")
    parser.add_argument("--drawing", action=argparse.BooleanOptionalAction, default=True,
                        help="also render the timed chapter manim's way, for the speed-up of drawing only what "
                             "moves (default on)")
    parser.add_argument("--repeats", type=int, default=3, help="plain/recorded pairs for the overhead (default 3)")
    args = parser.parse_args()

    from scenes.chapters import chapter_named

    qualities = [q.strip() for q in args.qualities.split(",") if q.strip()]
    bad = [q for q in qualities if q not in QUALITIES]
    if bad:
        print(f"error: --qualities takes {', '.join(QUALITIES)}; got {bad[0]!r}", file=sys.stderr)
        return 2
    try:
        timed = chapter_named(args.chapter)
        pair = [chapter_named(m.strip()) for m in args.pair.split(",")]
    except Exception as e:  # an unknown chapter: one line
        print(f"error: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    if not args.skip_renders and not any(args.captures.glob("*.current")):
        print(f"error: no captures in {args.captures}: run `make captures` first (or pass --skip-renders)",
              file=sys.stderr)
        return 2

    import torch

    from pipeline.precision import fast_bfloat16, processor

    print(f"latent-walk bench: {os.cpu_count()} cores ({processor()}), torch {torch.__version__} with "
          f"{torch.get_num_threads()} threads; {load()}", flush=True)
    fp32, bf16 = floor("float32"), floor("bfloat16")
    fast = fast_bfloat16("cpu")
    print(f"floors: float32 {fp32:.0f} GFLOP/s, bfloat16 {bf16:.0f} GFLOP/s ({bf16 / fp32:.2f} x float32)", flush=True)

    # bfloat16 sampling is timed where its products are not slower than float32's; elsewhere (no AMX or
    # AVX-512 BF16) the same work would take many times longer, and what it would take is said from its floor
    s = sampling(16, 50, time_bf16=bf16 >= fp32)
    # the floors once more, after the sampling: a shared machine's slow spell while they were first measured would
    # make every ratio to them look better than it is, so each floor is the faster of its two measurements
    again32, again16 = floor("float32"), floor("bfloat16")
    if again32 > fp32 or again16 > bf16:
        fp32, bf16 = max(fp32, again32), max(bf16, again16)
        print(f"floors measured again after the sampling, the faster kept: float32 {fp32:.0f} GFLOP/s, bfloat16 "
              f"{bf16:.0f} GFLOP/s", flush=True)
    gflop = s["flops"] / 1e9
    floor32, floor16 = gflop / fp32, gflop / bf16
    best = min(floor32, floor16)
    print(f"sampling 16 pictures x 50 steps, guidance 2 ({gflop:.0f} GFLOP): float32 {s['float32_s']:.2f} s = "
          f"{s['float32_s'] / floor32:.2f} x its float32 floor ({floor32:.2f} s)", flush=True)
    if "bfloat16_s" in s:
        print(f"  bfloat16 autocast {s['autocast_s']:.2f} s = {s['autocast_s'] / floor16:.2f} x its bfloat16 floor "
              f"({floor16:.2f} s)", flush=True)
        print(f"  bfloat16, the UNet's weights in bfloat16, channels-last, in torch: {s['torch_whole_s']:.2f} s = "
              f"{s['torch_whole_s'] / floor16:.2f} x its bfloat16 floor; {s['autocast_s'] / s['torch_whole_s']:.2f} x "
              f"faster than autocast", flush=True)
        if "openvino_s" in s:
            print(f"  bfloat16 as captures run it (the UNet through OpenVINO): {s['openvino_s']:.2f} s = "
                  f"{s['openvino_s'] / floor16:.2f} x its bfloat16 floor; {s['torch_whole_s'] / s['openvino_s']:.2f} "
                  f"x faster than the torch copy, {s['autocast_s'] / s['openvino_s']:.2f} x faster than autocast",
                  flush=True)
            done = s["openvino_flops"] / 1e9
            print(f"    it does {done:.0f} of those {gflop:.0f} GFLOP (each picture's text-free levels once for both "
                  f"texts, the upsamplers as transposed convolutions): {s['openvino_s'] / (done / bf16):.2f} x the "
                  "floor of the FLOPs it does", flush=True)
    else:
        print(f"  bfloat16 not timed: its floor for this work is {floor16:.0f} s here, {floor16 / floor32:.0f} x "
              f"float32's, so sampling stays in float32 on this CPU", flush=True)
    fastest = min(s["float32_s"], s.get("bfloat16_s", float("inf")))
    print(f"  the faster precision against the machine's best floor ({best:.2f} s): {fastest / best:.2f} x "
          f"(target: at most 3 x)", flush=True)

    from pipeline.evaluate import cpu_training_step_seconds

    step32 = cpu_training_step_seconds(64)
    # the two precisions side by side at a small batch, where bfloat16 is slow enough to take minutes at 64
    small = 64 if fast else 4
    ratio = cpu_training_step_seconds(small, steps=1, bfloat16=True) / cpu_training_step_seconds(small, steps=1)
    print(f"a training step of the CPU recipe (batch 64), float32: {step32:.2f} s; bfloat16 autocast takes "
          f"{ratio:.2f} x float32's time (batch {small})", flush=True)

    over = recorder_overhead(args.repeats)
    print(f"capture's recorder against the plain pipeline call (8 pictures x 25 steps): {1 + over:.3f} x "
          f"(median of {args.repeats} pairs)", flush=True)

    if not args.skip_renders:
        for quality in qualities:
            seconds, length = render(timed.module, timed.scene, quality, args.captures)
            print(f"render {timed.module} at {quality} ({QUALITIES[quality][1]}), silent: {seconds:.1f} s for "
                  f"{length:.1f} s of film = {seconds / length:.2f} x its length", flush=True)
            if args.drawing:
                theirs, _ = render(timed.module, timed.scene, quality, args.captures, drawing="manim")
                print(f"  drawn manim's way (every shape above its still picture, each frame): {theirs:.1f} s = "
                      f"{theirs / length:.2f} x; drawing only what moves is {theirs / seconds:.2f} x faster",
                      flush=True)
        serial, side_by_side = parallel([(c.module, c.scene) for c in pair], args.captures)
        print(f"{' and '.join(c.module for c in pair)} at low quality: one after the other {serial:.1f} s, side by "
              f"side {side_by_side:.1f} s: {serial / side_by_side:.2f} x faster on {os.cpu_count()} cores", flush=True)
    print(f"done; {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

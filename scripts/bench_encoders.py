"""The web clips' encoders, measured on one rendered chapter: time, size and likeness to the render for each setting.

    .venv/bin/python scripts/bench_encoders.py media/chapters/medium-piper/ch05_walk.mp4 [--seconds 40]

Each setting encodes the same stretch of the chapter (its first ``--seconds``) alone on the machine, one after
another in one run, so the times compare; likeness is ffmpeg's SSIM of the encode against the render (1 is
the same picture) and its PSNR in dB. A benchmark, not a test: it prints a table.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
import time
from pathlib import Path

SETTINGS = {
    # the clips' VP9 before: good deadline, cpu-used 4, row threading
    "vp9 good cpu-used 4 crf 36": ["-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "36", "-deadline", "good",
                                   "-cpu-used", "4", "-row-mt", "1"],
    "vp9 good cpu-used 5 crf 36": ["-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "36", "-deadline", "good",
                                   "-cpu-used", "5", "-row-mt", "1"],
    "vp9 realtime cpu-used 8 crf 36": ["-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "36", "-deadline", "realtime",
                                       "-cpu-used", "8", "-row-mt", "1"],
    # the clips' VP9 now (publish/clips.py)
    "vp9 realtime cpu-used 7 crf 34 (now)": ["-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "34", "-deadline", "realtime",
                                             "-cpu-used", "7", "-row-mt", "1"],
    "av1 svt preset 10 crf 38": ["-c:v", "libsvtav1", "-preset", "10", "-crf", "38"],
    "av1 svt preset 12 crf 38": ["-c:v", "libsvtav1", "-preset", "12", "-crf", "38"],
    "h264 medium crf 20 (the mp4, for scale)": ["-c:v", "libx264", "-preset", "medium", "-crf", "20"],
}


def likeness(encoded: Path, source: Path, seconds: float) -> tuple[float, float]:
    result = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", str(encoded), "-t", str(seconds),
                             "-i", str(source), "-lavfi", "[0:v][1:v]ssim;[0:v][1:v]psnr", "-f", "null", "-"],
                            capture_output=True, text=True)
    ssim = re.findall(r"SSIM .*All:([\d.]+)", result.stderr)
    psnr = re.findall(r"PSNR .*average:([\d.inf]+)", result.stderr)
    return (float(ssim[-1]) if ssim else float("nan")), (float(psnr[-1]) if psnr and psnr[-1] != "inf" else float("inf"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("render", type=Path)
    parser.add_argument("--seconds", type=float, default=40.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        print(f"{args.render}, first {args.seconds:g} s; one encode at a time")
        print(f"{'setting':42} {'seconds':>8} {'x real time':>11} {'kB':>8} {'SSIM':>7} {'PSNR dB':>8}")
        for name, codec in SETTINGS.items():
            out = Path(folder) / ("clip.webm" if "vp9" in name else "clip.mp4" if "h264" in name else "clip.mkv")
            started = time.perf_counter()
            subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-t", str(args.seconds), "-i", str(args.render),
                            "-an", *codec, "-pix_fmt", "yuv420p", str(out)], check=True, stderr=subprocess.DEVNULL)
            took = time.perf_counter() - started
            ssim, psnr = likeness(out, args.render, args.seconds)
            print(f"{name:42} {took:8.1f} {args.seconds / took:11.2f} {out.stat().st_size / 1e3:8.0f} "
                  f"{ssim:7.4f} {psnr:8.2f}", flush=True)


if __name__ == "__main__":
    main()

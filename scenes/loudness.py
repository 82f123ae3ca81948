"""A rendered chapter at web loudness: ``python -m scenes.loudness RENDER OUT`` writes OUT with its sound at -16 LUFS.

Videos on the web play at about -16 LUFS integrated (EBU R128's meter); a narrated render comes out
quieter. Each chapter is brought there on its own, with a true peak of at most -1.5 dBTP, so that the
film joined from the chapters, the clips copied from them and the slides cut from them all play at the
same loudness. Two passes of ffmpeg's ``loudnorm``: the first measures, the second applies the gain
(linear where that keeps the peak under the ceiling; loudnorm limits the peaks where it does not).
The picture is copied as it is; only the sound is encoded again (AAC, at its own sample rate).

A render with no sound to speak of (the silent voice, for tests and layout renders) is copied
unchanged: there is nothing to bring up.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from pipeline.files import written

TARGET_LUFS = -16.0
TRUE_PEAK_DBTP = -1.5
# loudnorm holds the peak it is given before the sound is encoded again: AAC's encoding lifts the peaks between
# samples by up to a decibel (-0.7 dBTP measured after a -1.5 ceiling), so it is given a ceiling a decibel lower.
ENCODING_HEADROOM_DB = 1.0
LOUDNESS_RANGE = 11.0
# Below this a render has no voice to bring up (EBU R128's absolute gate is -70 LUFS).
SILENT_BELOW = -60.0
AUDIO = ["-c:a", "aac", "-b:a", "160k"]


class LoudnessError(Exception):
    """ffmpeg could not measure or write a render's sound: one line."""


def _ffmpeg() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        raise LoudnessError("ffmpeg is not installed: run `make setup` (or: sudo apt-get install ffmpeg)")
    return path


def _filter(measured: dict | None = None) -> str:
    settings = f"loudnorm=I={TARGET_LUFS}:TP={TRUE_PEAK_DBTP - ENCODING_HEADROOM_DB}:LRA={LOUDNESS_RANGE}"
    if measured is None:
        return settings + ":print_format=json"
    return (settings + f":measured_I={measured['input_i']}:measured_TP={measured['input_tp']}"
            f":measured_LRA={measured['input_lra']}:measured_thresh={measured['input_thresh']}"
            f":offset={measured['target_offset']}:linear=true:print_format=json")


def measure(video: Path) -> dict | None:
    """loudnorm's first pass over the render's sound: its measured figures, or None when it has no sound."""
    result = subprocess.run([_ffmpeg(), "-nostdin", "-hide_banner", "-nostats", "-i", str(video), "-map", "0:a:0?",
                             "-vn", "-af", _filter(), "-f", "null", "-"], capture_output=True, text=True)
    if result.returncode != 0:
        raise LoudnessError(f"ffmpeg could not measure the sound of {video}: "
                            f"{(result.stderr.strip().splitlines() or ['no message'])[-1]}")
    start = result.stderr.rfind("{")
    if start < 0:
        return None  # no audio stream
    try:
        return json.loads(result.stderr[start:result.stderr.rfind("}") + 1])
    except ValueError:
        raise LoudnessError(f"ffmpeg's loudness measure of {video} did not parse") from None


def _sample_rate(video: Path) -> str:
    result = subprocess.run([shutil.which("ffprobe") or "ffprobe", "-v", "error", "-select_streams", "a:0",
                             "-show_entries", "stream=sample_rate", "-of", "csv=p=0", str(video)],
                            capture_output=True, text=True)
    rate = result.stdout.strip()
    return rate if rate.isdigit() else "48000"


def normalise(video: Path, out: Path) -> str:
    """Write ``out``: ``video`` with its sound at web loudness (or copied, when it has none to speak of); what
    was done, in a few words."""
    measured = measure(video)
    loudness = float(measured["input_i"]) if measured and measured["input_i"] not in ("-inf", "inf") else None
    if loudness is None or loudness < SILENT_BELOW:
        with written(out) as partial:
            shutil.copyfile(video, partial)
        return "copied (no sound to bring up)"
    with written(out) as partial:
        result = subprocess.run([_ffmpeg(), "-nostdin", "-hide_banner", "-v", "error", "-y", "-i", str(video),
                                 "-map", "0:v:0", "-map", "0:a:0", "-c:v", "copy", "-af", _filter(measured),
                                 "-ar", _sample_rate(video), *AUDIO, "-movflags", "+faststart", "-f", "mp4",
                                 str(partial)], capture_output=True, text=True)
        if result.returncode != 0:
            raise LoudnessError(f"ffmpeg could not write {out}: "
                                f"{(result.stderr.strip().splitlines() or ['no message'])[-1]}")
    return f"sound from {loudness:.1f} to {TARGET_LUFS:g} LUFS"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m scenes.loudness RENDER.mp4 OUT.mp4", file=sys.stderr)
        return 2
    video, out = Path(args[0]), Path(args[1])
    if not video.is_file():
        print(f"error: {video} is missing: render the chapter again", file=sys.stderr)
        return 2
    try:
        done = normalise(video, out)
    except (LoudnessError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{out}: {done}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

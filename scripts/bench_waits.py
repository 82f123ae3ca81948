"""`make bench-waits`: what people wait for, each against its target, measured in one run on this machine.

    .venv/bin/python scripts/bench_waits.py                     # everything (about 35 minutes on 2 cores)
    .venv/bin/python scripts/bench_waits.py --skip test         # the film's waits only
    .venv/bin/python scripts/bench_waits.py --append docs/speed.md

What it times, one after another (a benchmark, not a timed test: run it on a quiet machine; the load average is
printed before and after each step):
- `make test`: the whole suite on every core, with .venv in place (target: 10 minutes);
- your own film from nothing: `make video` of a film file with prompts of its own (written to
  media/bench-waits.toml), its folder emptied first, so every capture and chapter is made (target: half the
  film's length);
- its exports: `make all` after it, the clips, the page, the explorer and the deck (target: 0.3 x the film);
- a change to one chapter's narration: a sentence added to its narration file (put back afterwards, whatever
  happens), then `make video` again; the target is that chapter's render plus the join, so the figure is
  checked by what make did: exactly one chapter rendered, and the seconds split into that render and the rest.

The bench film's folder (media/films/bench-waits/) is removed at the end unless --keep; it is only ever removed
when its record names the bench's own film file.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FILM_FILE = REPO / "media" / "bench-waits.toml"
FILM_NAME = "bench-waits"
FILM_DIR = REPO / "media" / "films" / FILM_NAME
# New prompts, a new seed: nothing of the default film's captures can be reused.
FILM_TEXT = f"""# Written by scripts/bench_waits.py: a film of its own, made from nothing to time it.
name = "{FILM_NAME}"
model = ""
voice = "piper"
seed = 7
steps = 25
guidance = 2.0

[prompts]
walk = "a big orange fish in the sea"
object = "a fish"
blend = "a fish and a boat"
words = "a big orange fish in the sea"
binding = "a green fish and a yellow boat"
"""
EDIT = "\nAnd that is where this part ends."
STEPS = ("test", "own", "exports", "edit")


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def run(command: list[str], what: str, log: Path) -> tuple[float, list[tuple[float, str]]]:
    """Run a make command, its output to LOG with each line's seconds since the start; the seconds it took."""
    print(f"{what}: {' '.join(command)} ({load()}; output in {log})", flush=True)
    lines: list[tuple[float, str]] = []
    started = time.perf_counter()
    with log.open("w") as out, subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                                text=True, env={**os.environ, "CI": "true"}) as process:
        for line in process.stdout:
            at = time.perf_counter() - started
            lines.append((at, line.rstrip("\n")))
            out.write(f"{at:8.1f} {line}")
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"error: {what} failed (exit {process.returncode}); its output is in {log}")
    print(f"  {seconds:.0f} s ({load()})", flush=True)
    return seconds, lines


def film_length(video: Path) -> float:
    result = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                             str(video)], capture_output=True, text=True, check=True)
    return float(result.stdout.strip())


def remove_bench_film() -> None:
    """Remove the bench film's folder, only where its record says the bench's own film file made it."""
    record = FILM_DIR / ".film-source"
    if not FILM_DIR.exists():
        return
    if not record.is_file() or record.read_text().strip() != str(FILM_FILE):
        raise SystemExit(f"error: {FILM_DIR} was not made by this benchmark ({record} does not name {FILM_FILE}); "
                         "move it away and run again")
    shutil.rmtree(FILM_DIR)


def edited(text: str) -> str:
    """The narration file with a sentence added at the end of its last text."""
    end = text.rfind('\n"""')
    if end < 0:
        raise SystemExit("error: the chapter's narration file has no block to add a sentence to")
    new = text[:end] + EDIT + text[end:]
    tomllib.loads(new)  # still a narration file
    return new


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip", default="", help=f"steps to leave out, comma-separated: {', '.join(STEPS)}")
    parser.add_argument("--chapter", default="ch13_closing", help="the chapter whose narration is changed")
    parser.add_argument("--keep", action="store_true", help="keep the bench film's folder at the end")
    parser.add_argument("--append", type=Path, help="append the table to this Markdown file (docs/speed.md)")
    args = parser.parse_args()
    skip = {s for s in args.skip.split(",") if s}
    if skip - set(STEPS):
        raise SystemExit(f"error: --skip takes {', '.join(STEPS)}, not {', '.join(sorted(skip - set(STEPS)))}")
    narration = REPO / "scenes" / f"{args.chapter}.narration.toml"
    if "edit" not in skip and not narration.is_file():
        raise SystemExit(f"error: no chapter {args.chapter} (no {narration.relative_to(REPO)})")
    logs = REPO / "media" / "bench-waits-logs"
    logs.mkdir(parents=True, exist_ok=True)
    make = ["make", "--no-print-directory"]
    film = [f"FILM={FILM_FILE}"]
    rows: list[tuple[str, str, str, bool]] = []
    print(f"bench-waits on {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M')}", flush=True)

    if "test" not in skip:
        seconds, _ = run([*make, "test"], "the whole suite", logs / "test.log")
        rows.append(("`make test`", f"{seconds / 60:.1f} min", "10 min", seconds <= 600))

    length = None
    if skip & {"own", "exports", "edit"} != {"own", "exports", "edit"}:
        remove_bench_film()
        FILM_FILE.write_text(FILM_TEXT)
        seconds, _ = run([*make, "video", *film], "your own film from nothing", logs / "own.log")
        length = film_length(FILM_DIR / "film.mp4")
        if "own" not in skip:
            rows.append((f"own film from nothing ({length / 60:.1f} min film)", f"{seconds:.0f} s = "
                         f"{seconds / length:.2f} x", "0.5 x", seconds <= 0.5 * length))
    if "exports" not in skip and length:
        seconds, _ = run([*make, "all", *film], "its clips, page, explorer and deck", logs / "exports.log")
        rows.append(("`make all` after `make video`", f"{seconds:.0f} s = {seconds / length:.2f} x", "0.3 x",
                     seconds <= 0.3 * length))
    if "edit" not in skip and length:
        original = narration.read_text()
        restore = lambda *_: narration.write_text(original)  # noqa: E731
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: (restore(), sys.exit(130)))
        try:
            narration.write_text(edited(original))
            seconds, lines = run([*make, "video", *film], f"a sentence added to {args.chapter}", logs / "edit.log")
        finally:
            restore()
        rendered = [line for _, line in lines if re.match(r"chapter \S+: rendering", line)]
        join_at = next((at for at, line in lines if "scenes.assemble" in line), seconds)
        render_at = next((at for at, line in lines if re.match(r"chapter \S+: rendering", line)), 0.0)
        only = len(rendered) == 1 and args.chapter in rendered[0]
        rows.append((f"one chapter's narration changed ({args.chapter})",
                     f"{seconds:.0f} s: {'only it rendered' if only else f'{len(rendered)} chapters rendered'} "
                     f"({join_at - render_at:.0f} s), the join {seconds - join_at:.0f} s, "
                     f"reading the film {render_at:.0f} s", "its render + the join", only))

    table = ["| what you wait for | measured | target | met |", "| --- | --- | --- | --- |"]
    table += [f"| {what} | {measured} | {target} | {'yes' if met else 'no'} |" for what, measured, target, met in rows]
    print()
    print("\n".join(table))
    print(f"\n{load()}")
    if args.append:
        with args.append.open("a") as out:
            out.write(f"\n## `make bench-waits`, {time.strftime('%Y-%m-%d')} ({os.cpu_count()} cores)\n\n")
            out.write("\n".join(table) + "\n")
    if not args.keep:
        remove_bench_film()
        FILM_FILE.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

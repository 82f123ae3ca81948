"""The command line: ``python -m pipeline capture|train|judge|evaluate``, with one-line errors for bad input.

Bad input (an unknown experiment, a bad seed, an output folder that cannot be written) is
reported as one line on stderr, "error: ...", with exit code 2 and no traceback. Ctrl-C
exits 130; captures are written atomically, so nothing half-written is left behind.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import sys
import tempfile
import time
from pathlib import Path

from pipeline.contract import CaptureError
from pipeline.errors import UsageError

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "media" / "captures"

# Experiments that `capture` knows: name -> (module, one line on what it records). Each
# module has `capture(root, seed=None, force=False, progress=True) -> (Capture, cached)`.
# Modules are imported only when run, so `--help` and bad input answer without torch.
EXPERIMENTS: dict[str, tuple[str, str]] = {
    "forward": ("pipeline.forward", "a toy-world picture dissolved into noise by DDPM's own add_noise"),
    "walk": ("pipeline.experiments.walk", "one prompt, one seed: x_t and the guess of the final picture per step"),
    "seeds": ("pipeline.experiments.seeds", "one prompt from 32 seeds: when the layout is fixed; forked walks"),
    "jump": ("pipeline.experiments.jump", "the first guess beside the mean of 32 finals; walks of 1 to 50 steps"),
    "guidance": ("pipeline.experiments.guidance", "guidance 0 to 12; the guesses with and without the prompt"),
    "words": ("pipeline.experiments.words", "a prompt grown one word at a time; its words reordered"),
    "blend": ("pipeline.experiments.blend", "paths between two prompts' embeddings; the prompt naming both"),
    "explore": ("pipeline.experiments.explore", "a grid of starting noises from three seeds; a loop through noise"),
    "map": ("pipeline.experiments.map", "2-D maps of pictures and prompts, fitted once over the captures"),
}
# What the model experiments take beyond --seed; an experiment whose capture() lacks one refuses it.
CAPTURE_OPTIONS = ("model", "prompt", "steps", "guidance")

# Subcommands whose modules bring their own arguments: add_arguments(parser) and run(args) -> int.
TOOLS: dict[str, tuple[str, str]] = {
    "train": ("pipeline.train", "train the embedded text-to-image model on the toy world"),
    "judge": ("pipeline.judge", "train the independent judge that scores pictures"),
    "evaluate": ("pipeline.evaluate", "measure the model's pictures with the judge"),
}

MAX_SEED = 2**32 - 1  # every random generator in the pipeline takes a 32-bit seed
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr (usage stays behind --help)."""

    def error(self, message: str):  # noqa: D401 - argparse's own hook
        raise UsageError(f"{message} (see: {self.prog} --help)")


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed must be a whole number, 0 or more; got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"seed must be 0 or more; got {value}")
    if value > MAX_SEED:
        raise argparse.ArgumentTypeError(f"seed must be at most {MAX_SEED}; got {value}")
    return value


def _steps(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"steps must be a whole number, 1 or more; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"steps must be 1 or more; got {value}")
    return value


def _guidance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"guidance must be a number, 0 or more; got {text!r}") from None
    if not value >= 0 or value == float("inf"):  # also refuses nan
        raise argparse.ArgumentTypeError(f"guidance must be a number, 0 or more; got {text}")
    return value


def _experiment_list() -> str:
    return "\n".join(f"  {name:<10} {about}" for name, (_, about) in EXPERIMENTS.items())


def build_parser(tool: str | None = None) -> argparse.ArgumentParser:
    """The whole parser; only the tool actually asked for is imported to add its arguments."""
    parser = _Parser(prog="python -m pipeline",
                     description="Run the diffusion model and record what it does as captures for the film.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    capture = commands.add_parser(
        "capture", help="compute captures (read back from the cache when the spec is unchanged)",
        description="Compute captures into OUT/<name>-<spec hash>/ and point OUT/<name>.current at them. "
                    "A capture whose spec was made before is read back, not recomputed.",
        epilog="experiments:\n" + _experiment_list(), formatter_class=argparse.RawDescriptionHelpFormatter)
    capture.add_argument("experiments", nargs="*", metavar="EXPERIMENT", help="which to capture: "
                         + ", ".join(EXPERIMENTS))
    capture.add_argument("--all", action="store_true", help="capture every experiment")
    capture.add_argument("--force", action="store_true", help="recompute even if the same spec is cached")
    capture.add_argument("--seed", type=_seed, default=None,
                         help="seed of the picture and its noise (a whole number, 0 or more; default: each "
                              "experiment's own)")
    capture.add_argument("--model", type=Path, default=None, metavar="DIR",
                         help="model folder: the embedded model (default) or a local Stable Diffusion folder")
    capture.add_argument("--prompt", default=None, metavar="TEXT", help="the prompt (default: each experiment's own; "
                         "blend takes 'A and B')")
    capture.add_argument("--steps", type=_steps, default=None, metavar="N",
                         help="steps of each walk (default: each experiment's own, 25)")
    capture.add_argument("--guidance", type=_guidance, default=None, metavar="X",
                         help="classifier-free guidance scale, 0 or more (default: each experiment's own, 2)")
    capture.add_argument("--out", type=Path, default=DEFAULT_OUT,
                         help=f"folder of captures (default: {os.path.relpath(DEFAULT_OUT)})")

    for name, (_, about) in TOOLS.items():
        sub = commands.add_parser(name, help=about, description=about)
        if name == tool:
            _tool_module(name).add_arguments(sub)
    return parser


def _tool_module(name: str):
    module_name = TOOLS[name][0]
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name == module_name:
            raise UsageError(f"`{name}` is not available in this checkout ({module_name} is missing)") from None
        raise


def _writable_folder(out: Path) -> Path:
    """Make sure captures can be written to ``out`` before spending minutes computing them."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"output folder {out} is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        # A real write, not os.access: as root, access() says yes to read-only mounts too.
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as e:
        raise UsageError(f"cannot write to output folder {out}: {e.strerror or e}") from None
    return out


def _run_capture(args) -> int:
    names = list(EXPERIMENTS) if args.all else list(dict.fromkeys(args.experiments))
    if not names:
        raise UsageError(f"name an experiment to capture ({', '.join(EXPERIMENTS)}) or use --all")
    unknown = [n for n in names if n not in EXPERIMENTS]
    if unknown:
        raise UsageError(f"unknown experiment {unknown[0]!r}; known: {', '.join(EXPERIMENTS)}")
    out = _writable_folder(args.out)
    given = {k: getattr(args, k) for k in CAPTURE_OPTIONS if getattr(args, k) is not None}
    modules = {name: importlib.import_module(EXPERIMENTS[name][0]) for name in names}
    options = {}
    for name, module in modules.items():
        accepted = inspect.signature(module.capture).parameters
        refused = [k for k in given if k not in accepted]
        if refused and not args.all:
            raise UsageError(f"{name} takes no --{refused[0]}")
        options[name] = {k: v for k, v in given.items() if k in accepted}
        if hasattr(module, "check_prompt"):  # refuse a prompt an experiment cannot use before computing any
            module.check_prompt(options[name].get("prompt"))
    if any(options.values()):
        from pipeline.experiments.models import open_model

        # a bad model folder or a prompt too long for its encoder is refused before anything is computed
        model = open_model(given.get("model"))
        if "prompt" in given:
            model.check_prompt(given["prompt"])
    progress = sys.stderr.isatty() or os.environ.get("CI") != "true"
    for name, module in modules.items():
        started = time.monotonic()
        capture, cached = module.capture(out, seed=args.seed, force=args.force, progress=progress, **options[name])
        where = os.path.relpath(capture.path) if capture.path.is_relative_to(Path.cwd()) else capture.path
        if cached:
            print(f"cached: {where}")
        else:
            print(f"wrote: {where} ({time.monotonic() - started:.1f} s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        tool = next((a for a in argv if not a.startswith("-")), None)
        args = build_parser(tool if tool in TOOLS else None).parse_args(argv)
        if args.command == "capture":
            return _run_capture(args)
        return int(_tool_module(args.command).run(args) or 0)
    except (UsageError, CaptureError) as e:
        print(f"error: {str(e).splitlines()[0] if str(e) else type(e).__name__}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted: nothing half-written was kept", file=sys.stderr)
        return EXIT_INTERRUPTED

"""The command line: ``python -m pipeline capture|list|film|train|train-latent|judge|evaluate|export-web``, with one-line errors for bad input.

The experiments, their descriptions and the options each takes come from the registry in
``pipeline.experiments``; reading it loads no torch, so ``--help``, ``list`` and bad input answer fast.

Bad input (an unknown experiment, a bad seed, an output folder that cannot be written) is
reported as one line on stderr, "error: ...", with exit code 2 and no traceback. Ctrl-C
exits 130; captures are written atomically, so nothing half-written is left behind.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

from pipeline import openvino_unet, options, precision
from pipeline.contract import CaptureError
from pipeline.errors import UsageError
from pipeline.experiments import OPTION_NAMES, registry

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "media" / "captures"

# Subcommands whose modules run them (run(args) -> int); their arguments are declared in pipeline/tool_arguments.py
# for the tools that load models, else by the module's own add_arguments(parser).
TOOLS: dict[str, tuple[str, str]] = {
    "film": ("pipeline.film", "check a film file (film.toml): its prompts, model and voice, and what each capture takes"),
    "train": ("pipeline.train", "train the embedded text-to-image model on the toy world"),
    "train-latent": ("pipeline.train_latent", "train the latent twin (autoencoder and latent UNet) on the CPU"),
    "judge": ("pipeline.judge", "train the independent judge that scores pictures"),
    "colour-judge": ("pipeline.colour_judge", "train the colour judge that reads which colour each of two objects wears"),
    "evaluate": ("pipeline.evaluate", "measure the model's pictures with the judge"),
    "export-web": ("pipeline.export_web", "write the model as ONNX files for the explorer page (media/site/explore)"),
}

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr (usage stays behind --help)."""

    def error(self, message: str):  # noqa: D401 - argparse's own hook
        raise UsageError(f"{message} (see: {self.prog} --help)")


def _names() -> list[str]:
    return [e.name for e in registry()]


def _takes(options: dict) -> str:
    """What an experiment takes, with its defaults: "--seed 0 --prompt 'a butterfly' ..."; a bare flag
    (default None) takes the embedded model, or for the map each input's own default."""
    words = []
    for option, default in options.items():
        shown = f"{default:g}" if isinstance(default, float) else str(default)
        words.append(f"--{option}" if default is None else f"--{option} {shlex.quote(shown)}")
    return " ".join(words)


def _experiment_list() -> str:
    width = max(len(name) for name in _names()) + 2
    lines = []
    for e in registry():
        lines += [f"  {e.name:<{width}}{e.description}", f"  {'':<{width}}takes {_takes(e.options)}"]
    return "\n".join(lines)


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
        epilog="experiments, in the order --all makes them, each with the options it takes and their defaults\n"
               "(a bare --model: the embedded model; the map passes its options on to the captures it is fitted "
               "over):\n" + _experiment_list(), formatter_class=argparse.RawDescriptionHelpFormatter)
    capture.add_argument("experiments", nargs="*", metavar="EXPERIMENT", help="which to capture: "
                         + ", ".join(_names()))
    capture.add_argument("--all", action="store_true", help="capture every experiment, in the order below")
    capture.add_argument("--force", action="store_true", help="recompute even if the same spec is cached")
    capture.add_argument("--seed", type=options.seed, default=None,
                         help="seed of the picture and its noise (a whole number, 0 or more; default: each "
                              "experiment's own, below)")
    capture.add_argument("--model", type=Path, default=None, metavar="DIR",
                         help="model folder: the embedded model (default) or a local Stable Diffusion folder")
    capture.add_argument("--prompt", default=None, metavar="TEXT", help="the prompt (default: each experiment's own, "
                         "below; blend takes 'A and B')")
    capture.add_argument("--steps", type=options.steps, default=None, metavar="N",
                         help="steps of each walk (default: each experiment's own, below)")
    capture.add_argument("--guidance", type=options.guidance, default=None, metavar="X",
                         help="classifier-free guidance scale, 0 or more (default: each experiment's own, below)")
    capture.add_argument("--film", type=Path, default=None, metavar="FILE",
                         help="take every setting from a film file (film.toml: each experiment's prompt, the seed, "
                              "steps, guidance and model), instead of the flags above")
    capture.add_argument("--precision", choices=precision.CHOICES, default=None,
                         help="the models' number format: float32, bfloat16, or auto (the default, or "
                              f"${precision.ENV}): bfloat16 only where the processor has it natively (AMX, "
                              "AVX-512 BF16, a GPU); a capture records it")
    capture.add_argument("--out", type=options.folder_to_write("--out"), default=DEFAULT_OUT,
                         help=f"folder of captures (default: {os.path.relpath(DEFAULT_OUT)})")

    listing = commands.add_parser(
        "list", help="print the experiments' names in the order `capture --all` makes them, one per line",
        description="Print the experiments' names in the order `capture --all` makes them, one per line.")
    listing.add_argument("--long", action="store_true", help="each with its one-line description")

    for name, (_, about) in TOOLS.items():
        sub = commands.add_parser(name, help=about, description=about)
        if name == tool:
            _tool_arguments(name)(sub)
    return parser


def _tool_arguments(name: str):
    """The function that declares a tool's arguments: pipeline/tool_arguments.py's for the tools that load models
    (so that bad arguments are answered before those load), else the tool module's own ``add_arguments``."""
    from pipeline import tool_arguments

    return getattr(tool_arguments, name.replace("-", "_"), None) or _tool_module(name).add_arguments


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


def _run_list(args) -> int:
    """The names, plain, one per line (the Makefile reads them); with --long, each with its description."""
    width = max(len(name) for name in _names()) + 2
    for e in registry():
        print(f"{e.name:<{width}}{e.description}" if args.long else e.name)
    return 0


def _run_capture(args) -> int:
    known = {e.name: e for e in registry()}
    if args.precision is not None:
        os.environ[precision.ENV] = args.precision  # every spec made below reads it (pipeline/precision.py)
    precision.chosen()  # a bad LATENT_WALK_PRECISION is one line, before anything is computed
    openvino_unet.way()  # and a bad LATENT_WALK_UNET
    if args.all and args.experiments:
        raise UsageError(f"give experiment names or --all, not both (got --all and {', '.join(args.experiments)})")
    names = list(known) if args.all else list(dict.fromkeys(args.experiments))
    if not names:
        raise UsageError(f"name an experiment to capture ({', '.join(known)}) or use --all")
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"unknown experiment {unknown[0]!r}; known: {', '.join(known)}")
    given = {k: getattr(args, k) for k in OPTION_NAMES if getattr(args, k) is not None}
    modules = {name: known[name].module for name in names}
    options = {}
    if args.film is not None:
        if given:
            raise UsageError(f"--film sets every capture's settings; give --{next(iter(given))} in the film file "
                             "instead, or leave out --film")
        from pipeline import film as films

        film = films.read(args.film)
        films.check(film)  # its model folder and every prompt against its encoder, before computing any
        options = {name: {"inputs": film.inputs_chosen()} if name == "map" else film.chosen(name) for name in names}
        out = _writable_folder(args.out)
        return _capture(modules, options, out, args.force)
    for name, module in modules.items():
        refused = [k for k in given if k not in known[name].options]
        if refused and not args.all:
            raise UsageError(f"{name} takes no --{refused[0]}")
        options[name] = {k: v for k, v in given.items() if k in known[name].options}
        if hasattr(module, "check_prompt"):  # refuse a prompt an experiment cannot use before computing any
            module.check_prompt(options[name].get("prompt"))
    if any(k != "seed" for chosen in options.values() for k in chosen):
        from pipeline.experiments.models import open_model

        # a bad model folder or a prompt too long for its encoder is refused before anything is computed
        model = open_model(given.get("model"))
        if "prompt" in given:
            model.check_prompt(given["prompt"])
    return _capture(modules, options, _writable_folder(args.out), args.force)


def _capture(modules: dict, options: dict, out: Path, force: bool) -> int:
    """Each experiment's capture with its options, in order, saying where each went."""
    progress = sys.stderr.isatty() or os.environ.get("CI") != "true"
    for name, module in modules.items():
        started = time.monotonic()
        capture, cached = module.capture(out, force=force, progress=progress, **options[name])
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
        if args.command == "list":
            return _run_list(args)
        return int(_tool_module(args.command).run(args) or 0)
    except (UsageError, CaptureError) as e:
        print(f"error: {str(e).splitlines()[0] if str(e) else type(e).__name__}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as e:  # a full disk, a folder that vanished, a file that cannot be read: said, not traced
        # a rename's destination (filename2) is the path the user named; its source is the project's temporary
        named = getattr(e, "filename2", None) or getattr(e, "filename", None)
        where = f" ({named})" if named else ""
        print(f"error: {e.strerror or e}{where}; nothing half-written was kept", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted: nothing half-written was kept", file=sys.stderr)
        return EXIT_INTERRUPTED

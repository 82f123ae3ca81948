"""python -m publish clips|site|slides: the film's web clips, its page and its slide deck, from the chapters already rendered.

A problem the user can fix is one line on stderr and exit status 2; nothing half-written is left.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from publish.media import PublishError

DEFAULT_RENDERS = Path("media/chapters/medium-piper")


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr and exit 2, as in every command of the project (the usage
    stays behind --help); its subcommands' parsers are of this class too."""

    def error(self, message: str):
        sys.stderr.write(f"error: {message} (see: {self.prog} --help)\n")
        sys.exit(2)


def _given(option: str):
    """A folder named on the command line: an empty name is refused (Path("") would be the current folder)."""

    def parse(text: str) -> Path:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"{option} is empty: give a folder")
        return Path(text)

    parse.__name__ = option
    return parse


def _command(commands, name: str, help: str, inputs: tuple[str, str, Path, str], out: Path) -> argparse.ArgumentParser:
    """One command: the chapters it works on, where its inputs are (option, destination, default, what) and its output."""
    option, dest, default, what = inputs
    command = commands.add_parser(name, help=help)
    command.add_argument("chapters", nargs="*", metavar="CHAPTER", help="chapter modules (default: all, in play order)")
    command.add_argument(option, dest=dest, type=_given(option), default=default, help=f"{what} (default: {default})")
    command.add_argument("--out", type=_given("--out"), default=out, help=f"where it goes (default: {out})")
    return command


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m publish", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="{clips,site,slides,report,present}")
    renders = ("--from", "renders", DEFAULT_RENDERS, "the rendered chapters")
    clips = _command(commands, "clips", "web clips of every chapter: MP4, WebM, poster, subtitles, preview", renders,
                     Path("media/clips"))
    clips.add_argument("--jobs", type=_jobs, default=None, metavar="N",
                       help="chapters encoded side by side (default: one per core)")
    _command(commands, "site", "the page that embeds every clip", ("--clips", "clips", Path("media/clips"), "the clips"),
             Path("media/site"))
    slides = _command(commands, "slides", "a manim-slides deck, one slide per narration block, and its HTML",
                      renders, Path("media/slides"))
    slides.add_argument("--jobs", type=_jobs, default=None, metavar="N",
                        help="chapters cut side by side (default: one per core)")
    measured = commands.add_parser("report", help="how the film plays: still stretches, cues over them, loudness")
    measured.add_argument("chapters", nargs="*", metavar="CHAPTER", help="chapter modules (default: all, in play order)")
    measured.add_argument("--from", dest="renders", type=Path, default=DEFAULT_RENDERS,
                          help=f"the rendered chapters (default: {DEFAULT_RENDERS})")
    measured.add_argument("--film", type=Path, default=None, metavar="MP4",
                          help="the joined film, whose loudness is measured whole (default: none)")
    measured.add_argument("--jobs", type=_jobs, default=None, metavar="N",
                          help="chapters measured side by side (default: one per core)")
    present = commands.add_parser("present", help="play the deck with manim-slides present (needs a display)")
    present.add_argument("--deck", type=Path, default=Path("media/slides"), help="the deck (default: media/slides)")
    return parser


def _jobs(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 64; got {text!r}")
    return int(text)


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"


def _folder(option: str, path: Path) -> None:
    """An output folder must be one, or not exist yet (its nearest existing parent a folder)."""
    for place in (path, *path.parents):
        if place.exists() or place.is_symlink():
            if not place.is_dir():
                raise PublishError(f"{option} {path} is no folder: {place} is a file" if place != path
                                   else f"{option} {path} is a file, not a folder: name a folder to write into")
            return


def run(args: argparse.Namespace) -> None:
    from publish.media import read_renders, same_folder

    started = time.time()
    if args.command not in ("present", "report"):
        _folder("--out", args.out)
    if args.command == "clips" and same_folder(args.out, args.renders):
        raise PublishError(f"--out {args.out} is the renders' own folder (--from): the clips would be written over "
                           "the renders they are made from; choose another folder (the default is media/clips)")
    if args.command == "clips":
        from tqdm import tqdm

        from publish.clips import make_clips

        renders = read_renders(args.renders, args.chapters)
        for render, manifest, made in make_clips(renders, args.out, args.jobs):
            total = sum(entry["bytes"] for entry in manifest["files"].values())
            tqdm.write(f"clip {render.module}: {', '.join(made) if made else 'up to date'} "
                       f"({manifest['duration']:.1f} s, {total / 1e6:.1f} MB in all)")
        print(f"clips: {len(renders)} chapters in {args.out}/ ({time.time() - started:.1f} s)")
    elif args.command == "site":
        from publish.site import make_site

        index = make_site(args.clips, args.out, args.chapters)
        print(f"site: {index} ({_size(index)}); open it in a browser, or serve {args.out}/ from any static server")
    elif args.command == "report":
        from publish.report import report

        print(report(args.renders, args.film, args.chapters, args.jobs))
    elif args.command == "present":
        from publish.slides import present

        present(args.deck)
    else:
        from publish.slides import make_slides

        renders = read_renders(args.renders, args.chapters)
        presentations, deck = make_slides(renders, args.out, args.jobs)
        print(f"slides: {sum(len(r.blocks) for r in renders)} slides in {len(presentations)} presentations in "
              f"{args.out}/slides/; one-file deck {deck} ({_size(deck)}) ({time.time() - started:.1f} s)")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        run(args)
    except PublishError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # a folder that cannot be written, a full disk: the user's to fix, in one line
        where = f"{error.filename}: " if error.filename else ""
        print(f"error: {where}{error.strerror or error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; what was finished is kept, the rest is remade next time", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A film is a file: ``film.toml`` names what a film shows (its prompts, seed, steps, guidance, model and voice),
and every capture's settings follow from it.

``make video`` makes the repository's own ``film.toml`` into ``media/``; ``make video FILM=path`` makes any other
film file into ``media/films/<name>/``, so two films never overwrite each other. The film's folder remembers which
file made it (``.film-source``): a second file that claims the same name is refused, never mixed in.

    python -m pipeline film check FILE    check a film file (prompts against the model's encoder too)
    python -m pipeline film show FILE     print what each capture takes from it
    python -m pipeline capture --film FILE EXPERIMENT...   capture with the film's settings

Reading a film file needs the standard library only (the Makefile reads it on every run); checking its
prompts against a model's encoder loads that model's tokenizer.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pipeline import defaults, options
from pipeline.errors import UsageError
from pipeline.files import TooMuch, check_toml_shape, read_bounded

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILM = REPO_ROOT / "film.toml"
MEDIA = REPO_ROOT / "media"
FILMS = MEDIA / "films"
SOURCE_RECORD = ".film-source"
VOICES = ("piper", "silent")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
# A chapter's module name (scenes/chapters.py checks that each names a chapter there is)
_CHAPTER = re.compile(r"ch[0-9]{2}[a-z]?_[a-z0-9_]{1,40}")
MAX_CHAPTERS = 100

# Every key a film file may hold, with what it is for (the messages list them).
TOP_KEYS = {"name": "the film's folder under media/films/", "model": "a model folder (\"\" for the embedded one)",
            "voice": "piper or silent", "seed": "the seed of every walk's starting noise",
            "steps": "steps from noise to picture", "guidance": "the classifier-free guidance scale",
            "prompts": "the table of the film's prompts",
            "chapters": "the chapters the film keeps, in play order (all of them when it is left out)"}
PROMPT_KEYS = {key: what for key, (_, what) in defaults.PROMPTS.items()}


def prompt_of() -> dict[str, str]:
    """Which of the film's prompts each experiment walks, as each declares it (FILM_PROMPT); forward runs a
    scheduler on a toy-world picture and the map is fitted over the others: neither walks one."""
    from pipeline.experiments import registry

    return {entry.name: entry.film_prompt for entry in registry() if entry.film_prompt}


@dataclass(frozen=True)
class Film:
    """A film file, read and checked: what every capture of the film takes from it."""

    path: Path
    name: str
    model: Path | None  # None: the embedded model
    voice: str
    seed: int
    steps: int
    guidance: float
    prompts: dict[str, str]
    chapters: tuple[str, ...] | None = None  # the chapters it keeps; None: every chapter

    @property
    def is_default(self) -> bool:
        return self.path.resolve() == DEFAULT_FILM.resolve()

    @property
    def folder(self) -> Path:
        """Where the film's captures, chapters and film.mp4 go: media/ for the repository's film.toml."""
        return MEDIA if self.is_default else FILMS / self.name

    def chosen(self, experiment: str) -> dict:
        """What this film sets for one experiment: its prompt, seed, steps, guidance and model, each only where
        the experiment takes it, and only where it differs from the experiment's own default (so the default film
        makes exactly the captures a plain `capture` makes, cached under the same specs)."""
        from pipeline.experiments import experiment as lookup

        entry = lookup(experiment)
        if experiment == "map":
            raise ValueError("the map takes each input's settings: use inputs_chosen()")
        wanted = {"seed": self.seed, "steps": self.steps, "guidance": self.guidance, "model": self.model}
        if entry.film_prompt:
            wanted["prompt"] = self.prompts[entry.film_prompt]
        if experiment == "forward":  # a toy-world picture dissolved by the scheduler: its own seed, no walk
            wanted = {}
        return {k: v for k, v in wanted.items() if k in entry.options and v != entry.options[k]}

    def inputs_chosen(self) -> dict[str, dict]:
        """For the map: each capture it is fitted over, with what this film sets for it."""
        from pipeline.experiments import map as map_experiment

        return {name: self.chosen(name) for name in map_experiment.inputs()}


def _where(path: Path) -> str:
    return str(path)


# A film file is a few dozen lines; far more is not one (and Python's TOML parser must not be fed it unchecked).
FILM_FILE_BYTES = 64 * 1024


def _toml(path: Path) -> dict:
    if not path.exists():
        raise UsageError(f"film file {_where(path)} does not exist: give a film file (see film.toml)")
    if path.is_dir():
        raise UsageError(f"film file {_where(path)} is a folder: give a .toml file (see film.toml)")
    try:
        text = read_bounded(path, FILM_FILE_BYTES).decode("utf-8")
        check_toml_shape(text)
        return tomllib.loads(text)
    except TooMuch as e:
        raise UsageError(f"film file {_where(path)} {e}: a film file is a short .toml file (see film.toml)") from None
    except RecursionError:  # what the shape check cannot see coming still ends in one line
        raise UsageError(f"film file {_where(path)} nests too deep to read: a film file is a short .toml file "
                         "(see film.toml)") from None
    except UnicodeDecodeError:
        raise UsageError(f"film file {_where(path)} is not UTF-8 text: save it as a .toml file") from None
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"film file {_where(path)} is not valid TOML ({e}): fix it (see film.toml)") from None
    except OSError as e:
        raise UsageError(f"film file {_where(path)} cannot be read: {e.strerror or e}") from None


def _unknown(table: dict, known: dict, where: str, path: Path) -> None:
    unknown = [k for k in table if k not in known]
    if unknown:
        raise UsageError(f"film file {_where(path)}: unknown key {unknown[0]!r} in {where}; "
                         f"known: {', '.join(known)}")


def _whole(value, key: str, low: int, high: int, path: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UsageError(f"film file {_where(path)}: {key} must be a whole number from {low} to {high}; got {value!r}")
    return value


def read(path: Path | str | None = None) -> Film:
    """The film file at ``path`` (default: the repository's film.toml), checked without loading any model:
    keys, types and each prompt's shape. One line naming the problem and the fix where it is wrong."""
    path = Path(path) if path is not None else DEFAULT_FILM
    data = _toml(path)
    _unknown(data, TOP_KEYS, "the top table", path)
    prompts = data.get("prompts")
    if not isinstance(prompts, dict):
        raise UsageError(f"film file {_where(path)} has no [prompts] table: add one with "
                         f"{', '.join(PROMPT_KEYS)} (see film.toml)")
    _unknown(prompts, PROMPT_KEYS, "[prompts]", path)
    missing = [k for k in PROMPT_KEYS if k not in prompts]
    if missing:
        raise UsageError(f"film file {_where(path)}: [prompts] has no {missing[0]} prompt "
                         f"({PROMPT_KEYS[missing[0]]}): add {missing[0]} = \"...\"")
    for key, prompt in prompts.items():
        if not isinstance(prompt, str) or not prompt.strip():
            raise UsageError(f"film file {_where(path)}: the {key} prompt must be some words in quotes; got {prompt!r}")
    prompts = {k: " ".join(prompts[k].split()) for k in PROMPT_KEYS}

    name = data.get("name", path.stem)
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise UsageError(f"film file {_where(path)}: name must be lower-case letters, digits, '-' or '_' "
                         f"(it names the film's folder); got {name!r}")
    voice = data.get("voice", "piper")
    if voice not in VOICES:
        raise UsageError(f"film file {_where(path)}: voice must be {' or '.join(VOICES)}; got {voice!r}")
    model = data.get("model", "")
    if not isinstance(model, str):
        raise UsageError(f"film file {_where(path)}: model must be a folder's path in quotes (\"\" for the "
                         f"embedded model); got {model!r}")
    model_path = None
    if model.strip():
        model_path = Path(model).expanduser()
        if not model_path.is_absolute():  # relative to the film file, wherever make runs from
            model_path = (path.parent / model_path)
    seed = _whole(data.get("seed", 0), "seed", 0, options.MAX_SEED, path)
    steps = _whole(data.get("steps", defaults.STEPS), "steps", 1, options.MAX_STEPS, path)
    guidance = data.get("guidance", defaults.GUIDANCE)
    if isinstance(guidance, bool) or not isinstance(guidance, (int, float)) or not math.isfinite(guidance) \
            or not 0 <= guidance <= options.MAX_GUIDANCE:
        raise UsageError(f"film file {_where(path)}: guidance must be a number from 0 to "
                         f"{options.MAX_GUIDANCE:g}; got {guidance!r}")

    # each prompt's shape, as the experiment that walks it will take it (no model is loaded for this)
    from pipeline.experiments import binding, blend, words

    for key, check in (("blend", blend.check_prompt), ("words", words.check_prompt),
                       ("binding", binding.check_prompt)):
        try:
            check(prompts[key])
        except UsageError as e:
            raise UsageError(f"film file {_where(path)}: the {key} prompt: {e}") from None
    chapters = data.get("chapters")
    if chapters is not None:
        if not isinstance(chapters, list) or not chapters or len(chapters) > MAX_CHAPTERS \
                or not all(isinstance(c, str) and _CHAPTER.fullmatch(c) for c in chapters):
            raise UsageError(f"film file {_where(path)}: chapters must be a list of chapter names in quotes, such as "
                             f"[\"ch01_opening\", \"ch13_closing\"] (`python -m scenes.chapters` lists them); "
                             f"got {str(chapters)[:80]!r}")
        if len(set(chapters)) != len(chapters) or chapters != sorted(chapters):
            raise UsageError(f"film file {_where(path)}: chapters must name each chapter once, in the order they "
                             "play (the order of their names)")
        chapters = tuple(chapters)
    return Film(path, name, model_path, voice, seed, steps, float(guidance), prompts, chapters)


def check(film: Film) -> None:
    """What reading cannot tell: the model folder is one the recorder supports (its class, its scheduler's way to
    the guess of the finished picture), and each prompt fits its encoder. Loads tokenizers, not weights."""
    from pipeline.experiments.models import open_model

    try:
        model = open_model(film.model)
    except UsageError as e:
        raise UsageError(f"film file {_where(film.path)}: model {film.model}: {e}") from None
    embedded = open_model(None)
    for key, prompt in film.prompts.items():
        # binding and the latent twin walk the embedded toy-world models whatever the film's model
        checks = [embedded] if key == "binding" else [model, embedded] if key == "walk" else [model]
        for subject in [m for i, m in enumerate(checks) if all(m is not o for o in checks[:i])]:
            try:
                subject.check_prompt(prompt)
            except UsageError as e:
                raise UsageError(f"film file {_where(film.path)}: the {key} prompt: {e}") from None


def claim_folder(film: Film) -> Path:
    """The film's folder, claimed for this film file: a folder another film file made is refused in one line
    (so no film of another configuration is overwritten); a new folder is claimed by writing .film-source."""
    from pipeline.files import write_whole

    folder = film.folder
    record = folder / SOURCE_RECORD
    source = str(film.path.resolve())
    if record.exists():
        made_from = record.read_text(encoding="utf-8").strip()
        if made_from != source:
            raise UsageError(f"{folder} holds the film of {made_from}; give {film.path} another name "
                             f"(name = \"...\" in it) so it does not overwrite that film")
        return folder
    if not film.is_default and folder.exists() and any(folder.iterdir()):
        raise UsageError(f"{folder} exists and was not made for a film file: give {film.path} another name")
    folder.mkdir(parents=True, exist_ok=True)
    write_whole(record, source + "\n")
    return folder


# ----------------------------------------------------------------------------- the command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("check", "show", "make", "plan"),
                        help="check: read the file and check its model and prompts; show: print what each capture "
                             "takes from it; make (for the Makefile): claim the film's folder and print it, the voice "
                             "and the chapters; plan: print the same, claiming nothing (make -n)")
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_FILM,
                        help=f"the film file (default: {DEFAULT_FILM.name})")


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def run(args) -> int:
    film = read(args.file)
    if args.action in ("make", "plan"):
        folder = claim_folder(film) if args.action == "make" else film.folder
        print(_relative(folder), film.voice, ",".join(film.chapters) if film.chapters else "all")
        return 0
    if args.action == "check":
        check(film)
        how = "make video" if film.is_default else f"make video FILM={args.file}"
        print(f"film {film.name}: fine; `{how}` makes it into {_relative(film.folder)}/")
        return 0
    from pipeline.experiments import registry

    print(f"film {film.name} ({film.path}): into {_relative(film.folder)}/, voice {film.voice}, "
          f"model {film.model or 'the embedded one'}")
    for entry in registry():
        chosen = film.inputs_chosen() if entry.name == "map" else film.chosen(entry.name)
        if entry.name == "map":
            shown = "fitted over the captures above, with their settings"
        else:
            shown = " ".join(f"--{k} {v!r}" if k == "prompt" else f"--{k} {v}" for k, v in chosen.items()) \
                or "its own defaults"
        print(f"  {entry.name:<10}{shown}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """For the Makefile: ``python -m pipeline.film make FILE`` without the command line's other parsers."""
    parser = argparse.ArgumentParser(prog="python -m pipeline.film")
    add_arguments(parser)
    try:
        return run(parser.parse_args(argv))
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

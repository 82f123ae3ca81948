"""The film's chapters, found on disk: a chapter is ``scenes/chNN_name.py`` and ``scenes/chNN_name.narration.toml``.

The play order is the number in the file names (``ch05_walk`` plays before ``ch06_jump``, and
``ch05a_aside`` between the two),
and each narration file says what the chapter is in its ``[chapter]`` table::

    [chapter]
    title = "The walk"                # the title on screen, in the film's chapter markers and the exports
    scene = "TheWalk"                 # the scene class in the .py file
    reads = ["walk", "map"]           # the captures it reads, its own first
    summary = "Each step of the walk ..."   # one line, for the page, the clips and the deck
    poster = "walk"                   # the narration block whose last frame stands for the chapter

Nothing else lists chapters: the Makefile (through ``python -m scenes.chapters make``), the
film's joiner, the exports and the tests all read this loader. It needs the standard library
only, so that make can ask it questions before manim or torch is installed.

    python -m scenes.chapters              the chapters in play order, one per line
    python -m scenes.chapters make [DIR]   module:Scene:capture,capture per chapter, for the Makefile,
                                           and each chapter's render inputs written into DIR
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

SCENES = Path(__file__).resolve().parent
# The schema of <Scene>.marks.json, which every narrated render writes beside its subtitles and
# the exports read (scenes/narration/scene.py writes it; publish/media.py reads it).
MARKS_SCHEMA = "latent-walk/marks/1"
NARRATION_SUFFIX = ".narration.toml"
# chNN_name: a number that orders it (and a letter, to slip a chapter in after another: ch05a_aside
# plays after ch05_walk), then a name of lower-case letters, digits and _
_MODULE = re.compile(r"ch(\d+)([a-z]?)_[a-z0-9_]+")
_CAPTURE = re.compile(r"[a-z][a-z0-9_]*")
_FIELDS = {"title": str, "scene": str, "reads": list, "summary": str, "poster": str}


class ChapterError(ValueError):
    """A chapter's files that do not describe a chapter; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Chapter:
    """One chapter of the film: its files and what its narration file says of it."""

    module: str  # "ch05_walk": the file names' stem, and the clip's name
    scene: str  # the scene class manim renders
    title: str
    reads: tuple[str, ...]  # the captures it reads, its own first
    summary: str
    poster: str  # the narration block whose last frame is the chapter's poster
    folder: Path

    @property
    def number(self) -> int:
        return int(_MODULE.fullmatch(self.module).group(1))

    @property
    def place(self) -> tuple[int, str]:
        """Where it plays: by number, then by letter (ch05_walk, ch05a_aside, ch06_jump, ..., ch10_words)."""
        match = _MODULE.fullmatch(self.module)
        return int(match.group(1)), match.group(2)

    @property
    def source(self) -> Path:
        return self.folder / f"{self.module}.py"

    @property
    def narration(self) -> Path:
        return self.folder / f"{self.module}{NARRATION_SUFFIX}"

    @property
    def capture(self) -> str:
        """The chapter's own capture: the first it reads."""
        return self.reads[0]


def read_chapter(narration: Path | str) -> Chapter:
    """The chapter that a narration file describes, checked: every field present and of its kind, a scene file beside it."""
    narration = Path(narration)
    module = narration.name.removesuffix(NARRATION_SUFFIX)
    if not _MODULE.fullmatch(module):
        raise ChapterError(f"{narration}: a chapter's files are named chNN_name (digits, then lower-case letters, "
                           f"digits and _), as in ch05_walk{NARRATION_SUFFIX}")
    try:
        data = tomllib.loads(narration.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ChapterError(f"{narration}: no such narration file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ChapterError(f"{narration}: not valid TOML ({e})".replace("\n", " ")) from None
    about = data.get("chapter")
    if not isinstance(about, dict):
        raise ChapterError(f"{narration}: needs a [chapter] table with {', '.join(_FIELDS)}")
    unknown = sorted(set(about) - set(_FIELDS))
    if unknown:
        raise ChapterError(f"{narration}: [chapter] has unknown key {unknown[0]!r}; it takes {', '.join(_FIELDS)}")
    for key, kind in _FIELDS.items():
        value = about.get(key)
        if not isinstance(value, kind) or not value:
            raise ChapterError(f"{narration}: [chapter] needs {key} = "
                               + ("a list of capture names" if kind is list else "some text"))
    if not about["scene"].isidentifier():
        raise ChapterError(f"{narration}: [chapter] scene = {about['scene']!r} is not a Python class name")
    if "\n" in about["summary"] or "\n" in about["title"]:
        raise ChapterError(f"{narration}: [chapter] title and summary are one line each")
    reads = tuple(about["reads"])
    bad = [name for name in reads if not isinstance(name, str) or not _CAPTURE.fullmatch(name)]
    if bad or len(set(reads)) != len(reads):
        raise ChapterError(f"{narration}: [chapter] reads must name captures, each once; got {list(reads)}")
    blocks = data.get("blocks")
    if isinstance(blocks, dict) and about["poster"] not in blocks:
        raise ChapterError(f"{narration}: [chapter] poster = {about['poster']!r} is not one of its blocks "
                           f"({', '.join(blocks)})")
    chapter = Chapter(module, about["scene"], about["title"].strip(), reads, about["summary"].strip(),
                      about["poster"], narration.parent)
    if not chapter.source.is_file():
        raise ChapterError(f"{narration}: its scene file {chapter.source.name} is missing beside it")
    return chapter


def find_chapters(folder: Path | str = SCENES) -> list[Chapter]:
    """Every chapter in ``folder``, in play order (by the number and letter in the file names); a scene file
    without narration is refused."""
    folder = Path(folder)
    chapters = sorted((read_chapter(path) for path in folder.glob(f"ch*{NARRATION_SUFFIX}")), key=lambda c: c.place)
    named = {chapter.module for chapter in chapters}
    for source in sorted(folder.glob("ch*.py")):
        if _MODULE.fullmatch(source.stem) and source.stem not in named:
            raise ChapterError(f"{source}: a chapter needs its narration file {source.stem}{NARRATION_SUFFIX} beside it")
    places: dict[tuple[int, str], str] = {}
    for chapter in chapters:
        if chapter.place in places:
            raise ChapterError(f"{chapter.narration}: its place ({chapter.module.split('_')[0]}) is taken by "
                               f"{places[chapter.place]}; give each chapter its own number")
        places[chapter.place] = chapter.module
    if not chapters:
        raise ChapterError(f"{folder}: holds no chapters (chNN_name.py with chNN_name{NARRATION_SUFFIX})")
    return chapters


def chapter_named(module: str, folder: Path | str = SCENES) -> Chapter:
    """One chapter by its module name (``ch05_walk``)."""
    return read_chapter(Path(folder) / f"{module}{NARRATION_SUFFIX}")


def render_inputs(chapter: Chapter) -> str:
    """What a render of the chapter reads from its narration file: everything but the summary and the
    poster (which only the exports read) and the comments, as canonical JSON."""
    data = tomllib.loads(chapter.narration.read_text(encoding="utf-8"))
    about = {key: value for key, value in data.get("chapter", {}).items() if key not in ("summary", "poster")}
    return json.dumps({**data, "chapter": about}, sort_keys=True, ensure_ascii=False, indent=1) + "\n"


def write_render_inputs(chapters: list[Chapter], folder: Path) -> None:
    """``<folder>/<module>.json`` for each chapter, rewritten only when it changes: the Makefile's
    dependency for the narration, so that editing a summary or a poster re-renders nothing."""
    from pipeline.files import write_whole

    for chapter in chapters:
        path = folder / f"{chapter.module}.json"
        text = render_inputs(chapter)
        try:
            unchanged = path.read_text(encoding="utf-8") == text
        except (OSError, UnicodeDecodeError):
            unchanged = False
        if not unchanged:
            write_whole(path, text)


def kept(chapters: list[Chapter], names: str) -> list[Chapter]:
    """The chapters a film keeps: ``names`` is "all", or chapter modules joined by commas (a film file's
    ``chapters``), each of which must be a chapter here."""
    if names == "all":
        return chapters
    known = {chapter.module: chapter for chapter in chapters}
    wanted = names.split(",")
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise ChapterError(f"the film keeps chapter {unknown[0]!r}, which scenes/ does not hold; the chapters are: "
                           f"{', '.join(known)}")
    return [chapter for chapter in chapters if chapter.module in wanted]


def longest_first(chapters: list[Chapter]) -> list[Chapter]:
    """The chapters by the words their narration speaks, most first: the order `make -j` starts their renders in,
    so that the longest renders do not start last and leave a core idle at the end."""
    from scenes.narration.script import NarrationError, load_narration

    def words(chapter: Chapter) -> int:
        try:
            return sum(len(text.split()) for text in load_narration(chapter.narration).blocks.values())
        except (NarrationError, OSError):
            return 0  # its render says what is wrong

    return sorted(chapters, key=words, reverse=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    what = argv[0] if argv else "list"
    if what == "plan":  # what `make` prints, writing nothing (make -n)
        what, argv = "make", ["make", "", *argv[1:2]]
    if what not in ("list", "make") or len(argv) > (3 if what == "make" else 1):
        print("usage: python -m scenes.chapters [list | make [RENDER_INPUTS_FOLDER [all | CHAPTER,CHAPTER...]] "
              "| plan [all | CHAPTER,CHAPTER...]]", file=sys.stderr)
        return 2
    try:
        chapters = find_chapters()
        if what == "make" and len(argv) == 3:
            chapters = kept(chapters, argv[2])
        if what == "make" and len(argv) >= 2 and argv[1]:
            write_render_inputs(chapters, Path(argv[1]))
    except ChapterError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"error: cannot write the chapters' render inputs: {e}", file=sys.stderr)
        return 2
    for chapter in chapters:
        if what == "make":
            print(f"{chapter.module}:{chapter.scene}:{','.join(chapter.reads)}")
        else:
            print(f"{chapter.module:<20} {chapter.scene:<22} {chapter.title}")
    if what == "make":
        longest = longest_first(chapters)
        print("longest-first:" + ",".join(chapter.module for chapter in longest))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A chapter's narration as data: named blocks of text for the ear, with bookmarks and ``{placeholders}`` for captured facts.

The file sits beside its scene (``scenes/ch04_noise.narration.toml``). Its ``[chapter]`` table
says what the chapter is (``scenes/chapters.py`` reads it); its ``[blocks]`` table holds the named
texts in the order they are spoken:

    [blocks]
    opening = \"\"\"Here is a picture. <bookmark mark="noise"/> Now add noise.\"\"\"

No number is typed into a narration: every number is a placeholder filled from the facts of
the captures the chapter reads. ``{lost_step}`` names a fact of the chapter's own capture (the
first it reads); ``{map.picture_numbers}`` names a fact of another capture it reads, so two
captures' facts can never be taken for each other.

A block is markup (``speech.py``): its only tags are bookmarks, and ``&lt;`` ``&gt;`` ``&amp;``
stand for those characters. A fact is plain text, written by anyone (a prompt), so it is filled
in as text (``as_markup``): a bookmark or a tag in a fact's value is words the voice says and the
subtitles show, never a bookmark.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .speech import BOOKMARK, as_markup

_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


class NarrationError(ValueError):
    """A narration file that cannot be used; the message names the file and what is wrong."""


def placeholders_in(text: str) -> list[str]:
    """The names of the ``{placeholders}`` in ``text``, in order."""
    return [field for _, field, _, _ in string.Formatter().parse(text) if field is not None]


def digits_outside_placeholders(text: str) -> list[str]:
    """Every run of digits typed into ``text`` (placeholders are allowed to hold numbers)."""
    return re.findall(r"\d+", _PLACEHOLDER.sub("", text))


@dataclass(frozen=True)
class Narration:
    """A chapter's narration blocks, in the order they are spoken, before facts are filled in; and for some
    blocks, variants that hold only under a condition on the measured facts (``[variants]``)."""

    path: Path
    blocks: dict[str, str]
    variants: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # block -> [(when, text)], in order

    def texts(self) -> list[str]:
        """Every text the file holds: each block's, and each variant's."""
        return list(self.blocks.values()) + [text for options in self.variants.values() for _, text in options]

    def placeholders(self) -> set[str]:
        return {name for text in self.texts() for name in placeholders_in(text)}

    def conditions(self) -> set[str]:
        return {name for options in self.variants.values() for when, _ in options for name, _ in _terms(when)}

    def chosen(self, flags: Mapping[str, bool] | None = None) -> dict[str, str]:
        """Each block's text as the facts choose it: the first variant whose condition holds, else the block's own."""
        flags = dict(flags or {})
        unknown = sorted(self.conditions() - set(flags))
        if unknown:
            raise NarrationError(f"{self.path}: variants depend on {unknown}, which are no yes-or-no facts of the "
                                 f"captures the chapter reads")
        texts = dict(self.blocks)
        for block, options in self.variants.items():
            for when, text in options:
                if all(bool(flags[name]) == wanted for name, wanted in _terms(when)):
                    texts[block] = text
                    break
        return texts

    def filled(self, facts: Mapping[str, str], flags: Mapping[str, bool] | None = None) -> dict[str, str]:
        """Each block (its variant the facts choose) with its placeholders replaced by the facts' spoken forms
        (keyed ``fact`` or ``capture.fact``), each made inert for the markup: what a fact says is said."""
        chosen = self.chosen(flags)
        # Only what will be said must be filled: a variant spoken only where a fact is missing (the judge's,
        # for a model the judge does not know) may drop that fact. tests/test_narration.py checks every
        # text's placeholders against the film's own captures, spoken or not.
        missing = sorted({name for text in chosen.values() for name in placeholders_in(text)} - set(facts))
        if missing:
            raise NarrationError(f"{self.path}: placeholders {missing} name no fact of the captures the chapter "
                                 f"reads (it has: {', '.join(sorted(facts))})")
        return {name: _fill(text, facts) for name, text in chosen.items()}


# The counted nouns the narration puts after a number: after a count of one, each is said in the singular
# ("1 of its 4 pictures", but "1 seed", "1 step", "1 time").
COUNTED = ("blocks", "degrees", "grids", "minutes", "numbers", "pictures", "pixels", "prompts", "seeds", "steps",
           "stops", "times")
_COUNTED_AFTER = re.compile(r"\A(\s+)(" + "|".join(COUNTED) + r")\b")  # right after the number


def _fill(text: str, facts: Mapping[str, str]) -> str:
    # Not str.format_map: it would read {map.fact} as an attribute of a "map" fact.
    parts = list(string.Formatter().parse(text))
    out = []
    for index, (literal, name, _, _) in enumerate(parts):
        if index and parts[index - 1][1] is not None and facts[parts[index - 1][1]] == "1":
            literal = _COUNTED_AFTER.sub(lambda m: m.group(1) + m.group(2)[:-1], literal)
        out.append(literal + (as_markup(facts[name]) if name is not None else ""))
    return "".join(out)


def _fact_name(field: str) -> bool:
    """``fact`` or ``capture.fact``, each part a plain name."""
    parts = field.split(".")
    return len(parts) <= 2 and all(part.isidentifier() for part in parts)


def load_narration(path: Path | str) -> Narration:
    """Read and check a narration file: blocks are non-empty strings, placeholders are plain names."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NarrationError(f"{path}: no such narration file") from None
    except tomllib.TOMLDecodeError as e:
        raise NarrationError(f"{path}: not valid TOML ({e})") from None
    blocks = data.get("blocks")
    if not isinstance(blocks, dict) or not blocks:
        raise NarrationError(f"{path}: needs a [blocks] table of named narration texts")
    for name, text in blocks.items():
        _check_text(path, name, text)
    variants = _read_variants(path, data.get("variants", {}), blocks)
    return Narration(path, dict(blocks), variants)


_TERM = r"(not )?[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?"
# "fact", "not fact", or several such joined by " and " (each must hold)
_WHEN = re.compile(rf"{_TERM}( and {_TERM})*")


def _terms(when: str) -> list[tuple[str, bool]]:
    """A variant's condition as (fact, whether it must hold) for each of its terms: "a and not b" ->
    [("a", True), ("b", False)]."""
    return [(term.removeprefix("not "), not term.startswith("not ")) for term in when.split(" and ")]


def _read_variants(path: Path, table, blocks: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """``[variants]``: for a block, a list of ``{ when = "fact" | "not fact" | "a and not b", text = "..." }``
    tried in order before the block's own text (the first whose every term holds is spoken); each variant keeps the block's bookmarks, in the same order, since the scene
    waits on them whichever is spoken."""
    if not isinstance(table, dict):
        raise NarrationError(f"{path}: [variants] must be a table of blocks")
    variants = {}
    for name, options in table.items():
        if name not in blocks:
            raise NarrationError(f"{path}: [variants] names block {name!r}, which [blocks] lacks")
        if not isinstance(options, list) or not options:
            raise NarrationError(f"{path}: variants of {name!r} must be a list of {{ when = ..., text = ... }}")
        chosen = []
        for option in options:
            if not isinstance(option, dict) or set(option) != {"when", "text"}:
                raise NarrationError(f"{path}: a variant of {name!r} needs exactly when and text")
            when = option["when"]
            if not isinstance(when, str) or not _WHEN.fullmatch(when.strip()):
                raise NarrationError(f"{path}: a variant of {name!r}: when = {when!r} must name a yes-or-no fact, "
                                     "or 'not' and one, or several of those joined by 'and'")
            _check_text(path, f"{name} (when {when})", option["text"])
            if BOOKMARK.findall(option["text"]) != BOOKMARK.findall(blocks[name]):
                raise NarrationError(f"{path}: the variant of {name!r} when {when} must keep the block's bookmarks "
                                     f"{BOOKMARK.findall(blocks[name])}, in order")
            chosen.append((when.strip(), option["text"]))
        variants[name] = chosen
    return variants


def _check_text(path: Path, name: str, text) -> None:
    """A block's (or a variant's) text: non-empty, its placeholders fact names, its only tags bookmarks."""
    if not isinstance(text, str) or not text.strip():
        raise NarrationError(f"{path}: block {name!r} must be non-empty text")
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as e:
        raise NarrationError(f"{path}: block {name!r} has a broken placeholder ({e})") from None
    for _, fact_name, spec, conversion in fields:
        if fact_name is not None and (not _fact_name(fact_name) or spec or conversion):
            raise NarrationError(f"{path}: block {name!r}: placeholder {{{fact_name}}} must be a fact's name "
                                 f"(or capture.fact)")
    marks = BOOKMARK.findall(text)
    if len(marks) != len(set(marks)):
        raise NarrationError(f"{path}: block {name!r} uses a bookmark name twice")
    if "<bookmark" in BOOKMARK.sub("", text):
        raise NarrationError(f"{path}: block {name!r} has a bookmark tag manim-voiceover would not "
                             f"recognise; write <bookmark mark=\"name\"/> with a name of letters and _")
    if any(char in BOOKMARK.sub("", text) for char in "<>"):
        raise NarrationError(f"{path}: block {name!r} has a < or > that is no bookmark; bookmarks are the "
                             f"only tags, so write &lt; or &gt; for the characters")

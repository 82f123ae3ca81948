"""Words on screen: text in the film's font, titles, the typed prompt, step counters and live readouts.

Nothing here uses LaTeX: all words and numbers are ``Text`` in Computer Modern.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Line,
    Rectangle,
    RoundedRectangle,
    Text,
    VGroup,
)

from pipeline.contract import Capture, Fact
from scenes import style

# The array of each capture that holds the independent judge's reading, where it has one: the judge knows only the
# toy world, so a capture of another model (or of a prompt naming no toy-world object) has none.
JUDGE_ARRAYS = {"seeds": "judged_presence", "jump": "ladder_presence", "guidance": "object_presence",
                "words": "growth_judged_object", "blend": "lerp_presence", "explore": "grid_presence"}


def with_judged(capture: Capture) -> Capture:
    """The capture with its yes-or-no fact ``judged`` (whether the judge read its pictures), which the narration's
    variants are chosen by: a capture made before the experiments recorded that fact says it by its judge array."""
    if "judged" in capture.facts or capture.name not in JUDGE_ARRAYS:
        return capture
    judged = Fact(JUDGE_ARRAYS[capture.name] in capture.arrays, "", "the independent judge read its pictures")
    return dataclasses.replace(capture, facts={**capture.facts, "judged": judged})


# What stands for a judge's fact that a capture lacks, in narration the capture does not speak (never said).
NOT_JUDGED = "(not judged)"  # what the screen would show of a judge's fact that is absent: never shown


class ReadsTheJudge:
    """A chapter (put before ``NarratedScene`` among its bases) whose narration says what the judge saw where the
    capture has the judge's reading, and what can be said without it otherwise (variants ``when = "not judged"``).

    Captures made before the ``judged`` fact existed get it from their arrays (``with_judged``). The narration
    fills only the texts it speaks, so a ``not judged`` variant may leave the judge's facts out; the chapter's
    own code shows a judge's fact only where ``self.facts["judged"]`` holds."""

    def _read(self, name: str) -> Capture:
        return with_judged(super()._read(name))


def without_outlines(text: Text) -> Text:
    """``text`` without the parsed SVG outlines manim keeps on each glyph after drawing its points from them.

    Nothing reads them again (the Cairo renderer draws the points), but every copy of the words copied them too,
    piece by piece, and that copying was most of the time a fade or an ``.animate`` of words took. The glyphs'
    points, and so every pixel, are the same.
    """
    for part in text.get_family():
        if getattr(part, "path_obj", None) is not None:
            part.path_obj = None
    return text


def words(text: str, size: float = style.BODY_SIZE, color=style.INK, **kwargs) -> Text:
    """Text in the film's font."""
    return without_outlines(Text(text, font=style.FONT, font_size=size, color=color, **kwargs))


def words_on_baseline(text: str, size: float = style.BODY_SIZE, color=style.INK, **kwargs) -> tuple[Text, float]:
    """Text, and how far its baseline sits above its lowest point, so that words can share a baseline.

    manim crops a Text to its ink, so "big" and "a" have different bottoms; an "x" set in front
    of the word (and then taken away) marks where the baseline is.
    """
    probe = words("x" + text, size=size, color=color, **kwargs)
    marker = probe[0]
    drop = marker.get_bottom()[1] - probe.get_bottom()[1]
    probe.remove(marker)
    return probe, drop


class ChapterTitle(VGroup):
    """A chapter's name with a short rule under it, 3Blue1Brown's title card."""

    def __init__(self, title: str, size: float = style.TITLE_SIZE, **kwargs) -> None:
        name = words(title, size=size)
        rule = Line(LEFT, RIGHT, color=style.MUTED, stroke_width=style.AXIS_STROKE)
        rule.width = name.width * 1.1
        rule.next_to(name, DOWN, buff=0.2)
        super().__init__(name, rule, **kwargs)

    def dock(self) -> ChapterTitle:
        """Small at the top, where every chapter keeps its title once it has begun: ``title.animate.dock()``."""
        return self.scale(style.TITLE_DOCKED_SCALE).to_edge(UP, buff=style.TITLE_DOCKED_BUFF)


def prompt_words(prompt: str, size: float = style.PROMPT_SIZE, color=style.PROMPT) -> Text:
    """A prompt quoted on screen, as every chapter shows one: in curly quotes, in the prompt's colour."""
    return words(f"\u201c{prompt}\u201d", size=size, color=color)


def judge_words(text: str, yes: bool | None = None, size: float = style.LABEL_SIZE) -> Text:
    """What the judge says of a picture ("judge: a butterfly"), green where it saw what was asked, red where it
    did not, plain where the line is not a verdict."""
    color = style.INK if yes is None else (style.JUDGE_YES if yes else style.JUDGE_NO)
    return words(text, size=size, color=color)


class PromptBox(VGroup):
    """A prompt as it is typed: the words in a rounded box, left-aligned, with a text cursor after them.

    ``text`` is the prompt (a ``Text`` to type in with ``TypeWithCursor``), ``cursor`` the bar
    that follows it. The box is as wide as ``width`` or the prompt needs, whichever is more.
    """

    def __init__(self, prompt: str, width: float = 7.0, size: float = style.BODY_SIZE, color=style.INK,
                 padding: float = 0.35, **kwargs) -> None:
        self.prompt = prompt
        self.text = words(prompt, size=size, color=color)
        # One line's height whatever the letters: "a" alone and "by" alone would give different boxes.
        line_height = words("Hg", size=size).height
        self.box = RoundedRectangle(corner_radius=0.15, width=max(width, self.text.width + 2 * padding + 0.3),
                                    height=line_height + 2 * padding, color=style.MUTED,
                                    stroke_width=style.FRAME_STROKE)
        self.text.move_to(self.box).align_to(self.box, LEFT).shift(padding * RIGHT)
        self.cursor = Rectangle(width=0.05, height=line_height * 1.1, color=color, fill_color=color,
                                fill_opacity=1.0, stroke_width=0)
        self.cursor.move_to(self.text.get_left()).set_y(self.box.get_y())
        super().__init__(self.box, self.text, self.cursor, **kwargs)


def take_shape(shown: Text, fresh: Text) -> None:
    """Give ``shown`` the glyphs of ``fresh`` (words built afresh where ``shown`` stands), in place.

    The cheap half of ``become``: the fresh words are thrown away, so their outlines are taken as they are, not
    copied, and nothing is aligned (``become`` deep-copies the words and matches their glyphs one by one, about
    as slow as building them). ``shown`` keeps its glyph objects, so what the scene holds stays what it draws:
    extra glyphs shrink to nothing, never removed, and missing ones are added."""
    glyphs, new = shown.submobjects, fresh.submobjects
    for glyph, source in zip(glyphs, new):
        glyph.points = source.points
        glyph.fill_rgbas, glyph.stroke_rgbas = source.fill_rgbas, source.stroke_rgbas
        glyph.background_stroke_rgbas = source.background_stroke_rgbas
        glyph.stroke_width, glyph.background_stroke_width = source.stroke_width, source.background_stroke_width
    spot = np.repeat(fresh.get_center()[None, :], 4, axis=0)
    for glyph in glyphs[len(new):]:
        glyph.points = spot.copy()  # a curve of no size: it paints nothing, and a fade still finds its points
    if len(new) > len(glyphs):
        shown.add(*new[len(glyphs):])
    shown.points = fresh.points


class StepCounter(VGroup):
    """'step 420': a word and a number that changes while the film plays, the number's left edge fixed."""

    def __init__(self, value: int = 0, label: str = "step", size: float = style.COUNTER_SIZE,
                 color=style.INK, **kwargs) -> None:
        self.size, self.color_of_number = size, color
        self.label = words(label, size=size, color=style.MUTED)
        self.number = self._number(value).next_to(self.label, RIGHT, buff=0.2)
        self.value = value
        super().__init__(self.label, self.number, **kwargs)

    def _number(self, value: int) -> Text:
        return without_outlines(Text(str(int(value)), font=style.NUMBER_FONT, font_size=self.size,
                                     color=self.color_of_number))

    def set_value(self, value: int) -> StepCounter:
        value = int(value)
        if value != self.value:
            number = self._number(value)
            # Align on the baseline of the word, left edge where the old number began.
            number.next_to(self.label, RIGHT, buff=0.2).align_to(self.number, LEFT).align_to(self.label, DOWN)
            number.set_opacity(self.number.get_fill_opacity())
            # In place, not a swap: the scene keeps references to the number it is drawing.
            take_shape(self.number, number)
            self.value = value
        return self


class LiveText(Text):
    """Words made afresh from ``text_of()`` whenever they change (a readout that follows the film).

    Call ``refresh()`` from an updater; it rebuilds only when the words differ, keeping the
    place's left edge and the current opacity, so a fade in progress stays a fade.
    """

    def __init__(self, text_of, size: float = style.SMALL_SIZE, color=style.INK, **kwargs) -> None:
        self.text_of, self.size, self.colour = text_of, size, color
        self.shown_text = text_of()
        super().__init__(self.shown_text, font=style.FONT, font_size=size, color=color, **kwargs)
        without_outlines(self)

    def refresh(self, force: bool = False) -> LiveText:
        text = self.text_of()
        if force or text != self.shown_text:
            fresh = without_outlines(Text(text, font=style.FONT, font_size=self.size, color=self.colour))
            fresh.move_to(self)
            fresh.set_opacity(self.get_fill_opacity())
            take_shape(self, fresh)
            self.shown_text = text
        return self


def readout(text: str, near: np.ndarray, direction=RIGHT, color=style.INK, buff: float = 0.15) -> Text:
    """A small number beside a point on a chart."""
    return words(text, size=style.SMALL_SIZE, color=color).next_to(near, direction, buff=buff)

"""Picture pieces the chapters share (pixel pictures, captions, step counters, level charts) and the formatting of captured facts for voice and screen.

Every piece is a small class built from the palette and fonts in ``scenes.style``. Nothing
here uses LaTeX: all words and numbers are ``Text`` in Computer Modern.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from manim import (
    DOWN,
    PI,
    LEFT,
    RESAMPLING_ALGORITHMS,
    RIGHT,
    UP,
    Axes,
    Group,
    ImageMobject,
    Line,
    Rectangle,
    Text,
    VGroup,
    VMobject,
    config,
)

from pipeline.contract import Capture, Fact
from scenes import style


def captures_root() -> Path:
    """Where captures live: ``<media_dir>/captures``, so ``--media_dir`` moves a render and its data together."""
    return Path(config.media_dir) / "captures"


# ----------------------------------------------------------------------------- facts


def _is_percent(fact: Fact) -> bool:
    return fact.unit.startswith("%") or fact.unit.startswith("percent")


def _number_text(value: float, keep_decimal: bool) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}" if keep_decimal else str(int(round(value)))


def spoken(fact: Fact) -> str:
    """A fact as the voice says it: whole numbers, except one decimal for percentages under ten.

    "70.2" is heard as "seventy point two", which slows the listener down for nothing; but
    "7.6" and "8" are different enough to keep the decimal.
    """
    value = fact.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if _is_percent(fact):
        return _number_text(value, keep_decimal=abs(value) < 10)
    return _number_text(value, keep_decimal=not float(value).is_integer() and abs(value) < 10)


def shown(fact: Fact) -> str:
    """A fact as the screen shows it: the stored precision, with a % sign for percentages."""
    value = fact.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    text = str(int(value)) if float(value).is_integer() else f"{value:g}"
    return text + "%" if _is_percent(fact) else text


def spoken_facts(capture: Capture) -> dict[str, str]:
    """Every fact of a capture in its spoken form, keyed by name: what narration placeholders are filled with."""
    return {name: spoken(fact) for name, fact in capture.facts.items()}


# ----------------------------------------------------------------------------- words


def words(text: str, size: float = style.BODY_SIZE, color=style.INK, **kwargs) -> Text:
    """Text in the film's font."""
    return Text(text, font=style.FONT, font_size=size, color=color, **kwargs)


class ChapterTitle(VGroup):
    """A chapter's name with a short rule under it, 3Blue1Brown's title card."""

    def __init__(self, title: str, size: float = style.TITLE_SIZE, **kwargs) -> None:
        name = words(title, size=size)
        rule = Line(LEFT, RIGHT, color=style.MUTED, stroke_width=style.AXIS_STROKE)
        rule.width = name.width * 1.1
        rule.next_to(name, DOWN, buff=0.2)
        super().__init__(name, rule, **kwargs)


# ----------------------------------------------------------------------------- pictures


def _rgba(pixels: np.ndarray) -> np.ndarray:
    pixels = np.asarray(pixels)
    if pixels.ndim != 3 or pixels.shape[2] not in (3, 4) or pixels.dtype != np.uint8:
        raise ValueError(f"a picture must be (H, W, 3) uint8; got {pixels.shape} {pixels.dtype}")
    if pixels.shape[2] == 4:
        return pixels.copy()
    alpha = np.full(pixels.shape[:2] + (1,), 255, dtype=np.uint8)
    return np.concatenate([pixels, alpha], axis=2)


class PixelPicture(ImageMobject):
    """A small picture shown big with crisp square pixels (nearest-neighbour, never smoothed)."""

    def __init__(self, pixels: np.ndarray, height: float = 4.0, **kwargs) -> None:
        super().__init__(_rgba(pixels), **kwargs)
        self.set_resampling_algorithm(RESAMPLING_ALGORITHMS["nearest"])
        self.height = height

    def show(self, pixels: np.ndarray) -> PixelPicture:
        """Replace the pixels, keeping size, place and the current opacity (a fade in progress stays a fade)."""
        rgba = _rgba(pixels)
        if rgba.shape != self.pixel_array.shape:
            raise ValueError(f"new pixels {rgba.shape[:2]} differ from the picture's {self.pixel_array.shape[:2]}")
        rgba[:, :, 3] = self.pixel_array[:, :, 3]
        self.pixel_array = rgba
        return self


class Frame(Rectangle):
    """A thin border around a picture, so its edge shows even where the picture is dark."""

    def __init__(self, picture, color=style.FAINT, buff: float = 0.04, **kwargs) -> None:
        super().__init__(width=picture.width + 2 * buff, height=picture.height + 2 * buff, color=color,
                         stroke_width=style.FRAME_STROKE, **kwargs)
        self.move_to(picture)


class CaptionedPicture(Group):
    """A pixel picture in a frame with its caption below, the caption no wider than the picture allows."""

    def __init__(self, pixels: np.ndarray, caption: str, height: float = 4.0,
                 caption_size: float = style.LABEL_SIZE, caption_color=style.MUTED, **kwargs) -> None:
        self.picture = PixelPicture(pixels, height=height)
        self.frame = Frame(self.picture)
        self.caption = words(caption, size=caption_size, color=caption_color)
        if self.caption.width > 1.3 * self.picture.width:
            self.caption.width = 1.3 * self.picture.width
        self.caption.next_to(self.frame, DOWN, buff=0.25)
        super().__init__(self.picture, self.frame, self.caption, **kwargs)


class StepCounter(VGroup):
    """'step 420': a word and a number that changes while the film plays, the number's left edge fixed."""

    def __init__(self, value: int = 0, label: str = "step", size: float = style.BODY_SIZE,
                 color=style.INK, **kwargs) -> None:
        self.size, self.color_of_number = size, color
        self.label = words(label, size=size, color=style.MUTED)
        self.number = self._number(value).next_to(self.label, RIGHT, buff=0.2)
        self.value = value
        super().__init__(self.label, self.number, **kwargs)

    def _number(self, value: int) -> Text:
        return Text(str(int(value)), font=style.NUMBER_FONT, font_size=self.size, color=self.color_of_number)

    def set_value(self, value: int) -> StepCounter:
        value = int(value)
        if value != self.value:
            number = self._number(value)
            # Align on the baseline of the word, left edge where the old number began.
            number.next_to(self.label, RIGHT, buff=0.2).align_to(self.number, LEFT).align_to(self.label, DOWN)
            number.set_opacity(self.number.get_fill_opacity())
            # become, not a swap: the scene keeps references to the number it is drawing.
            self.number.become(number)
            self.value = value
        return self


class LevelChart(VGroup):
    """Curves of levels (0 to 1) over steps on plain axes, with word labels instead of LaTeX numbers.

    ``x_ticks`` and ``y_ticks`` are (value, label text) pairs; curves are added by name
    with ``add_curve`` and read back with ``point(x, y)`` and ``curves[name]``.
    """

    def __init__(self, x_max: float, width: float = 5.8, height: float = 3.6,
                 x_label: str = "step", y_label: str = "strength",
                 x_ticks: Sequence[tuple[float, str]] = (), y_ticks: Sequence[tuple[float, str]] = (),
                 **kwargs) -> None:
        self.axes = Axes(
            x_range=[0, x_max, x_max], y_range=[0, 1, 1], x_length=width, y_length=height,
            tips=False,
            axis_config={"include_numbers": False, "include_ticks": False, "color": style.MUTED,
                         "stroke_width": style.AXIS_STROKE},
        )
        self.x_label = words(x_label, size=style.LABEL_SIZE, color=style.MUTED)
        self.x_label.next_to(self.axes.x_axis, DOWN, buff=0.35)
        ticks = VGroup()
        for value, text in x_ticks:
            ticks.add(words(text, size=style.SMALL_SIZE, color=style.MUTED).next_to(self.axes.c2p(value, 0), DOWN, 0.12))
        for value, text in y_ticks:
            ticks.add(words(text, size=style.SMALL_SIZE, color=style.MUTED).next_to(self.axes.c2p(0, value), LEFT, 0.12))
        self.ticks = ticks
        # Up the left side, clear of the tick words, so the space above the chart stays free for labels.
        self.y_label = words(y_label, size=style.LABEL_SIZE, color=style.MUTED).rotate(PI / 2)
        self.y_label.next_to(VGroup(self.axes.y_axis, *ticks), LEFT, buff=0.2)
        self.curves: dict[str, VMobject] = {}
        super().__init__(self.axes, self.x_label, self.y_label, self.ticks, **kwargs)

    def point(self, x: float, y: float) -> np.ndarray:
        return self.axes.c2p(x, y)

    def curve(self, xs: Sequence[float], ys: Sequence[float], color, stroke_width: float = style.CURVE_STROKE) -> VMobject:
        """The data as drawn: straight lines between the recorded points, not a smoothed guess."""
        line = VMobject(color=color, stroke_width=stroke_width)
        line.set_points_as_corners([self.point(x, y) for x, y in zip(xs, ys)])
        return line

    def add_curve(self, name: str, xs: Sequence[float], ys: Sequence[float], color) -> VMobject:
        """Make a named curve; it joins the chart when the scene shows it (so it can be drawn on)."""
        self.curves[name] = self.curve(xs, ys, color)
        return self.curves[name]


class Marker(VGroup):
    """A vertical line at one step of a chart, with a label above it: 'this is the moment'."""

    def __init__(self, chart: LevelChart, x: float, label: str, color=style.HIGHLIGHT, **kwargs) -> None:
        self.line = Line(chart.point(x, 0), chart.point(x, 1.0), color=color, stroke_width=3)
        self.label = words(label, size=style.SMALL_SIZE, color=color).next_to(self.line, UP, buff=0.12)
        super().__init__(self.line, self.label, **kwargs)


def readout(text: str, near: np.ndarray, direction=RIGHT, color=style.INK, buff: float = 0.15) -> Text:
    """A small number beside a point on a chart."""
    return words(text, size=style.SMALL_SIZE, color=color).next_to(near, direction, buff=buff)


class Film:
    """A capture's frames as one film that can be shown at any in-between position.

    Position ``p`` is a frame index, and may fall between frames: the picture is then the
    blend of its two neighbours. Every frame mixes the same picture with the same noise, so a
    blend is the mix at an in-between step, and the film plays smoothly at any speed.
    """

    def __init__(self, frames: np.ndarray, timesteps: np.ndarray,
                 levels: Mapping[str, np.ndarray] | None = None) -> None:
        self.frames = np.asarray(frames)
        self.timesteps = np.asarray(timesteps)
        self.levels = {name: np.asarray(v, dtype=float) for name, v in (levels or {}).items()}
        self.last = len(self.frames) - 1

    def _between(self, position: float) -> tuple[int, float]:
        position = float(np.clip(position, 0, self.last))
        index = min(int(position), max(self.last - 1, 0))
        return index, position - index

    def frame_at(self, position: float) -> np.ndarray:
        index, t = self._between(position)
        if t == 0 or self.last == 0:
            return self.frames[index]
        mixed = (1 - t) * self.frames[index].astype(np.float32) + t * self.frames[index + 1].astype(np.float32)
        return np.round(mixed).astype(np.uint8)

    def step_at(self, position: float) -> float:
        return float(np.interp(np.clip(position, 0, self.last), np.arange(len(self.timesteps)), self.timesteps))

    def level_at(self, name: str, position: float) -> float:
        return float(np.interp(np.clip(position, 0, self.last), np.arange(len(self.timesteps)), self.levels[name]))

    def position_of_step(self, step: float) -> float:
        """The (possibly in-between) position at which the film shows ``step``."""
        return float(np.interp(step, self.timesteps, np.arange(len(self.timesteps))))


__all__ = [
    "CaptionedPicture", "ChapterTitle", "Film", "Frame", "LevelChart", "Marker", "PixelPicture", "StepCounter",
    "captures_root", "readout", "shown", "spoken", "spoken_facts", "words",
]

"""Picture pieces the chapters share (pixel pictures, captions, token strips, maps, step counters, level charts) and the formatting of captured facts for voice and screen.

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
    Dot,
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


# ----------------------------------------------------------------------------- vectors


def value_limit(values: np.ndarray, percentile: float = 98.0) -> float:
    """The magnitude at which the colour map saturates: a high percentile of |values|, not the maximum.

    A text encoder's states have a few dimensions far larger than the rest; scaled to the
    maximum, every other value would be drawn as zero.
    """
    magnitudes = np.abs(np.asarray(values, dtype=np.float64)).ravel()
    limit = float(np.percentile(magnitudes, percentile)) if magnitudes.size else 0.0
    return limit if limit > 0 else 1.0


def diverging_colours(values: np.ndarray, limit: float) -> np.ndarray:
    """Each value as an RGBA colour (uint8, shape ``values.shape + (4,)``): the film's diverging map.

    Zero is ``style.VALUE_ZERO``; ``-limit`` and below are ``VALUE_NEGATIVE``; ``+limit`` and
    above are ``VALUE_POSITIVE``; in between, a straight blend in RGB.
    """
    if not limit > 0:
        raise ValueError(f"the colour map's limit must be positive, not {limit}")
    t = np.clip(np.asarray(values, dtype=np.float64) / limit, -1.0, 1.0)[..., None]
    zero = np.array(style.VALUE_ZERO.to_rgb())
    end = np.where(t < 0, np.array(style.VALUE_NEGATIVE.to_rgb()), np.array(style.VALUE_POSITIVE.to_rgb()))
    rgb = zero + np.abs(t) * (end - zero)
    alpha = np.ones(rgb.shape[:-1] + (1,))
    return np.round(255 * np.concatenate([rgb, alpha], axis=-1)).astype(np.uint8)


class ValueStrip(ImageMobject):
    """One vector's values as a column of coloured cells, first value at the top, drawn crisp.

    ``fold`` > 1 wraps the vector into that many side-by-side columns (read top to bottom,
    then left to right), so that at low resolution each cell is still bigger than a pixel.
    """

    def __init__(self, values: np.ndarray, limit: float, width: float = 0.4, height: float = 4.0,
                 fold: int = 1, **kwargs) -> None:
        values = np.asarray(values, dtype=np.float64).ravel()
        if fold < 1 or values.size % fold:
            raise ValueError(f"cannot fold {values.size} values into {fold} equal columns")
        grid = values.reshape(fold, values.size // fold).T  # column j holds values j*n .. (j+1)*n - 1
        super().__init__(diverging_colours(grid, limit), **kwargs)
        self.set_resampling_algorithm(RESAMPLING_ALGORITHMS["nearest"])
        self.stretch_to_fit_height(height)
        self.stretch_to_fit_width(width)
        self.values = values


class TokenStrip(Group):
    """A prompt's tokens side by side, each a labelled column of its real values in the diverging colour map.

    ``states`` is (tokens, width), for example a text encoder's 384 numbers per token. Every
    column shares one colour scale (``limit``; by default from all the values shown), so colours
    compare across tokens. Columns stand at an even pitch at which no two labels touch, and the
    whole strip shrinks to ``max_width`` if the prompt is long.
    """

    def __init__(self, tokens: Sequence[str], states: np.ndarray, height: float = 4.0,
                 column_width: float = 0.42, gap: float = 0.22, limit: float | None = None, fold: int = 1,
                 label_size: float = style.LABEL_SIZE, label_color=style.INK,
                 max_width: float | None = None, **kwargs) -> None:
        states = np.asarray(states)
        if states.ndim != 2 or states.shape[0] != len(tokens):
            raise ValueError(f"states must be (tokens, width) with one row per token; "
                             f"got {states.shape} for {len(tokens)} tokens")
        self.tokens = list(tokens)
        self.limit = float(limit) if limit is not None else value_limit(states)
        self.strips = [ValueStrip(row, self.limit, width=column_width, height=height, fold=fold) for row in states]
        self.frames = VGroup(*(Frame(strip, buff=0.03) for strip in self.strips))
        labelled = [words_on_baseline(token, size=label_size, color=label_color) for token in self.tokens]
        self.labels = VGroup(*(label for label, _ in labelled))
        # Columns at one even pitch (a row of vectors, not a ragged one), the smallest at which
        # no two neighbouring labels come closer than ``gap``.
        slots = [max(frame.width, label.width) for frame, label in zip(self.frames, self.labels)]
        pitch = max([(a + b) / 2 for a, b in zip(slots, slots[1:])] or [slots[0]]) + gap
        for index, (strip, frame) in enumerate(zip(self.strips, self.frames)):
            Group(strip, frame).move_to(index * pitch * RIGHT)
        for label, frame in zip(self.labels, self.frames):
            label.next_to(frame, UP, buff=0.2)
        # Every label on one baseline, high enough that a hanging "g" or "p" clears the columns.
        baseline = self.frames[0].get_top()[1] + 0.12 + max(drop for _, drop in labelled)
        for label, drop in labelled:
            label.shift((baseline - drop - label.get_bottom()[1]) * UP)
        super().__init__(*self.strips, self.frames, self.labels, **kwargs)
        self.center()
        max_width = config.frame_width - 1.0 if max_width is None else max_width
        if self.width > max_width:
            self.scale_to_fit_width(max_width)

    def column(self, index: int) -> Group:
        """Token ``index``'s column: its strip, frame and label, to move or highlight together."""
        return Group(self.strips[index], self.frames[index], self.labels[index])


class ValueKey(Group):
    """The key to the diverging colour map: a short bar from 'below zero' to 'above zero'."""

    def __init__(self, width: float = 2.4, height: float = 0.18, size: float = style.SMALL_SIZE,
                 negative: str = "below zero", positive: str = "above zero", **kwargs) -> None:
        ramp = np.linspace(-1.0, 1.0, 64)[None, :]
        self.bar = ImageMobject(diverging_colours(ramp, 1.0))
        self.bar.stretch_to_fit_height(height)
        self.bar.stretch_to_fit_width(width)
        self.frame = Frame(self.bar, buff=0.02)
        self.negative = words(negative, size=size, color=style.VALUE_NEGATIVE).next_to(self.frame, LEFT, buff=0.15)
        self.positive = words(positive, size=size, color=style.VALUE_POSITIVE).next_to(self.frame, RIGHT, buff=0.15)
        super().__init__(self.bar, self.frame, self.negative, self.positive, **kwargs)


# ----------------------------------------------------------------------------- maps


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Area shared by two boxes given as (left, bottom, right, top)."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return max(width, 0.0) * max(height, 0.0)


def _box(mobject, pad: float = 0.0) -> np.ndarray:
    left, bottom = mobject.get_corner(DOWN + LEFT)[:2]
    right, top = mobject.get_corner(UP + RIGHT)[:2]
    return np.array([left - pad, bottom - pad, right + pad, top + pad])


class LabelledMap(VGroup):
    """Points of a 2-D space drawn as dots with word labels inside a framed box: the film's map.

    Both axes share one scale, so distances on screen are true to the data. ``bounds``
    (x_min, x_max, y_min, y_max) fixes the region shown, so that several maps, or one map
    and the paths drawn on it later, use the same coordinates; by default it is the points'
    own extent. Labels go beside their dot on the side where they overlap least with other
    labels, dots and the frame's edge. ``to_scene`` turns map coordinates into positions on
    screen, for anything drawn on the map afterwards.
    """

    def __init__(self, points: np.ndarray, labels: Sequence[str | None] = (), colors: Sequence | None = None,
                 width: float = 6.0, height: float = 4.5, bounds: Sequence[float] | None = None,
                 margin: float = 0.35, dot_radius: float = 0.07, label_size: float = style.SMALL_SIZE,
                 border_color=style.FAINT, **kwargs) -> None:
        points = np.asarray(points, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"map points must be (N, 2); got {points.shape}")
        labels = list(labels) or [None] * len(points)
        if len(labels) != len(points):
            raise ValueError(f"{len(labels)} labels for {len(points)} points")
        colors = list(colors) if colors is not None else [style.INK] * len(points)
        if bounds is None:
            bounds = (points[:, 0].min(), points[:, 0].max(), points[:, 1].min(), points[:, 1].max())
        x_min, x_max, y_min, y_max = (float(b) for b in bounds)
        self.bounds = (x_min, x_max, y_min, y_max)
        self.border = Rectangle(width=width, height=height, color=border_color, stroke_width=style.FRAME_STROKE)
        self._built_width = width  # to_scene follows the map when it is scaled later
        # One scale for both axes, the largest that fits the region inside the margin.
        span_x, span_y = max(x_max - x_min, 1e-9), max(y_max - y_min, 1e-9)
        self.scale_factor = min((width - 2 * margin) / span_x, (height - 2 * margin) / span_y)
        self.data_center = np.array([(x_min + x_max) / 2, (y_min + y_max) / 2])
        self.dots = VGroup(*(Dot(self._local(p), radius=dot_radius, color=c) for p, c in zip(points, colors)))
        self.labels = VGroup()
        self.label_of: dict[int, Text] = {}
        for index, (label, color) in enumerate(zip(labels, colors)):
            if label:
                self.label_of[index] = words(label, size=label_size, color=color)
                self.labels.add(self.label_of[index])
        self._place_labels(inner=_box(self.border, pad=-0.08))
        super().__init__(self.border, self.dots, self.labels, **kwargs)

    def _local(self, xy: np.ndarray) -> np.ndarray:
        """Map coordinates to a position relative to the border's centre at the time of building."""
        x, y = (np.asarray(xy, dtype=np.float64) - self.data_center) * self.scale_factor
        return self.border.get_center() + np.array([x, y, 0.0])

    # Beside the dot first, then above and below, then the corners; a little further out last.
    _label_spots = [(direction, buff) for buff in (0.1, 0.3)
                    for direction in (RIGHT, LEFT, UP, DOWN, UP + RIGHT, UP + LEFT, DOWN + RIGHT, DOWN + LEFT)]

    def _place_labels(self, inner: np.ndarray, passes: int = 4) -> None:
        """Put each label where it overlaps least with the other labels, the dots and the frame's edge.

        One greedy pass, then a few more in which each label moves to its best spot given where
        all the others now are; a crowded map settles in two or three.
        """
        # A label that hugs another dot reads as that dot's label: keep a clear margin around dots.
        dot_boxes = {index: _box(dot, pad=0.12) for index, dot in enumerate(self.dots)}
        spot_of = {index: self._label_spots[0] for index in self.label_of}
        placed: dict[int, np.ndarray] = {}

        def cost(index: int, box: np.ndarray) -> float:
            crowding = sum(_overlap(box, other) for i, other in placed.items() if i != index)
            crowding += sum(_overlap(box, d) for i, d in dot_boxes.items() if i != index)
            # Whatever sticks out of the frame counts as overlap too, and more heavily.
            outside = (box[2] - box[0]) * (box[3] - box[1]) - _overlap(box, inner)
            return crowding + 4 * outside

        for _ in range(passes):
            total = 0.0
            for index, text in self.label_of.items():
                best, best_cost = spot_of[index], np.inf
                for direction, buff in self._label_spots:
                    text.next_to(self.dots[index], direction, buff=buff)
                    spot_cost = cost(index, _box(text, pad=0.04))
                    if spot_cost < best_cost - 1e-9:
                        best, best_cost = (direction, buff), spot_cost
                    if spot_cost <= 1e-9:
                        break
                spot_of[index] = best
                text.next_to(self.dots[index], best[0], buff=best[1])
                placed[index] = _box(text, pad=0.04)
                total += best_cost
            if total <= 1e-9:
                break

    def to_scene(self, xy: Sequence[float]) -> np.ndarray:
        """Where the map point ``xy`` is on screen now, wherever the map has been moved or scaled to."""
        x, y = (np.asarray(xy, dtype=np.float64) - self.data_center) * self.scale_factor
        scale = self.border.width / self._built_width
        return self.border.get_center() + scale * np.array([x, y, 0.0])

    def path(self, xys: Sequence[Sequence[float]], color=style.HIGHLIGHT,
             stroke_width: float = style.CURVE_STROKE) -> VMobject:
        """A line through map points in order, as recorded (straight between points, not smoothed)."""
        line = VMobject(color=color, stroke_width=stroke_width)
        line.set_points_as_corners([self.to_scene(p) for p in xys])
        return line


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
    "CaptionedPicture", "ChapterTitle", "Film", "Frame", "LabelledMap", "LevelChart", "Marker", "PixelPicture",
    "StepCounter", "TokenStrip", "ValueKey", "ValueStrip", "captures_root", "diverging_colours", "readout", "shown",
    "spoken", "spoken_facts", "value_limit", "words", "words_on_baseline",
]


# ----------------------------------------------------------------------------- prompts

from manim import RoundedRectangle  # noqa: E402  (kept with the piece that uses it: this section was added later)


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


__all__ += ["PromptBox"]


# ----------------------------------------------------------------------------- the picture map


def picture_map_xy(map_capture: Capture, pictures: np.ndarray) -> np.ndarray:
    """Pictures (..., H, W, 3) uint8 placed on the map capture's picture map: (..., 2).

    The map capture stores its two axes so that any picture can be placed on it (see
    ``pipeline/experiments/map.py``): brightness 0 to 1, flattened, less the map's centre,
    onto each axis. A chapter places the very pictures it shows, so its paths always fit them.
    """
    mean = np.asarray(map_capture.arrays["picture_mean"], dtype=np.float64)
    basis = np.asarray(map_capture.arrays["picture_basis"], dtype=np.float64)
    pictures = np.asarray(pictures)
    flat = pictures.reshape(*pictures.shape[:-3], -1).astype(np.float64) / 255.0
    return (flat - mean) @ basis.T


# The map capture's arrays of finished pictures already placed on the picture map (see pipeline/experiments/map.py).
FINISHED_PICTURES_XY = ("seeds_final_xy", "guidance_final_xy", "words_final_xy", "words_variant_xy", "blend_lerp_xy",
                        "blend_slerp_xy", "blend_combined_xy", "explore_grid_xy", "explore_loop_xy")


def finished_pictures_xy(map_capture: Capture, leave_out: Sequence[str] = ()) -> np.ndarray:
    """Where the finished pictures of the film's other captures lie on the picture map, (N, 2): the landscape a path crosses."""
    parts = [np.asarray(map_capture.arrays[name], dtype=np.float64).reshape(-1, 2)
             for name in FINISHED_PICTURES_XY if name in map_capture.arrays and name not in leave_out]
    return np.concatenate(parts) if parts else np.zeros((0, 2))


class LiveText(Text):
    """Words made afresh from ``text_of()`` whenever they change (a readout that follows the film).

    Call ``refresh()`` from an updater; it rebuilds only when the words differ, keeping the
    place's left edge and the current opacity, so a fade in progress stays a fade.
    """

    def __init__(self, text_of, size: float = style.SMALL_SIZE, color=style.INK, **kwargs) -> None:
        self.text_of, self.size, self.colour = text_of, size, color
        self.shown_text = text_of()
        super().__init__(self.shown_text, font=style.FONT, font_size=size, color=color, **kwargs)

    def refresh(self, force: bool = False) -> LiveText:
        text = self.text_of()
        if force or text != self.shown_text:
            fresh = Text(text, font=style.FONT, font_size=self.size, color=self.colour)
            fresh.move_to(self)
            fresh.set_opacity(self.get_fill_opacity())
            self.become(fresh)
            self.shown_text = text
        return self


__all__ += ["FINISHED_PICTURES_XY", "LiveText", "finished_pictures_xy", "picture_map_xy"]


# ----------------------------------------------------------------------------- rows of pictures


class PictureRow(Group):
    """Pictures side by side, each in its frame with an optional short label under it, shrunk to ``max_width``.

    ``labels`` holds one text (or None) per picture. ``cell(i)`` is picture ``i`` with its frame
    and label, to move or highlight together.
    """

    def __init__(self, pictures: Sequence[np.ndarray], labels: Sequence[str | None] = (), height: float = 1.5,
                 buff: float = 0.15, max_width: float | None = None, label_size: float = style.SMALL_SIZE,
                 label_color=style.MUTED, **kwargs) -> None:
        max_width = config.frame_width - 1.0 if max_width is None else max_width
        # Smaller pictures rather than smaller words: the height shrinks until the pictures fit.
        aspect = np.asarray(pictures[0]).shape[1] / np.asarray(pictures[0]).shape[0]
        height = min(height, (max_width - buff * (len(pictures) - 1)) / (len(pictures) * aspect))
        self.pictures = [PixelPicture(p, height=height) for p in pictures]
        Group(*self.pictures).arrange(RIGHT, buff=buff)
        self.frames = VGroup(*(Frame(p) for p in self.pictures))
        labels = list(labels) or [None] * len(self.pictures)
        if len(labels) != len(self.pictures):
            raise ValueError(f"{len(labels)} labels for {len(self.pictures)} pictures")
        self.label_of: dict[int, Text] = {}
        for index, (label, frame) in enumerate(zip(labels, self.frames)):
            if label:
                self.label_of[index] = words(label, size=label_size, color=label_color).next_to(frame, DOWN, buff=0.15)
        self.labels = VGroup(*self.label_of.values())
        super().__init__(*self.pictures, self.frames, self.labels, **kwargs)
        if self.width > max_width:  # labels wider than the pictures at the ends
            self.scale_to_fit_width(max_width)

    def cell(self, index: int) -> Group:
        """Picture ``index`` with its frame and label."""
        parts = [self.pictures[index], self.frames[index]]
        if index in self.label_of:
            parts.append(self.label_of[index])
        return Group(*parts)


__all__ += ["PictureRow"]


# ----------------------------------------------------------------------------- columns of pictures


class PictureColumns(Group):
    """Columns of pictures side by side, each under a heading, with room for a score under each column.

    ``pictures`` is (columns, rows, H, W, 3). The pictures take the largest size at which all
    rows fit ``height`` and all columns fit ``width``; ``columns[i]`` is column i (heading and
    pictures), ``headings[i]`` its heading, ``frames[i][r]`` the frame of its picture in row r.
    Scores are placed by ``score_under(i, text)``, so a chapter can show them one by one.
    """

    def __init__(self, pictures: np.ndarray, headings: Sequence[str], width: float = 11.5, height: float = 4.4,
                 gap: float = 0.12, column_gap: float = 0.45, heading_size: float = style.LABEL_SIZE,
                 heading_color=style.INK, **kwargs) -> None:
        pictures = np.asarray(pictures)
        if pictures.ndim != 5 or len(headings) != len(pictures):
            raise ValueError(f"pictures must be (columns, rows, H, W, 3) with one heading per column; "
                             f"got {pictures.shape} and {len(headings)} headings")
        count, rows = pictures.shape[:2]
        cell = min((height - gap * (rows - 1)) / rows, (width - column_gap * (count - 1)) / count)
        self.headings, self.frames, self.columns = [], [], []
        for column, heading in zip(pictures, headings):
            shown_pictures = [PixelPicture(p, height=cell) for p in column]
            frames = [Frame(p, buff=0.02) for p in shown_pictures]
            stack = Group(*(Group(p, f) for p, f in zip(shown_pictures, frames))).arrange(DOWN, buff=gap)
            title = words(heading, size=heading_size, color=heading_color).next_to(stack, UP, buff=0.2)
            self.headings.append(title)
            self.frames.append(frames)
            self.columns.append(Group(title, stack))
        super().__init__(*self.columns, **kwargs)
        self.arrange(RIGHT, buff=column_gap, aligned_edge=UP)
        # One baseline for every heading, whatever their letters hang below it.
        top = max(h.get_top()[1] for h in self.headings)
        for h in self.headings:
            h.shift((top - h.get_top()[1]) * UP)

    def score_under(self, index: int, text: str, size: float = style.LABEL_SIZE, color=style.HIGHLIGHT,
                    buff: float = 0.2) -> Text:
        """A short text under column ``index`` (not added to the group)."""
        return words(text, size=size, color=color).next_to(self.columns[index], DOWN, buff=buff)


__all__ += ["PictureColumns"]


# ----------------------------------------------------------------------------- the prompt map's colours

# One colour per toy-world object on a prompt map, from the film's palette, in the atlas's order of objects
# (the order chapter two's map uses), so that an object keeps its colour from map to map.
OBJECT_COLOURS = (style.VALUE_POSITIVE, style.SIGNAL, style.NOISE, style.VALUE_NEGATIVE, style.INK, style.MODEL,
                  style.HIGHLIGHT, style.MUTED)


def object_colour_of(objects: Sequence[str]) -> dict:
    """Each object named in ``objects`` (in order of first appearance) with its map colour."""
    return {o: OBJECT_COLOURS[i % len(OBJECT_COLOURS)] for i, o in enumerate(dict.fromkeys(str(o) for o in objects))}


__all__ += ["OBJECT_COLOURS", "object_colour_of"]


def fade_to(group, opacity: float) -> list:
    """Animations that take every picture and line in ``group`` to ``opacity`` (a Group of pictures has no
    ``set_opacity`` of its own); frames keep their empty inside."""
    animations = []
    for part in group.get_family():
        if isinstance(part, ImageMobject):
            animations.append(part.animate.set_opacity(opacity))
        elif isinstance(part, VMobject) and part.has_points():
            if part.get_fill_opacity() > 0:
                animations.append(part.animate.set_opacity(opacity))
            else:
                animations.append(part.animate.set_stroke(opacity=opacity))
    return animations


__all__ += ["fade_to"]

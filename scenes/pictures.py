"""Pictures on screen: pixel pictures with crisp pixels, frames, captions, rows and columns of them, films of a capture's frames, and vectors drawn as coloured cells.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RESAMPLING_ALGORITHMS,
    RIGHT,
    UP,
    Group,
    ImageMobject,
    Rectangle,
    Text,
    VGroup,
    VMobject,
    config,
)

from scenes import style
from scenes.words import words, words_on_baseline


def _rgba(pixels: np.ndarray) -> np.ndarray:
    pixels = np.asarray(pixels)
    if pixels.ndim != 3 or pixels.shape[2] not in (3, 4) or pixels.dtype != np.uint8:
        raise ValueError(f"a picture must be (H, W, 3) uint8; got {pixels.shape} {pixels.dtype}")
    if pixels.shape[2] == 4:
        return pixels.copy()
    alpha = np.full(pixels.shape[:2] + (1,), 255, dtype=np.uint8)
    return np.concatenate([pixels, alpha], axis=2)


def fitted_size(shape: Sequence[int], side: float) -> tuple[float, float]:
    """(width, height) on screen of a picture of ``shape`` (H, W, ...) fitted into a square of ``side``: a square
    picture fills it, a wide one its width, a tall one its height, whatever its number of pixels."""
    rows, columns = int(shape[0]), int(shape[1])
    longest = max(rows, columns)
    return side * columns / longest, side * rows / longest


class PixelPicture(ImageMobject):
    """A picture shown with crisp square pixels (nearest-neighbour, never smoothed), fitted by its shape into a
    square of side ``height``: its height for a square or tall picture, its width for a wide one, so a layout made
    of square places holds pictures of any size (32 x 32, 512 x 512, 1024 x 768) without overlap or stretch."""

    def __init__(self, pixels: np.ndarray, height: float = 4.0, **kwargs) -> None:
        super().__init__(_rgba(pixels), **kwargs)
        self.set_resampling_algorithm(RESAMPLING_ALGORITHMS["nearest"])
        self.fit_in(height)

    def fit_in(self, side: float) -> PixelPicture:
        """Scale the picture (keeping its shape) to fit a square of ``side``; works under ``.animate`` too."""
        self.height = fitted_size(self.pixel_array.shape, side)[1]
        return self

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


def guess_frame(picture, **kwargs) -> Frame:
    """The frame around the model's guess of the finished picture: the same colour in every chapter."""
    return Frame(picture, color=style.GUESS, **kwargs)


def noisy_frame(picture, **kwargs) -> Frame:
    """The frame around a noisy state, or pure noise."""
    return Frame(picture, color=style.NOISY, **kwargs)


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


class PictureRow(Group):
    """Pictures side by side, each in its frame with an optional short label under it, shrunk to ``max_width``.

    ``labels`` holds one text (or None) per picture. ``cell(i)`` is picture ``i`` with its frame
    and label, to move or highlight together.
    """

    def __init__(self, pictures: Sequence[np.ndarray], labels: Sequence[str | None] = (), height: float = 1.5,
                 buff: float = 0.15, max_width: float | None = None, label_size: float = style.SMALL_SIZE,
                 label_color=style.MUTED, **kwargs) -> None:
        max_width = config.frame_width - 1.0 if max_width is None else max_width
        # Smaller pictures rather than smaller words: the square each picture fits in shrinks until they fit.
        across = fitted_size(np.asarray(pictures[0]).shape, 1.0)[0]  # a picture's width in a square of side 1
        height = min(height, (max_width - buff * (len(pictures) - 1)) / (len(pictures) * across))
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
        across, down = fitted_size(pictures.shape[2:], 1.0)  # a picture's width and height in a square of side 1
        cell = min((height - gap * (rows - 1)) / (rows * down), (width - column_gap * (count - 1)) / (count * across))
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


class Reel:
    """A capture's frames as one reel that can be shown at any in-between position (not a film file: that is
    ``pipeline.film.Film``).

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
        """The frame at ``position``; between two, their blend (rounded for pictures, as is for numbers)."""
        index, t = self._between(position)
        if t == 0 or self.last == 0:
            return self.frames[index]
        mixed = (1 - t) * self.frames[index].astype(np.float32) + t * self.frames[index + 1].astype(np.float32)
        return np.round(mixed).astype(np.uint8) if self.frames.dtype == np.uint8 else mixed

    def step_at(self, position: float) -> float:
        return float(np.interp(np.clip(position, 0, self.last), np.arange(len(self.timesteps)), self.timesteps))

    def level_at(self, name: str, position: float) -> float:
        return float(np.interp(np.clip(position, 0, self.last), np.arange(len(self.timesteps)), self.levels[name]))

    def position_of_step(self, step: float) -> float:
        """The (possibly in-between) position at which the film shows ``step``."""
        return float(np.interp(step, self.timesteps, np.arange(len(self.timesteps))))


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
        self.values, self.limit, self.fold = values, float(limit), fold

    def show(self, values: np.ndarray) -> ValueStrip:
        """Replace the values (as many as before), keeping size, place, colour scale and the current opacity."""
        values = np.asarray(values, dtype=np.float64).ravel()
        if values.size != self.values.size:
            raise ValueError(f"{values.size} values for a strip of {self.values.size}")
        rgba = diverging_colours(values.reshape(self.fold, values.size // self.fold).T, self.limit)
        rgba[:, :, 3] = self.pixel_array[:, :, 3]
        self.pixel_array, self.values = rgba, values
        return self


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

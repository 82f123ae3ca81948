"""Maps and charts: the labelled 2-D map of pictures or prompts, placing pictures on the map capture's axes, and level charts with markers.

The map's formula lives in ``pipeline/maps.py`` (numpy only), which the pipeline fits the maps with.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from manim import (
    DOWN,
    LEFT,
    PI,
    RIGHT,
    UP,
    Axes,
    Dot,
    Line,
    Rectangle,
    Text,
    VGroup,
    VMobject,
)

from pipeline.contract import Capture
from pipeline.maps import place_pictures
from scenes import style
from scenes.words import words


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

    def to_scene_many(self, xys: np.ndarray) -> np.ndarray:
        """``to_scene`` of many map points at once (rows), for what is drawn every frame."""
        xy = (np.asarray(xys, dtype=np.float64).reshape(-1, 2) - self.data_center) * self.scale_factor
        scale = self.border.width / self._built_width
        return self.border.get_center() + scale * np.column_stack([xy, np.zeros(len(xy))])

    def path(self, xys: Sequence[Sequence[float]], color=style.HIGHLIGHT,
             stroke_width: float = style.CURVE_STROKE) -> VMobject:
        """A line through map points in order, as recorded (straight between points, not smoothed)."""
        line = VMobject(color=color, stroke_width=stroke_width)
        line.set_points_as_corners([self.to_scene(p) for p in xys])
        return line


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


def picture_map_xy(map_capture: Capture, pictures: np.ndarray) -> np.ndarray:
    """Pictures (..., H, W, 3) uint8 placed on the map capture's picture map: (..., 2).

    The map capture stores its two axes so that any picture can be placed on it, by the formula
    the pipeline fitted them with (``pipeline/maps.py``). A chapter places the very pictures it
    shows, so its paths always fit them.
    """
    return place_pictures(pictures, map_capture.arrays["picture_mean"], map_capture.arrays["picture_basis"])


# The map capture's arrays of finished pictures already placed on the picture map (see pipeline/experiments/map.py).
FINISHED_PICTURES_XY = ("seeds_final_xy", "guidance_final_xy", "words_final_xy", "words_variant_xy", "blend_lerp_xy",
                        "blend_slerp_xy", "blend_combined_xy", "explore_grid_xy", "explore_loop_xy")


def finished_pictures_xy(map_capture: Capture, leave_out: Sequence[str] = ()) -> np.ndarray:
    """Where the finished pictures of the film's other captures lie on the picture map, (N, 2): the landscape a path crosses."""
    parts = [np.asarray(map_capture.arrays[name], dtype=np.float64).reshape(-1, 2)
             for name in FINISHED_PICTURES_XY if name in map_capture.arrays and name not in leave_out]
    return np.concatenate(parts) if parts else np.zeros((0, 2))


# One colour per toy-world object on a prompt map, from the film's palette, in the atlas's order of objects
# (the order chapter two's map uses), so that an object keeps its colour from map to map.
OBJECT_COLOURS = (style.VALUE_POSITIVE, style.SIGNAL, style.NOISE, style.VALUE_NEGATIVE, style.INK, style.MODEL,
                  style.HIGHLIGHT, style.MUTED)


def object_colour_of(objects: Sequence[str]) -> dict:
    """Each object named in ``objects`` (in order of first appearance) with its map colour."""
    return {o: OBJECT_COLOURS[i % len(OBJECT_COLOURS)] for i, o in enumerate(dict.fromkeys(str(o) for o in objects))}

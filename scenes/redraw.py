"""Each frame redraws only the parts of the screen that move: the same pixels as manim's own drawing, for less work.

manim's Cairo renderer keeps one picture of the mobjects that do not move during an animation and draws the rest on
top of it at every frame. To keep the stacking order it counts as moving *everything added after* the first thing
that moves: a chapter that adds a readout with an updater early redraws every later title, caption, label and
map dot at every frame of every animation (chapter 5 drew about 190 shapes a frame, most of them still).

:class:`RegionRedraw` keeps manim's order and its pixels exactly, and draws less:

- ``behind``: manim's own still picture (what lies below the first moving thing);
- ``still``: that picture with every later still shape drawn on it in order, made once per animation;
- each frame: the boxes around the moving shapes (grown by the widest their strokes and corners can reach) are
  drawn from ``behind`` up, in manim's order, with only the moving shapes and the still ones that touch a box;
  everything outside the boxes is taken from ``still``.

Inside a box every shape that can touch it is drawn in the original order; outside, no moving shape reaches, so
``still`` is what manim would have drawn there. ``tests/test_redraw.py`` checks frame by frame that a render with it
equals one without it. Pictures are composited only inside their own box, not over the whole screen. Where the
boxes would cover most of the screen, or the scene uses z-indices or foreground mobjects (which change manim's
order), the frame is drawn manim's way.

While the camera moves, manim counts everything as moving. Here the still shapes are drawn once instead, into
canvases sharp enough for each stretch of the camera's path (each frame is shrunk from one by less than half), and
``behind`` and ``still`` are cut from them at each frame; the rest is as above. Those frames differ from manim's by
edges a fraction of a pixel apart (the test bounds the error); ``LATENT_WALK_REDRAW=exact`` draws them manim's way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from manim import AnimationGroup, Camera, Mobject, Transform, VMobject
from PIL import Image

# Off with LATENT_WALK_REDRAW=manim (the test compares the two ways; a suspected drawing bug can be ruled out).
ENABLED = os.environ.get("LATENT_WALK_REDRAW", "regions") != "manim"
# A camera move's frames cut from still pictures drawn once (LATENT_WALK_REDRAW=exact draws them manim's way: the
# same pixels as manim, slower).
CAMERA_MOVES = ENABLED and os.environ.get("LATENT_WALK_REDRAW", "regions") != "exact"
# Above this share of the screen in boxes, drawing everything is as cheap: the frame is drawn manim's way.
MOST_OF_THE_SCREEN = 0.6
# Cairo's default miter limit is 10: a sharp corner's point can reach 10 half-widths of its stroke beyond the path.
MITER_REACH = 10 * 0.5
# Pixels of anti-aliasing and image resampling around a shape's exact outline.
EDGE_PIXELS = 3
# A camera move samples its path at this many points to plan the still pictures its frames are cut from.
PATH_SAMPLES = 97
# The largest still picture a camera move draws (pixels; cairo's own limit is 32767 a side).
CANVAS_SIDE = 8192
CANVAS_PIXELS = 48_000_000


def _animated(animations) -> set[int]:
    """ids of every mobject an animation moves, nested animation groups included (as manim collects them)."""
    ids: set[int] = set()
    for animation in animations:
        ids.update(id(m) for m in animation.mobject.get_family())
        if isinstance(animation, AnimationGroup):
            ids |= _animated(animation.animations)
    return ids


def _moves(mobject: Mobject, animated: set[int]) -> bool:
    """manim's own test of a moving mobject: animated, or with an updater, itself or below."""
    return (id(mobject) in animated or bool(mobject.updaters)
            or any(_moves(child, animated) for child in mobject.submobjects))


def display_image(camera, image_mobject, pixel_array: np.ndarray) -> None:
    """manim's drawing of a picture (``Camera.display_image_mobject``), pixel for pixel, done only inside the
    picture's own box. manim pastes each picture into a transparent image as large as the screen and composites
    the whole screen, for every picture at every frame; outside the picture's box that leaves the pixels as
    they are (a fully transparent pixel composites to the one below), so only the box is composited here."""
    sub_image = Image.fromarray(image_mobject.get_pixel_array(), mode="RGBA")
    original = np.array([[0, 0], [sub_image.width, 0], [0, sub_image.height], [sub_image.width, sub_image.height]])
    target = camera.points_to_subpixel_coords(image_mobject, image_mobject.points)
    whole = target.astype(np.int64)
    shift = whole.min(axis=0)
    target = target - shift
    whole = whole - shift
    size = (int(whole[:, 0].max()), int(whole[:, 1].max()))
    # As manim: nothing is drawn where the quadrilateral is thinner than half a pixel (its transform would
    # break), nor where three corners line up.
    corners = [target[i] for i in (0, 1, 3, 2)]
    sides = [corners[(i + 1) % 4] - corners[i] for i in range(4)]
    lengths = np.linalg.norm(sides, axis=1)
    longest = int(np.argmax(lengths))
    if lengths[longest] == 0:
        return
    previous = sides[(longest - 1) % 4]  # manim takes the same side twice for its two heights
    base = sides[longest]
    if abs(base[0] * previous[1] - base[1] * previous[0]) / lengths[longest] < 0.5:
        return
    rows = []
    for (x, y), (u, v) in zip(target, original, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    try:
        coefficients = np.linalg.solve(np.array(rows, dtype=np.float64), original.reshape(8).astype(np.float64))
    except np.linalg.LinAlgError:
        return
    sub_image = sub_image.transform(size=size, method=Image.Transform.PERSPECTIVE, data=coefficients,
                                    resample=image_mobject.resampling_algorithm)
    # The part of the transformed picture that lands on the screen, and where.
    x0, y0 = max(int(shift[0]), 0), max(int(shift[1]), 0)
    x1 = min(int(shift[0]) + size[0], camera.pixel_width)
    y1 = min(int(shift[1]) + size[1], camera.pixel_height)
    if x1 <= x0 or y1 <= y0:
        return
    part = sub_image.crop((x0 - int(shift[0]), y0 - int(shift[1]), x1 - int(shift[0]), y1 - int(shift[1])))
    region = pixel_array[y0:y1, x0:x1]
    below = Image.fromarray(np.ascontiguousarray(region), mode=camera.image_mode)
    region[...] = np.asarray(Image.alpha_composite(below, part), dtype=np.uint8)


@dataclass
class _Plan:
    """One animation's split of the scene: what manim draws above its still picture, and which of it stays still."""

    above: list[Mobject]  # manim's own list of what it redraws each frame (scene.moving_mobjects)
    still_ids: set[int]  # the members of the still mobjects among them
    still_shapes: list[Mobject]  # those members that paint (have points), in manim's order
    still_boxes: np.ndarray  # their pixel boxes (x0, y0, x1, y1), grown by their reach
    still: np.ndarray | None = None  # manim's still picture with every still shape drawn on it


@dataclass
class _Canvas:
    """The still part of the scene drawn once, at ``density`` pixels per unit, over the box whose top-left corner is
    (left, top) in scene units; each frame of a camera move is cut from the coarsest canvas sharp enough for it."""

    density: float
    left: float
    top: float
    width: int  # pixels
    height: int
    behind: Image.Image | None = None  # what lies below the first moving shape (drawn on first use)
    still: Image.Image | None = None  # that with every later still shape on it

    def covers(self, left: float, top: float, right: float, bottom: float) -> bool:
        slack = 1.0 / self.density
        return (left >= self.left - slack and top <= self.top + slack
                and right <= self.left + self.width / self.density + slack
                and bottom >= self.top - self.height / self.density - slack)


@dataclass
class _CameraPlan:
    """A camera move: the same split as :class:`_Plan`, with canvases in place of manim's still picture."""

    above: list[Mobject]  # the scene's mobjects from the first moving one on
    still_ids: set[int]  # the members of the still mobjects among them
    still_shapes: list[Mobject]  # those members that paint, in manim's order
    still_extents: np.ndarray  # their extents in scene units (RegionRedraw._extents)
    behind_shapes: list[Mobject]  # what lies below the first moving mobject, in manim's order
    canvases: list[_Canvas]


class DrawsOnlyWhatMoves:
    """A scene (put before manim's ``Scene`` among its bases) whose frames are drawn by :class:`RegionRedraw`;
    ``draw_regions = False`` draws them manim's way."""

    draw_regions = ENABLED
    cut_camera_moves = CAMERA_MOVES  # False: a camera move's frames are drawn manim's way, pixel for pixel

    def setup(self) -> None:
        super().setup()
        self.redraw = RegionRedraw.install(self) if self.draw_regions else None

    def begin_animations(self) -> None:
        super().begin_animations()
        if self.redraw is not None:
            self.redraw.begin(self.animations)


def _remembers_its_frame(camera_class: type) -> type:
    """A moving camera class that works out its frame's place and size once per frame, not at every shape: manim
    asks for them for every picture and every batch of shapes (a chapter asked 190,000 times, 13 s), and each answer
    walks the frame's points. The cairo context is kept too while the frame stays put, as manim's still camera
    keeps it. The answers are the same numbers."""

    class RemembersItsFrame(camera_class):
        def _frame_now(self) -> tuple:
            frame = self.frame
            key = frame.points.tobytes()
            known = self.__dict__.get("_frame_known")
            if known is None or known[0] != key or frame.submobjects:
                known = (key, frame.get_center(), frame.width, frame.height)
                self._frame_known = known
            return known

        frame_center = property(lambda self: self._frame_now()[1].copy(), camera_class.frame_center.fset)
        frame_width = property(lambda self: self._frame_now()[2], camera_class.frame_width.fset)
        frame_height = property(lambda self: self._frame_now()[3], camera_class.frame_height.fset)

        def get_cached_cairo_context(self, pixel_array):
            kept = self.__dict__.get("_context_kept")
            if kept is not None and kept[0] is pixel_array and kept[1] == self._frame_now()[0]:
                return kept[2]
            return None

        def cache_cairo_context(self, pixel_array, ctx) -> None:
            # The array itself is kept with its context: its id cannot pass to another array while kept.
            self._context_kept = (pixel_array, self._frame_now()[0], ctx)

    RemembersItsFrame.__name__ = f"RemembersItsFrame{camera_class.__name__}"
    return RemembersItsFrame


class RegionRedraw:
    """Installed on a Cairo scene's renderer by :meth:`install`; plans at each animation's start, draws each frame."""

    def __init__(self, scene) -> None:
        self.scene = scene
        self.renderer = scene.renderer
        self.camera = scene.renderer.camera
        self.plan: _Plan | _CameraPlan | None = None
        self._render = self.renderer.render
        self.renderer.render = self.render
        self.camera.display_image_mobject = self._display_image
        if hasattr(self.camera, "frame") and isinstance(type(self.camera).__dict__.get("frame_center"), property):
            self.camera.__class__ = _remembers_its_frame(type(self.camera))
        # frames drawn in boxes; drawn whole; of a camera move, cut from canvases (each also counted as drawn in
        # boxes or whole); of a camera move, off its planned path
        self.drawn_frames = self.full_frames = self.camera_frames = self.uncut_frames = 0

    @classmethod
    def install(cls, scene) -> RegionRedraw | None:
        if not hasattr(scene.renderer, "camera") or not hasattr(scene.renderer, "static_image"):
            return None  # the OpenGL renderer draws its own way
        return cls(scene)

    def _display_image(self, image_mobject, pixel_array: np.ndarray) -> None:
        display_image(self.camera, image_mobject, pixel_array)

    # --- geometry

    def _pixels_per_unit(self) -> float:
        return self.camera.pixel_width / self.camera.frame_width

    def _extents(self, shapes: list[Mobject]) -> tuple[list[Mobject], np.ndarray]:
        """The shapes that paint, and for each the box of its points in scene units (x0, y0, x1, y1) with how far
        its stroke reaches beyond them (units). A shape with no points, or neither fill nor stroke (the camera's own
        frame), paints nothing."""
        painting, extents = [], []
        multiple = self.camera.cairo_line_width_multiple
        for shape in shapes:
            points = shape.points
            if len(points) == 0 or not np.all(np.isfinite(points)):
                continue
            reach = 0.0
            if isinstance(shape, VMobject):
                widest = max(shape.get_stroke_width(), shape.get_stroke_width(background=True))
                if widest == 0 and not np.any(shape.get_fill_opacities()):
                    continue
                reach = MITER_REACH * widest * multiple
            low, high = points[:, :2].min(axis=0), points[:, :2].max(axis=0)
            painting.append(shape)
            extents.append((low[0], low[1], high[0], high[1], reach))
        return painting, np.array(extents, dtype=float).reshape(-1, 5)

    def _pixel_boxes(self, extents: np.ndarray) -> np.ndarray:
        """The pixel boxes (x0, y0, x1, y1) that every pixel of each shape lies in, from their extents, for the
        camera where it is now (grown by the anti-aliasing and image resampling around an outline)."""
        camera = self.camera
        ppu = self._pixels_per_unit()
        reach = EDGE_PIXELS + extents[:, 4] * ppu
        (cx, cy), half_width, half_height = camera.frame_center[:2], camera.pixel_width / 2, camera.pixel_height / 2
        x0 = (extents[:, 0] - cx) * ppu + half_width - reach
        x1 = (extents[:, 2] - cx) * ppu + half_width + reach
        y0 = (cy - extents[:, 3]) * ppu + half_height - reach
        y1 = (cy - extents[:, 1]) * ppu + half_height + reach
        return np.stack([np.floor(x0), np.floor(y0), np.ceil(x1) + 1, np.ceil(y1) + 1], axis=1).reshape(-1, 4)

    def _boxes(self, shapes: list[Mobject]) -> tuple[list[Mobject], np.ndarray]:
        """The shapes that paint, and their pixel boxes."""
        painting, extents = self._extents(shapes)
        return painting, self._pixel_boxes(extents)

    # --- planning, at the start of each animation (after manim's own split)

    def begin(self, animations) -> None:
        self.plan = None
        scene = self.scene
        if scene.foreground_mobjects or self.camera.use_z_index and any(
                m.z_index != 0 for m in scene.get_mobject_family_members()):
            return
        animated = _animated(animations)
        frame = getattr(self.camera, "frame", None)  # a moving camera's frame: while it moves, everything moves
        if frame is not None and _moves(frame, animated):
            cut = getattr(scene, "cut_camera_moves", CAMERA_MOVES)
            self.plan = self._plan_camera_move(animations, animated, frame) if cut else None
            return
        first = next((i for i, m in enumerate(scene.mobjects) if _moves(m, animated)), None)
        if first is None:
            return
        stills = [m for m in scene.mobjects[first:] if not _moves(m, animated)]
        if not stills:
            return  # manim already draws only what moves
        still_ids = {id(member) for m in stills for member in m.get_family()}
        # manim's order, taken as it takes it: its list, flattened again at each frame.
        display = self.camera.get_mobjects_to_display(scene.moving_mobjects)
        shapes, boxes = self._boxes([m for m in display if id(m) in still_ids])
        self.plan = _Plan(list(scene.moving_mobjects), still_ids, shapes, boxes)

    def _plan_camera_move(self, animations, animated: set[int], frame: Mobject) -> _CameraPlan | None:
        """While the camera's frame moves (one transform of it, nothing else moving it), the still shapes are drawn
        once into canvases sharp enough for each stretch of its path, and each frame is cut from one; what moves is
        drawn in its boxes as in :meth:`_compose`. None (manim's way) for any other camera move."""
        scene, camera = self.scene, self.camera
        moves = [a for a in animations if a.mobject is frame]
        if (len(moves) != 1 or not isinstance(moves[0], Transform) or moves[0].path_arc != 0
                or any(m.updaters for m in frame.get_family())):
            return None
        move = moves[0]
        if camera.background_opacity != 1 or camera.background_image is not None:
            return None  # canvases are kept opaque
        first = next((i for i, m in enumerate(scene.mobjects) if _moves(m, animated)), len(scene.mobjects))
        start, end = move.starting_mobject, move.target_copy
        if start is None or end is None:
            return None
        width, height = camera.pixel_width, camera.pixel_height
        (c0, w0, h0), (c1, w1, h1) = ((m.get_center()[:2], m.width, m.height) for m in (start, end))
        if min(w0, w1, h0, h1) <= 0 or abs(w0 / h0 - width / height) > 1e-3 or abs(w1 / h1 - width / height) > 1e-3:
            return None
        r = np.array([move.rate_func(a) for a in np.linspace(0.0, 1.0, PATH_SAMPLES)])
        centers = c0 + np.outer(r, c1 - c0)
        widths = w0 + r * (w1 - w0)
        heights = h0 + r * (h1 - h0)
        if widths.min() <= 0:
            return None
        densities = width / widths
        sharpest = densities.max()
        # Canvas k is drawn at sharpest / 2**k pixels a unit; each sampled frame is cut from the coarsest canvas at
        # least as sharp as it, and so shrunk by less than half. Each canvas covers its frames and their neighbours.
        levels = np.floor(np.log2(sharpest / densities) + 1e-9).astype(int)
        canvases = []
        for level in np.unique(levels):
            near = np.flatnonzero(levels == level)
            near = np.unique(np.clip(np.concatenate([near - 1, near, near + 1]), 0, len(r) - 1))
            density = sharpest / 2.0 ** level
            margin = 2 * EDGE_PIXELS / density
            left = (centers[near, 0] - widths[near] / 2).min() - margin
            right = (centers[near, 0] + widths[near] / 2).max() + margin
            top = (centers[near, 1] + heights[near] / 2).max() + margin
            bottom = (centers[near, 1] - heights[near] / 2).min() - margin
            columns, rows = int(np.ceil((right - left) * density)), int(np.ceil((top - bottom) * density))
            if max(columns, rows) > CANVAS_SIDE or columns * rows > CANVAS_PIXELS:
                return None
            canvases.append(_Canvas(density, left, top, columns, rows))
        above = list(scene.mobjects[first:])
        stills = [m for m in above if not _moves(m, animated)]
        still_ids = {id(member) for m in stills for member in m.get_family()}
        display = camera.get_mobjects_to_display(above)
        still_shapes, still_extents = self._extents([m for m in display if id(m) in still_ids])
        return _CameraPlan(above, still_ids, still_shapes, still_extents,
                           camera.get_mobjects_to_display(scene.mobjects[:first]), canvases)

    # --- drawing a frame

    def render(self, scene, time, moving_mobjects=None) -> None:
        plan = self.plan
        if plan is None:
            return self._render(scene, time, moving_mobjects)
        if isinstance(plan, _CameraPlan):
            return self._render_camera_move(plan, scene, time, moving_mobjects)
        camera = self.camera
        behind = self.renderer.static_image
        if plan.still is None:
            self._start_from(behind)
            camera.capture_mobjects(plan.still_shapes, include_submobjects=False)
            plan.still = camera.pixel_array.copy()
        below = behind if behind is not None else camera.background

        def whole_behind() -> None:
            self._start_from(behind)

        self._compose(plan, plan.still, lambda boxes: [below[y0:y1, x0:x1] for x0, y0, x1, y1 in boxes], whole_behind,
                      plan.still_boxes)

    def _compose(self, plan, still: np.ndarray, behind_in, whole_behind, still_boxes: np.ndarray) -> None:
        """One frame: the still picture everywhere, and inside the boxes around what moves, manim's picture below
        the first moving shape with the moving shapes and the still ones touching the boxes drawn on it in order.
        Where the boxes cover most of the screen, the frame is drawn whole from the picture below, manim's way."""
        renderer, camera = self.renderer, self.camera
        display = camera.get_mobjects_to_display(plan.above)
        _, boxes = self._boxes([m for m in display if id(m) not in plan.still_ids])
        height, width = camera.pixel_height, camera.pixel_width
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, width)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, height)
        boxes = boxes[(boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])].astype(int)
        area = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1).sum() if len(boxes) else 0
        if area > MOST_OF_THE_SCREEN * width * height:
            whole_behind()
            camera.capture_mobjects(display, include_submobjects=False)  # manim's own way
            self.full_frames += 1
        else:
            # Only the boxes need manim's picture below: whatever is drawn outside them is replaced by `still`.
            drawn = camera.pixel_array
            for (x0, y0, x1, y1), below in zip(boxes, behind_in(boxes)):
                drawn[y0:y1, x0:x1] = below
            touching = self._touching(still_boxes, boxes)
            keep = {id(m) for m, t in zip(plan.still_shapes, touching) if t}
            camera.capture_mobjects([m for m in display if id(m) not in plan.still_ids or id(m) in keep],
                                    include_submobjects=False)
            patches = [drawn[y0:y1, x0:x1].copy() for x0, y0, x1, y1 in boxes]
            np.copyto(drawn, still)
            for (x0, y0, x1, y1), patch in zip(boxes, patches):
                drawn[y0:y1, x0:x1] = patch
            self.drawn_frames += 1
        renderer.add_frame(renderer.get_frame())

    def _render_camera_move(self, plan: _CameraPlan, scene, time, moving_mobjects) -> None:
        """A frame of a camera move: the still shapes cut from a canvas drawn once, the moving ones drawn on them."""
        camera = self.camera
        (x, y), frame_width, frame_height = camera.frame_center[:2], camera.frame_width, camera.frame_height
        left, right, top, bottom = x - frame_width / 2, x + frame_width / 2, y + frame_height / 2, y - frame_height / 2
        width, height = camera.pixel_width, camera.pixel_height
        density = width / frame_width
        fits = [c for c in plan.canvases if c.density >= density * (1 - 1e-6) and c.covers(left, top, right, bottom)]
        if not fits:
            self.uncut_frames += 1
            return self._render(scene, time, moving_mobjects)  # off the planned path: manim's way
        canvas = min(fits, key=lambda c: c.density)
        if canvas.behind is None:
            canvas.behind, canvas.still = self._draw_canvas(plan, canvas)
        scale = canvas.density / density  # canvas pixels per screen pixel
        # the screen's top-left corner on the canvas, in canvas pixels
        origin_x, origin_y = (left - canvas.left) * canvas.density, (canvas.top - top) * canvas.density

        def cut(image: Image.Image, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
            """The screen's pixels x0..x1, y0..y1 from a canvas (opaque, kept without its alpha: shrinking a picture
            with alpha weighs every pixel by it, several times slower). The box filter averages the canvas pixels
            each screen pixel covers."""
            box = (origin_x + x0 * scale, origin_y + y0 * scale, origin_x + x1 * scale, origin_y + y1 * scale)
            rgba = np.full((y1 - y0, x1 - x0, 4), 255, dtype=np.uint8)
            rgba[..., :3] = np.asarray(image.resize((x1 - x0, y1 - y0), Image.Resampling.BOX, box=box))
            return rgba

        still = cut(canvas.still, 0, 0, width, height)
        if not plan.above:  # nothing moves but the camera
            np.copyto(camera.pixel_array, still)
            self.camera_frames += 1
            self.renderer.add_frame(self.renderer.get_frame())
            return

        def whole_behind() -> None:
            np.copyto(camera.pixel_array, cut(canvas.behind, 0, 0, width, height))

        still_boxes = self._pixel_boxes(plan.still_extents)
        def behind_in(boxes: np.ndarray) -> list[np.ndarray]:
            if len(boxes) == 0:
                return []
            (x0, y0), (x1, y1) = boxes[:, :2].min(axis=0), boxes[:, 2:].max(axis=0)
            below = cut(canvas.behind, x0, y0, x1, y1)  # one cut around all the boxes
            return [below[b - y0:d - y0, a - x0:c - x0] for a, b, c, d in boxes]

        self._compose(plan, still, behind_in, whole_behind, still_boxes)
        self.camera_frames += 1

    def _draw_canvas(self, plan: _CameraPlan, canvas: _Canvas) -> tuple[Image.Image, Image.Image]:
        """The canvas's two pictures, drawn as manim's camera draws, over its box at its density: what lies below
        the first moving shape, and that with every later still shape drawn on it."""
        camera = self.camera
        painter = Camera(pixel_width=canvas.width, pixel_height=canvas.height,
                         frame_width=canvas.width / canvas.density, frame_height=canvas.height / canvas.density,
                         frame_center=np.array([canvas.left + canvas.width / canvas.density / 2,
                                                canvas.top - canvas.height / canvas.density / 2, 0.0]),
                         background_color=camera.background_color, background_opacity=camera.background_opacity,
                         use_z_index=camera.use_z_index, cairo_line_width_multiple=camera.cairo_line_width_multiple)
        painter.display_image_mobject = lambda image_mobject, pixel_array: display_image(
            painter, image_mobject, pixel_array)
        painter.capture_mobjects(plan.behind_shapes, include_submobjects=False)
        behind = Image.fromarray(np.ascontiguousarray(painter.pixel_array[..., :3]), mode="RGB")
        if not plan.still_shapes:
            return behind, behind
        painter.capture_mobjects(plan.still_shapes, include_submobjects=False)
        return behind, Image.fromarray(np.ascontiguousarray(painter.pixel_array[..., :3]), mode="RGB")

    def _start_from(self, picture: np.ndarray | None) -> None:
        if picture is not None:
            self.camera.set_frame_to_background(picture)
        else:
            self.camera.reset()

    @staticmethod
    def _touching(still: np.ndarray, moving: np.ndarray) -> np.ndarray:
        """For each still box, whether it overlaps any moving box."""
        if len(moving) == 0 or len(still) == 0:
            return np.zeros(len(still), dtype=bool)
        s, m = still[:, None, :], moving[None, :, :]
        overlap = (s[..., 0] < m[..., 2]) & (m[..., 0] < s[..., 2]) & (s[..., 1] < m[..., 3]) & (m[..., 1] < s[..., 3])
        return overlap.any(axis=1)


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
order), or the camera moves, the frame is drawn manim's way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from manim import AnimationGroup, Mobject, VMobject
from PIL import Image

# Off with LATENT_WALK_REDRAW=manim (the test compares the two ways; a suspected drawing bug can be ruled out).
ENABLED = os.environ.get("LATENT_WALK_REDRAW", "regions") != "manim"
# Above this share of the screen in boxes, drawing everything is as cheap: the frame is drawn manim's way.
MOST_OF_THE_SCREEN = 0.6
# Cairo's default miter limit is 10: a sharp corner's point can reach 10 half-widths of its stroke beyond the path.
MITER_REACH = 10 * 0.5
# Pixels of anti-aliasing and image resampling around a shape's exact outline.
EDGE_PIXELS = 3


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


@dataclass
class _Plan:
    """One animation's split of the scene: what manim draws above its still picture, and which of it stays still."""

    above: list[Mobject]  # manim's own list of what it redraws each frame (scene.moving_mobjects)
    still_ids: set[int]  # the members of the still mobjects among them
    still_shapes: list[Mobject]  # those members that paint (have points), in manim's order
    still_boxes: np.ndarray  # their pixel boxes (x0, y0, x1, y1), grown by their reach
    still: np.ndarray | None = None  # manim's still picture with every still shape drawn on it


class DrawsOnlyWhatMoves:
    """A scene (put before manim's ``Scene`` among its bases) whose frames are drawn by :class:`RegionRedraw`;
    ``draw_regions = False`` draws them manim's way."""

    draw_regions = ENABLED

    def setup(self) -> None:
        super().setup()
        self.redraw = RegionRedraw.install(self) if self.draw_regions else None

    def begin_animations(self) -> None:
        super().begin_animations()
        if self.redraw is not None:
            self.redraw.begin(self.animations)


class RegionRedraw:
    """Installed on a Cairo scene's renderer by :meth:`install`; plans at each animation's start, draws each frame."""

    def __init__(self, scene) -> None:
        self.scene = scene
        self.renderer = scene.renderer
        self.camera = scene.renderer.camera
        self.plan: _Plan | None = None
        self._render = self.renderer.render
        self.renderer.render = self.render
        self.camera.overlay_PIL_image = self._overlay_in_its_box
        self.drawn_frames = self.full_frames = 0

    @classmethod
    def install(cls, scene) -> RegionRedraw | None:
        if not hasattr(scene.renderer, "camera") or not hasattr(scene.renderer, "static_image"):
            return None  # the OpenGL renderer draws its own way
        return cls(scene)

    def _overlay_in_its_box(self, pixel_array: np.ndarray, image: Image.Image) -> None:
        """manim's overlay of a picture (made as large as the screen, transparent around it), done only inside the
        box of its visible pixels: outside it the picture is fully transparent, which leaves the pixels as they are.
        manim composites the whole screen for each picture at each frame."""
        box = image.getbbox()  # of the pixels that are not fully transparent
        if box is None:
            return
        x0, y0, x1, y1 = box
        region = pixel_array[y0:y1, x0:x1]
        below = Image.fromarray(np.ascontiguousarray(region), mode=self.camera.image_mode)
        region[...] = np.asarray(Image.alpha_composite(below, image.crop(box)), dtype=np.uint8)

    # --- geometry

    def _pixels_per_unit(self) -> float:
        return self.camera.pixel_width / self.camera.frame_width

    def _box(self, mobject: Mobject) -> np.ndarray | None:
        """The pixel box (x0, y0, x1, y1) that every pixel this one shape paints lies in; None if it paints none."""
        points = mobject.points
        if len(points) == 0 or not np.all(np.isfinite(points)):
            return None
        camera = self.camera
        ppu = self._pixels_per_unit()
        reach = EDGE_PIXELS
        if isinstance(mobject, VMobject):
            widest = max(mobject.get_stroke_width(), mobject.get_stroke_width(background=True))
            reach += MITER_REACH * widest * camera.cairo_line_width_multiple * ppu
        low, high = points[:, :2].min(axis=0), points[:, :2].max(axis=0)
        center = camera.frame_center
        x0 = (low[0] - center[0]) * ppu + camera.pixel_width / 2 - reach
        x1 = (high[0] - center[0]) * ppu + camera.pixel_width / 2 + reach
        y0 = (center[1] - high[1]) * ppu + camera.pixel_height / 2 - reach
        y1 = (center[1] - low[1]) * ppu + camera.pixel_height / 2 + reach
        return np.array([np.floor(x0), np.floor(y0), np.ceil(x1) + 1, np.ceil(y1) + 1])

    def _boxes(self, shapes: list[Mobject]) -> tuple[list[Mobject], np.ndarray]:
        """The shapes that paint, and their boxes."""
        painting, boxes = [], []
        for shape in shapes:
            box = self._box(shape)
            if box is not None:
                painting.append(shape)
                boxes.append(box)
        return painting, np.array(boxes).reshape(-1, 4)

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

    # --- drawing a frame

    def render(self, scene, time, moving_mobjects=None) -> None:
        plan = self.plan
        if plan is None:
            return self._render(scene, time, moving_mobjects)
        renderer, camera = self.renderer, self.camera
        behind = renderer.static_image
        if plan.still is None:
            self._start_from(behind)
            camera.capture_mobjects(plan.still_shapes, include_submobjects=False)
            plan.still = camera.pixel_array.copy()
        display = camera.get_mobjects_to_display(plan.above)
        _, boxes = self._boxes([m for m in display if id(m) not in plan.still_ids])
        height, width = camera.pixel_height, camera.pixel_width
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, width)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, height)
        boxes = boxes[(boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])].astype(int)
        area = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1).sum() if len(boxes) else 0
        if area > MOST_OF_THE_SCREEN * width * height:
            self._start_from(behind)
            camera.capture_mobjects(display, include_submobjects=False)  # manim's own way
            self.full_frames += 1
        else:
            # Only the boxes need manim's picture below: whatever is drawn outside them is replaced by `still`.
            drawn = camera.pixel_array
            below = behind if behind is not None else camera.background
            for x0, y0, x1, y1 in boxes:
                drawn[y0:y1, x0:x1] = below[y0:y1, x0:x1]
            touching = self._touching(plan.still_boxes, boxes)
            keep = {id(m) for m, t in zip(plan.still_shapes, touching) if t}
            camera.capture_mobjects([m for m in display if id(m) not in plan.still_ids or id(m) in keep],
                                    include_submobjects=False)
            patches = [drawn[y0:y1, x0:x1].copy() for x0, y0, x1, y1 in boxes]
            np.copyto(drawn, plan.still)
            for (x0, y0, x1, y1), patch in zip(boxes, patches):
                drawn[y0:y1, x0:x1] = patch
            self.drawn_frames += 1
        renderer.add_frame(renderer.get_frame())

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


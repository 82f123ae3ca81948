"""Drawing only what moves (scenes/redraw.py) gives manim's own pixels, frame by frame."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    ORIGIN,
    RIGHT,
    UP,
    Dot,
    FadeIn,
    FadeOut,
    ImageMobject,
    Line,
    MovingCameraScene,
    Polygon,
    Square,
    Text,
    ValueTracker,
    VGroup,
    linear,
    tempconfig,
)

from scenes.redraw import DrawsOnlyWhatMoves
from scenes.words import LiveText


class _Busy(DrawsOnlyWhatMoves, MovingCameraScene):
    """Still shapes above and below moving ones, overlapping and apart, half-transparent, stroked with sharp corners,
    pictures (one half off the screen, one sliding off it), a trail whose segments grow, words rebuilt as they change, a fade in and a fade out; then the
    camera goes into the picture, things move while it stays there, and it comes back."""

    def construct(self) -> None:
        where = ValueTracker(0.0)
        title = Text("still, below everything", font_size=24).to_edge(UP)
        self.add(title)
        readout = LiveText(lambda: f"at {where.get_value():.1f}", size=24).to_corner(DOWN + LEFT)
        readout.add_updater(lambda m: m.refresh())
        self.add(readout)  # moves (an updater) before the still shapes added after it
        label = Text("still, above, apart", font_size=20).to_corner(DOWN + RIGHT)
        veil = Square(2.0, fill_opacity=0.5, fill_color="#3366ff", stroke_width=6).move_to(0.5 * RIGHT)
        spike = Polygon(LEFT, 0.2 * UP + 2 * RIGHT, 0.2 * DOWN + 2 * RIGHT, stroke_width=8).shift(1.5 * DOWN)
        picture = ImageMobject(np.tile(np.linspace(0, 255, 16, dtype=np.uint8)[None, :, None], (16, 1, 4)))
        picture.set(height=1.2).move_to(2.5 * LEFT + 0.5 * UP)
        # A picture half off the screen's right edge, and (below) a picture sliding off the top-left corner.
        edge = picture.copy().move_to(7.1 * RIGHT + DOWN)
        dot = Dot(radius=0.2, color="#ff5544").move_to(3 * LEFT)
        dot.add_updater(lambda m: m.move_to((-3 + 6 * where.get_value()) * RIGHT))
        trail = VGroup()

        def grow(path: VGroup) -> VGroup:
            for i in range(len(path.submobjects), int(where.get_value() * 6)):
                path.add(Line((-3 + i) * RIGHT + 0.6 * DOWN, (-2 + i) * RIGHT + 0.3 * DOWN, stroke_width=5))
            return path

        trail.add_updater(grow)
        self.add(dot, trail, label, veil, spike, picture, edge)
        self.play(where.animate.set_value(1.0), run_time=1.5, rate_func=linear)
        self.play(edge.animate.move_to(7.5 * LEFT + 4.2 * UP), run_time=0.5)
        self.play(FadeOut(label), FadeIn(Text("in", font_size=20).move_to(2 * UP + 3 * RIGHT)), run_time=0.5)
        self.play(where.animate.set_value(0.3), veil.animate.shift(UP), run_time=0.5)
        self.play(self.camera.frame.animate.scale(0.5).move_to(picture), run_time=0.5)
        self.play(where.animate.set_value(0.8), veil.animate.shift(DOWN), run_time=0.5)
        self.play(self.camera.frame.animate.scale(2.0).move_to(ORIGIN), run_time=0.3)


def _frames(draw_regions: bool, tmp_path, cut_camera_moves: bool = False) -> tuple[list[np.ndarray], _Busy]:
    frames: list[np.ndarray] = []
    with tempconfig({"quality": "low_quality", "frame_rate": 10, "disable_caching": True,
                     "media_dir": str(tmp_path), "progress_bar": "none", "verbosity": "WARNING"}):
        scene = type("Busy", (_Busy,), {"draw_regions": draw_regions, "cut_camera_moves": cut_camera_moves})()
        add_frame = scene.renderer.add_frame

        def keep(frame, num_frames=1):
            frames.extend([frame.copy()] * num_frames)
            add_frame(frame, num_frames)

        scene.renderer.add_frame = keep
        scene.render()
    return frames, scene


def test_drawing_only_what_moves_gives_manims_pixels(tmp_path):
    theirs, _ = _frames(False, tmp_path / "manim")
    ours, scene = _frames(True, tmp_path / "regions")
    assert scene.redraw is not None and scene.redraw.drawn_frames > 10  # the region path drew most of the frames
    assert len(ours) == len(theirs) > 20
    for i, (a, b) in enumerate(zip(theirs, ours)):
        assert np.array_equal(a, b), f"frame {i} differs in {np.count_nonzero((a != b).any(axis=2))} pixels"
    assert any(not np.array_equal(theirs[0], f) for f in theirs[1:])  # the film moved: the comparison meant something


def test_camera_moves_cut_from_still_pictures_look_like_manims(tmp_path):
    """A camera move's frames are cut from the still shapes drawn once, sharper, and shrunk: not manim's pixels,
    but within a small error of them (36 dB or better, a mean error under 0.3 of 255: edges a fraction of a pixel apart); every other frame is still manim's own."""
    theirs, _ = _frames(False, tmp_path / "manim")
    ours, scene = _frames(True, tmp_path / "cut", cut_camera_moves=True)
    assert scene.redraw.camera_frames >= 6 and scene.redraw.uncut_frames == 0  # both camera moves were cut
    assert len(ours) == len(theirs)
    differing = 0
    for i, (a, b) in enumerate(zip(theirs, ours)):
        if np.array_equal(a, b):
            continue
        differing += 1
        error = np.abs(a.astype(float) - b.astype(float))[..., :3]
        psnr = 10 * np.log10(255.0 ** 2 / max(np.mean(error ** 2), 1e-9))
        assert psnr > 34 and np.mean(error) < 0.5, f"frame {i}: {psnr:.1f} dB, mean error {np.mean(error):.2f}"
    assert 3 <= differing <= scene.redraw.camera_frames  # only the camera's frames differ, and they did

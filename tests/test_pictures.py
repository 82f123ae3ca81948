"""The project's own picture pieces drawn as they should be: frames compared with stored control frames, and the rules behind them checked without rendering.

The graphical tests render the last frame of a tiny scene and compare it with
``tests/control_data/pictures/<test>.npz``. After a deliberate change to a piece, look at
the new frame, then rewrite the control data with
``.venv/bin/python -m pytest tests/test_pictures.py --set_test``.
"""

from __future__ import annotations

import json
from pathlib import Path

import cairo
import manimpango
import numpy as np
import pytest
from manim import DOWN, LEFT, RIGHT, UP
from manim.utils.testing import frames_comparison as frames_comparison_module
from manim.utils.testing.frames_comparison import frames_comparison

from scenes import style
from scenes.charts import LabelledMap
from scenes.pictures import PixelPicture, TokenStrip, ValueKey, ValueStrip, diverging_colours, value_limit

__module_test__ = "pictures"
CONTROL = Path(__file__).resolve().parent / "control_data" / __module_test__
# Anti-aliasing and text shaping differ between versions of cairo and pango, so control frames
# hold only for the versions that drew them (recorded beside them).
RENDERER = {"cairo": cairo.cairo_version_string(), "pango": manimpango.pango_version()}

PLACES = ["a butterfly", "a snail", "a fish", "a flower", "a house", "a tree", "a sun", "a boat"]


def _pattern() -> np.ndarray:
    """An 8x8 picture whose every pixel differs from its neighbours: smoothing or a flip would show."""
    y, x = np.mgrid[0:8, 0:8]
    return np.stack([x * 32, y * 32, ((x + y) % 2) * 255], axis=-1).astype(np.uint8)


def _token_states() -> np.ndarray:
    states = np.random.default_rng(7).normal(size=(5, 384))
    states[:, 11] *= 20  # one dimension far larger than the rest, as in a real text encoder
    return states


def _map_points() -> np.ndarray:
    return np.random.default_rng(3).normal(size=(len(PLACES), 2))


@pytest.fixture
def drawn_as_the_control_frames(request, monkeypatch):
    """Compare only with control frames drawn by this machine's cairo and pango; --set_test records them."""
    # manim skips every cairo older than 1.18, the version its own control frames were drawn
    # with; ours are drawn here, on Debian 12's 1.16, so the version check is the one below.
    monkeypatch.setattr(frames_comparison_module, "MIN_CAIRO_VERSION", 0)
    record = CONTROL / "renderer.json"
    if request.config.getoption("--set_test"):
        CONTROL.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps(RENDERER, indent=1) + "\n")
        return
    drawn_by = json.loads(record.read_text())
    if drawn_by != RENDERER:
        pytest.skip(f"control frames were drawn with {drawn_by}, this machine has {RENDERER}: "
                    f"look at the pieces, then redraw with --set_test")


@frames_comparison
@pytest.mark.usefixtures("drawn_as_the_control_frames")
def test_pixel_picture(scene):
    scene.camera.background_color = style.BACKGROUND
    picture = PixelPicture(_pattern(), height=4.0)
    scene.add(picture)


@frames_comparison
@pytest.mark.usefixtures("drawn_as_the_control_frames")
def test_token_strip(scene):
    scene.camera.background_color = style.BACKGROUND
    strip = TokenStrip(["[CLS]", "a", "big", "snail", "[SEP]"], _token_states(), height=3.5).shift(0.4 * UP)
    key = ValueKey().next_to(strip, DOWN, buff=0.35)
    scene.add(strip, key)


@frames_comparison
@pytest.mark.usefixtures("drawn_as_the_control_frames")
def test_labelled_map(scene):
    scene.camera.background_color = style.BACKGROUND
    points = _map_points()
    colors = [style.SIGNAL] * 4 + [style.MODEL] * 4
    atlas = LabelledMap(points, PLACES, colors=colors, width=7.0, height=5.0)
    scene.add(atlas, atlas.path(points[:2]))


# ----------------------------------------------------------------------------- without rendering


def test_the_colour_map_is_dark_at_zero_and_saturates_at_the_limit():
    colours = diverging_colours(np.array([-5.0, -2.0, -1.0, 0.0, 1.0, 2.0]), limit=2.0)
    def rgba(c):
        return list(np.round(255 * np.array([*c.to_rgb(), 1.0])).astype(int))
    assert list(colours[3]) == rgba(style.VALUE_ZERO)
    assert list(colours[0]) == list(colours[1]) == rgba(style.VALUE_NEGATIVE)
    assert list(colours[5]) == rgba(style.VALUE_POSITIVE)
    # halfway to the limit is halfway between dark and the end colour
    halfway = (np.array(rgba(style.VALUE_ZERO)) + np.array(rgba(style.VALUE_POSITIVE))) / 2
    assert np.abs(colours[4].astype(int) - halfway).max() <= 1


def test_the_limit_ignores_a_few_huge_values():
    values = np.concatenate([np.linspace(-1, 1, 1000), [400.0]])
    assert value_limit(values) < 1.01


def test_a_token_strip_draws_each_tokens_values_in_order():
    states = _token_states()
    strip = TokenStrip(["[CLS]", "a", "big", "snail", "[SEP]"], states)
    for row, column in zip(states, strip.strips):
        assert np.array_equal(column.pixel_array[:, 0], diverging_colours(row, strip.limit))
    # columns left to right, evenly spaced, labels above their own column and apart
    xs = [column.get_x() for column in strip.strips]
    assert np.allclose(np.diff(xs), np.diff(xs)[0])
    for label, column in zip(strip.labels, strip.strips):
        assert label.get_bottom()[1] > column.get_top()[1]
        assert abs(label.get_x() - column.get_x()) < 1e-6
    for left, right in zip(strip.labels, strip.labels[1:]):
        assert left.get_right()[0] < right.get_left()[0]


def test_a_folded_strip_reads_down_then_across():
    values = np.arange(12.0) - 6
    strip = TokenStrip(["x"], values[None, :], fold=3, limit=6.0)
    pixels = strip.strips[0].pixel_array
    assert pixels.shape[:2] == (4, 3)
    assert np.array_equal(pixels[:, 1], diverging_colours(values[4:8], 6.0))
    with pytest.raises(ValueError, match="fold"):
        TokenStrip(["x"], values[None, :], fold=5)


def test_a_strip_shows_new_values_in_place_on_its_own_colour_scale():
    strip = ValueStrip(np.arange(12.0) - 6, 6.0, width=1.0, height=2.0, fold=3).move_to(2 * RIGHT)
    strip.set_opacity(0.5)
    alpha, centre, size = strip.pixel_array[0, 0, 3], strip.get_center().copy(), (strip.width, strip.height)
    new = 6 - np.arange(12.0)
    strip.show(new)
    assert np.array_equal(strip.pixel_array[:, :, :3], diverging_colours(new.reshape(3, 4).T, 6.0)[:, :, :3])
    assert strip.pixel_array[0, 0, 3] == alpha  # a fade in progress stays a fade
    assert np.allclose(strip.get_center(), centre) and (strip.width, strip.height) == pytest.approx(size)
    with pytest.raises(ValueError, match="values"):
        strip.show(np.zeros(11))


def test_a_long_prompt_shrinks_to_the_frame():
    tokens = ["butterfly"] * 20
    strip = TokenStrip(tokens, np.zeros((20, 384)), max_width=10.0)
    assert strip.width <= 10.0 + 1e-6


def test_a_map_keeps_distances_true_and_everything_inside_its_frame():
    points = _map_points()
    atlas = LabelledMap(points, PLACES, width=7.0, height=5.0).shift(2 * LEFT + UP).scale(0.8)
    on_screen = np.array([atlas.to_scene(p)[:2] for p in points])
    # one scale for both axes: every distance on screen is the same multiple of the data's
    ratios = [np.linalg.norm(on_screen[i] - on_screen[j]) / np.linalg.norm(points[i] - points[j])
              for i in range(len(points)) for j in range(i + 1, len(points))]
    assert np.allclose(ratios, ratios[0])
    assert np.allclose(on_screen, np.array([dot.get_center()[:2] for dot in atlas.dots]))
    left, bottom = atlas.border.get_corner(DOWN + LEFT)[:2]
    right, top = atlas.border.get_corner(UP + RIGHT)[:2]
    for mobject in [*atlas.dots, *atlas.labels]:
        assert left <= mobject.get_left()[0] and mobject.get_right()[0] <= right
        assert bottom <= mobject.get_bottom()[1] and mobject.get_top()[1] <= top


def test_map_labels_do_not_overlap_when_there_is_room():
    atlas = LabelledMap(_map_points(), PLACES, width=7.0, height=5.0)
    boxes = [(t.get_left()[0], t.get_bottom()[1], t.get_right()[0], t.get_top()[1]) for t in atlas.labels]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, f"labels at {a} and {b} overlap"
    for index, dot in enumerate(atlas.dots):
        label = atlas.label_of[index]
        assert np.linalg.norm(label.get_center() - dot.get_center()) < label.width / 2 + 0.5


def test_shared_bounds_put_a_point_in_the_same_place_on_two_maps():
    bounds = (-3.0, 3.0, -2.0, 2.0)
    first = LabelledMap(np.array([[0.0, 0.0], [1.0, 1.0]]), bounds=bounds)
    second = LabelledMap(np.array([[-2.0, 1.5], [1.0, 1.0]]), bounds=bounds)
    assert np.allclose(first.to_scene([1.0, 1.0]), second.to_scene([1.0, 1.0]))
    assert np.allclose(first.dots[1].get_center(), second.dots[1].get_center())

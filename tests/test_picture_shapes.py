"""Pictures of any size: chapters lay pictures out by their shape, not by 32 x 32.

Layouts are built of square places; a picture fits its place by its shape (a wide one fills the width, a tall one the
height), so pictures of 512 x 512 or 1024 x 768 pixels neither overlap nor stretch. One chapter renders from a real
capture of non-square pictures: the tiny Stable Diffusion model's seeds at 16 x 32 pixels.
"""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import TINY, TINY_STEPS, render_silent

from pipeline.contract import read_capture
from scenes.ch03_seeds import StartingPoint
from scenes.narration import read_subtitles
from scenes.pictures import PictureColumns, PictureRow, PixelPicture

SHAPES = [(32, 32), (512, 512), (768, 1024), (1024, 768), (16, 32)]  # (height, width)
WIDE = (16, 32)


def _pictures(count: int, shape: tuple[int, int]) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (count, *shape, 3), dtype=np.uint8)


def _overlap(a, b) -> bool:
    return (a.get_left()[0] < b.get_right()[0] - 1e-6 and b.get_left()[0] < a.get_right()[0] - 1e-6
            and a.get_bottom()[1] < b.get_top()[1] - 1e-6 and b.get_bottom()[1] < a.get_top()[1] - 1e-6)


@pytest.mark.parametrize("shape", SHAPES, ids=[f"{h}x{w}" for h, w in SHAPES])
def test_a_picture_keeps_its_shape_and_fits_its_square(shape):
    picture = PixelPicture(_pictures(1, shape)[0], height=3.0)
    assert picture.width / picture.height == pytest.approx(shape[1] / shape[0], rel=1e-3)
    assert max(picture.width, picture.height) == pytest.approx(3.0, rel=1e-3)
    picture.fit_in(1.5)
    assert max(picture.width, picture.height) == pytest.approx(1.5, rel=1e-3)


@pytest.mark.parametrize("shape", SHAPES, ids=[f"{h}x{w}" for h, w in SHAPES])
def test_rows_and_columns_fit_their_room_without_overlap(shape):
    row = PictureRow(_pictures(6, shape), ["a", None, "b", None, None, "c"], height=2.0, max_width=10.0)
    assert row.width <= 10.0 + 1e-6
    assert all(not _overlap(a, b) for a, b in zip(row.frames, row.frames[1:]))
    columns = PictureColumns(_pictures(12, shape).reshape(3, 4, *shape, 3), ["x", "y", "z"], width=8.0, height=4.0)
    frames = [frame for column in columns.frames for frame in column]
    assert max(f.get_right()[0] for f in frames) - min(f.get_left()[0] for f in frames) <= 8.0 + 3 * 0.04 + 1e-6
    for column in columns.frames:  # (frames stand a little outside their pictures)
        assert column[0].get_top()[1] - column[-1].get_bottom()[1] <= 4.0 + 4 * 0.04 + 1e-6
    assert all(not _overlap(a, b) for i, a in enumerate(frames) for b in frames[i + 1:])


@pytest.mark.parametrize("shape", SHAPES, ids=[f"{h}x{w}" for h, w in SHAPES])
def test_the_seeds_chapters_grid_and_rows_hold_any_shape(shape):
    chapter = SimpleNamespace(**{name: getattr(StartingPoint, name) for name in dir(StartingPoint)
                                 if name.startswith(("grid_", "row_"))})
    grid = StartingPoint.picture_grid(chapter, _pictures(32, shape))
    width, height = StartingPoint.grid_area
    assert grid.frames.width <= width + 0.2 and grid.frames.height <= height + 0.2
    frames = list(grid.frames)
    assert all(not _overlap(a, b) for i, a in enumerate(frames) for b in frames[i + 1:])
    for y, height, gap, x in ((StartingPoint.noise_row_y, StartingPoint.row_height, StartingPoint.row_gap,
                               StartingPoint.row_shift),
                              (StartingPoint.wide_y, StartingPoint.wide_height, StartingPoint.wide_gap, 0.0)):
        row = StartingPoint.picture_row(_pictures(4, shape), y, height, gap, x)
        assert all(not _overlap(a, b) for a, b in zip(row.frames, row.frames[1:]))


@pytest.fixture(scope="module")
def wide_media(tmp_path_factory):
    """The seeds capture of the tiny Stable Diffusion model, its pictures 16 high and 32 wide: every walk of the
    experiment is the model's own at that size (the recorder's size option; the experiment itself asks for the
    model's own size, so it is given here), recorded and written as any capture is."""
    from test_capture_checkpoint import tiny_stable_diffusion

    from pipeline.experiments import models

    folder = tmp_path_factory.mktemp("tiny-sd") / "tiny-stable-diffusion"
    tiny_stable_diffusion(folder)
    media = tmp_path_factory.mktemp("wide")
    seeds = importlib.import_module("pipeline.experiments.seeds")
    walk, noise = models.Model.walk, models.Model.start_noise
    with pytest.MonkeyPatch.context() as patch:
        for knob, value in TINY["seeds"].items():
            patch.setattr(seeds, knob, value)
        patch.setattr(models.Model, "walk", lambda self, size=None, **options: walk(self, size=size or WIDE, **options))
        patch.setattr(models.Model, "start_noise", lambda self, seeds, size=None: noise(self, seeds, size or WIDE))
        seeds.capture(media / "captures", steps=TINY_STEPS, model=folder, progress=False)
    return media


@pytest.mark.render
def test_a_chapter_renders_from_a_capture_of_wide_pictures(wide_media):
    capture = read_capture(wide_media / "captures", name="seeds")
    assert capture.arrays["finals"].shape[1:] == (*WIDE, 3)
    assert capture.arrays["start_noise_pictures"].shape[1:] == (*WIDE, 3)
    video = render_silent("ch03_seeds", "StartingPoint", wide_media)
    assert video.stat().st_size > 0
    assert read_subtitles(wide_media / "subtitles" / "StartingPoint.vtt")

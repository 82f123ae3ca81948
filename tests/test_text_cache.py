"""Labels' outlines kept on disk (scenes/text_cache.py): read back, they are manim's own parse, attribute for
attribute; a damaged, foreign or oversized file is parsed again, never trusted; ``off`` parses every time."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from manim import MarkupText, Mobject, Text, config
from manim.mobject.svg import svg_mobject

from scenes import text_cache

LABELS = [(Text, "“a red butterfly on grass”", {"font_size": 30}),
          (Text, "Guidance 2.0 — 98% ✓", {"font_size": 24, "color": "#FFCC00"}),
          (Text, "two\nlines", {"font_size": 28, "weight": "BOLD"}),
          (MarkupText, "<b>bold</b> and <i>slanted</i>", {"font_size": 20}),
          (Text, "x", {}), (Text, " ", {})]
NOT_COMPARED = {"path_obj", "submobjects", "updaters", "id_to_vgroup_dict", "_original__init__"}


@pytest.fixture
def outlines(tmp_path, monkeypatch):
    """A folder of kept outlines, manim writing its SVGs under tmp_path; manim's own in-memory cache emptied
    before each label so that every label is built from the disk or the parse."""
    monkeypatch.setattr(config, "media_dir", str(tmp_path / "media"))
    monkeypatch.setattr(config, "text_dir", str(tmp_path / "media" / "texts"))
    monkeypatch.setattr(svg_mobject.SVGMobject, "generate_mobject", text_cache.generate_mobject)
    monkeypatch.setenv(text_cache.ENV, str(tmp_path / "kept"))
    return tmp_path / "kept"


def _build(kind, text, options):
    svg_mobject.SVG_HASH_TO_MOB_MAP.clear()
    return kind(text, **options)


def _same(a: Mobject, b: Mobject, where: str = "") -> None:
    assert type(a) is type(b), where
    assert len(a.submobjects) == len(b.submobjects), where
    for name, value in a.__dict__.items():
        if name in NOT_COMPARED:
            continue
        other = b.__dict__[name]
        if isinstance(value, np.ndarray):
            assert value.dtype == other.dtype and np.array_equal(value, other), f"{where}.{name}"
        elif isinstance(value, Mobject):
            _same(value, other, f"{where}.{name}")
        else:
            assert value == other, f"{where}.{name}: {value!r} != {other!r}"
    for index, (x, y) in enumerate(zip(a.submobjects, b.submobjects)):
        _same(x, y, f"{where}[{index}]")


def test_kept_outlines_are_manims_own_parse_attribute_for_attribute(outlines, monkeypatch):
    monkeypatch.setenv(text_cache.ENV, "off")
    parsed = [_build(kind, text, options) for kind, text, options in LABELS]
    assert not outlines.exists()
    monkeypatch.setenv(text_cache.ENV, str(outlines))
    written = [_build(kind, text, options) for kind, text, options in LABELS]
    assert len(list(outlines.glob("*.npz"))) == len(LABELS) and not list(outlines.glob(".*"))
    read_back = [_build(kind, text, options) for kind, text, options in LABELS]
    for (_, text, _), a, b, c in zip(LABELS, parsed, written, read_back):
        _same(a, b, text)
        _same(a, c, text)


def test_a_damaged_or_oversized_file_is_parsed_again(outlines):
    kind, text, options = LABELS[0]
    original = _build(kind, text, options)
    (kept,) = outlines.glob("*.npz")
    kept.write_bytes(b"not a zip")
    assert text_cache.read(kept) is None
    _same(original, _build(kind, text, options), "after damage")
    assert text_cache.read(kept) is not None  # written afresh
    with zipfile.ZipFile(kept, "w", zipfile.ZIP_DEFLATED) as archive:  # 4 MB of zeros per member, twice: too large
        for name in ("settings.npy", "0_points.npy"):
            archive.writestr(name, bytes(text_cache.MAX_BYTES // 2 + 1))
    assert text_cache.read(kept) is None
    _same(original, _build(kind, text, options), "after an oversized file")


def test_labels_from_different_svgs_or_settings_are_kept_apart(outlines):
    a = _build(Text, "sun", {"font_size": 30})
    b = _build(Text, "sun", {"font_size": 31})
    c = _build(Text, "sun", {"font_size": 30, "color": "#FF0000"})
    assert len(list(outlines.glob("*.npz"))) == 3
    assert not np.array_equal(a[0].points, b[0].points) and not np.array_equal(a[0].fill_rgbas, c[0].fill_rgbas)

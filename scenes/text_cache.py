"""Text's outlines kept on disk, so that a label is read from its SVG once, not at every render.

manim draws a ``Text`` by asking Pango for an SVG file of its outlines (kept in ``<media>/texts``), then parsing
that file into curves, and the parse is the slow part: about 60 ms a label, several seconds a chapter, paid again by
every render of every chapter (and by every render the tests make). This module keeps what the parse made: each
label's curves and their style, in a small ``.npz`` named after the SVG's bytes and the
parse's settings, in the machine's cache (``LATENT_WALK_CACHE``, default ``~/.cache/latent-walk``, under
``text-outlines``): every chapter of every film draws many of the same labels. A render that finds one builds the
same curves from it, attribute for attribute (the test compares them), and manim's ``Text`` goes on from there as
it always does.

A file that cannot be read (damaged, or written by another version) is parsed again and written afresh; one that
is too large to be a label's is never opened. ``LATENT_WALK_TEXT_CACHE`` names another folder for the files (the
tests share one between their renders); ``LATENT_WALK_TEXT_CACHE=off`` parses every label, as manim does.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import manim
import numpy as np
import svgelements as se
from manim import RIGHT, TAU, MarkupText, Text, VGroup, config
from manim.mobject.svg.svg_mobject import SVGMobject, VMobjectFromSVGPath

from pipeline.files import cache_folder, written

ENV = "LATENT_WALK_TEXT_CACHE"
VERSION = 1  # raise when what is kept changes
MAX_BYTES = 8 << 20  # a chapter's longest label keeps a few hundred kilobytes
ARRAYS = ("points", "fill_rgbas", "stroke_rgbas", "background_stroke_rgbas", "sheen_direction")
SCALARS = ("fill_opacity", "stroke_opacity", "stroke_width", "background_stroke_opacity", "background_stroke_width",
           "sheen_factor", "long_lines", "should_subdivide_sharp_curves", "should_remove_null_curves")

_original_generate = SVGMobject.generate_mobject


def folder() -> Path | None:
    """Where the kept outlines go: the folder ``LATENT_WALK_TEXT_CACHE`` names, else the machine's cache (every
    chapter of every film reads the same labels from there); None when the setting is ``off``."""
    chosen = os.environ.get(ENV, "").strip()
    if chosen.lower() == "off":
        return None
    return Path(chosen) if chosen else cache_folder("text-outlines")


def key_of(mobject: SVGMobject, svg: Path) -> str:
    """The name of a label's kept outlines: its SVG's bytes and everything else the parse reads."""
    digest = hashlib.sha256()
    digest.update(svg.read_bytes())
    digest.update(json.dumps([VERSION, manim.__version__, type(mobject).__name__, repr(mobject.svg_default),
                              repr(mobject.path_string_config), config.renderer.value]).encode())
    return digest.hexdigest()[:32]


def _kept(sub: VMobjectFromSVGPath) -> dict:
    return {**{name: getattr(sub, name) for name in ARRAYS},
            **{name: getattr(sub, name) for name in SCALARS},
            "background_stroke_color": sub.background_stroke_color.to_hex(),
            "joint_type": sub.joint_type.name, "cap_style": sub.cap_style.name}


def write(path: Path, subs: list[VMobjectFromSVGPath]) -> None:
    """The curves and style of a label's parsed outlines, written whole (a temporary file, then renamed)."""
    arrays = {}
    settings = []
    for index, sub in enumerate(subs):
        kept = _kept(sub)
        for name in ARRAYS:
            arrays[f"{index}_{name}"] = np.asarray(kept.pop(name))
        settings.append({k: (v.item() if isinstance(v, np.generic) else v) for k, v in kept.items()})
    arrays["settings"] = np.frombuffer(json.dumps(settings).encode(), dtype=np.uint8)
    with written(path) as partial:
        np.savez(partial, **arrays)


def read(path: Path) -> list[VMobjectFromSVGPath] | None:
    """A label's outlines as manim's parse made them; None when the file is missing, damaged or too large."""
    from manim.constants import CapStyleType, LineJointType
    from manim.utils.color import ManimColor

    try:
        if path.stat().st_size > MAX_BYTES:
            return None
        with zipfile.ZipFile(path) as archive:  # an .npz is a zip: its members' sizes are read before any is opened
            if sum(member.file_size for member in archive.infolist()) > MAX_BYTES:
                return None
        with np.load(path, allow_pickle=False) as data:
            settings = json.loads(bytes(data["settings"]).decode())
            subs = []
            for index, kept in enumerate(settings):
                sub = VMobjectFromSVGPath(se.Path(""))
                for name in ARRAYS:
                    setattr(sub, name, np.array(data[f"{index}_{name}"]))
                for name in SCALARS:
                    setattr(sub, name, kept[name])
                sub.background_stroke_color = ManimColor(kept["background_stroke_color"])
                sub.joint_type = LineJointType[kept["joint_type"]]
                sub.cap_style = CapStyleType[kept["cap_style"]]
                subs.append(sub)
            return subs
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, json.JSONDecodeError):
        return None


def generate_mobject(self: SVGMobject) -> SVGMobject:
    """manim's parse of a label's SVG, or the curves it made last time."""
    where = folder() if isinstance(self, (Text, MarkupText)) else None
    if where is None:
        return _original_generate(self)
    path = where / f"{key_of(self, self.get_file_path())}.npz"
    subs = read(path)
    if subs is None:
        _original_generate(self)
        subs = list(self.submobjects)
        if all(isinstance(sub, VMobjectFromSVGPath) and not sub.submobjects for sub in subs):
            try:
                write(path, subs)
            except OSError:
                pass  # a folder that cannot be written costs time only
        return self
    self.add(*subs)
    self.id_to_vgroup_dict = {"root": VGroup(*subs)}
    self.rotate_sheen_direction(TAU / 2, RIGHT, family=False)  # what the parse's flip (below the kept curves) did
    return self


def install() -> None:
    """Read labels' outlines through the kept files (the chapters' scene calls it before drawing anything)."""
    SVGMobject.generate_mobject = generate_mobject

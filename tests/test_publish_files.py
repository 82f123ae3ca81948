"""The exports delete nothing they did not make: a folder is cleared only of the files the project recorded putting there.

``python -m publish site`` copies the chosen clips into ``<out>/clips`` and ``slides`` cuts each
chapter into ``slides/files/<Scene>/``; both record what they wrote (``ProjectFiles``) and remove
only their own files that are no longer needed, never a user's file, a folder, a link, or their
input. The clips here are stand-ins (a manifest and a few bytes per file), so no render is needed;
the slide cases cut a two-second video made with ffmpeg.

13 cases, by kind:

- the site's own folder (5): a second run with fewer chapters removes only the site's stale files
  (a user's file, a subfolder and the input clips stay, no traceback); ``--clips`` that is
  ``<out>/clips`` itself copies and removes nothing; ``--out`` equal to or inside ``--clips`` is
  refused in one line, nothing written (2); a site folder made before the record existed is left as
  it is.
- the record (2): a forged record (names outside the folder, hidden, a folder, a link, a name
  that is not there) and a damaged one remove nothing; the record is written before the files, so
  a run cut short still knows what it wrote.
- the slide folders (1): a block renamed removes its old slide and keeps a user's file beside it.
- the command line (5): ``--out`` naming a file, for clips, site and slides (3), and ``--out`` under
  a file, are one line ``error: ...`` with exit status 2 and no traceback; ``clips --out`` equal to
  ``--from`` is refused before anything is written.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from publish.clips import CLIP_SCHEMA, KINDS, ClipFiles
from publish.media import ProjectFiles, PublishError

ROOT = Path(__file__).resolve().parents[1]
MODULES = ("ch01_opening", "ch13_closing")


def _clips(folder: Path, modules=MODULES) -> dict[str, bytes]:
    """Stand-in clips of ``modules`` in ``folder`` (what `make clips` leaves, in a few bytes each); returns every file's bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    contents = {}
    for module in modules:
        files = ClipFiles(folder, module)
        for kind in KINDS:
            data = b"WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n" if kind == "vtt" else f"{module} {kind}".encode()
            files.path(kind).write_bytes(data)
        manifest = {"schema": CLIP_SCHEMA, "module": module, "scene": module, "title": f"Title of {module}",
                    "summary": "A summary.", "duration": 1.0, "width": 426, "height": 240, "poster_time": 0.5,
                    "preview": {"start": 0.0, "duration": 1.0},
                    "files": {kind: {"name": files.path(kind).name, "bytes": files.path(kind).stat().st_size}
                              for kind in KINDS}}
        files.path("manifest").write_text(json.dumps(manifest), encoding="utf-8")
    for path in folder.iterdir():
        if path.is_file():
            contents[path.name] = path.read_bytes()
    return contents


def _names(module: str) -> set[str]:
    files = ClipFiles(Path("."), module)
    return {files.path(kind).name for kind in (*KINDS, "manifest")}


def _tree(folder: Path) -> dict[str, bytes | None]:
    """Every entry under ``folder``: a file's bytes, a folder or a link as None."""
    return {str(path.relative_to(folder)): (path.read_bytes() if path.is_file() and not path.is_symlink() else None)
            for path in sorted(folder.rglob("*"))}


def _publish(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "publish", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def _one_line_error(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.startswith("error: ")
    assert result.stderr.strip().count("\n") == 0, result.stderr
    for word in words:
        assert word in result.stderr


# ----------------------------------------------------------------------------- the site's own folder


def test_a_second_run_removes_only_the_sites_own_stale_files(tmp_path):
    from publish.site import make_site

    clips, out = tmp_path / "clips", tmp_path / "site"
    inputs = _clips(clips)
    make_site(clips, out, MODULES)
    assert {p.name for p in (out / "clips").iterdir()} == _names(MODULES[0]) | _names(MODULES[1]) | {ProjectFiles.RECORD}
    # The user's own things in the site's clips folder
    (out / "clips" / "notes.txt").write_text("mine")
    (out / "clips" / "ch99_mine.mp4").write_bytes(b"my own video")
    (out / "clips" / "drafts").mkdir()
    (out / "clips" / "drafts" / "ch13_closing.mp4").write_bytes(b"a draft")
    make_site(clips, out, [MODULES[0]])
    left = {p.name for p in (out / "clips").iterdir()}
    assert left == _names(MODULES[0]) | {ProjectFiles.RECORD, "notes.txt", "ch99_mine.mp4", "drafts"}
    assert (out / "clips" / "drafts" / "ch13_closing.mp4").read_bytes() == b"a draft"
    assert (out / "clips" / "notes.txt").read_text() == "mine"
    assert {path.name: path.read_bytes() for path in clips.iterdir()} == inputs, "the input is never touched"
    assert 'id="ch13_closing"' not in (out / "index.html").read_text(encoding="utf-8")


def test_clips_that_are_the_sites_own_clips_folder_are_neither_copied_nor_removed(tmp_path):
    from publish.site import make_site

    out = tmp_path / "media"
    inputs = _clips(out / "clips")
    (out / "clips" / "notes.txt").write_text("mine")
    before = _tree(out / "clips")
    for _ in range(2):  # `--clips media/clips --out media`, one chapter chosen, twice
        index = make_site(out / "clips", out, [MODULES[0]])
        assert _tree(out / "clips") == before
    assert 'id="ch01_opening"' in index.read_text(encoding="utf-8")
    assert inputs.keys() <= before.keys()


@pytest.mark.parametrize("out", [".", "site"])
def test_out_equal_to_or_inside_the_clips_is_refused_in_one_line(tmp_path, out):
    clips = tmp_path / "clips"
    _clips(clips)
    before = _tree(clips)
    result = _publish("site", MODULES[0], "--clips", str(clips), "--out", str(clips / out))
    _one_line_error(result, "inside --clips")
    assert _tree(clips) == before


def test_a_site_made_before_the_record_keeps_its_files(tmp_path):
    """A clips folder without the project's record holds files it cannot tell from the user's: refused whole, in
    one line, with every file kept."""
    from publish.site import make_site

    clips, out = tmp_path / "clips", tmp_path / "site"
    _clips(clips)
    (out / "clips").mkdir(parents=True)
    (out / "clips" / "ch13_closing.mp4").write_bytes(b"from an older site, or the user's")
    with pytest.raises(PublishError, match=r"clips holds files latent-walk did not make \(ch13_closing.mp4\)"):
        make_site(clips, out, [MODULES[0]])
    assert [p.name for p in (out / "clips").iterdir()] == ["ch13_closing.mp4"]
    assert (out / "clips" / "ch13_closing.mp4").read_bytes() == b"from an older site, or the user's"


# ----------------------------------------------------------------------------- the record


def test_a_forged_or_damaged_record_removes_nothing(tmp_path):
    folder, outside = tmp_path / "folder", tmp_path / "victim.txt"
    folder.mkdir()
    outside.write_text("outside")
    (folder / ".hidden").write_text("hidden")
    (folder / "sub").mkdir()
    (folder / "sub" / "inner.txt").write_text("inner")
    (folder / "link.mp4").symlink_to(outside)
    (folder / "mine.txt").write_text("mine")
    before = _tree(tmp_path)
    own = ProjectFiles(folder)
    for record in ({"schema": ProjectFiles.SCHEMA,
                    "files": ["../victim.txt", str(outside), ".hidden", "sub", "sub/inner.txt", "link.mp4", "gone.mp4",
                              "", 7, None]},
                   "not json {", {"schema": "something else", "files": ["mine.txt"]}, ["mine.txt"]):
        own.record.write_text(record if isinstance(record, str) else json.dumps(record))
        assert own.keep_only([]) == []
        own.record.unlink()
        assert _tree(tmp_path) == before
    with pytest.raises(ValueError):
        own.claim(["../escape.mp4"])


def test_the_record_is_written_before_the_files(tmp_path, monkeypatch):
    import publish.site as site

    clips, out = tmp_path / "clips", tmp_path / "site"
    _clips(clips)

    def cut_short(source, target):
        raise KeyboardInterrupt

    monkeypatch.setattr(site, "_link_or_copy", cut_short)
    with pytest.raises(KeyboardInterrupt):
        site.make_site(clips, out, MODULES)
    assert ProjectFiles(out / "clips").recorded() == _names(MODULES[0]) | _names(MODULES[1])


# ----------------------------------------------------------------------------- the slide folders


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_a_renamed_block_removes_its_old_slide_and_nothing_else(tmp_path):
    from publish.media import read_renders
    from publish.slides import make_slides
    from scenes.chapters import MARKS_SCHEMA

    renders = tmp_path / "renders"
    renders.mkdir()
    module = "ch01_opening"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=gray:s=64x64:r=5:d=2",
                    "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "2", "-c:v", "libx264", "-pix_fmt",
                    "yuv420p", "-c:a", "aac", "-shortest", str(renders / f"{module}.mp4")], check=True)
    subtitles = "00:00:00{0}000 --> 00:00:01{0}000\nWords.\n"
    (renders / f"{module}.vtt").write_text("WEBVTT\n\n" + subtitles.format("."))
    (renders / f"{module}.srt").write_text("1\n" + subtitles.format(","))

    def marks(first: str) -> None:
        blocks = [{"name": first, "start": 0.0, "voice_end": 0.8, "end": 1.0, "text": "First."},
                  {"name": "picture", "start": 1.0, "voice_end": 1.8, "end": 2.0, "text": "Second."}]
        (renders / f"{module}.marks.json").write_text(json.dumps(
            {"schema": MARKS_SCHEMA, "scene": "Opening", "title": "T", "duration": 2.0, "blocks": blocks}))

    marks("prompt")
    deck = tmp_path / "slides"
    make_slides(read_renders(renders, [module]), deck)
    files = deck / "slides" / "files" / "Opening"
    assert {p.name for p in files.glob("*.mp4")} == {"01_prompt.mp4", "02_picture.mp4"}
    (files / "mine.mp4").write_bytes(b"the lecturer's own clip")
    marks("intro")
    make_slides(read_renders(renders, [module]), deck)
    assert {p.name for p in files.glob("*.mp4")} == {"01_intro.mp4", "02_picture.mp4", "mine.mp4"}


# ----------------------------------------------------------------------------- the command line


@pytest.mark.parametrize("command", ["clips", "site", "slides"])
def test_out_naming_a_file_is_one_line(tmp_path, command):
    target = tmp_path / "a-file"
    target.write_text("the user's")
    source = {"clips": "--from", "slides": "--from", "site": "--clips"}[command]
    result = _publish(command, MODULES[0], source, str(tmp_path), "--out", str(target))
    _one_line_error(result, "is a file, not a folder")
    assert target.read_text() == "the user's"


def test_out_under_a_file_is_one_line(tmp_path):
    (tmp_path / "a-file").write_text("the user's")
    result = _publish("site", "--clips", str(tmp_path), "--out", str(tmp_path / "a-file" / "site"))
    _one_line_error(result, "is a file")


def test_clips_written_over_their_renders_are_refused(tmp_path):
    (tmp_path / "ch01_opening.mp4").write_bytes(b"a render")
    result = _publish("clips", MODULES[0], "--from", str(tmp_path), "--out", str(tmp_path))
    _one_line_error(result, "renders' own folder")
    assert (tmp_path / "ch01_opening.mp4").read_bytes() == b"a render"
    assert [p.name for p in tmp_path.iterdir()] == ["ch01_opening.mp4"]


"""What publish reads from files it did not just write is read bounded and checked for shape: a chapter's marks, a
clip's manifest, the explorer's explore.json. A damaged or hostile one is one line (or, for a clip, made again)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from publish.clips import CLIP_SCHEMA, KINDS, ClipFiles, read_manifest
from publish.media import PublishError, read_renders


def _manifest(module: str = "ch01_opening") -> dict:
    return {
        "schema": CLIP_SCHEMA, "module": module, "scene": "Opening", "title": "What happens in between?",
        "summary": "A prompt becomes a picture.", "duration": 68.2, "width": 1280, "height": 720, "poster_time": 12.5,
        "preview": {"start": 3.0, "duration": 6.0},
        "files": {kind: {"name": ClipFiles(Path("."), module).path(kind).name, "bytes": 1000} for kind in KINDS},
    }


def test_a_sound_clip_manifest_is_read(tmp_path):
    path = tmp_path / "ch01_opening.json"
    path.write_text(json.dumps(_manifest()))
    assert read_manifest(path) == _manifest()


@pytest.mark.parametrize("change", [
    lambda m: m.update(files={}),
    lambda m: m.update(width="wide"),
    lambda m: m.update(duration="68 s"),
    lambda m: m.update(duration=float("nan")),
    lambda m: m.update(height=True),
    lambda m: m.update(preview=[]),
    lambda m: m["files"]["mp4"].update(name="../../elsewhere.mp4"),
    lambda m: m["files"]["webm"].update(bytes="many"),
    lambda m: m.pop("title"),
    lambda m: m.update(schema="another"),
], ids=["files-empty", "width-text", "duration-text", "duration-nan", "height-bool", "preview-list", "name-path",
        "bytes-text", "no-title", "schema"])
def test_a_clip_manifest_of_another_shape_counts_as_missing(tmp_path, change):
    manifest = _manifest()
    change(manifest)
    path = tmp_path / "ch01_opening.json"
    path.write_text(json.dumps(manifest))
    assert read_manifest(path) is None


@pytest.mark.parametrize("text", ["[" * 50000, json.dumps(_manifest()) + " " * (2 << 20)], ids=["deep", "large"])
def test_a_clip_manifest_too_deep_or_too_large_counts_as_missing(tmp_path, text):
    path = tmp_path / "ch01_opening.json"
    path.write_text(text)
    assert read_manifest(path) is None


@pytest.mark.parametrize("text, said", [("[" * 50000, "nests arrays or objects deeper than 32"),
                                        ('{"schema": ' + '"' + "x" * (2 << 20) + '"}', "larger than"),
                                        ('{"schema": "latent-walk/marks/1", "blocks": 3}', "damaged")])
def test_damaged_marks_are_one_line(tmp_path, text, said):
    for ext in ("mp4", "vtt", "srt"):
        (tmp_path / f"ch01_opening.{ext}").write_text("x")
    (tmp_path / "ch01_opening.marks.json").write_text(text)
    with pytest.raises(PublishError) as caught:
        read_renders(tmp_path, ["ch01_opening"])
    message = str(caught.value)
    assert said in message and "\n" not in message and "render it again" in message


@pytest.mark.parametrize("args, says", [
    (["site", "--out", ""], "--out is empty: give a folder"),
    (["clips", "--from", " "], "--from is empty: give a folder"),
    (["clips", "--jobs", "x"], "must be a whole number"),
    (["nothing"], "invalid choice: 'nothing'"),
])
def test_publish_answers_a_bad_argument_in_one_line(args, says):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "publish", *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ") and says in result.stderr


def test_advice_for_a_damaged_model_folder_fits_where_it_is(tmp_path):
    from pipeline.model_folder import DEFAULT_MODEL_DIR, restore_advice

    assert "git checkout -- model/toyworld-diffusion" in restore_advice(DEFAULT_MODEL_DIR)
    elsewhere = restore_advice(tmp_path / "my-model")
    assert "git checkout" not in elsewhere and "copy it again" in elsewhere


def test_advice_to_resume_training_names_the_folders_it_used(tmp_path):
    from argparse import Namespace

    from pipeline.model_folder import DEFAULT_MODEL_DIR, REPO_ROOT
    from pipeline.train import resume_advice

    assert resume_advice(Namespace(checkpoints=REPO_ROOT / "checkpoints", out=DEFAULT_MODEL_DIR)) == "`make model`"
    mine = resume_advice(Namespace(checkpoints=tmp_path / "ckpt", out=tmp_path / "model"))
    assert "make model" not in mine and f"--checkpoints {tmp_path / 'ckpt'}" in mine and f"--out {tmp_path / 'model'}" in mine


# ----------------------------------------------------------------------------- outputs the project owns


def _fake_clips(folder: Path, module: str = "ch01_opening") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for kind in KINDS:
        (folder / ClipFiles(folder, module).path(kind).name).write_text("WEBVTT\n\n" if kind == "vtt" else kind)
    (folder / f"{module}.json").write_text(json.dumps(_manifest(module)))
    return folder


def test_the_site_never_overwrites_a_page_or_a_clip_it_did_not_write(tmp_path):
    from publish.site import make_site

    clips = _fake_clips(tmp_path / "clips")
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("my own page")
    with pytest.raises(PublishError, match=r"index.html is in the way: latent-walk did not write it"):
        make_site(clips, out, ["ch01_opening"])
    assert (out / "index.html").read_text() == "my own page"

    (out / "index.html").unlink()
    assert not (out / "clips").exists()  # refused before anything was copied
    (out / "clips").mkdir()
    (out / "clips" / "ch01_opening.vtt").write_text("my own subtitles")
    with pytest.raises(PublishError, match=r"ch01_opening.vtt is in the way"):
        make_site(clips, out, ["ch01_opening"])
    assert (out / "clips" / "ch01_opening.vtt").read_text() == "my own subtitles"

    (out / "clips" / "ch01_opening.vtt").unlink()
    page = make_site(clips, out, ["ch01_opening"])  # its own files it writes again freely
    assert make_site(clips, out, ["ch01_opening"]) == page and page.is_file()


def test_a_folder_of_the_users_own_files_is_refused_whole_and_left_as_it_was(tmp_path):
    """publish writes only into a folder it made (its record is there) or finds empty: a folder of the user's
    own files is refused in one line before anything is written, even where no name would collide."""
    from publish.site import make_site
    from publish.slides import make_slides

    clips = _fake_clips(tmp_path / "clips")
    for folder in (tmp_path / "documents", tmp_path / "deck"):
        folder.mkdir()
        (folder / "notes.txt").write_text("mine")
        (folder / "photos").mkdir()
    before = sorted(p.name for p in (tmp_path / "documents").iterdir())
    with pytest.raises(PublishError, match=r"documents holds files latent-walk did not make \(notes.txt, photos\)"):
        make_site(clips, tmp_path / "documents", ["ch01_opening"])
    assert sorted(p.name for p in (tmp_path / "documents").iterdir()) == before
    with pytest.raises(PublishError, match=r"deck holds files latent-walk did not make"):
        make_slides([], tmp_path / "deck")
    assert sorted(p.name for p in (tmp_path / "deck").iterdir()) == ["notes.txt", "photos"]

    # the explorer, made beside the page first, is the project's own: the page is written beside it
    site = tmp_path / "site"
    (site / "explore").mkdir(parents=True)
    (site / "explore.html").write_text("<!doctype html>")
    assert make_site(clips, site, ["ch01_opening"]).is_file()
    # once the project's record is there, the folder is its own: a file the user adds later is left alone
    (site / "notes.txt").write_text("mine")
    assert make_site(clips, site, ["ch01_opening"]).is_file()
    assert (site / "notes.txt").read_text() == "mine"


def test_a_file_changed_since_the_project_wrote_it_is_neither_overwritten_nor_removed(tmp_path):
    from publish.media import ProjectFiles

    own = ProjectFiles(tmp_path)
    own.claim(["a.txt", "b.txt"])
    (tmp_path / "a.txt").write_text("made")
    (tmp_path / "b.txt").write_text("made")
    own.settle(["a.txt", "b.txt"])
    (tmp_path / "a.txt").write_text("edited by hand")
    with pytest.raises(PublishError, match=r"a.txt was changed since latent-walk wrote it"):
        own.claim(["a.txt"])
    assert own.keep_only([]) == [tmp_path / "b.txt"]  # b, as written, goes; a, edited, stays
    assert (tmp_path / "a.txt").read_text() == "edited by hand"


def test_a_planted_record_naming_a_users_file_removes_nothing(tmp_path):
    from publish.media import ProjectFiles

    (tmp_path / "mine.txt").write_text("the user's")
    (tmp_path / ProjectFiles.RECORD).write_text(json.dumps(
        {"schema": ProjectFiles.SCHEMA, "files": {"mine.txt": "0" * 64}}))
    assert ProjectFiles(tmp_path).keep_only([]) == []
    assert (tmp_path / "mine.txt").read_text() == "the user's"


def test_the_deck_never_overwrites_a_page_it_did_not_write(tmp_path):
    from publish.slides import DECK_NAME, make_slides

    (tmp_path / DECK_NAME).write_text("my own deck")
    with pytest.raises(PublishError, match=rf"{DECK_NAME} is in the way"):
        make_slides([], tmp_path)
    assert (tmp_path / DECK_NAME).read_text() == "my own deck"

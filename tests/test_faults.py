"""Fault injection for the pipeline's commands, in the spirit of SQLite's: every numeric option at its edges, damaged and hostile files, kills mid-capture.

Kinds of case, and what each must answer:

- numeric options at their edges (0, negative, huge, NaN, infinity, non-numeric, fractions) for
  ``capture``, ``train`` and ``judge``: exit 2 and one line ``error: ...``, no traceback, nothing
  written (the table ``REFUSED`` below; one case per option and value);
- every numeric option of every command goes through one validation (``pipeline/options.py``):
  a bare ``int`` or ``float`` option is a defect, found by reading the parsers;
- paths: an output or checkpoint folder that is a file, a ``.current`` pointer that is a folder;
- damaged files: a truncated checkpoint, a checkpoint record that is not JSON, a pickle
  checkpoint crafted to run code (never loaded), an edited capture (in tests/test_contract.py);
- kills: a capture killed at many moments leaves nothing that a later run takes as whole; the
  next run removes the leftovers and writes the same bytes as a run never killed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline import cli

REPO = Path(__file__).resolve().parents[1]

HUGE = "1e300"
REFUSED = {
    ("capture", "walk"): {
        "--seed": ["-1", str(2**32), "nan", "inf", "1.5", "x", ""],
        "--steps": ["0", "-1", "1001", "100000", "nan", "inf", "2.5", "x"],
        "--guidance": ["-1", "101", HUGE, "nan", "inf", "-inf", "x"],
    },
    ("train",): {
        "--steps": ["0", "-1", "nan", "x"],
        "--batch-size": ["0", "-1", "100000", "x"],
        "--lr": ["0", "-1", "inf", "nan", "2", "x"],
        "--seed": ["-1", str(2**32)],
        "--checkpoint-every": ["0", "-1"],
        "--workers": ["-1", "65"],
        "--time-budget": ["0", "-5", "inf", "nan", "x"],
        "--device": ["foo", "cuda:x", ""],
    },
    ("judge",): {
        "--steps": ["0", "-3"],
        "--batch-size": ["0", "-1"],
        "--seed": ["-1"],
        "--device": ["foo"],
    },
}
CASES = [(command, option, value) for command, table in REFUSED.items() for option, values in table.items()
         for value in values]


def _main(capsys, *argv) -> tuple[int, str]:
    code = cli.main(list(argv))
    return code, capsys.readouterr().err


@pytest.mark.parametrize("command, option, value", CASES, ids=[f"{' '.join(c)} {o} {v!r}" for c, o, v in CASES])
def test_a_numeric_option_at_its_edge_is_one_line_and_exit_2(capsys, tmp_path, command, option, value):
    out = ["--out", str(tmp_path / "out")]
    extra = ["--checkpoints", str(tmp_path / "checkpoints")] if command == ("train",) else []
    code, err = _main(capsys, *command, option, value, *out, *extra)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    assert not (tmp_path / "out").exists() and not (tmp_path / "checkpoints").exists()


def _parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    parser = cli.build_parser()
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name in action.choices:
                found.append((name, cli.build_parser(name if name in cli.TOOLS else None)))
    return found


def test_every_numeric_option_of_every_command_goes_through_one_validation():
    bare = []
    for name, parser in _parsers():
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[name]
        for action in sub._actions:
            if action.type in (int, float):
                bare.append(f"{name} {'/'.join(action.option_strings)}")
    assert not bare, f"options without a range check (use pipeline/options.py): {bare}"


def test_naming_experiments_and_all_together_is_refused(capsys, tmp_path):
    code, err = _main(capsys, "capture", "--all", "nosuch", "--out", str(tmp_path))
    assert code == 2 and "not both" in err


@pytest.mark.parametrize("command", [["capture", "forward"], ["train"], ["judge"]])
def test_an_output_folder_that_is_a_file_is_one_line(capsys, tmp_path, command):
    a_file = tmp_path / "a-file"
    a_file.write_text("the user's")
    code, err = _main(capsys, *command, "--out", str(a_file))
    assert code == 2 and "is a file" in err and len(err.strip().splitlines()) == 1
    assert a_file.read_text() == "the user's"


def test_a_checkpoint_folder_that_is_a_file_is_refused_before_training(capsys, tmp_path):
    a_file = tmp_path / "checkpoints"
    a_file.write_text("the user's")
    started = time.monotonic()
    code, err = _main(capsys, "train", "--checkpoints", str(a_file), "--out", str(tmp_path / "model"))
    assert code == 2 and "--checkpoints" in err and time.monotonic() - started < 30


def test_a_current_pointer_that_is_a_folder_is_one_line(capsys, tmp_path):
    (tmp_path / "forward.current").mkdir()
    code, err = _main(capsys, "capture", "forward", "--out", str(tmp_path))
    assert code == 2 and "is a folder" in err and len(err.strip().splitlines()) == 1


# ----------------------------------------------------------------------------- training checkpoints


def _train(tmp_path, *extra) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pipeline", "train", "--batch-size", "2", "--workers", "0", "--device", "cpu",
               "--checkpoint-every", "1", "--out", str(tmp_path / "model"), "--checkpoints",
               str(tmp_path / "checkpoints"), *extra]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)


class _Marker:
    """Unpickling this writes a file: proof that a pickle checkpoint was loaded (it must never be)."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (Path(self.path).write_text, ("code ran",))


@pytest.mark.train
def test_checkpoints_are_never_unpickled_and_damage_is_one_line(tmp_path):
    checkpoints = tmp_path / "checkpoints"
    checkpoints.mkdir()
    marker = tmp_path / "marker"
    (checkpoints / "train-state.pt").write_bytes(pickle.dumps(_Marker(str(marker))))
    first = _train(tmp_path, "--steps", "1")
    assert first.returncode == 0, first.stderr[-2000:]
    assert not marker.exists(), "a pickle checkpoint was loaded"
    assert "never loaded" in first.stdout
    tensors = checkpoints / "train-state.safetensors"
    assert tensors.is_file() and (checkpoints / "train-state.json").is_file()

    tensors.write_bytes(tensors.read_bytes()[: tensors.stat().st_size // 2])  # truncated, as by a full disk
    model_before = (tmp_path / "model" / "unet" / "diffusion_pytorch_model.safetensors").read_bytes()
    second = _train(tmp_path, "--steps", "2")
    assert second.returncode == 2 and "damaged" in second.stderr and "Traceback" not in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1, second.stderr
    assert (tmp_path / "model" / "unet" / "diffusion_pytorch_model.safetensors").read_bytes() == model_before

    (checkpoints / "train-state.json").write_text("{not json")
    third = _train(tmp_path, "--steps", "2")
    assert third.returncode == 2 and "damaged" in third.stderr and "Traceback" not in third.stderr


# ----------------------------------------------------------------------------- kills mid-capture


def _tree(folder: Path) -> dict[str, str]:
    """Every file's sha256; a manifest's by its content less the time it was written (which a re-run moves)."""
    def digest(path: Path) -> str:
        if path.name != "manifest.json":
            return hashlib.sha256(path.read_bytes()).hexdigest()
        manifest = json.loads(path.read_text())
        manifest.pop("created")
        manifest["checksum"].pop("manifest_sha256")
        return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()

    return {str(p.relative_to(folder)): digest(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def _capture(out: Path) -> subprocess.Popen:
    env = {**os.environ, "CI": "true"}
    return subprocess.Popen([sys.executable, "-m", "pipeline", "capture", "forward", "--out", str(out)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)


@pytest.mark.slow
def test_a_capture_killed_at_any_moment_leaves_nothing_taken_as_whole(tmp_path):
    clean = tmp_path / "clean"
    assert _capture(clean).wait(timeout=600) == 0
    whole = _tree(clean)
    folder = next(name.split("/")[0] for name in whole if name.endswith("manifest.json"))
    killed = tmp_path / "killed"
    moments = (0.5, 1.5, 3.0, 4.5, 6.0)
    for moment in moments:
        process = _capture(killed)
        time.sleep(moment)
        process.send_signal(signal.SIGKILL)
        process.wait()
        # whatever it left: either the whole capture or nothing a reader would take for it
        leftovers = [p.name for p in killed.iterdir()] if killed.exists() else []
        if folder in leftovers:
            assert _tree(killed / folder) == {k.split("/", 1)[1]: v for k, v in whole.items()
                                              if k.startswith(folder + "/")}
        for name in leftovers:
            assert name == folder or name.startswith(".tmp-") or name == "forward.current", name
    assert _capture(killed).wait(timeout=600) == 0
    assert not [p.name for p in killed.iterdir() if p.name.startswith(".tmp-")], "leftovers were not removed"
    assert _tree(killed) == whole, "a re-run after kills wrote other bytes (the manifest's time of writing aside)"


# ----------------------------------------------------------------------------- kills mid-render


@pytest.mark.render
def test_a_render_killed_at_any_moment_leaves_no_clip_taken_as_whole(walk_capture, forward_capture, tmp_path):
    """Ctrl-C on `make video` at several moments of a chapter's render: the chapter's clip is either absent
    or whole (make deletes a target whose recipe it interrupted), and the next make renders it whole."""
    from test_add_a_chapter import _copy_of_the_project

    _, captures = walk_capture
    project = _copy_of_the_project(tmp_path / "project")
    shutil.copytree(captures, project / "media" / "captures")
    shutil.copytree(forward_capture[1], project / "media" / "captures", dirs_exist_ok=True)  # every render waits for
    # every capture's pointer (the Makefile)
    for name in ("requirements.txt", "pyproject.toml", "scripts/setup.sh"):
        os.utime(project / name, (0, 0))  # the shared .venv is set up: make must not set it up again from here
    from pipeline.experiments import NAMES

    # captured: make need not capture again (every capture is marked made)
    for name in NAMES:
        (project / "media" / "captures" / f".{name}.checked").touch()
    clip = project / "media" / "chapters" / "low-silent" / "ch01_opening.mp4"
    command = ["make", str(clip.relative_to(project)), "QUALITY=low", "LATENT_WALK_VOICE=silent", "CI=true"]

    def whole(path: Path) -> bool:
        import av

        try:
            with av.open(str(path)) as container:
                return container.duration is not None and len(container.streams.video) == 1
        except av.error.FFmpegError:
            return False

    for moment in (2.0, 8.0, 20.0):
        process = subprocess.Popen(command, cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        time.sleep(moment)
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's foreground group
        # (generous: once in a full suite on 2 busy cores, make took over 120 s to stop after it)
        process.wait(timeout=300)
        assert not clip.exists() or whole(clip), f"a partial clip was left after a kill at {moment} s"
        clip.unlink(missing_ok=True)
    finished = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=900)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert whole(clip)


def test_a_chapter_whose_capture_pointer_names_no_capture_is_one_line(tmp_path):
    """The renderer's own report of an exception is a boxed traceback of a hundred lines; a chapter that cannot read
    what it reads says so in one line, exit 2, before anything is drawn."""
    (tmp_path / "captures").mkdir()
    (tmp_path / "captures" / "walk.current").write_text("walk-000000000000\n")
    result = subprocess.run([sys.executable, "-m", "manim", "render", "--config_file", "manim.cfg", "-ql",
                             "--media_dir", str(tmp_path), "--progress_bar", "none", "scenes/ch05_walk.py", "TheWalk"],
                            cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "LATENT_WALK_VOICE": "silent"})
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"error: TheWalk: {tmp_path}/captures/walk.current: names walk-000000000000, "
                                          "which is missing; run: python -m pipeline capture walk --force"]
    assert not (tmp_path / "videos").exists() or not list((tmp_path / "videos").rglob("*.mp4"))

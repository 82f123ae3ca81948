"""`python -m pipeline capture` for the model experiments: bad input is one clear line, exit 2, and no capture."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import cli

REPO = Path(__file__).resolve().parents[1]


def _folder(tmp_path, kind: str) -> Path:
    """Model folders that are wrong in one way each."""
    folder = tmp_path / "model"
    if kind == "missing":
        return folder
    if kind == "a file":
        folder.write_text("weights")
        return folder
    folder.mkdir()
    if kind == "no index":
        (folder / "unet").mkdir()
    elif kind == "broken index":
        (folder / "model_index.json").write_text("{not json")
    elif kind == "unsupported":
        (folder / "model_index.json").write_text(json.dumps({"_class_name": "KandinskyV22Pipeline"}))
    elif kind == "deep index":  # json.loads would recurse past Python's stack
        (folder / "model_index.json").write_text("[" * 100_000 + "]" * 100_000)
    elif kind == "huge index":  # 64 MB of one string: read whole it would be held whole
        with open(folder / "model_index.json", "w") as f:
            f.write('{"_class_name": "' + "x" * (64 << 20) + '"}')
    elif kind == "index is a list":
        (folder / "model_index.json").write_text('["StableDiffusionPipeline"]')
    return folder


@pytest.mark.parametrize("kind, says", [
    ("missing", "does not exist"),
    ("a file", "is not a folder"),
    ("no index", "holds no model_index.json: it is not a diffusers model folder"),
    ("broken index", "is damaged (model_index.json:"),
    ("deep index", "is damaged (model_index.json:"),
    ("huge index", "is damaged (model_index.json:"),
    ("index is a list", "is damaged (model_index.json is not a table)"),
    ("unsupported", "holds a KandinskyV22Pipeline, which capture does not support"),
])
def test_a_bad_model_folder_is_one_line_and_exit_2(tmp_path, capsys, kind, says):
    out = tmp_path / "captures"
    folder = _folder(tmp_path, kind)
    assert cli.main(["capture", "walk", "--model", str(folder), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and says in err, err
    assert not out.exists()  # refused before the output folder is made


@pytest.mark.parametrize("args, says", [
    (["walk", "--steps", "0"], "steps must be a whole number from 1 to 1000; got 0"),
    (["walk", "--steps", "many"], "steps must be a whole number"),
    (["walk", "--guidance", "-1"], "guidance must be a number from 0 to 100; got -1"),
    (["walk", "--guidance", "nan"], "guidance must be a number from 0 to 100 in the digits 0-9; got 'nan'"),
    (["walk", "--guidance", "\u0662"], "guidance must be a number from 0 to 100 in the digits 0-9; got '\u0662'"),
    (["walk", "--prompt", " ".join(["red"] * 23)], "is 23 word pieces long; the encoder takes at most 22"),
    (["blend", "--prompt", "a red fish"], "blend needs a prompt naming two things, 'A and B'"),
    # --all checks the prompt against every experiment in capture order: binding comes before blend
    (["--all", "--prompt", "a red fish"], "binding needs a prompt naming two different objects"),
    (["words", "--prompt", "butterfly"], "words needs a prompt of two words or more"),
    (["forward", "--prompt", "a red fish"], "forward takes no --prompt"),
    (["walkk"], "unknown experiment 'walkk'"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, says):
    out = tmp_path / "captures"
    assert cli.main(["capture", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and says in err, err
    assert not out.exists() or list(out.iterdir()) == []


def test_help_names_every_experiment_and_option(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["capture", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    for word in ("walk", "seeds", "jump", "guidance", "words", "blend", "explore", "map",
                 "--model", "--prompt", "--steps", "--guidance", "--force", "--all"):
        assert word in text, word


@pytest.mark.slow
def test_no_traceback_reaches_the_terminal(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pipeline", "capture", "seeds", "--model", str(tmp_path / "nope"),
                             "--out", str(tmp_path / "captures")], cwd=REPO, capture_output=True, text=True,
                            timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 2
    assert result.stderr == f"error: model folder {tmp_path / 'nope'} does not exist\n"
    assert result.stdout == ""


def test_a_model_folder_that_is_a_loop_of_links_is_one_line(tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    result = subprocess.run([sys.executable, "-m", "pipeline", "capture", "walk", "--model", str(loop),
                             "--out", str(tmp_path / "out")], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "cannot be followed" in result.stderr and "Traceback" not in result.stderr


def test_an_encoder_setting_naming_another_folder_is_one_line_before_any_work(tmp_path):
    elsewhere = tmp_path / "not-an-encoder"
    elsewhere.mkdir()
    (elsewhere / "notes.txt").write_text("x")
    result = subprocess.run([sys.executable, "-m", "pipeline", "capture", "walk", "--out", str(tmp_path / "out")],
                            cwd=REPO, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "LATENT_WALK_ENCODER": str(elsewhere)})
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr[-500:]
    assert "is not the text encoder's folder" in result.stderr and "unset it" in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())

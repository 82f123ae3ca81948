"""The command line: bad input is one clear line and exit code 2, Ctrl-C is 130, and neither leaves a capture behind."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import cli
from pipeline.contract import CaptureError
from pipeline.experiments import NAMES, forward

REPO = Path(__file__).resolve().parents[1]


def _pipeline(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.rglob("*")) if out.exists() else []


@pytest.mark.parametrize("args, says", [
    (["capture", "butterflies"], "unknown experiment 'butterflies'; known: forward"),
    (["capture", "forward", "--seed", "-3"], "seed must be a whole number from 0 to 4294967295; got -3"),
    (["capture", "forward", "--seed=-1"], "seed must be a whole number from 0 to 4294967295; got -1"),
    (["capture", "forward", "--seed", "three"], "seed must be a whole number"),
    (["capture", "forward", "--seed", "1.5"], "seed must be a whole number"),
    (["capture", "forward", "--seed", "\u0663"], "seed must be a whole number from 0 to 4294967295 in the digits 0-9"),
    (["capture", "forward", "--seed", "\uff11\uff12"], "in the digits 0-9; got '\uff11\uff12'"),
    (["capture", "forward", "--seed", "1_0"], "in the digits 0-9; got '1_0'"),
    (["capture", "forward", "--out", ""], "--out is empty: give a folder"),
    (["capture", "forward", "--seed", str(2**40)], f"from 0 to 4294967295; got {2**40}"),
    (["capture"], "name an experiment to capture"),
    (["capture", "forward", "--colour", "red"], "unrecognized arguments: --colour red"),
    (["paint"], "invalid choice: 'paint'"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, says):
    out = tmp_path / "captures"
    result = _pipeline(*args, "--out", str(out)) if args[0] == "capture" else _pipeline(*args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert _leftovers(out) == []


@pytest.mark.parametrize("below_file", [(), ("captures",)], ids=["a file", "under a file"])
def test_unwritable_output_folder_is_one_line_and_exit_2(tmp_path, below_file):
    (tmp_path / "a-file").write_text("")
    out = tmp_path.joinpath("a-file", *below_file)
    result = _pipeline("capture", "forward", "--out", str(out))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(out) in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders anyway")
def test_read_only_output_folder_is_refused(tmp_path):
    out = tmp_path / "captures"
    out.mkdir(mode=0o555)
    result = _pipeline("capture", "forward", "--out", str(out))
    assert result.returncode == 2 and "cannot write to output folder" in result.stderr
    assert _leftovers(out) == []


def test_help_lists_the_experiments():
    result = _pipeline("capture", "--help")
    assert result.returncode == 0
    assert "forward" in result.stdout and "--seed" in result.stdout and "--force" in result.stdout
    listed = result.stdout.split("experiments, in the order --all makes them")[1]
    at = [listed.index(f"\n  {name} ") for name in NAMES]
    assert at == sorted(at), "the epilog lists the experiments in capture order"
    assert "takes --seed 3\n" in listed  # forward's own seed, and nothing else


def test_list_prints_the_names_in_capture_order_one_per_line():
    result = _pipeline("list")
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout == "".join(f"{name}\n" for name in NAMES)
    assert NAMES[0] == "forward" and NAMES[-1] == "map"


def test_list_long_gives_each_name_its_description():
    from pipeline.experiments import registry

    result = _pipeline("list", "--long")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == list(NAMES)
    for line, experiment in zip(lines, registry()):
        assert line.endswith(experiment.description)


def test_cached_capture_is_read_back_not_recomputed(forward_capture, tmp_path):
    capture, root = forward_capture
    out = tmp_path / "captures"
    shutil.copytree(root, out)
    result = _pipeline("capture", "forward", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"cached: {out / capture.path.name}"


def test_ctrl_c_exits_130_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    def interrupted(root, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(forward, "capture", interrupted)
    out = tmp_path / "captures"
    assert cli.main(["capture", "forward", "--out", str(out)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert _leftovers(out) == []


def test_capture_error_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    def damaged(root, **kwargs):
        raise CaptureError("media/captures/forward.current: names a missing folder; run: python -m pipeline "
                           "capture forward --force")

    monkeypatch.setattr(forward, "capture", damaged)
    assert cli.main(["capture", "--all", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err == ("error: media/captures/forward.current: names a missing folder; "
                                       "run: python -m pipeline capture forward --force\n")

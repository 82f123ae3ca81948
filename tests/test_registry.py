"""The registry of experiments: one list, in capture order, that the command line, `capture --all`, the map and the tests read, without torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import cli
from pipeline.experiments import NAMES, OPTION_NAMES, experiment, registry

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "diffusers", "transformers")


def test_the_registry_is_every_experiment_in_capture_order_map_last():
    assert [e.name for e in registry()] == list(NAMES)
    assert NAMES[0] == "forward" and NAMES[-1] == "map"
    for e in registry():
        assert e.module.NAME == e.name and e.module.__name__ == f"pipeline.experiments.{e.name}"
        assert e.description.strip() and "\n" not in e.description
        assert set(e.options) <= set(OPTION_NAMES) and "seed" in e.options
        assert callable(e.module.capture) and e.module.ARRAY_NAMES
        assert experiment(e.name) is e
    with pytest.raises(KeyError):
        experiment("butterflies")


def test_the_model_experiments_take_every_option_and_forward_only_a_seed():
    for e in registry():
        assert (set(e.options) == set(OPTION_NAMES)) == e.runs_model, e.name
    assert experiment("forward").options == {"seed": 3}
    assert experiment("walk").options == {"seed": 0, "prompt": "a red butterfly on grass", "steps": 25,
                                          "guidance": 2.0, "model": None}


def test_the_map_is_fitted_over_the_model_experiments_before_it():
    from pipeline.experiments import map as map_experiment

    assert map_experiment.inputs() == tuple(e.name for e in registry()[:-1] if e.runs_model)
    assert map_experiment.inputs() == ("walk", "seeds", "jump", "guidance", "words", "blend", "explore")


def test_the_command_line_has_a_flag_for_every_option():
    args = cli.build_parser().parse_args(["capture"])
    for option in OPTION_NAMES:
        assert getattr(args, option, "missing") is None, option


@pytest.mark.parametrize("args", [["list"], ["list", "--long"], ["capture", "--help"], ["capture", "butterflies"],
                                  ["capture", "forward", "--prompt", "a red fish"], ["--help"]])
def test_the_registry_help_list_and_bad_input_load_no_torch(args):
    code = ("import sys\nfrom pipeline import cli\ntry:\n    cli.main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            f"loaded = [m for m in {HEAVY!r} if m in sys.modules]\n"
            "print('loaded:', loaded, file=sys.stderr)\nsys.exit(3 if loaded else 0)\n")
    result = subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, capture_output=True, text=True,
                            timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr


def test_capture_all_runs_the_registry_in_order_giving_each_only_what_it_takes(tmp_path, monkeypatch):
    calls = []

    class Captured:
        def __init__(self, root, name):
            self.path = Path(root) / f"{name}-000000000000"

    for e in registry():
        def fake(root, force=False, progress=True, _name=e.name, **options):
            calls.append((_name, options))
            return Captured(root, _name), True

        monkeypatch.setattr(e.module, "capture", fake)
    assert cli.main(["capture", "--all", "--seed", "7", "--steps", "3", "--out", str(tmp_path)]) == 0
    assert [name for name, _ in calls] == list(NAMES)
    for name, options in calls:
        wanted = {"seed": 7} if name == "forward" else {"seed": 7, "steps": 3}
        assert options == wanted, name


def test_an_option_an_experiment_does_not_take_is_refused(tmp_path, capsys):
    assert cli.main(["capture", "forward", "--steps", "3", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err == "error: forward takes no --steps\n"

"""Shared fixtures: the captures the chapters read, each computed once per test session on a tiny configuration."""

from __future__ import annotations

import importlib

import pytest

from pipeline.experiments import EXPERIMENTS

TINY_STEPS = 2
# Few seeds, points and frames: the same code paths as the film's captures, in seconds
TINY = {
    "seeds": dict(SEED_COUNT=4, FORK_FRACTIONS=(0.0, 0.5), BRANCHES=2),
    "jump": dict(SEED_COUNT=4, LADDER=(1, 2, 50), LADDER_SEEDS=2),  # the rungs the narration quotes
    "guidance": dict(SCALES=(0.0, 1.0, 12.0)),  # the ends of the row the narration quotes
    "blend": dict(POINTS=3),
    "explore": dict(GRID=3, LOOP_FRAMES=4),
    "words": dict(YARDSTICK_SEEDS=1),
}


def _experiment(name):
    return importlib.import_module(f"pipeline.experiments.{name}")


@pytest.fixture(scope="session")
def tiny_captures(tmp_path_factory):
    """Every experiment captured once at two steps into one temporary folder: (captures by name, root).

    One folder for all, so a chapter that reads several captures finds them together.
    """
    root = tmp_path_factory.mktemp("captures")
    with pytest.MonkeyPatch.context() as patch:
        for name, knobs in TINY.items():
            for knob, value in knobs.items():
                patch.setattr(_experiment(name), knob, value)
        captures = {}
        for name in EXPERIMENTS:
            captures[name], cached = _experiment(name).capture(root, steps=TINY_STEPS, progress=False)
            assert not cached
    return captures, root


def _capture_fixture(name):
    @pytest.fixture(scope="session")
    def fixture(tiny_captures):
        captures, root = tiny_captures
        return captures[name], root

    fixture.__doc__ = f"The tiny {name} capture and the folder that holds it with the others: (capture, root)."
    return fixture


for _name in EXPERIMENTS:
    globals()[f"{_name}_capture"] = _capture_fixture(_name)


@pytest.fixture(scope="session")
def forward_capture(tmp_path_factory):
    """The default forward capture, freshly computed into a temporary folder: (capture, root)."""
    from pipeline import forward

    root = tmp_path_factory.mktemp("captures")
    capture, cached = forward.capture(root, progress=False)
    assert not cached
    return capture, root


def pytest_addoption(parser):
    # The flags of manim's frames_comparison (tests/test_pictures.py): --set_test rewrites the
    # control frames under tests/control_data/, --show_diff shows a failing frame beside its control.
    parser.addoption("--set_test", action="store_true", default=False,
                     help="write the control frames of the graphical tests instead of comparing with them")
    parser.addoption("--show_diff", action="store_true", default=False,
                     help="show a failing graphical test's frame beside its control frame")

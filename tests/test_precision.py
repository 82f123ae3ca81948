"""The models' number format (pipeline/precision.py): chosen by the machine, recorded in the spec, never mixed up."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from pipeline import precision
from pipeline.errors import UsageError
from pipeline.experiments import walk


def test_auto_takes_bfloat16_only_where_the_processor_has_it(monkeypatch):
    monkeypatch.setenv(precision.ENV, "auto")
    monkeypatch.setattr(precision, "fast_bfloat16", lambda: False)
    assert precision.chosen() == "float32"
    monkeypatch.setattr(precision, "fast_bfloat16", lambda: True)
    assert precision.chosen() == "bfloat16"
    assert precision.chosen("float32") == "float32"  # a choice given wins over the machine


def test_a_bad_precision_is_refused_in_one_line(monkeypatch):
    monkeypatch.setenv(precision.ENV, "half")
    with pytest.raises(UsageError, match=r"LATENT_WALK_PRECISION must be one of auto, float32, bfloat16; got 'half'"):
        precision.chosen()
    result = subprocess.run([sys.executable, "-m", "pipeline", "capture", "walk", "--out", "/nonexistent/x"],
                            capture_output=True, text=True, env={"PATH": "", precision.ENV: "half"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: LATENT_WALK_PRECISION must be one of auto, float32, bfloat16; got 'half'"]


def test_float32_specs_name_no_precision_and_bfloat16_ones_do(monkeypatch):
    from pipeline.experiments.common import versions

    monkeypatch.setenv(precision.ENV, "float32")
    assert "precision" not in versions()  # every float32 capture made before keeps its spec
    monkeypatch.setenv(precision.ENV, "bfloat16")
    assert versions()["precision"] == "bfloat16"


def test_a_bfloat16_capture_is_its_own_and_close_to_float32(monkeypatch, tmp_path):
    """The same walk in both formats: two captures side by side, each read back as itself; bfloat16 really ran
    (the pictures differ) and stays close (a few grey levels, not another picture)."""
    made = {}
    for name in ("float32", "bfloat16"):
        monkeypatch.setenv(precision.ENV, name)
        made[name], cached = walk.capture(tmp_path, steps=2, progress=False)
        assert not cached
    assert made["float32"].path != made["bfloat16"].path
    assert made["bfloat16"].spec["versions"]["precision"] == "bfloat16"
    monkeypatch.setenv(precision.ENV, "float32")
    again, cached = walk.capture(tmp_path, steps=2, progress=False)
    assert cached and again.path == made["float32"].path
    a = made["float32"].arrays["final_picture"].astype(float)
    b = made["bfloat16"].arrays["final_picture"].astype(float)
    assert not np.array_equal(a, b)
    assert np.abs(a - b).mean() < 8.0  # grey levels of 255

"""Shared fixtures: one forward capture per test session, since computing it takes seconds."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def forward_capture(tmp_path_factory):
    """The default forward capture, freshly computed into a temporary folder: (capture, root)."""
    from pipeline import forward

    root = tmp_path_factory.mktemp("captures")
    capture, cached = forward.capture(root, progress=False)
    assert not cached
    return capture, root

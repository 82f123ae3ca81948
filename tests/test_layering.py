"""The layering rule, read off the source: scenes never import torch or diffusers, the pipeline never imports manim, and nothing touches sys.path.

Scenes reach the pipeline only through its numpy-only modules (the data contract, the maps'
formula, whole-file writes), so a render needs no model; the pipeline knows nothing of the screen.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What a scene may import from the pipeline: numpy and the standard library only, each of them.
SCENE_SAFE_PIPELINE = {"pipeline.contract", "pipeline.maps", "pipeline.files"}
MODEL_PACKAGES = {"torch", "diffusers", "transformers", "safetensors", "sentence_transformers"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _sources(*folders: str) -> list[Path]:
    return [path for folder in folders for path in sorted((ROOT / folder).rglob("*.py"))
            if "vendor" not in path.parts and "__pycache__" not in path.parts]


@pytest.mark.parametrize("path", _sources("scenes"), ids=lambda p: str(p.relative_to(ROOT)))
def test_scenes_import_no_model_code(path):
    imported = _imports(path)
    heavy = {name for name in imported if name.split(".")[0] in MODEL_PACKAGES}
    assert not heavy, f"{path.name} imports {sorted(heavy)}"
    pipeline = {name for name in imported if name.split(".")[0] == "pipeline"}
    assert pipeline <= SCENE_SAFE_PIPELINE, f"{path.name} imports {sorted(pipeline - SCENE_SAFE_PIPELINE)}"


@pytest.mark.parametrize("module", sorted(SCENE_SAFE_PIPELINE))
def test_what_scenes_may_import_from_the_pipeline_needs_numpy_only(module):
    path = ROOT / (module.replace(".", "/") + ".py")
    outside = {name.split(".")[0] for name in _imports(path)} - {"numpy", "__future__", "pipeline"}
    assert all(name in sys.stdlib_module_names for name in outside), f"{module} imports {sorted(outside)}"


@pytest.mark.parametrize("path", _sources("pipeline"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_pipeline_imports_no_manim(path):
    assert not {name for name in _imports(path) if name.split(".")[0] in {"manim", "manim_voiceover", "scenes"}}


@pytest.mark.parametrize("path", [p for p in _sources("pipeline", "scenes", "publish", "scripts", "tests")
                                  if p != Path(__file__).resolve()], ids=lambda p: str(p.relative_to(ROOT)))
def test_no_file_touches_sys_path(path):
    text = path.read_text(encoding="utf-8")
    assert "sys.path.insert" not in text and "sys.path.append" not in text and "PYTHONPATH" not in text, (
        f"{path.name} reaches around the installed project")

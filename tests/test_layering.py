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


def _module_graph(*folders: str) -> dict[str, set[str]]:
    """Each module of the project, and the project's modules it imports anywhere in it (function-level imports
    too: they make the same circle, only later)."""
    def name(path: Path) -> str:
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    sources = {name(path): path for path in _sources(*folders)}
    graph = {}
    for module, path in sources.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names if alias.name in sources}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found |= {node.module} & set(sources)
                found |= {f"{node.module}.{alias.name}" for alias in node.names} & set(sources)
        # a package's own __init__ is not a circle of its modules
        graph[module] = {other for other in found if other != module and not module.startswith(other + ".")}
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm, without recursion)."""
    index, low, on, stack, circles, counter = {}, {}, set(), [], [], 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            node, edges = work[-1]
            step = next(edges, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = counter
                    counter += 1
                    stack.append(step)
                    on.add(step)
                    work.append((step, iter(sorted(graph[step]))))
                elif step in on:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    circles.append(sorted(group))
    return circles


def test_no_module_imports_itself_through_others():
    assert _circles(_module_graph("pipeline", "scenes", "publish", "scripts")) == []


def test_the_circle_finder_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []

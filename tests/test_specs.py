"""Every setting that changes a capture is in its spec: change one and the spec hash changes, so a stale capture is never read back.

No model runs here: the specs are made for a stand-in model (an identity, nothing to sample), and
``compute`` is only read, as source, to check that it takes its settings from the spec alone.
"""

from __future__ import annotations

import ast
import inspect
import re
import shutil
from types import SimpleNamespace

import pytest

from pipeline.contract import spec_hash
from pipeline.experiments import NAMES, common, experiment, measures, registry

# Each experiment's own knobs (module constants) and a changed value for each. Every upper-case
# constant an experiment module defines must be here or in NOT_SETTINGS.
SETTINGS = {
    "forward": dict(NUM_TRAIN_TIMESTEPS=500, BETA_SCHEDULE="linear", FRAME_EVERY=20, CANDIDATES=16, DRAWS=128,
                    LOST_BELOW=0.25, HALF_STEP=400, _DISTRACTOR_SEEDS_FROM=200_000),
    "walk": dict(CLOSE_WITHIN=4.0),
    "seeds": dict(SEED_COUNT=8, COMMIT_BELOW=0.3, RECOGNISED_SHARE=0.8, FORK_FRACTIONS=(0.0, 0.5), BRANCHES=2,
                  FORK_ETA=0.5, _BRANCH_SEEDS_FROM=2_000_000),
    "jump": dict(SEED_COUNT=8, LADDER=(1, 5, 25), LADDER_SEEDS=2, TOYWORLD_REFERENCE=16, _TOYWORLD_SEEDS_FROM=1_000),
    "guidance": dict(SCALES=(0.0, 4.0)),
    "words": dict(YARDSTICK_SEEDS=2, ORDER_MATTERS=0.3),
    "binding": dict(OTHER_PAIRS=(("fish", "boat"),), OTHER_COLOURS=(("green", "pink"),), SEED_COUNT=2, CURVE_SEEDS=3,
                    CURVE_SCALES=(0.0,), YARDSTICK_COLOURS=("pink", "green"),
                    PUBLISHED_GENEVAL=(("sd15", "Stable Diffusion 1.5", 0.5),), GENEVAL_SOURCE="elsewhere"),
    "blend": dict(POINTS=5, ARC_LITTLE=0.5),
    "explore": dict(GRID=3, LOOP_FRAMES=6, NEIGHBOURS_ALIKE=0.6),
    "latent": dict(SOURCE_SEED=4, FORWARD_FRAMES=11, CLOSE_WITHIN=4.0),
    "map": dict(ATLAS_SETTINGS={"day": "by day"}),
}
# What a module declares about itself, not about what it computes.
NOT_SETTINGS = {"NAME", "DESCRIPTION", "OPTIONS", "ARRAY_NAMES", "PROGRESS_UNIT",
                "FILM_PROMPT",  # which film prompt it walks: its OPTIONS default, which the spec records
                "LATENT_MODEL",  # (a folder: the spec records the latent model's identity, not where it was)
                "_PROMPT"}  # binding's prompt pattern (the spec records the prompts themselves)
# Settings that live in shared modules, with the experiments whose specs must see them.
SHARED = [
    (common, "CAPTURE_VERSION", 99, set(NAMES)),
    (common, "JUDGE_PRESENT_ABOVE", 0.6, {"seeds", "jump", "guidance", "words", "blend", "explore", "latent",
                                          "map"}),
    (measures, "LAYOUT_BLOCKS", 4, {"seeds", "map"}),
]
CHANGED_OPTIONS = {"seed": 11, "prompt": "a blue fish and a red boat", "steps": 7, "guidance": 5.0}


def _model(**identity):
    """A stand-in for the embedded model: what make_spec reads (its identity), nothing to sample."""
    return SimpleNamespace(identity={"pipeline": "ToyWorldPipeline", "weights_sha256": "0" * 64, **identity},
                           is_embedded=True)


def _spec(name: str, model=None) -> dict:
    module = experiment(name).module
    model = model or _model()
    if name == "forward":
        return module.make_spec()
    if name == "map":
        return module.make_spec(model, {"seed": None, "prompt": None, "steps": None, "guidance": None})
    if name == "latent":
        twin = _model(pipeline="ToyWorldLatentPipeline", weights_sha256="1" * 64)
        return module.make_spec(model, twin, common.settings(module))
    return module.make_spec(model, common.settings(module))


def _hash(name: str, model=None) -> str:
    return spec_hash(_spec(name, model))


@pytest.fixture(scope="module")
def unchanged():
    """Every experiment's spec hash with nothing changed."""
    return {name: _hash(name) for name in NAMES}


def test_the_unchanged_spec_hash_is_stable(unchanged):
    for name in NAMES:
        assert _hash(name) == unchanged[name], name
    assert len(set(unchanged.values())) == len(NAMES)


@pytest.mark.parametrize("name, knob, value", [(n, k, v) for n, knobs in SETTINGS.items() for k, v in knobs.items()])
def test_each_setting_is_in_the_spec(unchanged, monkeypatch, name, knob, value):
    module = experiment(name).module
    assert getattr(module, knob) != value
    monkeypatch.setattr(module, knob, value)
    assert _hash(name) != unchanged[name], f"{name}.{knob} changes what is computed but not the spec"
    if name != "map" and experiment(name).runs_model:
        assert _hash("map") != unchanged["map"], f"the map does not see {name}.{knob}"
    monkeypatch.undo()
    assert _hash(name) == unchanged[name]


@pytest.mark.parametrize("module, knob, value, seen_by", SHARED, ids=[s[1] for s in SHARED])
def test_each_shared_setting_is_in_the_specs_that_use_it(unchanged, monkeypatch, module, knob, value, seen_by):
    monkeypatch.setattr(module, knob, value)
    changed = {name for name in NAMES if _hash(name) != unchanged[name]}
    assert changed == seen_by


@pytest.mark.parametrize("name", NAMES)
def test_each_default_option_is_in_the_spec(unchanged, monkeypatch, name):
    entry = experiment(name)
    for option, default in entry.options.items():
        if default is None:  # the embedded model, or for the map each input's own: tested through them
            continue
        monkeypatch.setitem(entry.module.OPTIONS, option, CHANGED_OPTIONS[option])
        assert _hash(name) != unchanged[name], f"{name}'s default --{option}"
        monkeypatch.undo()


def test_the_model_is_in_the_spec(unchanged):
    other = _model(weights_sha256="1" * 64)
    for entry in registry():
        if entry.runs_model:
            assert _hash(entry.name, other) != unchanged[entry.name], entry.name


def test_the_judges_weights_are_in_the_specs_that_ask_it(unchanged, monkeypatch, tmp_path):
    from pipeline import judge

    copy = tmp_path / "judge"
    shutil.copytree(judge.DEFAULT_JUDGE_DIR, copy)
    weights = copy / "judge.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    monkeypatch.setattr(judge, "DEFAULT_JUDGE_DIR", copy)
    changed = {name for name in NAMES if _hash(name) != unchanged[name]}
    assert changed == {"seeds", "jump", "guidance", "words", "blend", "explore", "latent", "map"}
    assert _spec("walk")["experiment"] == "walk" and "judge" not in _spec("walk")


def test_a_model_without_the_toy_world_asks_no_judge():
    other = SimpleNamespace(identity={"pipeline": "StableDiffusionPipeline"}, is_embedded=False)
    for name in ("seeds", "jump", "guidance", "words", "blend", "explore"):
        assert _spec(name, other)["judge"] is None, name


def _module_constants(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) \
            else []
        names |= {t.id for t in targets if isinstance(t, ast.Name) and re.fullmatch(r"_?[A-Z][A-Z0-9_]*", t.id)}
    return names


@pytest.mark.parametrize("name", NAMES)
def test_every_module_constant_is_a_setting_in_the_table(name):
    tree = ast.parse(inspect.getsource(experiment(name).module))
    assert _module_constants(tree) - NOT_SETTINGS == set(SETTINGS[name]), (
        f"a new constant in {name}: put it in its spec (make_spec), read it from there in compute, and list it "
        "in SETTINGS here")


@pytest.mark.parametrize("name", NAMES)
def test_compute_reads_its_settings_from_the_spec_only(name):
    """No function that compute reaches in its module reads one of the module's own settings."""
    tree = ast.parse(inspect.getsource(experiment(name).module))
    constants = _module_constants(tree) - {"NAME", "ARRAY_NAMES", "DESCRIPTION"}
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    reached, todo, read = set(), ["compute"], {}
    while todo:
        current = todo.pop()
        if current in reached:
            continue
        reached.add(current)
        for node in ast.walk(functions[current]):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                if node.id in functions:
                    todo.append(node.id)
                elif node.id in constants:
                    read.setdefault(current, set()).add(node.id)
    assert read == {}, f"{name}'s compute reads module constants instead of its spec: {read}"

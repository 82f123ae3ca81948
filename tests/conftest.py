"""Shared fixtures: the captures the chapters read, each computed once per test session on a tiny configuration."""

from __future__ import annotations

import importlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from filelock import FileLock

from pipeline.contract import read_capture
from pipeline.experiments import NAMES

# The tests compare captures with plain pipeline calls and with the explorer's float32 page: on a machine whose
# processor does bfloat16 natively, `auto` would make bfloat16 captures (tests/test_precision.py tests those).
os.environ.setdefault("LATENT_WALK_PRECISION", "float32")
# The UNets OpenVINO converts (pipeline/openvino_unet.py) are cached in a folder of the tests' own, not the user's.
os.environ.setdefault("LATENT_WALK_CACHE", str(Path(tempfile.gettempdir()) / f"latent-walk-tests-cache-{os.getuid()}"))

TINY_STEPS = 2
# Few seeds, points and frames: the same code paths as the film's captures, in seconds
TINY = {
    "seeds": dict(SEED_COUNT=4, FORK_FRACTIONS=(0.0, 0.5), BRANCHES=2),
    "jump": dict(SEED_COUNT=4, LADDER=(1, 2, 50), LADDER_SEEDS=2),  # the rungs the narration quotes
    "guidance": dict(SCALES=(0.0, 1.0, 12.0)),  # the ends of the row the narration quotes
    "blend": dict(POINTS=3),
    "explore": dict(GRID=3, LOOP_FRAMES=4),
    "words": dict(YARDSTICK_SEEDS=1),
    "binding": dict(OTHER_PAIRS=(), OTHER_COLOURS=(), SEED_COUNT=2, CURVE_SEEDS=1, CURVE_SCALES=(0.0,)),
    "latent": dict(FORWARD_FRAMES=6),
}
# Every experiment the tiny session captures into one folder (forward has a fixture of its own).
CAPTURED = tuple(name for name in NAMES if name != "forward")


def _experiment(name):
    return importlib.import_module(f"pipeline.experiments.{name}")


def tiny_settings(patch: pytest.MonkeyPatch, twin: Path) -> None:
    """Patch every experiment to its TINY knobs, and the latent experiment to a latent twin of tiny random
    components built at ``twin`` (so nothing needs trained weights and every capture takes seconds)."""
    for name, knobs in TINY.items():
        for knob, value in knobs.items():
            patch.setattr(_experiment(name), knob, value)
    from test_latent_model import tiny_latent_folder

    tiny_latent_folder(twin)
    (twin / "training.json").write_text('{"seconds": {"total_training": 60.0}}\n')  # as train-latent records it
    patch.setattr(_experiment("latent"), "LATENT_MODEL", twin)


@contextmanager
def made_once(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[tuple[Path, bool]]:
    """A folder made once per test run, shared by every pytest-xdist worker: ``(folder, make_it)``.

    The first worker to ask gets ``make_it`` true and fills the folder inside the ``with``; the others wait
    for it there and get the folder made. A worker that fails leaves it unmarked, so the next one to ask
    starts it again from empty. Without xdist, the folder is the session's own.
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, above each worker's own
    folder = base / "made-once" / name
    folder.parent.mkdir(parents=True, exist_ok=True)
    done = folder.with_name(f"{name}.done")
    with FileLock(str(folder.with_name(f"{name}.lock"))):
        if done.exists():
            yield folder, False
            return
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        yield folder, True
        done.touch()


@pytest.fixture(scope="session", autouse=True)
def shared_text_outlines(tmp_path_factory):
    """Every render of the run, on every xdist worker, keeps labels' parsed outlines in one folder
    (scenes/text_cache.py): a label the suite draws in many renders is parsed once. The first render of each label
    takes the parse's way; every render after it, the kept one."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, above each worker's own
    os.environ.setdefault("LATENT_WALK_TEXT_CACHE", str(base / "text-outlines"))


@pytest.fixture(scope="session")
def tiny_captures(tmp_path_factory):
    """Every experiment captured once at two steps into one temporary folder: (captures by name, root).

    One folder for all, so a chapter that reads several captures finds them together. Computed once per
    test run; the other xdist workers read the same captures back.
    """
    with made_once(tmp_path_factory, "captures") as (root, make_it):
        if not make_it:
            return {name: read_capture(root, name=name) for name in CAPTURED}, root
        with pytest.MonkeyPatch.context() as patch:
            tiny_settings(patch, root.parent / f"{root.name}-latent-twin")
            captures = {}
            for name in CAPTURED:
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


for _name in CAPTURED:
    globals()[f"{_name}_capture"] = _capture_fixture(_name)


@pytest.fixture(scope="session")
def forward_capture(tmp_path_factory):
    """The default forward capture, freshly computed into a temporary folder: (capture, root)."""
    from pipeline.experiments import forward

    root = tmp_path_factory.mktemp("captures")
    capture, cached = forward.capture(root, progress=False)
    assert not cached
    return capture, root


ROOT = Path(__file__).resolve().parents[1]
# The lowest settings that still play every animation of a chapter with its timing checked to a fifth of a second.
RENDER_FPS = 5
RENDER_RESOLUTION = "426,240"
# For the tests that read a render's words (its subtitles) and not its frames or timing: every animation still
# plays and every frame is drawn, at one frame a second.
WORDS_FPS = 1


_server: subprocess.Popen | None = None


def manim_command(arguments: list[str], env: dict[str, str], log: Path, timeout: float = 600) -> tuple[int, str]:
    """``python -m manim ARGUMENTS`` run in the repository with ``env``: (exit code, its output). This worker's
    render server (tests/render_server.py: manim imported once, each render a fresh fork of it) runs it."""
    global _server
    if _server is None or _server.poll() is not None:
        _server = subprocess.Popen([sys.executable, str(ROOT / "tests" / "render_server.py")], cwd=ROOT,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    _server.stdin.write(json.dumps({"args": arguments, "env": env, "cwd": str(ROOT), "log": str(log)}) + "\n")
    _server.stdin.flush()
    ready, _, _ = select.select([_server.stdout], [], [], timeout)
    answer = _server.stdout.readline() if ready else ""
    if not answer:  # a render that hangs (or a server that died) takes its server with it; the next starts afresh
        os.killpg(_server.pid, signal.SIGKILL)
        _server.wait()
        _server = None
        return -1, f"the render did not finish in {timeout:.0f} s\n" + (log.read_text(errors="replace") if log.exists() else "")
    return json.loads(answer)["code"], log.read_text(errors="replace")


def render_silent(module: str, scene: str, media: Path, fps: int = RENDER_FPS) -> Path:
    """Render a chapter from the captures under ``media/captures`` into ``media``, silent, at the lowest settings;
    the path of its video (the subtitles are in ``media/subtitles``)."""
    env = {**os.environ, "LATENT_WALK_VOICE": "silent"}
    arguments = ["render", "--config_file", str(ROOT / "manim.cfg"), "-ql", "--fps", str(fps), "-r",
                 RENDER_RESOLUTION, "--media_dir", str(media), "--progress_bar", "none", f"scenes/{module}.py", scene]
    code, output = manim_command(arguments, env, media / f".render-{module}.log")
    assert code == 0, output[-6000:]
    videos = list(media.glob(f"videos/{module}/*/{scene}.mp4"))
    assert len(videos) == 1, f"expected one video, found {videos}"
    return videos[0]


def chapter_media(media: Path, module: str) -> Path:
    """A media folder of the chapter's own that reads the film's captures in ``media`` (a link): the chapters of
    one film may render side by side on several xdist workers, and each render writes its own texts, videos
    and subtitles."""
    own = media / "renders" / module
    own.mkdir(parents=True, exist_ok=True)
    if not (own / "captures").exists():
        (own / "captures").symlink_to(media / "captures")
    return own


@pytest.fixture(scope="session")
def render_chapter(request, tmp_path_factory):
    """Render a chapter with the silent voice at the lowest settings, once per session.

    Call it with the chapter's module; it returns ``(media, renders)``: the media folder manim
    wrote into, and a folder laid out as ``make video`` leaves its chapters (``<module>.mp4``,
    ``.vtt``, ``.srt``, ``.marks.json``), shared by every chapter rendered in the session.
    """
    from scenes.chapters import chapter_named

    with made_once(tmp_path_factory, "renders") as (renders, _):
        pass

    def render(module: str) -> tuple[Path, Path]:
        """Each chapter is rendered once per test run, by whichever xdist worker asks first."""
        with made_once(tmp_path_factory, f"media-{module}") as (media, make_it):
            if make_it:
                chapter = chapter_named(module)
                scene = chapter.scene
                for name in chapter.reads:  # every capture the chapter reads, from wherever its fixture made it
                    _, captures = request.getfixturevalue(f"{name}_capture")
                    shutil.copytree(captures, media / "captures", dirs_exist_ok=True)
                shutil.copyfile(render_silent(module, scene, media), renders / f"{module}.mp4")
                for ext in ("vtt", "srt", "marks.json"):
                    shutil.copyfile(media / "subtitles" / f"{scene}.{ext}", renders / f"{module}.{ext}")
        return media, renders

    render.fps = RENDER_FPS
    return render


# Fixtures that render a chapter: a test that asks for one (directly or through another fixture) is a render test.
RENDERING_FIXTURES = {"render_chapter", "hostile_render"}


def pytest_collection_modifyitems(items):
    for item in items:
        if RENDERING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.render)


def pytest_addoption(parser):
    # The flags of manim's frames_comparison (tests/test_pictures.py): --set_test rewrites the
    # control frames under tests/control_data/, --show_diff shows a failing frame beside its control.
    parser.addoption("--set_test", action="store_true", default=False,
                     help="write the control frames of the graphical tests instead of comparing with them")
    parser.addoption("--show_diff", action="store_true", default=False,
                     help="show a failing graphical test's frame beside its control frame")

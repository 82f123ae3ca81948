"""The explorer page: its arithmetic in Node against torch and the tokenizer, and the page in headless Chromium.

The browser test walks a prompt as a reader does (types it, presses Walk), reads the picture back from
the canvas and holds it against ``ToyWorldPipeline``'s for the same prompt, seed, steps and guidance:
within 1% RMS brightness (the page runs the exported files, whose rounding
``tests/test_export_web.py`` bounds; the film calls 5% "the same at a glance"), and the judge names the
same object and colour in both. The starting noise it shows is torch's to the byte.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from web_walk import ddim_step

from pipeline.portable_noise import randn
from publish import explore
from publish.browser import chromium, serve

ROOT = Path(__file__).resolve().parents[1]
NODE = shutil.which("node")
TRICKY_PROMPTS = ["a red butterfly on grass", "A Red BUTTERFLY, on grass!", "café naïve Ångström", "日本の猫 and 猫",
                  "tab\there\nnew", "🦋 butterfly", "ﬁsh", "zero\u200bwidth\u200djoin", "Ελληνικά ΣΑΣ", "x" * 120,
                  "snail's house-boat (big)", "", "  ", "über-große Häuser", "\u00a0nbsp\u3000ideo", "İstanbul",
                  "a\ufffdb\x00c\x07d", "don't"]
# SHA-256's padding edges (55, 56, 64 bytes) and a few blocks of varied bytes
HASHED = [b"", b"abc", bytes(55), bytes(56), bytes(64), bytes((i * 31 + 7) & 255 for i in range(5000))]
LONG_PROMPT = " ".join(["a big red butterfly and a small blue snail"] * 3)

NODE_SCRIPT = """
import * as core from %s;
import fs from "node:fs";
const a = JSON.parse(fs.readFileSync(0, "utf8"));
const out = {};
out.noise = a.noise.map(([count, seed]) => Array.from(core.randn(count, seed)));
const tokenizer = new core.Tokenizer(fs.readFileSync(a.vocab, "utf8"), a.config.text);
out.tokens = a.prompts.map((p) => tokenizer.tokens(p));
out.long = tokenizer.encode(a.long).tooLong ?? null;
out.encoded = tokenizer.encode(a.prompts[0]);
out.timesteps = a.steps.map((s) => core.trailingTimesteps(s));
out.ddim = a.ddim.map(([v, t, x, steps]) => { const r = core.ddimStep(Float32Array.from(v), t, Float32Array.from(x), steps, a.config.schedule); return [Array.from(r.x), Array.from(r.guess)]; });
out.guide = a.guide.map(([both, g]) => Array.from(core.guide(Float32Array.from(both), g, both.length / 2)));
const [pa, pb, pc] = a.plane.noise.map((n) => Float32Array.from(n));
out.plane = a.plane.points.map(([u, v]) => Array.from(core.planeNoise(pa, pb, pc, u, v)));
out.rgba = a.rgba.map((s) => Array.from(core.toRGBA(Float32Array.from(s), 32)));
out.distance = core.pictureDistance(Uint8ClampedArray.from(a.distance[0]), Uint8ClampedArray.from(a.distance[1]));
out.sha256 = await Promise.all(a.hashed.map(async (b) => [core.sha256Plain(Uint8Array.from(b)),
                                                             await core.sha256Hex(Uint8Array.from(b))]));
console.log(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from test_export_web import export_once

    return export_once(tmp_path_factory)


@pytest.fixture(scope="module")
def config(exported):
    return json.loads((exported / "explore.json").read_text())


@pytest.fixture(scope="module")
def site(exported, tmp_path_factory):
    """A site folder with the explorer built in it, the export linked into its explore/."""
    site = tmp_path_factory.mktemp("site")
    (site / "explore").mkdir()
    for name in explore.MODEL_FILES:
        os.link(exported / name, site / "explore" / name)
    explore.build(site)
    return site


@pytest.fixture(scope="module")
def pipe():
    """The pipeline, on one torch thread: on two cores shared with the browser, more only wait on each other."""
    from pipeline.model import load_pipeline

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield load_pipeline()
    torch.set_num_threads(threads)


def _on_avx2() -> bool:
    return torch.backends.cpu.get_cpu_capability() == "AVX2"


def _pictures(states: np.ndarray) -> np.ndarray:
    """States (N, 3, 32, 32) as the pipeline maps them to uint8 pictures (N, 32, 32, 3)."""
    from pipeline.model import to_uint8

    images = ((torch.from_numpy(states).clamp(-1, 1) + 1) / 2).permute(0, 2, 3, 1).numpy()
    return to_uint8(images)


# ----------------------------------------------------------------------------- the arithmetic, in Node


@pytest.fixture(scope="module")
def node_results(config, exported, tmp_path_factory):
    if NODE is None:
        pytest.fail("node is missing: run `make setup` (scripts/setup.sh installs nodejs)")
    from pipeline.experiments.explore import grid_noise

    rng = np.random.default_rng(0)
    steps_for_ddim = [(1, 999), (7, 713), (25, 39), (61, -1), (61, 15)]
    ddim = [[rng.standard_normal(3072).astype(np.float32).tolist(), t,
             rng.standard_normal(3072).astype(np.float32).tolist(), steps] for steps, t in steps_for_ddim]
    guide = [[rng.standard_normal(2 * 3072).astype(np.float32).tolist(), g] for g in (2.0, 2.3, 7.7, 0.0)]
    corners = [randn((3072,), s) for s in (0, 1, 2)]
    states = [np.clip(rng.standard_normal(3072) * 1.3, -2, 2).astype(np.float32) for _ in range(3)]
    pictures = _pictures(np.stack(states).reshape(3, 3, 32, 32))
    args = {
        "noise": [[3072, 0], [3072, 1], [3072, 42], [3072, 2**32 - 1], [17, 3], [35, 9]],
        "vocab": str(exported / "vocab.txt"), "config": config, "prompts": TRICKY_PROMPTS, "long": LONG_PROMPT,
        "steps": list(range(1, 101)) + [250, 1000], "ddim": ddim, "guide": guide,
        "plane": {"noise": [c.tolist() for c in corners], "points": [[0, 0], [1 / 3, 0], [2 / 3, 1 / 3], [0, 1], [1, 1]]},
        "hashed": [list(b) for b in HASHED],
        "rgba": [s.tolist() for s in states], "distance": [np.pad(pictures[0], ((0, 0), (0, 0), (0, 1)), constant_values=255).ravel().tolist(),
                                                           np.pad(pictures[1], ((0, 0), (0, 0), (0, 1)), constant_values=255).ravel().tolist()],
    }
    script = tmp_path_factory.mktemp("node") / "check.mjs"
    script.write_text(NODE_SCRIPT % json.dumps((ROOT / "publish" / "explore_core.js").as_uri()))
    result = subprocess.run([NODE, str(script)], input=json.dumps(args), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    grid = grid_noise(*[c.reshape(3, 32, 32) for c in corners], [0, 1 / 3, 2 / 3, 1])
    return json.loads(result.stdout), args, {"corners": corners, "grid": grid, "pictures": pictures,
                                             "states": states, "steps_for_ddim": steps_for_ddim}


@pytest.mark.browser
def test_the_page_draws_torchs_noise(node_results):
    out, args, _ = node_results
    for (count, seed), ours in zip(args["noise"], out["noise"]):
        theirs = torch.randn(count, generator=torch.Generator().manual_seed(seed)).numpy()
        ours = np.array(ours, dtype=np.float32)
        if _on_avx2():
            assert (ours == theirs).all(), (count, seed)
        else:
            assert np.abs(ours.view(np.int32).astype(np.int64) - theirs.view(np.int32).astype(np.int64)).max() <= 4


@pytest.mark.browser
def test_the_page_tokenizes_as_the_pipeline(node_results):
    from pipeline.model import shared_text_encoder

    out, args, _ = node_results
    tokenizer = shared_text_encoder().tokenizer
    for prompt, tokens in zip(args["prompts"], out["tokens"]):
        assert tokens == tokenizer.convert_ids_to_tokens(tokenizer(prompt)["input_ids"]), prompt
    encoding = shared_text_encoder().encode([args["prompts"][0]])
    assert out["encoded"]["ids"] == encoding.token_ids[0].tolist()
    assert out["encoded"]["mask"] == encoding.attention_mask[0].tolist()
    assert out["long"] == len(tokenizer(LONG_PROMPT)["input_ids"]) - 2 > 22


@pytest.mark.browser
def test_the_page_walks_ddim_as_the_scheduler(node_results, config, pipe):
    out, args, extra = node_results
    scheduler = pipe.scheduler
    for steps, timesteps in zip(args["steps"], out["timesteps"]):
        scheduler.set_timesteps(steps)
        assert timesteps == scheduler.timesteps.tolist(), steps
    for (v, t, x, steps), (ours_x, ours_guess) in zip(args["ddim"], out["ddim"]):
        v, x = np.array(v, np.float32).reshape(1, 3, 32, 32), np.array(x, np.float32).reshape(1, 3, 32, 32)
        scheduler.set_timesteps(steps)  # the step reads its count of steps from here
        theirs = scheduler.step(torch.from_numpy(v), t, torch.from_numpy(x))
        assert (np.array(ours_x, np.float32) == theirs.prev_sample.numpy().ravel()).all(), (steps, t)
        assert (np.array(ours_guess, np.float32) == theirs.pred_original_sample.numpy().ravel()).all(), (steps, t)
        numpy_x, _ = ddim_step(v, t, x, steps, config["schedule"])
        assert (numpy_x.ravel() == np.array(ours_x, np.float32)).all()
    for (both, g), ours in zip(args["guide"], out["guide"]):
        u, c = torch.tensor(both[:3072]), torch.tensor(both[3072:])
        assert (np.array(ours, np.float32) == (u + g * (c - u)).numpy()).all(), g


@pytest.mark.browser
def test_the_pad_moves_on_chapter_12s_sphere(node_results):
    out, args, extra = node_results
    grid = extra["grid"]
    expected = [grid[0, 0], grid[1, 0], grid[2, 1], grid[0, 3], grid[3, 3]]
    for ours, theirs in zip(out["plane"], expected):
        assert np.abs(np.array(ours, np.float32) - theirs.ravel().astype(np.float32)).max() < 1e-5
    assert out["plane"][0] == extra["corners"][0].tolist(), "(0, 0) is seed A's noise itself"
    assert out["plane"][3] == extra["corners"][2].tolist(), "(0, 1) is seed C's noise itself"


@pytest.mark.browser
def test_the_page_shows_pictures_and_distances_as_the_film(node_results):
    from pipeline.experiments.measures import picture_distance

    out, args, extra = node_results
    for rgba, picture in zip(out["rgba"], extra["pictures"]):
        assert (np.array(rgba, np.uint8).reshape(32, 32, 4)[..., :3] == picture).all()
    assert out["distance"] == pytest.approx(float(picture_distance(extra["pictures"][0], extra["pictures"][1])), abs=1e-9)


def test_the_page_hashes_what_it_downloads_as_python_does(node_results):
    import hashlib

    out, _, _ = node_results
    assert out["sha256"] == [[hashlib.sha256(b).hexdigest()] * 2 for b in HASHED]


# ----------------------------------------------------------------------------- the page in a browser


@pytest.fixture(scope="module")
def browser_session(site, pipe):
    from publish.explore_browser import open_explorer

    if chromium() is None:
        pytest.fail("Chromium is missing: run `make setup`")
    with serve(site) as url, open_explorer(url + "explore.html") as page:
        page.wait_ready()
        yield page


@pytest.mark.browser
def test_the_page_loads_says_so_and_vendors_everything(browser_session, site):
    page = browser_session
    assert page.page.evaluate("document.body.dataset.state") == "ready"
    assert page.page.text_content("#status").startswith("Ready: the models loaded in")
    origins = {url.split("/")[2] for url in page.downloaded}
    assert len(origins) == 1 and origins.pop().startswith("127.0.0.1:"), "nothing is fetched from elsewhere"
    assert "iframe" in page.page.input_value("textarea.snippet")
    assert page.console_errors == []


@pytest.mark.browser
def test_a_walk_in_the_page_makes_the_pipelines_picture(browser_session, pipe):
    from pipeline.experiments.measures import picture_distance
    from pipeline.judge import load_judge, verdicts
    from pipeline.model import to_uint8

    page = browser_session
    assert page.walk("a red butterfly on grass", seed=0, steps=25, guidance=2.0) == "done"
    ours = page.picture("xt")
    images = pipe("a red butterfly on grass", num_inference_steps=25, guidance_scale=2.0,
                  generator=torch.Generator().manual_seed(0)).images
    theirs = to_uint8(images)[0]
    assert float(picture_distance(ours, theirs)) < 1.0
    judge = load_judge()
    a, b = verdicts(judge, ours[None]), verdicts(judge, theirs[None])
    assert a["object"][0] == b["object"][0] and a["colour"][0] == b["colour"][0]
    timing = page.last_timing()
    assert timing["steps"] == 25 and 0 < timing["first_step_s"] < timing["picture_s"], "shown step by step"
    # scrubbed back to the start, the page shows torch's own noise
    page.page.fill("#scrub", "0")
    page.page.dispatch_event("#scrub", "input")
    assert (page.picture("xt") == _pictures(randn((1, 3, 32, 32), 0))[0]).all()
    assert page.page.text_content("#n-first").endswith("%")
    assert page.console_errors == []


@pytest.mark.browser
def test_moving_the_pad_moves_the_starting_noise_and_the_picture(browser_session):
    from pipeline.experiments.explore import grid_noise
    from pipeline.experiments.measures import picture_distance

    page = browser_session
    page.walk("a butterfly", seed=0, steps=8, guidance=2.0)
    before = page.picture("xt")
    page.page.focus("#pad")
    for _ in range(8):  # u from 0 to 0.4, one arrow press at a time; each press starts a walk, the last one counts
        page.page.keyboard.press("ArrowRight")
    page.settle()
    assert page.page.evaluate("window.explorer.pad") == {"u": 0.4, "v": 0}
    after = page.picture("xt")
    assert float(picture_distance(before, after)) > 1.0, "another starting noise, another picture"
    page.page.fill("#scrub", "0")
    page.page.dispatch_event("#scrub", "input")
    corners = [randn((1, 3, 32, 32), s)[0] for s in (0, 1, 2)]
    expected = grid_noise(*corners, [0.0, 0.4, 1.0])[1, 0].astype(np.float32)
    assert np.abs(page.picture("xt").astype(int) - _pictures(expected[None])[0].astype(int)).max() <= 1
    page.page.keyboard.press("Home")  # back to seed A
    page.settle()
    assert page.console_errors == []


@pytest.mark.browser
def test_a_too_long_prompt_is_a_plain_message_and_the_page_goes_on(browser_session):
    page = browser_session
    page.walk(LONG_PROMPT, seed=0, steps=3)
    message = page.page.text_content("#message")
    assert "word pieces long" in message and "at most 22" in message and page.page.is_visible("#message")
    page.page.check("#growth-switch")  # one word at a time: refused whole, no beginning of it walked
    page.walk(LONG_PROMPT, seed=0, steps=3)
    assert "word pieces long" in page.page.text_content("#message")
    assert page.page.locator("#growth figure").count() == 0
    page.page.uncheck("#growth-switch")
    assert page.walk("a snail", seed=3, steps=3) == "done"
    assert not page.page.is_visible("#message")
    assert page.console_errors == []


@pytest.mark.browser
def test_one_word_at_a_time_grows_the_prompt(browser_session):
    page = browser_session
    page.page.check("#growth-switch")
    page.walk("a yellow fish", seed=1, steps=2)
    captions = page.page.locator("#growth figcaption").all_text_contents()
    assert [c.split("”")[0].lstrip("“") for c in captions] == ["(no words)", "a", "a yellow", "a yellow fish"]
    assert all("%" in c for c in captions[1:])
    page.page.uncheck("#growth-switch")
    assert page.console_errors == []


@pytest.mark.browser
def test_opened_from_disk_the_page_says_how_to_serve_it(browser_session, site):
    disk = browser_session.page.context.browser.new_page()
    try:
        disk.goto((site / "explore.html").as_uri())
        disk.wait_for_function("document.body.dataset.state === 'file'")
        note = disk.text_content("#file-note")
        assert disk.is_visible("#file-note") and "python -m http.server -d media/site" in note
    finally:
        disk.close()


def test_the_film_page_links_the_explorer():
    from publish.site import page

    manifest = {"module": "ch01_opening", "title": "T", "summary": "S", "duration": 10.0, "preview": {"duration": 3.0},
                "files": {kind: {"name": f"ch01_opening.{kind}"} for kind in ("mp4", "webm", "poster", "vtt", "srt", "preview")}}
    colours = dict.fromkeys(("background", "ink", "muted", "faint", "signal", "highlight"), "#000000")
    assert 'href="explore.html"' in page([manifest], colours, {}, explorer=True)
    assert "explore.html" not in page([manifest], colours, {})


def test_building_without_an_export_or_into_a_file_is_one_line(tmp_path):
    afile = tmp_path / "a-file"
    afile.write_text("x")
    for args in (["--site", str(tmp_path / "empty")], ["--site", str(afile)], ["--port", "0"]):
        result = subprocess.run([sys.executable, "-m", "publish.explore", *args], cwd=ROOT, capture_output=True,
                                text=True, timeout=60)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), (args, result.stderr)


@pytest.mark.browser
def test_a_blank_prompt_or_an_empty_seed_is_a_message_not_a_walk(browser_session):
    page = browser_session
    for prompt, seed, says in (("   ", "0", "The prompt is empty"), ("a snail", "", "The seed must be a whole number")):
        page.page.fill("#prompt", prompt)
        page.page.fill("#seed", seed)
        page.page.click("#walk")
        page.page.wait_for_function("([says]) => !document.querySelector('#message').hidden && "
                                    "document.querySelector('#message').textContent.includes(says)", arg=[says])
        assert page.page.evaluate("document.body.dataset.state") != "walking"
    assert page.walk("a snail", seed=3, steps=2) == "done"
    assert not page.page.is_visible("#message")
    assert page.console_errors == []


@pytest.mark.browser
@pytest.mark.parametrize("damage", ["flipped", "truncated"])
def test_a_damaged_model_file_is_a_message_with_what_to_do(browser_session, site, tmp_path, damage):
    damaged = tmp_path / "site"
    shutil.copytree(site, damaged, copy_function=os.link)
    unet = damaged / "explore" / "unet.onnx"
    data = bytearray(unet.read_bytes())
    unet.unlink()  # a link to the export: write a new file, not through the link
    if damage == "flipped":
        data[len(data) // 2: len(data) // 2 + 16] = bytes(255 - b for b in data[len(data) // 2: len(data) // 2 + 16])
    else:
        data = data[: len(data) // 3]
    unet.write_bytes(bytes(data))
    tab = browser_session.page.context.browser.new_page()
    try:
        with serve(damaged) as url:
            tab.goto(url + "explore.html")
            tab.wait_for_function("document.body.dataset.state === 'failed'", timeout=120_000)
            message = tab.text_content("#message")
        assert "unet.onnx is not the file explore.json names" in message and "make site" in message
        assert tab.is_disabled("#walk")
    finally:
        tab.close()


@pytest.mark.browser
def test_the_explorer_meets_axe_and_fits_a_phone(browser_session):
    from publish.browser import PHONE_WIDTH, accessibility_problems, overflow_problems

    assert accessibility_problems(browser_session.page) == []
    phone = browser_session.page.context.browser.new_page(viewport={"width": PHONE_WIDTH, "height": 900})
    try:
        phone.goto(browser_session.page.url)
        phone.wait_for_function("document.body.dataset.state === 'ready'", timeout=120_000)
        assert overflow_problems(phone) == []
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
        assert accessibility_problems(phone) == []
    finally:
        phone.close()

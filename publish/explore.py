"""The explorer page, ``media/site/explore.html``: the embedded model run live in the reader's browser.

``python -m publish.explore`` (``make site`` and ``make explore`` run it) writes the page beside the
film's page and fills ``explore/`` beside it: the page's scripts (``publish/explore.js`` and
``publish/explore_core.js``) and ONNX Runtime Web, vendored from ``node_modules/`` at the version
``package.json`` pins (``scripts/setup.sh npm`` installs it): its one-file ES module build for
WebAssembly and its WebAssembly binary, gzipped (3.7 MB instead of 14.2 MB; the page unpacks it
with the browser's own ``DecompressionStream``). The model's files come from
``python -m pipeline export-web``, which writes them into ``explore/`` first.

``python -m publish.explore serve`` serves the site on localhost and prints the address. It sends
the two headers that make a page cross-origin isolated, so ONNX Runtime may use more than one
thread; any other static server works too, with one.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import sys
from pathlib import Path

from pipeline.files import read_json, write_whole
from publish.media import JSON_BYTES, JSON_DEPTH, PublishError

REPO_ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
NODE_MODULES = REPO_ROOT / "node_modules"
RUNTIME = "onnxruntime-web"
RUNTIME_FILES = ("ort.wasm.bundle.min.mjs", "ort-wasm-simd-threaded.wasm")
SCRIPTS = ("explore.js", "explore_core.js", "explore_worker.js")
MODEL_FILES = ("explore.json", "vocab.txt", "text_encoder.onnx", "unet.onnx")
PAGE = "explore.html"
FOLDER = "explore"
TITLE = "Explore by hand: the model that makes the film's pictures, running in your browser"
SERVE_COMMAND = "python -m http.server -d media/site"


def pinned_runtime(package_json: Path = REPO_ROOT / "package.json") -> str:
    """The version of onnxruntime-web that package.json pins."""
    try:
        return json.loads(package_json.read_text())["dependencies"][RUNTIME]
    except (OSError, ValueError, KeyError) as error:
        raise PublishError(f"{package_json} does not pin {RUNTIME} ({error})") from None


def runtime_folder(node_modules: Path = NODE_MODULES) -> Path:
    """node_modules/onnxruntime-web/dist, checked against the pinned version."""
    wanted = pinned_runtime()
    package = node_modules / RUNTIME / "package.json"
    try:
        installed = json.loads(package.read_text())["version"]
    except (OSError, ValueError, KeyError):
        raise PublishError(f"{RUNTIME} is not installed in {node_modules}: run `bash scripts/setup.sh npm` "
                           "(or `make setup`)") from None
    if installed != wanted:
        raise PublishError(f"{node_modules}/{RUNTIME} is {installed}, package.json pins {wanted}: "
                           "run `bash scripts/setup.sh npm`")
    return node_modules / RUNTIME / "dist"


MIT_TEXT = """Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def runtime_license(package: Path) -> str:
    """The runtime's licence: its own LICENSE file where the npm package has one, else MIT as package.json says."""
    for name in ("LICENSE", "LICENSE.txt", "LICENSE.md"):
        if (package / name).is_file():
            return (package / name).read_text(encoding="utf-8")
    meta = json.loads((package / "package.json").read_text())
    if meta.get("license") != "MIT":
        raise PublishError(f"{RUNTIME} {meta.get('version')} is not MIT-licensed ({meta.get('license')}): check before vendoring")
    return (f"{RUNTIME} {meta['version']}, vendored from npm: MIT License\n\nCopyright (c) Microsoft Corporation\n\n"
            + MIT_TEXT)


def snippet(width: int = 980, height: int = 1180) -> str:
    """What to paste into an article to embed the explorer (with explore.html and explore/ copied beside it)."""
    return (f'<iframe src="{PAGE}" title="{html.escape(TITLE)}" width="{width}" height="{height}" '
            f'style="border:0;max-width:100%" loading="lazy"></iframe>')


def page(colours: dict[str, str], config: dict) -> str:
    """explore.html: the layout and the film's look; explore/explore.js does the rest."""
    e = html.escape
    words = config["words"]
    sizes = {name: entry["bytes"] for name, entry in config["files"].items()}
    models_mb = (sizes["text_encoder.onnx"] + sizes["unet.onnx"]) / 1e6
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{e(TITLE)}</title>
<style>
  :root {{ color-scheme: dark; --bg: {colours["background"]}; --ink: {colours["ink"]}; --muted: {colours["muted"]};
          --faint: {colours["faint"]}; --signal: {colours["signal"]}; --noise: {colours["noise"]};
          --mark: {colours["highlight"]}; --model: {colours["model"]}; }}
  body {{ margin: 0; background: var(--bg); color: var(--ink);
         font: 17px/1.5 "CMU Serif", "Latin Modern Roman", Georgia, "Times New Roman", serif; }}
  main {{ max-width: 980px; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }}
  h1 {{ font-size: 1.8rem; line-height: 1.2; margin: 0 0 .6rem; }}
  h2 {{ font-size: 1.2rem; margin: 1.4rem 0 .4rem; }}
  .embedded h1, .embedded .intro, .embedded .embed {{ display: none; }}
  .muted, figcaption, .hint {{ color: var(--muted); }}
  #status {{ color: var(--mark); min-height: 1.5em; margin: .4rem 0; }}
  #message {{ border-left: 3px solid var(--noise); padding: .3rem .8rem; margin: .5rem 0; }}
  #file-note {{ border-left: 3px solid var(--noise); padding: .3rem .8rem; }}
  form {{ display: grid; grid-template-columns: repeat(4, auto) 1fr; gap: .5rem .9rem; align-items: end; }}
  label {{ display: flex; flex-direction: column; font-size: .9rem; color: var(--muted); }}
  .wide {{ grid-column: 1 / -1; }}
  input, button {{ font: inherit; color: var(--ink); background: #05060a; border: 1px solid var(--faint); padding: .3rem .5rem; }}
  input[type=number] {{ width: 8.5rem; font-family: "CMU Typewriter Text", ui-monospace, monospace; }}
  input[type=range] {{ box-sizing: border-box; width: 100%; accent-color: var(--mark); }}
  button {{ cursor: pointer; background: var(--faint); border: 0; }}
  button.primary {{ background: var(--model); color: var(--bg); font-weight: bold; padding: .35rem 1.4rem; }}
  button:disabled {{ opacity: .5; cursor: wait; }}
  :focus-visible {{ outline: 2px solid var(--mark); outline-offset: 2px; }}
  .switch {{ flex-direction: row; gap: .4rem; align-items: center; color: var(--ink); }}
  #chips {{ display: flex; flex-wrap: wrap; gap: .25rem .8rem; }}
  .chip-group {{ display: flex; flex-wrap: wrap; gap: .25rem; }}
  .chip {{ font-size: .85rem; padding: .1rem .45rem; background: transparent; border: 1px solid var(--faint); color: var(--signal); }}
  .views {{ display: flex; flex-wrap: wrap; gap: 1.2rem; align-items: flex-start; margin-top: .8rem; }}
  figure {{ margin: 0; }}
  canvas.big {{ width: 256px; height: 256px; image-rendering: pixelated; image-rendering: crisp-edges;
               border: 1px solid var(--faint); display: block; background: #000; }}
  figcaption {{ font-size: .9rem; max-width: 256px; }}
  .xt {{ color: var(--noise); }} .guess {{ color: var(--model); }}
  #pad {{ width: 256px; height: 256px; border: 1px solid var(--faint); touch-action: none; cursor: crosshair; display: block; }}
  .scrub {{ max-width: 560px; }}
  dl {{ display: grid; grid-template-columns: auto 1fr; gap: .15rem 1rem; margin: .4rem 0; }}
  dt {{ color: var(--muted); }} dd {{ margin: 0; font-family: "CMU Typewriter Text", ui-monospace, monospace; }}
  #growth {{ display: flex; flex-wrap: wrap; gap: .8rem; }}
  #growth canvas {{ width: 96px; height: 96px; image-rendering: pixelated; display: block; }}
  button.thumb {{ padding: 0; background: none; border: 1px solid var(--faint); }}
  #growth figcaption {{ max-width: 110px; font-size: .8rem; }}
  textarea {{ box-sizing: border-box; width: 100%; background: #05060a; color: var(--ink); border: 1px solid var(--faint);
             font: 13px/1.4 "CMU Typewriter Text", ui-monospace, monospace; }}
  a {{ color: var(--signal); }}
  code {{ font-family: "CMU Typewriter Text", ui-monospace, monospace; }}
  #prompt {{ box-sizing: border-box; width: 100%; min-width: 0; }}
  /* a phone (390 px): the controls two to a row, the pictures as wide as the screen allows */
  @media (max-width: 640px) {{
    main {{ padding: 1rem .8rem 2rem; }}
    form {{ grid-template-columns: 1fr 1fr; }}
    label {{ min-width: 0; }}
    input[type=number] {{ box-sizing: border-box; width: 100%; }}
    canvas.big, #pad {{ width: min(256px, 100%); height: auto; aspect-ratio: 1; }}
    .views figure {{ flex: 1 1 100%; }}
    figcaption {{ max-width: none; }}
  }}
</style>
</head>
<body data-state="loading">
<main>
  <h1>{e(TITLE)}</h1>
  <p class="intro">The film's pictures come from a small diffusion model trained on a toy world of
  {e(", ".join(words["objects"]))}. Here it runs in this page, on your computer: type a prompt, watch it walk
  from noise to a picture one step at a time, then move the starting noise by hand. A seed gives the same
  picture as the film's pipeline.</p>
  <p id="file-note" hidden>This page must be served, not opened from disk: run <code>{e(SERVE_COMMAND)}</code> and open <code>http://localhost:8000/{PAGE}</code> (or run <code>make explore</code>).</p>
  <p id="status" role="status" aria-live="polite">Loading the page…</p>
  <form id="controls">
    <label class="wide">Prompt
      <input id="prompt" list="examples" autocomplete="off" spellcheck="false" aria-describedby="chips-hint">
    </label>
    <datalist id="examples"></datalist>
    <div class="wide"><span id="chips-hint" class="hint">The toy world's words (press one to add it):</span>
      <div id="chips"></div></div>
    <label>Seed <input id="seed" type="number" min="0" step="1" inputmode="numeric"></label>
    <label>Steps <input id="steps" type="number" min="1" step="1" inputmode="numeric"></label>
    <label>Guidance <input id="guidance" type="number" min="0" step="0.5" inputmode="decimal"></label>
    <button id="walk" class="primary" type="submit" disabled>Walk</button>
    <label class="switch"><input id="growth-switch" type="checkbox"> One word at a time</label>
  </form>
  <p id="message" role="alert" hidden></p>
  <div class="views">
    <figure><canvas id="xt" class="big" width="32" height="32" aria-label="x_t, the walk's state at this step"></canvas>
      <figcaption><span class="xt">x<sub>t</sub></span>: where the walk is</figcaption></figure>
    <figure><canvas id="guess" class="big" width="32" height="32" aria-label="the model's guess of the finished picture"></canvas>
      <figcaption><span class="guess">the model's guess</span> of the finished picture</figcaption></figure>
    <figure><canvas id="pad" width="256" height="256" tabindex="0" role="slider" aria-label="starting noise on the plane of three seeds; arrow keys move it, Home goes back to seed A"></canvas>
      <figcaption id="pad-words">Starting noise</figcaption></figure>
  </div>
  <div class="scrub">
    <label>Step <input id="scrub" type="range" min="0" max="0" value="0" step="1"></label>
    <p id="step-words" class="muted">Press Walk to start.</p>
  </div>
  <h2>The film's numbers, for this walk</h2>
  <dl>
    <dt>how far the first step's guess is from the finished picture</dt><dd id="n-first">–</dd>
    <dt>the first step whose guess is within 5% of it</dt><dd id="n-close">–</dd>
    <dt>this step's guess from the finished picture</dt><dd id="n-this">–</dd>
    <dt>angle between this starting noise and seed A's</dt><dd id="n-angle">–</dd>
    <dt>its length over the square root of its {3 * 32 * 32} numbers</dt><dd id="n-length">–</dd>
    <dt>time from the click to the finished picture</dt><dd id="n-time">–</dd>
  </dl>
  <p class="hint">Distances are RMS brightness differences in percent of full brightness, as in the film.</p>
  <div id="growth" hidden role="region" aria-label="the prompt grown one word at a time"></div>
  <details class="embed">
    <summary>Embed the explorer in an article</summary>
    <p>Copy <code>{PAGE}</code> and the folder <code>{FOLDER}/</code> ({(models_mb):.0f} MB of model files, 3.7 MB of runtime)
    beside your page, serve them (browsers do not run it from a file opened from disk), then paste:</p>
    <textarea class="snippet" readonly rows="3" spellcheck="false">{e(snippet())}</textarea>
  </details>
  <p class="hint">Runs with <a href="{FOLDER}/ort/LICENSE">ONNX Runtime Web</a> (MIT), nothing fetched from elsewhere.
  Keyboard: Tab moves between controls, Enter walks, arrow keys move the step slider and the noise pad.</p>
</main>
<script>
  if (location.protocol === "file:") {{
    document.getElementById("file-note").hidden = false;
    document.getElementById("status").textContent = "Not running: opened from disk.";
    document.body.dataset.state = "file";
  }}
</script>
<script type="module" src="{FOLDER}/explore.js"></script>
</body>
</html>
"""


def _write_bytes_if_changed(path: Path, data: bytes) -> None:
    if not (path.is_file() and path.read_bytes() == data):
        write_whole(path, data)


def build(site: Path, node_modules: Path = NODE_MODULES) -> Path:
    """Write ``site/explore.html`` and ``site/explore/``'s scripts and runtime; the model's files must be there."""
    from scenes import style

    folder = site / FOLDER
    missing = [name for name in MODEL_FILES if not (folder / name).is_file()]
    if missing:
        raise PublishError(f"{folder}/ has no {', '.join(missing)}: export the model first with "
                           f"`python -m pipeline export-web --out {folder}` (make site and make explore do)")
    try:
        config = read_json(folder / "explore.json", JSON_BYTES, JSON_DEPTH)
        files = config["files"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise PublishError(f"{folder}/explore.json is damaged ({error}): export again with "
                           "`python -m pipeline export-web`") from None
    for name, entry in files.items():
        if (folder / name).stat().st_size != entry["bytes"]:
            raise PublishError(f"{folder}/{name} is not the file explore.json names: export again with "
                               "`python -m pipeline export-web`")
    dist = runtime_folder(node_modules)
    runtime = folder / "ort"
    runtime.mkdir(parents=True, exist_ok=True)
    _write_bytes_if_changed(runtime / RUNTIME_FILES[0], (dist / RUNTIME_FILES[0]).read_bytes())
    # mtime 0: the same runtime gives the same bytes, so a rebuild rewrites nothing
    _write_bytes_if_changed(runtime / f"{RUNTIME_FILES[1]}.gz",
                            gzip.compress((dist / RUNTIME_FILES[1]).read_bytes(), compresslevel=9, mtime=0))
    _write_bytes_if_changed(runtime / "LICENSE", runtime_license(dist.parent).encode("utf-8"))
    for name in SCRIPTS:
        _write_bytes_if_changed(folder / name, (HERE / name).read_bytes())
    colours = {name: getattr(style, name.upper()).to_hex() for name in
               ("background", "ink", "muted", "faint", "signal", "noise", "highlight", "model")}
    target = site / PAGE
    write_whole(target, page(colours, config))  # always: make judges the page by its time
    return target


def download_size(site: Path) -> dict[str, int]:
    """What a reader's browser downloads to run the explorer, file by file (bytes)."""
    names = [PAGE] + [f"{FOLDER}/{name}" for name in SCRIPTS] + [f"{FOLDER}/ort/{RUNTIME_FILES[0]}",
             f"{FOLDER}/ort/{RUNTIME_FILES[1]}.gz"] + [f"{FOLDER}/{name}" for name in MODEL_FILES]
    return {name: (site / name).stat().st_size for name in names}


# ----------------------------------------------------------------------------- serving


def server(site: Path, port: int = 8000, host: str = "127.0.0.1"):
    """A static server for ``site`` that also sends COOP/COEP, so the page is cross-origin isolated (threads)."""
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Handler(SimpleHTTPRequestHandler):
        def end_headers(self):
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
            super().end_headers()

        def log_message(self, format, *args):  # noqa: A002 - the standard library's name
            pass

    return ThreadingHTTPServer((host, port), functools.partial(Handler, directory=str(site)))


def main(argv: list[str] | None = None) -> int:
    from pipeline import options

    class Parser(argparse.ArgumentParser):
        def error(self, message):  # one line, exit 2, as every command of the project
            print(f"error: {message} (see: {self.prog} --help)", file=sys.stderr)
            sys.exit(2)

    parser = Parser(prog="python -m publish.explore", description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=("build", "serve"), default="build",
                        help="build the page (default), or serve the site on localhost")
    parser.add_argument("--site", type=Path, default=Path("media/site"), help="the site's folder (default: media/site)")
    parser.add_argument("--port", type=options.whole("--port", 1, 65535), default=8000,
                        help="port to serve on (default: 8000)")
    args = parser.parse_args(argv)
    try:
        if args.site.exists() and not args.site.is_dir():
            raise PublishError(f"--site {args.site} is a file, not a folder")
        if args.command == "build":
            target = build(args.site)
            sizes = download_size(args.site)
            print(f"explorer: {target} ({sum(sizes.values()) / 1e6:.1f} MB to download in all); "
                  f"serve {args.site}/ (make explore), browsers do not run it from disk")
            return 0
        if not (args.site / PAGE).is_file():
            raise PublishError(f"{args.site / PAGE} is missing: build it first with `python -m publish.explore`")
        try:
            httpd = server(args.site, args.port)
        except OSError as error:
            raise PublishError(f"cannot serve on port {args.port}: {error.strerror or error}; choose another "
                               "with --port") from None
        print(f"explorer: http://localhost:{args.port}/{PAGE} (the film's page: http://localhost:{args.port}/index.html); "
              "Ctrl-C stops", flush=True)
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            httpd.server_close()
        return 0
    except PublishError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        print(f"error: {where}{error.strerror or error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""``python -m publish.explore_bench`` (``make bench-explore``): the explorer's speed and size in headless Chromium.

Measures, on this machine, what a reader waits for and downloads: the explorer's total download
(the models' share stated), the time from opening the page to the models being ready, and the time
from pressing Walk to the first step shown and to the finished picture (25 steps, guidance 2 unless
told otherwise). Each page load is a fresh page; each walk a fresh seed. Served as any static server
serves it (no cross-origin isolation: one thread per worker), or with ``--isolated`` as ``make explore``
serves it (COOP/COEP, so ONNX Runtime may use threads). A benchmark, not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import threading
from pathlib import Path

from pipeline import defaults
from publish import explore
from publish.media import PublishError


@contextlib.contextmanager
def _isolated_server(site: Path):
    httpd = explore.server(site, port=0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def measure(site: Path, loads: int = 2, walks: int = 3, steps: int = 25, guidance: float = 2.0,
            isolated: bool = False, prompt: str = defaults.prompt("walk")) -> dict:
    from publish.browser import serve
    from publish.explore_browser import open_explorer

    sizes = explore.download_size(site)
    models = sum(size for name, size in sizes.items() if name.endswith(".onnx"))
    result = {"download_bytes": sum(sizes.values()), "models_bytes": models,
              "runtime_bytes": sum(size for name, size in sizes.items() if "/ort/" in name),
              "files": sizes, "load_s": [], "download_s": [], "first_step_s": [], "picture_s": [],
              "isolated": isolated, "steps": steps, "guidance": guidance}
    with (_isolated_server(site) if isolated else serve(site)) as url:
        for load in range(loads):
            with open_explorer(url + explore.PAGE) as page:
                result["load_s"].append(page.wait_ready())
                result["download_s"].append(float(page.page.evaluate("window.explorer.downloadSeconds")))
                result["workers"] = page.page.evaluate("window.explorer.threads")
                result["browser_bytes"] = sum(page.downloaded.values())
                for walk in range(walks if load == loads - 1 else 1):
                    page.walk(prompt, seed=walk, steps=steps, guidance=guidance)
                    timing = page.last_timing()
                    result["first_step_s"].append(timing["first_step_s"])
                    result["picture_s"].append(timing["picture_s"])
                if page.console_errors:
                    raise PublishError(f"the explorer's console said: {page.console_errors[0]}")
    return result


def report(result: dict) -> str:
    median = statistics.median
    mb = 1e6
    lines = [
        f"served {'with COOP/COEP (make explore)' if result['isolated'] else 'as any static server serves it'}; "
        f"{result['workers']['workers']} workers, {result['workers']['threads']} thread(s) each",
        f"download: {result['download_bytes'] / mb:.1f} MB in all (browser counted {result['browser_bytes'] / mb:.1f} MB): "
        f"models {result['models_bytes'] / mb:.1f} MB ({100 * result['models_bytes'] / result['download_bytes']:.0f}%), "
        f"runtime {result['runtime_bytes'] / mb:.1f} MB, the rest {(result['download_bytes'] - result['models_bytes'] - result['runtime_bytes']) / mb:.2f} MB",
        f"models ready after opening the page: median {median(result['load_s']):.1f} s "
        f"(of which downloading {median(result['download_s']):.1f} s; runs: {', '.join(f'{x:.1f}' for x in result['load_s'])})",
        f"first step shown after the click: median {median(result['first_step_s']):.2f} s",
        f"finished picture ({result['steps']} steps, guidance {result['guidance']:g}) after the click: median "
        f"{median(result['picture_s']):.2f} s (runs: {', '.join(f'{x:.2f}' for x in result['picture_s'])})",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from pipeline import options

    class Parser(argparse.ArgumentParser):
        def error(self, message):
            print(f"error: {message} (see: {self.prog} --help)", file=sys.stderr)
            sys.exit(2)

    parser = Parser(prog="python -m publish.explore_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=Path("media/site"), help="the site (default: media/site)")
    parser.add_argument("--loads", type=options.whole("--loads", 1, 20), default=2, help="fresh page loads (default: 2)")
    parser.add_argument("--walks", type=options.whole("--walks", 1, 50), default=3,
                        help="walks timed in the last page (default: 3)")
    parser.add_argument("--steps", type=options.whole("--steps", 1, 100), default=25, help="steps (default: 25)")
    parser.add_argument("--guidance", type=options.number("--guidance", 0.0, 10.0), default=2.0,
                        help="guidance (default: 2)")
    parser.add_argument("--isolated", action="store_true", help="serve with COOP/COEP, as make explore does")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers to this file")
    args = parser.parse_args(argv)
    if not (args.site / explore.PAGE).is_file():
        print(f"error: {args.site / explore.PAGE} is missing: make it with `make explorer`", file=sys.stderr)
        return 2
    try:
        result = measure(args.site, args.loads, args.walks, args.steps, args.guidance, args.isolated)
    except PublishError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(report(result))
    if args.json is not None:
        from pipeline.files import write_whole

        write_whole(args.json, json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

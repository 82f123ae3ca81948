"""The page as a reader's browser sees it: Debian's Chromium, driven headless through Playwright, on a local server.

``check_page`` opens the page and reports what a reader would hit: console errors, videos whose
metadata does not load or whose length is wrong, playback that does not advance, subtitle tracks
without cues. The test suite asserts it finds nothing; ``python -m publish.browser`` runs it by
hand and saves a screenshot.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")

# Runs in the page: every chapter's video, its metadata, a second of muted playback, its cues.
PROBE_VIDEOS = """
async () => {
  const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const results = [];
  for (const section of document.querySelectorAll("section.chapter")) {
    const video = section.querySelector("video");
    const result = { id: section.id, duration: null, advanced: null, cues: null, source: null, error: null };
    try {
      for (let i = 0; i < 200 && video.readyState < 1 && !video.error; i++) await wait(50);
      if (video.error) throw new Error("media error " + video.error.code + " " + (video.error.message || ""));
      result.duration = video.duration;
      result.source = video.currentSrc.split("/").pop();
      const track = video.textTracks[0];
      if (track) {
        track.mode = "hidden";
        for (let i = 0; i < 100 && !(track.cues && track.cues.length); i++) await wait(50);
        result.cues = track.cues ? track.cues.length : 0;
      }
      video.muted = true;
      const before = video.currentTime;
      await video.play();
      await wait(1200);
      result.advanced = video.currentTime - before;
      video.pause();
    } catch (error) {
      result.error = String(error);
    }
    results.push(result);
  }
  return results;
}
"""


def chromium() -> str | None:
    return next((path for path in CHROMIUM_PATHS if Path(path).exists()), shutil.which("chromium"))


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002  (the standard library's name)
        pass

    def copyfile(self, source, outputfile) -> None:  # a browser that stops reading a video is no error
        try:
            super().copyfile(source, outputfile)
        except (BrokenPipeError, ConnectionResetError):
            pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 at a free port for the length of the block; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# axe-core (npm, a development dependency in package.json), the accessibility rules the pages are held to.
AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
PHONE_WIDTH = 390  # CSS pixels: a phone held upright


def accessibility_problems(page) -> list[str]:
    """axe-core's violations on the page as it stands, one line each (rule, impact, where)."""
    if not AXE.is_file():
        return [f"axe-core is not installed ({AXE} is missing): run `make setup`"]
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run()).violations.map((v) => "
                          "[v.id, v.impact, v.nodes.map((n) => n.target.join(' ')).slice(0, 3)])")
    return [f"accessibility: {rule} ({impact}) at {', '.join(where)}" for rule, impact, where in found]


def overflow_problems(page, width: int = PHONE_WIDTH) -> list[str]:
    """What runs off the right edge of a ``width``-pixel screen (the page is set to that width first)."""
    page.set_viewport_size({"width": width, "height": 900})
    over = page.evaluate("""(width) => [...document.querySelectorAll('body *')]
        .filter((e) => e.getClientRects().length && e.getBoundingClientRect().right > width + 1)
        .map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : ''))""",
                         width)
    return [f"at {width} px wide, runs off the right edge: {', '.join(over[:8])}"] if over else []


@dataclass
class PageReport:
    """What the browser saw: console errors, each video's probe, and the problems found against what was expected."""

    console_errors: list[str] = field(default_factory=list)
    videos: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def check_page(url: str, expected: dict[str, float], screenshot: Path | None = None,
               tolerance: float = 0.25, timeout_ms: int = 60_000) -> PageReport:
    """Open ``url`` in headless Chromium and check every chapter video against ``expected`` (chapter id: seconds)."""
    from playwright.sync_api import sync_playwright

    executable = chromium()
    if executable is None:
        raise RuntimeError("Chromium is not installed: run `make setup` (or: sudo apt-get install chromium)")
    report = PageReport()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=["--autoplay-policy=no-user-gesture-required"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.set_default_timeout(timeout_ms)
            page.on("console", lambda message: report.console_errors.append(message.text)
                    if message.type == "error" else None)
            page.on("pageerror", lambda error: report.console_errors.append(f"uncaught: {error}"))
            page.goto(url, wait_until="load")
            report.videos = page.evaluate(PROBE_VIDEOS)
            if screenshot is not None:
                page.evaluate("() => window.scrollTo(0, 0)")
                page.screenshot(path=str(screenshot), full_page=False)
            report.problems += accessibility_problems(page) + overflow_problems(page)
        finally:
            browser.close()
    report.problems += [f"console: {text}" for text in report.console_errors]
    seen = {video["id"]: video for video in report.videos}
    for chapter, seconds in expected.items():
        video = seen.get(chapter)
        if video is None:
            report.problems.append(f"{chapter}: no video on the page")
        elif video["error"]:
            report.problems.append(f"{chapter}: {video['error']}")
        else:
            if video["duration"] is None or abs(video["duration"] - seconds) > tolerance:
                report.problems.append(f"{chapter}: video is {video['duration']} s long, expected {seconds:.2f} s")
            if not video["advanced"] or video["advanced"] <= 0.2:
                report.problems.append(f"{chapter}: playback did not advance ({video['advanced']} s in 1.2 s)")
            if not video["cues"]:
                report.problems.append(f"{chapter}: the subtitle track has no cues")
    report.problems += [f"{video['id']}: on the page but not expected" for video in report.videos
                        if video["id"] not in expected]
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m publish.browser", description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=Path("media/site"), help="the page's folder (default: media/site)")
    parser.add_argument("--screenshot", type=Path, default=Path("media/site-screenshot.png"),
                        help="where to save what the browser shows (default: media/site-screenshot.png)")
    args = parser.parse_args(argv)
    index = args.site / "index.html"
    if not index.is_file():
        print(f"error: {index} is missing: make the page first with `make site`", file=sys.stderr)
        return 2
    from publish.clips import read_manifest

    expected = {}
    for path in sorted((args.site / "clips").glob("*.json")):
        data = read_manifest(path)  # a clip's manifest; not the record of the site's files, or any other JSON
        if data is not None:
            expected[data["module"]] = data["duration"]
    with serve(args.site) as url:
        report = check_page(url + "index.html", expected, args.screenshot)
    for video in report.videos:
        print(f"{video['id']}: {video['duration']} s from {video['source']}, {video['cues']} cues, "
              f"played {video['advanced']} s")
    print("\n".join(f"problem: {problem}" for problem in report.problems) or "no problems")
    print(f"screenshot: {args.screenshot}")
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())

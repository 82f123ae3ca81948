"""The explorer in a real browser: Debian's Chromium, headless through Playwright, on a local server.

The browser test (``tests/test_explore_page.py``) and the benchmarks (``publish/explore_bench.py``)
drive the page through these: open it, walk a prompt as a reader would (type, press Walk), read the
picture back from the canvas, move the noise pad with the keyboard.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from publish.browser import chromium

READ_CANVAS = """
(id) => {
  const canvas = document.getElementById(id);
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  return Array.from(data);
}
"""


@dataclass
class Explorer:
    """An open explorer page and what its console said."""

    page: object
    console_errors: list[str] = field(default_factory=list)
    downloaded: dict[str, int] = field(default_factory=dict)

    def wait_ready(self, timeout_ms: int = 120_000) -> float:
        """Wait until the models are loaded; returns the page's own load time in seconds."""
        self.page.wait_for_function("() => ['ready', 'failed'].includes(document.body.dataset.state)",
                                    timeout=timeout_ms)
        if self.page.evaluate("document.body.dataset.state") == "failed":
            raise RuntimeError(f"the explorer could not load its models: {self.page.text_content('#message')}")
        return float(self.page.evaluate("window.explorer.loadSeconds"))

    def settle(self, timeout_ms: int = 120_000) -> str:
        """Wait until no walk runs; returns the page's state (done, ready)."""
        self.page.wait_for_function("() => !window.explorer.running && !window.explorer.pending "
                                    "&& document.body.dataset.state !== 'walking'", timeout=timeout_ms)
        return self.page.evaluate("document.body.dataset.state")

    def walk(self, prompt: str, seed: int = 0, steps: int = 25, guidance: float = 2.0,
             timeout_ms: int = 120_000) -> str:
        """Type the settings and press Walk, as a reader does; returns the state the page ends in."""
        page = self.page
        page.fill("#prompt", prompt)
        page.fill("#seed", str(seed))
        page.fill("#steps", str(steps))
        page.fill("#guidance", f"{guidance:g}")
        before = page.evaluate("window.explorer.finished")
        page.click("#walk")
        page.wait_for_function(f"() => window.explorer.finished > {before} && !window.explorer.running",
                               timeout=timeout_ms)
        return self.settle(timeout_ms)

    def picture(self, canvas: str = "xt") -> np.ndarray:
        """A canvas's pixels as uint8 (H, W, 3)."""
        size = self.page.evaluate(f"document.getElementById('{canvas}').width")
        data = np.array(self.page.evaluate(READ_CANVAS, canvas), dtype=np.uint8)
        return data.reshape(size, size, 4)[..., :3]

    def last_timing(self) -> dict:
        return self.page.evaluate("window.explorer.timings[window.explorer.timings.length - 1]")


@contextmanager
def open_explorer(url: str, viewport=(1100, 1300), timeout_ms: int = 120_000) -> Iterator[Explorer]:
    """Open the explorer at ``url`` in headless Chromium; yields an Explorer."""
    from playwright.sync_api import sync_playwright

    executable = chromium()
    if executable is None:
        raise RuntimeError("Chromium is not installed: run `make setup` (or: sudo apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            page.set_default_timeout(timeout_ms)
            explorer = Explorer(page)
            page.on("console", lambda message: explorer.console_errors.append(message.text)
                    if message.type == "error" else None)
            page.on("pageerror", lambda error: explorer.console_errors.append(f"uncaught: {error}"))

            def finished(request):
                try:
                    sizes = request.sizes()
                    explorer.downloaded[request.url] = sizes["responseBodySize"]
                except Exception:  # noqa: BLE001 - a request without sizes counts as nothing
                    pass

            page.on("requestfinished", finished)
            page.goto(url, wait_until="load")
            yield explorer
        finally:
            browser.close()


def site_has_explorer(site: Path) -> bool:
    return (site / "explore.html").is_file() and (site / "explore" / "explore.json").is_file()

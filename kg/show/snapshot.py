"""Pictures of pages: a PNG of an offline page, taken in headless Chromium with the network blocked.

Network views are drawn on a canvas by vis-network, so the only faithful picture of
one is the page itself once its layout has settled. Charts do not need this: their
SVG and PNG come from vl-convert (kg.show.charts.render_image), without a browser.

Playwright drives the system's Chromium (``chromium`` on the PATH, or the file named
by ``KG_CHROMIUM``); it never downloads a browser. Both are optional: without them
``--format png`` says what to install.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ..base.errors import UsageError

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def chromium_path() -> str:
    """The Chromium to drive: $KG_CHROMIUM, or chromium / chromium-browser on the PATH."""
    found = os.environ.get("KG_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise UsageError("a PNG of a page needs Chromium (apt-get install chromium, or set KG_CHROMIUM)")
    return found


def page_png(html: bytes, *, ready: str, selector: str | None = None, width: int = 1400, height: int = 900,
             timeout: float = 120.0) -> bytes:
    """Open ``html`` from a temporary file, refuse every other request, wait for ``ready``, return a PNG.

    ``ready`` is a JavaScript expression that is true once the page is drawn;
    ``selector`` limits the picture to one element.
    """
    try:
        from playwright.sync_api import Error as PlaywrightError, sync_playwright
    except ImportError:
        raise UsageError("a PNG of a page needs Playwright for Python: pip install 'gpu-kg[snapshot]'") from None
    executable = chromium_path()
    with tempfile.TemporaryDirectory(prefix="kg-snapshot-") as folder:
        page_file = Path(folder) / "page.html"
        page_file.write_bytes(html)
        url = page_file.as_uri()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
                try:
                    page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=2)
                    page.route("**/*", lambda route: route.continue_() if route.request.url == url else route.abort())
                    page.goto(url)
                    page.wait_for_function(f"() => Boolean({ready})", timeout=timeout * 1000)
                    target = page.locator(selector) if selector else page
                    return target.screenshot(animations="disabled")
                finally:
                    browser.close()
        except PlaywrightError as err:
            raise UsageError(f"could not take a picture of the page in Chromium: {str(err).splitlines()[0]}") from None

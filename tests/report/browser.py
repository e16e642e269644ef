"""A real headless Chromium for the page tests: Debian's ``chromium`` driven by
Playwright pointed at that browser (Playwright's own browser download is never used).

Import ``browser_page`` (a fixture) and ``CHROMIUM`` from here; a test module marks
itself skipped when ``CHROMIUM`` is None unless CI requires the browser.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = next((p for p in (os.environ.get("HISTDIP_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium")
                 if p and Path(p).is_file()), None)

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser_page(tmp_path):
    """A fresh Chromium page (its own profile folder) that records console errors and requests."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the test extra)")
    with sync_api.sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.problems, page.requests = [], []
        page.on("console", lambda m: m.type in ("error", "warning") and page.problems.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: page.problems.append(f"failed: {r.url[:80]}"))
        page.on("request", lambda r: page.requests.append(r.url))
        try:
            yield page
        finally:
            context.close()


def assert_offline(page):
    assert page.problems == []
    assert all(url.startswith(("file:", "data:")) for url in page.requests), page.requests
    # Nothing fetched by the page's own means either (images from data: URIs are not listed).
    loaded = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert all(url.startswith(("file:", "data:")) for url in loaded), loaded

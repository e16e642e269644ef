"""The report in a real headless Chromium: drag the divider, move the slider, toggle a
layer, zoom, pick a counted object; no console error and no request leaves the file.

Debian's ``chromium`` (``apt-get install chromium``; .ci/run installs it) driven by
Playwright pointed at that browser: Playwright's own browser download is never used.
The screenshot in docs/figures/report.png comes from ``test_screenshot_of_the_sample``
(slow: it restores the bundled sample in full); ``HISTDIP_UPDATE_FIGURES=1`` writes it.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

from histdip.report import build_report, render_html, write_report
from histdip.report.images import decode_uri
from tests.report.browser import CHROMIUM, assert_offline, browser_page  # noqa: F401 (a fixture)

# CI (.ci/run sets HISTDIP_REQUIRE_BROWSER) must run these: there a missing Chromium fails.
pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("HISTDIP_REQUIRE_BROWSER"),
                                reason="no Chromium found (apt-get install chromium, or set HISTDIP_CHROMIUM); "
                                ".ci/run installs it")
FIGURE = Path(__file__).parents[2] / "docs" / "figures" / "report.png"


def open_report(page, path):
    page.goto(Path(path).resolve().as_uri())
    page.wait_for_function("document.getElementById('viewer').dataset.layer !== ''")


def drag(page, selector, dx, dy=0):
    page.locator(selector).scroll_into_view_if_needed()
    box = page.locator(selector).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y + dy, steps=8)
    page.mouse.up()


def test_divider_slider_layers_and_counts(small_run, tmp_path, browser_page):
    photo, result = small_run
    data = build_report(result, photo, name="beads.png")
    path = write_report(data, tmp_path / "beads_report.html")
    page = browser_page
    open_report(page, path)
    viewer = page.locator("#viewer")
    assert viewer.get_attribute("data-split") == "0.5000"
    assert page.locator("#after-image").get_attribute("src") == data.images["signal"]

    # The divider: dragged left, the restored layer's clip follows it.
    width = viewer.bounding_box()["width"]
    drag(page, "#divider", -0.25 * width)
    split = float(viewer.get_attribute("data-split"))
    assert split == pytest.approx(0.25, abs=0.03)
    clip = page.eval_on_selector("#pane-after", "e => getComputedStyle(e).clipPath")
    assert clip.startswith("inset(") and float(re.search(r"([\d.]+)%\)", clip).group(1)) == pytest.approx(100 * split)
    left = page.eval_on_selector("#divider", "e => e.getBoundingClientRect().left + e.offsetWidth / 2")
    assert left - viewer.bounding_box()["x"] == pytest.approx(split * width, abs=1.5)

    # The slider: a quarter of the way along shows that snapshot, its step and its image.
    slider = page.locator("#snap-slider")
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    page.mouse.click(box["x"] + 0.25 * box["width"], box["y"] + box["height"] / 2)
    index, n = int(slider.input_value()), len(data.snapshots)
    assert index == pytest.approx(0.25 * (n - 1), abs=1.5)
    snap = data.snapshots[index]
    image = page.locator("#snap-image")
    assert image.get_attribute("data-step") == str(snap["step"])
    assert image.get_attribute("src") == snap["uri"]
    assert page.locator("#snap-label").inner_text() == f"step {snap['step']} ({index + 1} of {n})"
    assert decode_uri(image.get_attribute("src")).shape[:2] == photo.shape[:2]
    marker = page.eval_on_selector("#chart-loss .step-marker", "e => +e.getAttribute('x1')")
    assert marker > float(page.eval_on_selector("#chart-loss", "e => e.dataset.x0"))
    page.keyboard.press("End")
    assert page.locator("#snap-label").inner_text().startswith("output (weights of step")

    # The layers: the background, the mask over the input, and the slider's step.
    page.locator("input[name=layer][value=background]").check()
    assert page.locator("#after-image").get_attribute("src") == data.images["background"]
    assert page.locator("#after-tag").inner_text() == "background"
    page.locator("input[name=layer][value=mask]").check()
    assert page.locator("#after-image").get_attribute("src") == data.images["input"]
    assert page.locator("#after-overlay").is_visible()
    page.locator("input[name=layer][value=step]").check()
    slider.focus()
    page.keyboard.press("Home")
    assert page.locator("#after-image").get_attribute("src") == data.snapshots[0]["uri"]

    # Zoom in, then a drag pans instead of moving the divider.
    page.locator("#zoom-in").click()
    assert float(viewer.get_attribute("data-zoom")) == pytest.approx(1.5)
    before = page.eval_on_selector("#pane-before .stage", "e => e.style.transform")
    drag(page, "#pane-before", 0.1 * width, 0.05 * width)
    assert page.eval_on_selector("#pane-before .stage", "e => e.style.transform") != before
    assert float(viewer.get_attribute("data-split")) == pytest.approx(split, abs=1e-3)

    # The count: the page's number is the table's, and a row rings its object.
    count = data.counts["summary"]["count"]
    assert page.locator("#count-value").inner_text() == str(count)
    assert page.locator("#count-table tbody tr").count() == count
    page.locator("#count-table tbody tr").first.click()
    assert float(page.eval_on_selector("#pick", "e => +e.getAttribute('cx')")) > 0
    assert_offline(page)


@pytest.mark.slow
def test_screenshot_of_the_sample(tmp_path, browser_page):
    """The bundled sample's report, as docs/figures/report.png shows it (restores it in full)."""
    import imageio.v3 as iio

    import histdip
    from histdip.cli.report import report_snapshots

    photo = iio.imread(Path(histdip.__path__[0]) / "data" / "sample_beads.png")
    restorer = histdip.HistDip()  # the default, as histdip restore photo.png --report runs it
    result = restorer.restore(photo, snapshots=report_snapshots(restorer.config))
    path = write_report(render_html(build_report(result, photo, name="sample_beads.png")), tmp_path / "r.html")
    assert path.stat().st_size < 15e6
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 1000})
    open_report(page, path)
    drag(page, "#divider", -0.12 * page.locator("#viewer").bounding_box()["width"])
    slider = page.locator("#snap-slider").bounding_box()
    page.mouse.click(slider["x"] + 0.35 * slider["width"], slider["y"] + slider["height"] / 2)
    page.mouse.move(0, 0)
    page.evaluate("window.scrollTo(0, 0)")
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    assert_offline(page)
    if os.environ.get("HISTDIP_UPDATE_FIGURES") == "1":
        shutil.copyfile(shot, FIGURE)

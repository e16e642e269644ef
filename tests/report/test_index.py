"""histdip.report.index: a batch's index page, from its summary, and in a real Chromium.

The batch is a real one (``histdip restore FOLDER --report`` on a 1-worker local
cluster, a few steps a photo) with a failing input among the photos.
"""

import os
import re
from pathlib import Path

import pytest

from histdip.batch.summary import read_summary, write_summary
from histdip.errors import InputError, OutputError
from histdip.report import find_summary, index_rows, write_index
from histdip.report.images import decode_uri
from tests.helpers import assert_one_line_error, beads, cli, save_png
from tests.report.browser import CHROMIUM, assert_offline, browser_page  # noqa: F401 (a fixture)

FIGURE = Path(__file__).parents[2] / "docs" / "figures" / "batch_index.png"
FAST = ("--iterations", "4", "--stop", "fixed", "--threshold", "60", "--workers", "1", "-q")


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """A restored folder of three photos and a broken one, with --report: (in, out)."""
    import contextlib
    import io

    from histdip.cli.main import main

    root = tmp_path_factory.mktemp("batch")
    (root / "in").mkdir()
    for i in range(3):
        save_png(root / "in" / f"p{i}.png", beads(shape=(48, 64 + 16 * i), seed=i))
    (root / "in" / "broken.png").write_bytes(b"not a png")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        rc = main(["restore", str(root / "in"), "--outdir", str(root / "out"), "--report", *FAST])
    assert rc == 2  # the broken input failed; the batch went on
    return root / "in", root / "out"


def test_the_batch_writes_its_index_with_a_row_and_thumbnails_per_input(batch):
    _, out = batch
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "histdip-batch-index" in page and "4 inputs: 3 restored, 1 failed" in page
    rows = index_rows(out / "histdip_summary.csv")
    by_name = {Path(r["file"]).name: r for r in rows}
    assert set(by_name) == {"p0.png", "p1.png", "p2.png", "broken.png"}
    for name in ("p0.png", "p1.png", "p2.png"):
        row = by_name[name]
        assert row["status"] == "restored" and row["report"] is not None and row["json"] is not None
        # the thumbnails are the input and its result, each with the photo's aspect
        width = 64 + 16 * int(name[1])
        for key in ("input_thumb", "output_thumb"):
            pixels = decode_uri(row[key])
            assert pixels.shape[1] / pixels.shape[0] == pytest.approx(width / 48, rel=0.05)
    broken = by_name["broken.png"]
    assert broken["status"] == "failed" and broken["input_thumb"] is None and broken["error"]
    # links are relative (the folder moves whole) and the page embeds everything it shows
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert hrefs and all(not h.startswith(("/", "file:", "http")) for h in hrefs)
    assert all((out / h).is_file() for h in hrefs)
    assert re.findall(r'src="([^"]+)"', page) and all(s.startswith("data:image/") for s in
                                                       re.findall(r'src="([^"]+)"', page))


def test_histdip_report_of_the_folder_rewrites_the_index(batch, tmp_path, capsys):
    _, out = batch
    summary = read_summary(out / "histdip_summary.csv")
    summary[0]["seconds"] = "123.5"  # the page is made from the summary as it stands
    moved = tmp_path / "moved.csv"
    write_summary(moved, summary)
    rc, stdout, err = cli(capsys, "report", moved, "-o", tmp_path / "page.html")
    assert rc == 0, err
    assert "123.5" in (tmp_path / "page.html").read_text(encoding="utf-8") and "index" in stdout
    rc, _, err = cli(capsys, "report", out, "-q")
    assert rc == 0 and (out / "index.html").is_file(), err


def test_bad_index_requests_are_one_line_errors(tmp_path, capsys):
    with pytest.raises(InputError, match="no histdip_summary.csv"):
        find_summary(tmp_path)
    rc, _, err = cli(capsys, "report", tmp_path)
    assert rc == 2
    assert_one_line_error(err, "report", "histdip_summary.csv")
    write_summary(tmp_path / "histdip_summary.csv", [])
    mine = tmp_path / "mine.html"
    mine.write_text("<html>my own page</html>")
    with pytest.raises(OutputError, match="not a histdip batch index"):
        write_index(tmp_path, mine)
    assert mine.read_text() == "<html>my own page</html>"
    rc, _, err = cli(capsys, "report", tmp_path, "--pixel-size", "0.5")
    assert rc == 2
    assert_one_line_error(err, "report", "--pixel-size")


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("HISTDIP_REQUIRE_BROWSER"),
                    reason="no Chromium found (apt-get install chromium, or set HISTDIP_CHROMIUM)")
def test_the_index_sorts_and_filters_in_chromium(batch, browser_page):
    page = browser_page
    _, out = batch
    page.goto((out / "index.html").resolve().as_uri())

    def column(name):
        index = page.evaluate(f"""Array.from(document.querySelectorAll('#batch thead th'))
                                  .findIndex(th => th.textContent.trim() === {name!r})""")
        return page.evaluate(f"""Array.from(document.querySelectorAll('#batch tbody tr'))
                                 .filter(r => !r.hidden).map(r => r.cells[{index}].textContent)""")

    def heading(name):
        return page.locator("#batch thead th").filter(has_text=re.compile(f"^{name}$"))

    heading_seconds = heading("seconds")
    heading_seconds.click()
    seconds = [float(s) for s in column("seconds")]
    assert seconds == sorted(seconds) and len(seconds) == 4
    heading_seconds.click()
    assert [float(s) for s in column("seconds")] == sorted(seconds, reverse=True)
    assert heading_seconds.get_attribute("aria-sort") == "descending"
    for _ in range(2):  # the failed row has no T: last, either way
        heading("T").click()
        assert heading("T").get_attribute("aria-sort") in ("ascending", "descending")
        assert column("T")[-1] == "" and all(column("T")[:3])
    heading("file").click()
    files = column("file")
    assert files == sorted(files, key=str.lower)
    page.select_option("#status-filter", "failed")
    assert [Path(f).name for f in column("file")] == ["broken.png"]
    assert page.inner_text("#shown") == "1 of 4 shown"
    page.select_option("#status-filter", "")
    assert len(column("file")) == 4
    # every thumbnail decoded (a broken data URI shows as a zero-width image)
    widths = page.evaluate("Array.from(document.images).map(i => i.naturalWidth)")
    assert len(widths) == 6 and min(widths) > 0
    assert_offline(page)
    if os.environ.get("HISTDIP_UPDATE_FIGURES") == "1":  # the picture in docs/report.md
        page.screenshot(path=str(FIGURE))

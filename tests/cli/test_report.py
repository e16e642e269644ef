"""`histdip report RUN.json` and `histdip restore --report`: the page, its counts, its errors."""

import json

import numpy as np
import pytest

from histdip.report.images import decode_uri
from tests.helpers import assert_one_line_error, cli, files_under, save_png
from tests.report.scenes import bead_photo

FIT = ("--iterations", "40", "--seed", "1", "-q")


def page_data(path):
    """The JSON block of a written page."""
    html = path.read_text(encoding="utf-8")
    return json.loads(html.split('id="report-data">', 1)[1].split("</script>", 1)[0])


@pytest.fixture(scope="module")
def restored(tmp_path_factory):
    """A bead photo restored with --report (and --snapshots 10), in a folder of its own."""
    folder = tmp_path_factory.mktemp("restored")
    photo = save_png(folder / "beads.png", bead_photo())
    rc = _main("restore", photo, "--outdir", folder / "out", "--report", "--snapshots", "10", *FIT)
    assert rc == 0
    return folder


def _main(*argv):
    from histdip.cli.main import main

    return main([str(a) for a in argv])


def test_restore_report_writes_the_page_beside_the_output(restored):
    out = restored / "out"
    page = out / "beads_histdip_report.html"
    assert page.is_file() and page.stat().st_size < 15e6
    data = page_data(page)
    # --snapshots 10 over 40 steps: 4 snapshots, then the output; all full-size images.
    assert [s["step"] for s in data["snapshots"]] == [10, 20, 30, 40, 40]
    assert decode_uri(data["snapshots"][0]["uri"]).shape[:2] == (96, 128)
    record = json.loads((out / "beads_histdip.json").read_text())["run"]
    assert len(record["curve"]["loss"]) == 40 and record["curve"]["check"]


def test_restore_report_alone_takes_its_own_snapshots_and_writes_none(tmp_path, capsys):
    photo = save_png(tmp_path / "beads.png", bead_photo())
    rc, _, err = cli(capsys, "restore", photo, "--outdir", tmp_path / "out", "--report", *FIT)
    assert rc == 0, err
    assert "beads_histdip_snapshots" not in files_under(tmp_path / "out")
    steps = [s["step"] for s in page_data(tmp_path / "out" / "beads_histdip_report.html")["snapshots"]]
    assert steps[:-1] == list(range(2, 41, 2))  # 20 snapshots, every 2 of the 40 steps


def test_report_count_is_histdip_count(restored, capsys):
    out = restored / "out"
    html = (out / "beads_histdip_report.html").read_text(encoding="utf-8")
    rc, _, err = cli(capsys, "count", out / "beads_histdip.json", "-o", restored / "c.csv", "-q")
    assert rc == 0, err
    counted = json.loads((restored / "c_summary.json").read_text())["count"]
    assert counted > 0 and f'data-count="{counted}"' in html
    # histdip report rebuilds the page from the files: the same count, the same snapshots.
    rc, out_text, err = cli(capsys, "report", out / "beads_histdip.json", "-o", restored / "again.html")
    assert rc == 0, err
    again = (restored / "again.html").read_text(encoding="utf-8")
    assert f'data-count="{counted}"' in again and f"{counted} objects" in out_text
    assert [s["step"] for s in page_data(restored / "again.html")["snapshots"]] == [10, 20, 30, 40, 40]


def test_report_default_name_and_no_overwrite(restored, capsys):
    out = restored / "out"
    run = out / "beads_histdip.json"
    before = (out / "beads_histdip_report.html").read_bytes()
    rc, _, err = cli(capsys, "report", run)
    assert rc == 2
    assert_one_line_error(err, "report", "beads_histdip_report.html", "already exists", "--overwrite")
    assert (out / "beads_histdip_report.html").read_bytes() == before
    rc, _, err = cli(capsys, "report", run, "--overwrite", "-q")
    assert rc == 0, err


def test_report_with_a_reference(restored, capsys):
    clean = save_png(restored / "clean.png", bead_photo()[..., 1])
    rc, _, err = cli(capsys, "report", restored / "out" / "beads_histdip.json", "--reference", clean,
                     "-o", restored / "ref.html", "-q")
    assert rc == 0, err
    assert "Against the clean image" in (restored / "ref.html").read_text(encoding="utf-8")
    small = save_png(restored / "small.png", np.zeros((20, 20), np.uint8))
    rc, _, err = cli(capsys, "report", restored / "out" / "beads_histdip.json", "--reference", small,
                     "-o", restored / "ref2.html", "-q")
    assert rc == 2
    assert_one_line_error(err, "report", "small.png", "20x20", "128x96")
    assert not (restored / "ref2.html").exists()


def test_report_missing_json(tmp_path, capsys):
    rc, _, err = cli(capsys, "report", tmp_path / "nope_histdip.json")
    assert rc == 2
    assert_one_line_error(err, "report", "nope_histdip.json", "no such file")


@pytest.mark.parametrize("text, needle", [
    ('{"histdip_config": {}, "note": "a config, not a run"}', "not a histdip run record (no run, input, output)"),
    ("[1, 2, 3]", "not a histdip run record"),
    ("this is not JSON", "not a JSON file"),
])
def test_report_json_that_is_not_a_run(tmp_path, capsys, text, needle):
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    rc, _, err = cli(capsys, "report", bad)
    assert rc == 2
    assert_one_line_error(err, "report", "bad.json", needle)
    assert files_under(tmp_path) == ["bad.json"]


def test_report_whose_photo_is_gone(restored, tmp_path, capsys):
    data = json.loads((restored / "out" / "beads_histdip.json").read_text())
    data["input"] = str(tmp_path / "gone.png")
    moved = tmp_path / "moved_histdip.json"
    moved.write_text(json.dumps(data))
    rc, _, err = cli(capsys, "report", moved)
    assert rc == 2
    assert_one_line_error(err, "report", "moved_histdip.json", "gone.png", "is not there")


def test_report_name_must_be_html_and_one_page_per_input(tmp_path, capsys):
    photo = save_png(tmp_path / "beads.png", bead_photo())
    rc, _, err = cli(capsys, "restore", photo, "--report", tmp_path / "r.png", *FIT)
    assert rc == 2
    assert_one_line_error(err, "restore", "r.png", "ending in .html")
    other = save_png(tmp_path / "other.png", bead_photo(seed=1))
    rc, _, err = cli(capsys, "restore", photo, other, "--report", tmp_path / "r.html", "--outdir", tmp_path / "o", *FIT)
    assert rc == 2
    assert_one_line_error(err, "restore", "2 inputs")
    assert files_under(tmp_path / "o") == []


def test_report_with_the_dip_alone_run_beside(restored, capsys):
    photo = restored / "beads.png"
    rc, _, err = cli(capsys, "restore", photo, "--method", "dip", "-o", restored / "dip" / "beads_dip.tif", *FIT)
    assert rc == 0, err
    rc, _, err = cli(capsys, "report", restored / "out" / "beads_histdip.json", "--dip",
                     restored / "dip" / "beads_dip.json", "-o", restored / "dip.html", "-q")
    assert rc == 0, err
    html = (restored / "dip.html").read_text(encoding="utf-8")
    assert "DIP alone, mean of" in html and "HIST-DIP, mean of" in html

"""The report's content: its sections, embedded images, snapshots, counts, figures and size."""

import json
import re
import sys

import imageio.v3 as iio
import numpy as np
import pytest

import histdip
from histdip.count import count_result
from histdip.errors import InputError
from histdip.report import PAGE_LIMIT, Run, assemble, build_report, render_html
from histdip.report.images import decode_uri, display_size

SECTIONS = ("before-after", "fit", "split", "counts", "numbers")


def payload(html):
    """The JSON block the page's script reads."""
    block = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    return json.loads(block.group(1))


def test_report_holds_every_section_and_decodable_images(small_run):
    photo, result = small_run
    data = build_report(result, photo, name="beads.png")
    html = render_html(data)
    for section in SECTIONS:
        assert f'<section id="{section}">' in html
    assert data.title == "histdip report: beads.png" and data.primary == "signal"
    for key, uri in data.images.items():
        assert decode_uri(uri).shape[:2] == photo.shape[:2], key
    assert {layer["key"] for layer in data.layers} == {"signal", "recording", "background", "mask"}
    # Twenty snapshots in step order, then the output, all decodable; the page carries the same.
    steps = [s["step"] for s in data.snapshots]
    assert steps[:-1] == list(range(3, 61, 3)) and data.snapshots[-1]["uri"] == data.images["signal"]
    assert all(decode_uri(s["uri"]).shape[:2] == photo.shape[:2] for s in data.snapshots)
    assert payload(html)["snapshots"] == data.snapshots and payload(html)["images"] == data.images
    # The curves: the loss and the stopping rule's ratio, from the record.
    assert 'id="chart-loss"' in html and 'id="chart-check"' in html
    assert len(result.record()["curve"]["loss"]) == result.iterations == 60
    # What an all-zero output scores: the rule's "not started" reference, said under the chart.
    zero = result.record()["curve"]["check_zero"]
    assert zero == pytest.approx(result.fit.zero_ratio, rel=1e-4) and zero > 1
    assert any(t.startswith(f"An all-zero output scores {zero:.4g}") for t in data.fit["text"])
    # A rule without the started test (a version-5 config) says nothing of it.
    old_rule = histdip.restore_detailed(photo, iterations=20, stopping={"started": None})
    assert old_rule.record()["curve"]["check_zero"] is None
    assert not any(t.startswith("An all-zero output") for t in build_report(old_rule, photo).fit["text"])


def test_page_points_at_nothing_outside_itself(small_run):
    photo, result = small_run
    html = render_html(build_report(result, photo))
    assert not re.search(r"""(src|href|action)\s*=\s*["']?\s*(https?:|//|ftp:)""", html, re.I)
    assert "url(" not in html and "@import" not in html and "fetch(" not in html
    assert "XMLHttpRequest" not in html
    assert "</script" not in html.split('id="report-data">', 1)[1].split("</script>", 1)[0]


def test_counts_are_those_of_histdip_count(small_run):
    photo, result = small_run
    data = build_report(result, photo)
    counts = count_result(result, photo)
    assert counts.count > 0 and data.counts["summary"]["count"] == counts.count
    assert len(data.counts["rows"]) == counts.count
    assert f'data-count="{counts.count}"' in render_html(data)


def test_without_histdip_count_the_page_says_so(small_run, monkeypatch):
    photo, result = small_run
    monkeypatch.setitem(sys.modules, "histdip.count", None)  # import fails
    data = build_report(result, photo)
    assert data.counts is None and "outlines" not in data.images
    assert "counting not available" in render_html(data)


def test_figures_use_regions_from_the_input(small_run):
    photo, result = small_run
    rows = {name.split()[0]: (a, b) for name, a, b, _ in build_report(result, photo).numbers}
    assert set(rows) == {"noise", "CNR", "SDNR"}
    # The restored signal is cleaner and stands out more than the photo does.
    assert rows["noise"][1] < rows["noise"][0] and rows["CNR"][1] > rows["CNR"][0]


def test_reference_rows_and_wrong_size(small_run):
    photo, result = small_run
    clean = photo[..., 1].astype(float)
    data = build_report(result, photo, reference=clean, reference_name="clean.png")
    assert [r[0] for r in data.reference] == ["PSNR (affine), dB", "SSIM (affine)"]
    assert "Against the clean image" in render_html(data)
    with pytest.raises(InputError, match="clean.png: is 10x10"):
        build_report(result, photo, reference=np.zeros((10, 10)), reference_name="clean.png")


def test_threshold_only_has_no_fit_and_no_layers():
    from tests.report.scenes import bead_photo

    photo = bead_photo()
    result = histdip.restore_detailed(photo, method="threshold", threshold=60)
    data = build_report(result, photo)
    assert data.snapshots == [] and data.primary == "output"
    assert [layer["key"] for layer in data.layers] == ["output", "mask"]
    html = render_html(data)
    assert "No fit to show" in html and 'id="snap-slider"' not in html


def test_dip_alone_curves_beside(small_run):
    photo, result = small_run
    dip = {"curve": {"loss": [0.1, 0.05, 0.02], "check": [[2, 3.0]], "check_signal": "x"},
           "stop_reason": "fixed: ran all 3 iterations"}
    html = render_html(build_report(result, photo, dip=dip))
    assert "DIP alone, mean of" in html and "DIP alone (the paper" in html


def test_1200_by_900_with_20_snapshots_stays_under_15_mb():
    """The issue's bound, on a worst case: a real phone photo and snapshots full of noise."""
    from histdip.count import count_objects

    photo = np.ascontiguousarray(np.rot90(iio.imread(histdip.__path__[0] + "/data/sample_beads.png")))
    assert photo.shape[:2] == (900, 1200)
    prior = histdip.HistDip(method="threshold", threshold=60).prepare(photo).prior
    green = photo[..., 1].astype(np.float32)
    signal = np.maximum(green - 40, 0)
    rng = np.random.default_rng(0)
    snapshots = tuple((10 * k, signal + rng.normal(0, 40 / k, signal.shape).astype(np.float32))
                      for k in range(1, 21))
    record = {"primary": "signal", "iterations": 200, "stop_reason": "fixed", "threshold": 60.0,
              "curve": {"loss": list(np.geomspace(1, 1e-3, 200)), "check": [[k, 1.0 / k] for k in range(10, 201, 10)],
                        "check_signal": "residual / noise variance", "check_level": 1.0}}
    run = Run(name="big.png", image=photo, output=signal, record=record, config={"channel": "green"}, prior=prior,
              layers={"signal": signal, "recording": green, "background": np.full_like(green, 40)},
              snapshots=snapshots, counts=count_objects(signal, noise_sigma=3.0))
    data = assemble(run)
    html = render_html(data)
    size = len(html.encode("utf-8"))
    assert display_size(photo.shape)[:2] == (900, 1200) and len(data.snapshots) == 21
    assert size <= PAGE_LIMIT, size
    print(f"1200 x 900, 20 snapshots: {size / 1e6:.2f} MB")


def test_the_counts_panel_shows_how_bright_the_objects_are(small_run):
    from histdip.report.charts import brightness_chart

    photo, result = small_run
    assert "How bright the counted objects are" in render_html(build_report(result, photo))

    # Two groups: 5 objects 100 sigma high, 30 at 4-8 sigma; every object is a bar's worth.
    peaks = np.concatenate([np.full(5, 100.0), np.linspace(4.0, 8.0, 30)])
    svg = brightness_chart(peaks, 1.0, min_snr=3.0)
    assert svg.startswith("<svg") and "--min-snr 3" in svg
    # two groups with no object between 8 and 100 sigma: two runs of bars with a gap
    lefts = [float(x) for x in re.findall(r"M([0-9.]+) ", svg)]
    gaps = np.diff(sorted(lefts))
    assert len(lefts) >= 2 and gaps.max() > 5 * np.median(gaps)


def test_a_rewound_fit_is_marked_and_said(small_run):
    import dataclasses

    photo, result = small_run
    rewound = dataclasses.replace(result, fit=dataclasses.replace(result.fit, rewinds=((40, 30),)))
    assert rewound.record()["rewinds"] == [[40, 30]] and result.record()["rewinds"] == []
    data = build_report(rewound, photo)
    assert any(t.startswith("At step 40 the output had collapsed to zero") and "step 30" in t
               for t in data.fit["text"])
    assert 'class="note rewind"' in render_html(data)
    assert not any("collapsed" in t for t in build_report(result, photo).fit["text"])

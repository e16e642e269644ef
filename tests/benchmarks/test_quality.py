"""Quality benchmark: a tiny end-to-end run, the command's flags, merging, plus
detection / matching / linearity units."""

import json
import math

import numpy as np
import pytest

from benchmarks import detection as det
from benchmarks.__main__ import build_parser, main
from benchmarks.datasets import Item, load_items
from benchmarks.methods import run_method
from benchmarks.quality import Settings, merge_rows, run_quality_benchmark

pytestmark = pytest.mark.unit


# --------------------------------------------------------------------------- units

def _blob_image(centres, shape=(64, 64), sigma=2.0, amp=0.8, offset=0.0):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    img = np.full(shape, offset, float)
    for y, x in centres:
        img += amp * np.exp(-((yy - y) ** 2 + (xx - x) ** 2) / (2 * sigma**2))
    return img


def test_detect_beads_finds_known_blobs_with_offset():
    centres = [(15, 15), (15, 45), (45, 30), (40, 50)]
    truth = np.array([[y, x, 3.0] for y, x in centres])
    for offset in (0.0, 0.3):  # LoG ignores a constant background
        found = det.detect_beads(_blob_image(centres, offset=offset))
        s = det.detection_scores(found, truth)
        assert (s["tp"], s["fp"], s["fn"]) == (4, 0, 0)
        assert s["f1"] == 1.0


def test_detect_beads_flat_image_finds_nothing():
    assert len(det.detect_beads(np.full((40, 40), 0.5))) == 0


def test_match_beads_radius_and_one_to_one():
    truth = np.array([[10.0, 10.0, 2.0], [30.0, 30.0, 5.0]])
    # one close to bead 0, one 6 px from bead 1 (allowed: 5 + 2 = 7), one far away,
    # and a duplicate near bead 0 (one-to-one: counts as a false positive)
    detected = np.array([[11.0, 10.0], [30.0, 36.0], [50.0, 5.0], [9.0, 10.0]])
    pairs, tp, fp, fn = det.match_beads(detected, truth)
    assert (tp, fp, fn) == (2, 2, 0)
    assert {c for _, c in pairs} == {0, 1}
    # 4 px from a radius-1 bead: allowed max(3, 1 + 2) = 3 -> no match
    _, tp, fp, fn = det.match_beads(np.array([[0.0, 4.0]]), np.array([[0.0, 0.0, 1.0]]))
    assert (tp, fp, fn) == (0, 1, 1)


def test_detection_scores_known_values():
    truth = np.array([[10.0, 10.0, 3.0], [30.0, 30.0, 3.0], [50.0, 50.0, 3.0]])
    s = det.detection_scores(np.array([[10.0, 11.0], [70.0, 70.0]]), truth)
    assert (s["tp"], s["fp"], s["fn"]) == (1, 1, 2)
    assert s["precision"] == pytest.approx(0.5)
    assert s["recall"] == pytest.approx(1 / 3)
    assert s["f1"] == pytest.approx(2 / (2 + 1 + 2))
    empty = det.detection_scores(np.zeros((0, 3)), np.zeros((0, 3)))
    assert empty["f1"] == 1.0 and empty["fp"] == 0


def test_disc_intensities_subtracts_local_background():
    img = np.full((40, 40), 0.2)
    yy, xx = np.mgrid[:40, :40]
    disc = np.hypot(yy - 20, xx - 20) <= 4
    img[disc] += 1.0
    # grow=0: the disc of radius 4 exactly; background 0.2 removed -> 1.0 x disc area
    val = det.disc_intensities(img, np.array([[20.0, 20.0, 4.0]]), grow=0.0)[0]
    assert val == pytest.approx(disc.sum())


def test_r_squared_and_linearity():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert det.r_squared(x, 3 * x + 1) == pytest.approx(1.0)
    assert math.isnan(det.r_squared(x[:2], x[:2]))
    assert det.r_squared(x, -x) == 0.0
    rng = np.random.default_rng(0)
    centres = [(12, 12), (12, 40), (40, 12), (40, 40)]
    amps = [0.2, 0.4, 0.6, 0.9]
    clean = sum(_blob_image([c], amp=a) for c, a in zip(centres, amps))
    beads = np.array([[y, x, 3.0] for y, x in centres])
    assert det.bead_linearity(2.0 * clean + 0.1, clean, beads) == pytest.approx(1.0)
    scrambled = sum(_blob_image([c], amp=a) for c, a in zip(centres, [0.6, 0.2, 0.9, 0.4]))
    assert det.bead_linearity(scrambled + 0.01 * rng.standard_normal(clean.shape), clean, beads) < 0.5


# --------------------------------------------------------------------------- end to end

@pytest.fixture(scope="module")
def quick_rows(tmp_path_factory):
    out = tmp_path_factory.mktemp("quality")
    settings = Settings(sim_size=64, crop=64, histdip_iterations=15, threads=1)
    rows = run_quality_benchmark(["identity", "threshold", "gaussian", "median", "histdip"],
                                 ["sim-beads", "sim-empty"], out, quick=True, settings=settings, log=None)
    return rows, out


def test_quick_benchmark_runs_and_writes(quick_rows):
    rows, out = quick_rows
    assert (out / "results.md").exists() and (out / "results.json").exists()
    assert (out / "quality_psnr.png").exists()
    text = (out / "results.md").read_text()
    assert "HIST-DIP (fast preset)" in text and "affine-fair" in text
    assert all(r["status"] == "ok" for r in rows), [r["status"] for r in rows if r["status"] != "ok"]
    assert all(r["seconds"] is not None for r in rows)


def test_quick_benchmark_sane_ranges(quick_rows):
    rows, _ = quick_rows
    for r in rows:
        for k in ("psnr", "psnr_affine", "psnr_expected_affine"):
            if k in r:
                assert math.isfinite(r[k]) and 5 < r[k] < 60, (r["method"], k, r[k])
        for k in ("ssim", "ssim_affine"):
            if k in r:
                assert -1 <= r[k] <= 1
        if "f1" in r:
            assert 0.0 <= r["f1"] <= 1.0
        if "hallucinated" in r:
            assert isinstance(r["hallucinated"], int) and r["hallucinated"] >= 0


def _row(rows, dataset, method, item_contains=""):
    return next(r for r in rows if r["dataset"] == dataset and r["method"] == method and item_contains in r["item"])


def test_quick_benchmark_known_orderings(quick_rows):
    rows, _ = quick_rows
    # On the noisier scene the 11x11 Gaussian is closer to the noise-free photo than the input.
    g = _row(rows, "sim-beads", "gaussian", "x2")
    n = _row(rows, "sim-beads", "identity", "x2")
    assert g["psnr_expected_affine"] > n["psnr_expected_affine"]
    # Threshold-based outputs zero the background, so their raw PSNR against the
    # background-free clean signal beats the raw input's.
    assert _row(rows, "sim-beads", "threshold", "x1")["psnr"] > _row(rows, "sim-beads", "identity", "x1")["psnr"]
    # Smoothing removes noise peaks: fewer false beads on the empty scene than the raw input.
    assert _row(rows, "sim-empty", "gaussian")["hallucinated"] < _row(rows, "sim-empty", "identity")["hallucinated"]


def test_quality_command_parses_its_flags():
    args = build_parser().parse_args(["quality", "--quick", "--outdir", "x", "--methods", "gaussian", "histdip",
                                      "--datasets", "sim-beads", "--seeds", "12,13", "--sim-size", "48",
                                      "--paper-iterations", "7", "--set", "lr=0.01", "--set", "ema=null"])
    assert args.quick and args.methods == ["gaussian", "histdip"] and callable(args.func)
    assert args.seeds == (12, 13) and args.sim_size == 48 and args.paper_iterations == 7
    assert args.set == ["lr=0.01", "ema=null"] and args.data is None
    with pytest.raises(SystemExit):
        build_parser().parse_args(["quality", "--seeds", "12,x"])


def _glow_with_one_bead():
    yy, xx = np.mgrid[:96, :96]
    return (120 + 40 * np.exp(-((yy - 48) ** 2 + (xx - 48) ** 2) / 20.0)).astype(np.uint8)


def test_only_the_paper_preset_row_takes_an_items_hand_threshold(monkeypatch):
    # A phone item's hand T is the paper's mask on the raw grey: the paper-preset row
    # uses it; the fast preset's rows keep their own rule, as a user's run does.
    import histdip

    calls = []
    monkeypatch.setattr(histdip, "restore", lambda img, **kw: calls.append(kw) or np.zeros(img.shape))
    item = Item("phone", "glow", _glow_with_one_bead(), threshold=150.0)
    settings = Settings(paper_iterations=3, custom={"lr": 0.01})
    for method in ("threshold", "histdip", "histdip-sample", "dip", "histdip-custom", "histdip-paper"):
        run_method(method, item, settings, 0)
    thresholds = [c["threshold"] for c in calls]
    assert thresholds == [None] * 5 + [150.0]
    assert calls[-1]["preset"] == "paper" and calls[-1]["iterations"] == 3
    assert calls[4]["lr"] == 0.01 and "preset" not in calls[4]


def test_fast_preset_keeps_its_own_threshold_on_a_glowing_background():
    # The hand T of 150 on this raw grey would keep the bead only; the fast preset's own
    # rule on its background-subtracted grey keeps it as well, and never sees "150".
    import histdip

    item = Item("phone", "glow", _glow_with_one_bead(), threshold=150.0)
    out = run_method("threshold", item, Settings(), 0)
    np.testing.assert_array_equal(out, histdip.restore(item.image, method="threshold"))
    assert not np.array_equal(out, histdip.restore(item.image, method="threshold", threshold=150.0))


def test_simulated_items_are_restored_with_the_presets_own_threshold_rule():
    # A simulated item carries no hand T: its HIST-DIP row must be the fast preset as a
    # user runs it (the learned split), not another rule (the items once carried "otsu").
    import histdip

    item = load_items(["sim-filaments"], Settings(sim_size=64, sim_seeds=(12,)))[0]
    assert item.threshold is None
    out = run_method("threshold", item, Settings(), 0)
    own = histdip.restore_detailed(item.image, method="threshold")
    otsu = histdip.restore(item.image, method="threshold", threshold="otsu")
    np.testing.assert_array_equal(out, own.image)
    assert own.config.threshold == "learned" and not np.array_equal(out, otsu)


# --------------------------------------------------------------------------- merge

def _rows(method_values, items=("i1", "i2")):
    return [dict(dataset="d", item=i, method=m, label=m, status="ok", psnr=v)
            for i in items for m, v in method_values.items()]


def test_merge_rows_replaces_the_methods_run_now_and_appends_new_ones():
    base = _rows({"a": 1.0, "b": 2.0})
    new = _rows({"b": 5.0, "c": 7.0}, items=("i1",))
    merged = merge_rows(base, new)
    assert [(r["item"], r["method"], r["psnr"]) for r in merged] == [
        ("i1", "a", 1.0), ("i1", "b", 5.0), ("i1", "c", 7.0), ("i2", "a", 1.0), ("i2", "b", 2.0)]
    with pytest.raises(ValueError, match="no item"):
        merge_rows(base, _rows({"b": 0.0}, items=("other",)))


def test_quality_merge_writes_the_merged_run(tmp_path):
    base_dir, out = tmp_path / "base", tmp_path / "out"
    settings = Settings(sim_size=48, histdip_iterations=5)
    run_quality_benchmark(["identity", "gaussian"], ["sim-empty"], base_dir, settings=settings, log=None)
    base = json.loads((base_dir / "results.json").read_text())
    rows = run_quality_benchmark(["gaussian", "median"], ["sim-empty"], out, settings=settings, log=None,
                                 merge=base_dir)
    assert [r["method"] for r in rows] == ["identity", "gaussian", "median"]
    assert rows[0] == base["rows"][0]
    written = json.loads((out / "results.json").read_text())
    assert written["rows"] == rows and written["meta"]["merged_from"]["methods"] == ["gaussian", "median"]
    assert "median 3x3" in (out / "results.md").read_text()
    with pytest.raises(SystemExit, match="no item"):  # the command says it in one line, before fitting
        main(["quality", "--datasets", "sim-beads", "--methods", "identity", "--sim-size", "48",
              "--outdir", str(tmp_path / "bad"), "--merge", str(base_dir)])


# --------------------------------------------------------------------------- the command

def test_quality_quick_command_writes_its_table_into_a_document(tmp_path, capsys):
    doc = tmp_path / "results.md"
    doc.write_text("# Results\n\n<!-- results:quality -->\nold\n<!-- /results:quality -->\nafter\n")
    main(["quality", "--quick", "--outdir", str(tmp_path / "q"), "--datasets", "sim-empty",
          "--methods", "identity", "gaussian", "--update-doc", str(doc)])
    text = doc.read_text()
    assert "old" not in text and text.endswith("<!-- /results:quality -->\nafter\n")
    assert "python -m benchmarks quality --quick" in text and "(commit " in text
    assert "| Gaussian 11x11 |" in text and "beads detected (truth: 0)" in text
    assert "wrote" in capsys.readouterr().out


def test_quality_set_adds_a_custom_row_with_those_overrides(tmp_path):
    main(["quality", "--quick", "--outdir", str(tmp_path), "--datasets", "sim-empty", "--methods", "identity",
          "--set", "iterations=3", "--set", "lr=0.02"])
    result = json.loads((tmp_path / "results.json").read_text())
    assert [r["method"] for r in result["rows"]] == ["identity", "histdip-custom"]
    assert result["rows"][1]["status"] == "ok"
    assert result["meta"]["settings"]["custom"] == {"iterations": 3, "lr": 0.02}
    with pytest.raises(SystemExit, match="no_such_field"):  # refused in one line, before any item runs
        main(["quality", "--quick", "--outdir", str(tmp_path), "--set", "no_such_field=1"])


def test_paper_seeds_study_runs_as_quality_flags(tmp_path):
    # The former paper_seeds_check.py: the default against the paper preset over seeds
    # (here 2 seeds and 2 paper steps instead of 5 and 2000).
    main(["quality", "--datasets", "sim-filaments", "--seeds", "12,13", "--sim-size", "64", "--methods",
          "histdip", "histdip-paper", "--paper-iterations", "2", "--outdir", str(tmp_path)])
    rows = json.loads((tmp_path / "results.json").read_text())["rows"]
    assert [(r["item"], r["method"]) for r in rows] == [
        ("filaments seed 12", "histdip"), ("filaments seed 12", "histdip-paper"),
        ("filaments seed 13", "histdip"), ("filaments seed 13", "histdip-paper")]
    assert all(r["status"] == "ok" for r in rows), [r["status"] for r in rows]

"""Quality benchmark: a tiny end-to-end run, plus detection / matching / linearity units."""

import argparse
import math

import numpy as np
import pytest

from histdip.bench import detection as det
from histdip.bench.quality import Settings, load_items, register_quality, run_quality_benchmark


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
    assert all(r["seconds"] is not None and r["seconds"] >= 0 for r in rows)


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


def test_register_quality_parses():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd")
    register_quality(sub)
    args = parser.parse_args(["quality", "--quick", "--outdir", "x", "--methods", "gaussian", "histdip",
                              "--datasets", "sim-beads"])
    assert args.quick and args.methods == ["gaussian", "histdip"] and callable(args.func)


def test_fast_preset_keeps_its_own_threshold_when_an_item_carries_a_raw_grey_hand_t():
    # A phone item's hand T (the paper's) lives on the raw grey; on the fast preset's
    # background-subtracted grey the same number can leave no pixel at all.
    from types import SimpleNamespace

    from histdip.bench.methods import _histdip_call

    yy, xx = np.mgrid[:96, :96]
    img = (120 + 40 * np.exp(-((yy - 48) ** 2 + (xx - 48) ** 2) / 20.0)).astype(np.uint8)  # glow + one bead
    item = SimpleNamespace(threshold=150.0)
    out = _histdip_call(img, item, Settings(), 0, method="threshold")
    assert out.max() > 0
    import histdip
    from histdip.errors import NoSignalError

    with pytest.raises(NoSignalError):  # what the bench used to do: the hand T on the subtracted grey
        histdip.restore(img, method="threshold", threshold=150.0)


def test_simulated_items_are_restored_with_the_presets_own_threshold_rule():
    # A simulated item carries no hand T: its HIST-DIP row must be the fast preset as a
    # user runs it (Yen's T), not another rule (the items once carried "otsu").
    import histdip
    from histdip.bench.methods import _histdip_call

    item = load_items(["sim-filaments"], Settings(sim_size=64, sim_seeds=(12,)))[0]
    assert item.threshold is None
    out = _histdip_call(item.image, item, Settings(), 0, method="threshold")
    yen = histdip.restore_detailed(item.image, method="threshold")
    otsu = histdip.restore(item.image, method="threshold", threshold="otsu")
    np.testing.assert_array_equal(out, yen.image)
    assert yen.config.threshold == "yen" and not np.array_equal(out, otsu)

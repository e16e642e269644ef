"""``python -m benchmarks counting``: its scores on hand-made cases, the degraded biopixr
photo, and the ``--quick`` run end to end."""

import json

import numpy as np
import pytest

from benchmarks.__main__ import main
from benchmarks.counting import degrade, detection_counts, r_squared, score_counts, truth_integrals
from histdip.count import count_objects
from histdip.simulate import simulate_scene


def test_detection_counts_leave_cut_and_ignored_beads_out():
    beads = np.zeros(3, dtype=[("y", float), ("x", float), ("radius", float)])
    beads[:] = [(20, 20, 3), (1, 30, 4), (40, 40, 3)]  # the second is cut by the top edge
    found = np.array([[20.5, 20], [1, 30], [10, 50]])  # a hit, one inside the cut bead, one false
    tp, fp, fn, pairs = detection_counts(found, beads, (64, 64))
    assert (tp, fp, fn) == (1, 1, 1)
    tp, fp, fn, _ = detection_counts(found, beads, (64, 64), ignore=[False, False, True])
    assert (tp, fp, fn) == (1, 1, 0)
    assert (0, 0) in pairs


def test_r_squared_is_that_of_a_line():
    x = np.arange(10.0)
    assert r_squared(x, 3 * x + 2) == pytest.approx(1.0)
    assert r_squared(x[:2], x[:2]) is None
    assert 0 <= r_squared(x, np.random.default_rng(0).normal(size=10)) < 0.6


def test_scores_of_a_count_on_the_clean_image_are_near_perfect():
    scene = simulate_scene(shape=(96, 128), seed=3, bead_size="medium", n_beads=6)
    snrs = np.full(len(scene.beads), 20.0)
    counts = count_objects(scene.clean * 255.0, noise_sigma=1.0)
    s = score_counts(counts, scene, snrs, truth_integrals(scene))
    assert s["f1"] == pytest.approx(1.0) and s["count_error"] == pytest.approx(0.0)
    assert s["r2"] is None or s["r2"] > 0.95


def test_degrade_makes_a_dim_noisy_jpeg_colour_photo():
    clean = np.zeros((80, 96))
    clean[30:36, 40:46] = 200
    photo, signal = degrade(clean)
    assert photo.dtype == np.uint8 and photo.shape == (80, 96, 3)
    assert signal.max() == pytest.approx(0.1, rel=0.05)
    green = photo[..., 1].astype(float)
    assert green[30:36, 40:46].mean() > green[:10, :10].mean() + 15  # the bead stands out
    assert green[:20, :20].std() > 1  # noise


def test_quick_run_writes_its_results(tmp_path, capsys):
    main(["counting", "--quick", "--parts", "scenes", "--threads", "1", "--out", str(tmp_path)])
    result = json.loads((tmp_path / "results.json").read_text())
    assert {r["method"] for r in result["scenes"]} == {"raw", "classical", "histdip", "clean"}
    assert len(result["scenes"]) == 8 and result["meta"]["quick"] is True
    assert "| SNR bin | counted on |" in (tmp_path / "results.md").read_text()
    assert "Per scene" in capsys.readouterr().out


@pytest.mark.data
def test_quick_run_on_the_real_images(shared_data, tmp_path):
    main(["counting", "--quick", "--parts", "biopixr", "phone", "--data", str(shared_data), "--out", str(tmp_path)])
    result = json.loads((tmp_path / "results.json").read_text())
    assert [r["image"] for r in result["biopixr"]] == ["beads.png"]
    assert result["biopixr"][0]["clean"] >= 8  # ~10 beads in the crop
    assert [r["photo"] for r in result["phone"]] == ["d", "e"]

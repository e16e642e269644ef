"""The sweep benchmark: the bridge and rim metrics on hand-made images whose answer is
known, the scene grid's SNR control, and the --quick sweep end to end."""

import json
import math

import numpy as np
import pytest
from scipy import ndimage as ndi

from benchmarks.__main__ import main
from benchmarks.sweep import plan, run_sweep
from benchmarks.sweep_grid import GRID, QUICK_SHAPE, make_scene, scene_seed, snr_bin
from benchmarks.sweep_metrics import (BRIDGED, RIMMED, SceneTruth, bead_f1, bridge_heights, nearest_bead,
                                      rim_depths, score_layer)
from histdip.simulate import OBJECT_DTYPE, bead_peaks

pytestmark = pytest.mark.unit


def _scene_arrays(beads, shape=(80, 120), psf=1.2):
    """Bead table and clean image (blurred flat discs of brightness 1)."""
    table = np.array([(y, x, r, 1.0, 0.0) for y, x, r in beads], dtype=OBJECT_DTYPE)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    emission = np.zeros(shape)
    for y, x, r in beads:
        emission = np.maximum(emission, (np.hypot(yy - y, xx - x) <= r).astype(float))
    return table, ndi.gaussian_filter(emission, psf)


def _bridges(estimate, clean, table):
    nearest, dist = nearest_bead(clean.shape, table)
    return bridge_heights(estimate, clean, table, bead_peaks(clean, table), nearest, dist)


# --------------------------------------------------------------------------- bridge

def test_bridge_absent_when_the_output_is_the_clean_image():
    table, clean = _scene_arrays([(40, 40, 6), (40, 56, 6)])  # gap 4 px
    heights = _bridges(clean, clean, table)
    assert heights.size == 1 and abs(heights[0]) < 0.02


def test_bridge_measures_light_left_between_the_beads():
    table, clean = _scene_arrays([(40, 40, 6), (40, 56, 6)])
    out = clean.copy()
    out[38:43, 46:51] += 0.5  # a bar of half the peak across the gap
    heights = _bridges(out, clean, table)
    assert heights.size == 1 and heights[0] == pytest.approx(0.5, abs=0.08) and heights[0] > BRIDGED
    # the same light offset everywhere is background, not a bridge
    assert abs(_bridges(clean + 0.3, clean, table)[0]) < 0.02


def test_bridge_only_for_close_pairs():
    table, clean = _scene_arrays([(40, 30, 6), (40, 70, 6)])  # gap 28 px
    assert _bridges(clean, clean, table).size == 0


# --------------------------------------------------------------------------- rim

def _rims(estimate, clean, table):
    nearest, _ = nearest_bead(clean.shape, table)
    return rim_depths(estimate, clean, table, bead_peaks(clean, table), np.ones(len(table), bool), nearest)


def test_rim_absent_when_the_output_is_the_clean_image_or_offset():
    table, clean = _scene_arrays([(50, 60, 15)], shape=(100, 120))
    assert abs(_rims(clean, clean, table)[0]) < 0.01
    assert abs(_rims(clean + 0.2, clean, table)[0]) < 0.01


def test_rim_measures_a_dark_ring():
    table, clean = _scene_arrays([(50, 60, 15)], shape=(100, 120))
    yy, xx = np.mgrid[:100, :120]
    d = np.hypot(yy - 50, xx - 60) - 15
    out = clean - 0.3 * ((d >= 1) & (d <= 4))  # the ring 0.3 of the peak below its surroundings
    depth = _rims(out, clean, table)[0]
    assert depth == pytest.approx(0.3, abs=0.03) and depth > RIMMED
    # a bright halo (light spread outwards) is the opposite sign
    assert _rims(clean + 0.3 * ((d >= 1) & (d <= 4)), clean, table)[0] < -0.2


# --------------------------------------------------------------------------- detection and grid

def test_f1_ignores_beads_cut_by_the_edge():
    table = np.array([(20.0, 20.0, 5.0, 1.0, 0.0), (2.0, 50.0, 8.0, 1.0, 0.0)], dtype=OBJECT_DTYPE)
    found = np.array([[20.0, 21.0, 5.0], [5.0, 52.0, 4.0]])  # the second lies inside the cut bead
    s = bead_f1(found, table, (64, 100))
    assert (s["tp"], s["fp"], s["fn"]) == (1, 0, 0)


def test_scene_truth_scores_clean_perfectly():
    k = [s.name for s in GRID].index("c21")
    scene, record, snrs = make_scene(GRID[k], scene_seed(0, k), QUICK_SHAPE)
    truth = SceneTruth(scene, record, snrs)
    r = score_layer(scene.clean, truth, kind="signal")
    assert math.isinf(r["psnr_clean"]) and r["f1"] > 0.95
    assert r["bridge_mean"] is None or abs(r["bridge_mean"]) < 0.01
    noisy = score_layer(scene.noisy, truth, kind="recording")
    assert noisy["psnr_clean"] < 30 and noisy["ssim_clean"] < 0.9


@pytest.mark.parametrize("name", ["c01", "c30", "g0", "k0"])
def test_scenes_land_in_their_snr_bin(name):
    k = [s.name for s in GRID].index(name)
    spec = GRID[k]
    _, record, _ = make_scene(spec, scene_seed(1, k), (128, 160))
    assert record["snr"] == pytest.approx(spec.snr, rel=0.25)
    assert record["bin"] == snr_bin(spec.snr)


def test_tuning_and_held_out_scenes_differ():
    tune, _ = plan(seed_set="tuning")
    held, _ = plan(seed_set="held-out")
    sims = lambda pairs: {scene_seed(s, GRID.index(spec)) for spec, s in pairs}  # noqa: E731
    assert not sims(tune) & sims(held)
    assert len(held) == 5 * len(GRID)


# --------------------------------------------------------------------------- end to end

def test_quick_sweep_end_to_end(tmp_path):
    result = run_sweep(quick=True, iterations=5, out=tmp_path, log=None)
    for name in ("results.json", "results.md", "sweep_psnr_vs_snr.png"):
        assert (tmp_path / name).stat().st_size > 0
    data = json.loads((tmp_path / "results.json").read_text())
    assert len(data["scenes"]) == 4 and data["meta"]["classical"]["best"]
    ok = [r for r in data["rows"] if r["status"] == "ok"]
    methods = {r["method"] for r in ok}
    assert {"input", "histdip", "histdip-beads"} <= methods
    assert sum(m.startswith("classical:") for m in methods) == 8
    for r in ok:
        for key in ("psnr_clean", "ssim_clean", "psnr_recording", "ssim_recording"):
            assert isinstance(r[key], float) and math.isfinite(r[key]), (r["method"], key)
        if r["group"].endswith("beads") and r["layer"] != "background":
            assert 0.0 <= r["f1"] <= 1.0
    # every histdip result names its primary layer once per scene
    for m in ("histdip", "histdip-beads"):
        assert sum(r["primary"] for r in ok if r["method"] == m) == 4
    text = (tmp_path / "results.md").read_text()
    assert "classical-best" in text and "[1.5, 3)" in text
    assert result["markdown"].strip() in text


def test_command_limit_and_update_doc(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("x\n<!-- results:sweep -->\n<!-- /results:sweep -->\n")
    out = tmp_path / "out"
    assert main(["sweep", "--quick", "--limit", "1", "--methods", "input", "classical", "--out", str(out),
                 "--update-doc", str(doc)]) == 0
    data = json.loads((out / "results.json").read_text())
    assert len(data["scenes"]) == 1
    text = doc.read_text()
    assert "python -m benchmarks sweep --quick --limit 1 --methods input classical" in text
    assert "classical-best" in text


def test_resume_runs_only_the_missing_scenes(tmp_path):
    first = run_sweep(quick=True, methods=["input", "classical"], limit=2, out=tmp_path, log=None)
    assert [s["name"] for s in first["scenes"]] == ["c01", "c21"]
    lines = []
    done = run_sweep(quick=True, methods=["input", "classical"], out=tmp_path, resume=True, log=lines.append)
    assert "2 scenes kept, 2 to run" in lines[0]
    assert [s["name"] for s in done["scenes"]] == ["c01", "c21", "g0", "f1"]
    assert done["rows"][: len(first["rows"])] == first["rows"]
    with pytest.raises(ValueError, match="other settings"):
        run_sweep(quick=True, methods=["input"], out=tmp_path, resume=True, log=None)

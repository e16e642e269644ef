"""histdip.pipeline: the stages in one straight line, end to end on small synthetic images."""

import json

import numpy as np
import pytest

import histdip
from histdip import HistDip
from histdip.config import preset
from histdip.errors import ConfigError, InputError, NoSignalError
from histdip.prior import MIN_SNR, MIN_SNR_PHOTO

FEW = dict(iterations=6, stopping={"rule": "fixed"})


def beads(h=64, w=48, seed=0, dtype=np.uint8):
    """Green discs on a dim, noisy green field; red and blue flat."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w]
    clean = np.zeros((h, w))
    for cy, cx, r in [(15, 12, 5), (40, 30, 7), (50, 10, 3)]:
        clean[np.hypot(yy - cy, xx - cx) < r] = 180
    noisy = np.clip(clean + 30 + rng.normal(0, 12, clean.shape), 0, 255)
    rgb = np.zeros((h, w, 3))
    rgb[..., 1] = noisy
    rgb[..., 0] = rgb[..., 2] = 5
    return rgb.astype(dtype), clean


def _bead_photo(peak, seed=0, shape=(96, 96)):
    """Bright discs on a dark, noisy field (sigma 0.02 of full scale)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    clean = np.zeros(shape)
    for cy, cx in rng.uniform(12, shape[0] - 12, (6, 2)):
        clean[(yy - cy) ** 2 + (xx - cx) ** 2 < 16] = peak
    return np.clip(clean + 0.05 + 0.02 * rng.standard_normal(shape), 0, 1).astype(np.float32), clean


def test_threshold_method_is_the_masked_channel_in_input_units():
    rgb, _ = beads()
    r = histdip.restore_detailed(rgb, method="threshold", threshold=70)
    green = rgb[..., 1].astype(np.float32)
    grey = 0.299 * 5 + 0.587 * green + 0.114 * 5  # T is on the paper's grey, the fitted plane is green
    np.testing.assert_array_equal(r.image, np.where(grey > 70, green, 0))
    assert r.image.dtype == np.float32 and r.iterations == 0 and r.fit is None


@pytest.mark.parametrize("method", ["hist-dip", "dip"])
@pytest.mark.parametrize("shape", [(37, 53), (64, 48)])
def test_output_has_the_input_size(method, shape):
    rgb, _ = beads(*shape)
    out = histdip.restore(rgb, method=method, threshold=70, **FEW)
    assert out.shape == shape and out.dtype == np.float32
    assert 0 <= out.min() and out.max() <= 255


def test_same_seed_same_output_other_seed_differs():
    rgb, _ = beads()
    a = histdip.restore(rgb, threshold=70, seed=1, **FEW)
    b = histdip.restore(rgb, threshold=70, seed=1, **FEW)
    c = histdip.restore(rgb, threshold=70, seed=2, **FEW)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_paper_preset_fits_rgb_and_lowers_the_loss():
    rgb, _ = beads(64, 64)
    r = histdip.restore_detailed(rgb, preset="paper", threshold=60, iterations=12)
    assert r.image.shape == (64, 64, 3)
    assert r.fit.loss[-1] < r.fit.loss[0] and r.stop_reason.startswith("fixed")


def test_hist_dip_learns_the_masked_target():
    rgb, clean = beads(64, 64)
    r = histdip.restore_detailed(rgb, threshold=70, iterations=150, stopping={"rule": "fixed"})
    assert r.image[clean == 0].mean() < 25  # background pushed towards zero
    assert r.image[clean > 0].mean() > 100  # beads stay bright
    assert r.fit.loss[-1] < 0.2 * r.fit.loss[0]


def test_the_default_restores_a_bead_photo_by_itself():
    # beads on a flat, dark field: no background to remove, so the recording is the output,
    # and the signal layer beside it holds the beads alone
    noisy, clean = _bead_photo(0.8)
    r = histdip.restore_detailed(noisy)
    assert r.primary_layer == "recording" and r.primary.pedestal < 1
    inside = clean > 0
    assert r.image[inside].mean() > 0.5 and abs(r.image[~inside].mean() - 0.05) < 0.01
    assert r.layers["signal"][inside].mean() > 0.5 and r.layers["signal"][~inside].mean() < 0.01


def test_the_yen_prior_restores_a_bead_photo_by_itself():
    noisy, clean = _bead_photo(0.8)
    r = histdip.restore_detailed(noisy, sample="auto")
    assert r.choice.sample == "beads" and r.stop_reason.startswith("noise level")
    assert 50 <= r.iterations < 600
    inside = clean > 0
    assert r.image[inside].mean() > 0.5 and r.image[~inside].mean() < 0.02


def test_snapshots_and_the_record():
    rgb, _ = beads()
    r = histdip.restore_detailed(rgb, threshold=70, iterations=20, snapshots=5, stopping={"rule": "fixed"})
    assert [k for k, _ in r.snapshots] == [5, 10, 15, 20]
    assert all(s.shape == (64, 48) and s.dtype == np.float32 for _, s in r.snapshots)
    rec = json.loads(json.dumps(r.record(), allow_nan=False))
    assert rec["iterations"] == 20 and rec["threshold"] == 70 and rec["threshold_on"] == "BT.601 grey on 0-255"
    # a fixed stop and the MSE need no noise, but the thresholded fit's leash is measured in it
    assert rec["histdip"] == histdip.__version__ and rec["noise"]["model"] == "poisson-gaussian"
    r = histdip.restore_detailed(rgb, threshold=70, iterations=2, stopping={"rule": "fixed"}, network={"leash": None})
    assert r.record()["noise"] is None


def test_a_dark_image_says_nothing_lies_above_t():
    with pytest.raises(NoSignalError, match="T = 50"):
        histdip.restore(np.full((32, 32), 10, np.uint8), threshold=50, **FEW)


@pytest.mark.parametrize(
    "image",
    [np.zeros((1, 1)), np.zeros((0, 5)), np.array([[np.nan] * 9] * 9), np.zeros((9, 9, 7)), np.zeros((2, 9, 9, 3))],
)
def test_bad_arrays_raise_input_error(image):
    with pytest.raises(InputError):
        histdip.restore(image, method="threshold", threshold=0)


def test_an_image_is_validated_once(monkeypatch):
    import histdip.validate

    calls = []
    real = histdip.validate.check_array
    monkeypatch.setattr(histdip.validate, "check_array", lambda *a, **k: calls.append(1) or real(*a, **k))
    histdip.restore(beads()[0], iterations=3)
    assert calls == [1]


def test_16_bit_and_float_inputs_keep_their_scale():
    rgb, _ = beads()
    g16 = rgb[..., 1].astype(np.uint16) * 257
    assert histdip.restore(g16, method="threshold", threshold=70).max() == g16.max()
    gf = rgb[..., 1].astype(np.float32) * 3.0
    assert histdip.restore(gf, method="threshold", threshold=70).max() == pytest.approx(gf.max())


def test_unknown_device_or_missing_cuda_is_a_config_error():
    import torch

    rgb, _ = beads()
    with pytest.raises(ConfigError):
        histdip.restore(rgb, device="tpu", **FEW)
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="CUDA"):
            histdip.restore(rgb, threshold=70, device="cuda", **FEW)


def test_a_saved_config_reproduces_the_result(tmp_path):
    rgb, _ = beads()
    r1 = histdip.restore_detailed(rgb, threshold="otsu", seed=3, **FEW)
    r2 = histdip.restore_detailed(rgb, config=r1.config.save(tmp_path / "c.json"))
    np.testing.assert_array_equal(r1.image, r2.image)


def test_the_dip_ablation_ignores_the_background_setting():
    img, _ = _bead_photo(0.5, shape=(64, 64))
    few = dict(iterations=3, stopping={"rule": "fixed"}, patch_size=None)
    a = histdip.restore_detailed(img, method="dip", **few)
    b = histdip.restore_detailed(img, method="dip", background="rolling-ball", **few)
    np.testing.assert_array_equal(a.image, b.image)
    assert b.prior.background == "none"


# ------------------------------------------------------------------ sample='auto'

def test_auto_keeps_the_threshold_for_objects_clear_of_the_noise_and_drops_it_near_it():
    auto = histdip.config.resolve_config(sample="auto")  # the Yen prior's own choice
    bright, _ = _bead_photo(0.8)  # ~40 sigma above the floor
    prep = HistDip(auto).prepare(bright)
    assert prep.config.sample == "beads" and prep.config.background == "rolling-ball"
    assert "threshold prior kept" in prep.choice.reason
    dim, _ = _bead_photo(0.12)  # ~6 sigma
    prep = HistDip(auto).prepare(dim)
    assert (prep.config.sample, prep.config.threshold, prep.config.background) == ("cells", 0.0, "none")
    assert f"< {MIN_SNR:g}" in prep.choice.reason
    assert prep.prior.grey.max() > 0.05 * 255  # the cells' grey: nothing subtracted
    # a config that names its sample, or none, is left alone
    for c in (histdip.config.resolve_config(sample="beads"), histdip.config.resolve_config(threshold=10)):
        again = HistDip(c).prepare(dim)
        assert again.config == c and again.choice is None


def test_auto_choice_is_recorded_and_the_saved_config_reproduces_it(tmp_path):
    dim, _ = _bead_photo(0.12)
    run = histdip.restore_detailed(dim, iterations=20, sample="auto")
    rec = run.record()
    assert rec["sample"] == "cells" and rec["sample_reason"].startswith("auto:") and rec["sample_statistic"] < 15
    again = histdip.restore_detailed(dim, run.config.save(tmp_path / "c.json"))
    assert again.config == run.config and again.choice is None  # nothing left to choose
    np.testing.assert_array_equal(again.image, run.image)


def test_the_cells_settings_keep_the_dim_cytoplasm_the_threshold_drops():
    from histdip.simulate import simulate_scene

    sc = simulate_scene("cells", shape=(64, 64), seed=3, n_beads=2)
    one_t = histdip.restore_detailed(sc.noisy, method="threshold")
    cells = histdip.restore_detailed(sc.noisy, method="threshold", sample="cells")
    dim = (sc.clean > 0.05 * sc.clean.max()) & ~one_t.mask
    assert dim.mean() > 0.05  # signal the one-T prior drops ...
    assert cells.mask[dim].all()  # ... is kept with the cells settings


def test_auto_keeps_the_prior_on_a_dim_colour_photo_and_not_on_the_same_grey_frame():
    green, _ = _bead_photo(0.35)  # ~10 sigma: between the two cuts
    rng = np.random.default_rng(1)
    # a phone's red and blue planes: a share of the background, each with noise of its own
    red = np.clip(0.3 * green + 0.01 * rng.standard_normal(green.shape), 0, 1)
    blue = np.clip(0.02 + 0.01 * rng.standard_normal(green.shape), 0, 1)
    photo = np.stack([red, green, blue], -1).astype(np.float32)
    auto = histdip.config.resolve_config(sample="auto")
    choice = HistDip(auto).prepare(photo).choice
    assert choice.sample == "beads" and choice.colour_photo and MIN_SNR_PHOTO < choice.statistic < MIN_SNR
    for grey in (green, np.stack([green] * 3, -1)):  # a grey frame, or one saved as R = G = B
        choice = HistDip(auto).prepare(grey).choice
        assert choice.sample == "cells" and f"< {MIN_SNR:g})" in choice.reason and "colour" not in choice.reason
    dim = np.stack([red, _bead_photo(0.12)[0], blue], -1).astype(np.float32)
    assert f"< {MIN_SNR_PHOTO:g} for a colour photo" in HistDip(auto).prepare(dim).choice.reason


def test_choosing_cells_builds_no_background_for_the_fitted_plane(monkeypatch):
    """A colour photo's fitted plane gets its rolling ball only when the prior is kept."""
    import histdip.prior.stage as stage

    calls = []
    real = stage.subtract_background
    monkeypatch.setattr(stage, "subtract_background", lambda img, *a, **k: calls.append(np.ndim(img)) or real(img, *a, **k))
    green, _ = _bead_photo(0.12)
    rng = np.random.default_rng(1)
    photo = np.stack([np.clip(0.3 * green + 0.01 * rng.standard_normal(green.shape), 0, 1), green,
                      np.clip(0.02 + 0.01 * rng.standard_normal(green.shape), 0, 1)], -1).astype(np.float32)
    run = histdip.restore_detailed(photo, iterations=3, sample="auto")
    assert run.choice.sample == "cells" and calls == [2]  # the luma's, for the choice; nothing more
    calls.clear()
    bright, _ = _bead_photo(0.8)
    run = histdip.restore_detailed(np.stack([0.3 * bright, bright, 0.1 * bright], -1), iterations=3, sample="auto")
    assert run.choice.sample == "beads" and calls == [2, 2]  # the luma's and the green plane's


def test_a_fit_without_threshold_waits_the_long_patience_even_with_black_pixels():
    """Whether the target is thresholded comes from the prior (T = 0 on the raw grey keeps
    all recorded light), not from the mask: clipped-black pixels fall outside a T = 0 mask."""
    dim, _ = _bead_photo(0.12)
    dim[:8, :8] = 0.0  # a clipped-black corner
    result, problem = HistDip(sample="cells").fit(dim)
    assert not result.prior.mask.all() and result.record()["thresholded"] is False
    stopping = preset("fast").stopping
    assert problem.stopper.patience == stopping.near_patience and problem.stopper.near_level is None
    result, problem = HistDip(sample="beads").fit(_bead_photo(0.8)[0])
    assert result.record()["thresholded"] is True and problem.stopper.patience == stopping.patience


# ------------------------------------------------------------------ fitting settings end to end

def test_the_fit_stops_at_the_noise_level_and_records_its_trace():
    from scipy import ndimage

    rng = np.random.default_rng(2)
    field = ndimage.gaussian_filter(np.random.default_rng(3).random((96, 96)), 12)
    clean = 0.1 + 0.7 * (field - field.min()) / np.ptp(field)
    noisy = np.clip(clean + rng.normal(0, 0.08, clean.shape), 0, 1).astype(np.float32)
    stopping = {"rule": "noise-level", "check_every": 10, "min_iterations": 20}
    r = histdip.restore_detailed(noisy, method="dip", iterations=400, patch_size=None, stopping=stopping)
    assert r.stop_reason.startswith("noise level") and 20 <= r.iterations < 400
    again = histdip.restore_detailed(noisy, method="dip", iterations=400, patch_size=None, stopping=stopping)
    assert again.iterations == r.iterations and np.array_equal(again.image, r.image)
    assert np.mean((r.image - noisy) ** 2) < 2.0 * 0.08**2  # explains the image down to about its noise
    steps = [k for k, _ in r.fit.trace]
    assert steps == list(range(10, r.iterations + 1, 10)) and r.fit.trace[-1][1] <= 1.0
    assert r.record()["noise"]["model"] == "poisson-gaussian"


def test_the_plateau_rule_stops_early_and_says_so():
    flat = np.full((64, 64), 120, np.uint8)
    r = histdip.restore_detailed(flat, method="dip", iterations=2000, stopping={
        "rule": "plateau", "check_every": 10, "tolerance": 5e-2, "patience": 2, "min_iterations": 20})
    assert r.iterations < 2000 and r.record()["stop_reason"].startswith("plateau")


def test_the_output_is_not_dead_and_an_ensemble_is_deterministic():
    noisy, _ = _bead_photo(0.7, seed=4)
    out = histdip.restore(noisy, iterations=80, stopping={"rule": "fixed"}, method="dip")
    assert out.std() > 0.02  # grey levels, not a constant (the failure of a saturated output)
    few = dict(iterations=5, stopping={"rule": "fixed"}, method="dip")
    a = histdip.restore(noisy[:50, :70], ensemble=4, **few)
    np.testing.assert_array_equal(a, histdip.restore(noisy[:50, :70], ensemble=4, **few))
    assert a.shape == (50, 70)


def test_the_mask_options_reach_the_mask():
    grey = np.zeros((32, 32), np.uint8)
    grey[8:16, 8:16] = 200
    grey[25, 25] = 200
    r = histdip.restore_detailed(grey, method="threshold", threshold=100, mask_min_size=4, mask_grow=1)
    assert not r.mask[25, 25] and r.mask[7:17, 7:17].all() and r.mask.sum() == 100


def test_the_poisson_gaussian_loss_fits_with_the_images_own_noise():
    noisy, _ = _bead_photo(0.8)
    r = histdip.restore_detailed(noisy, noise_model="poisson-gaussian", iterations=30)
    assert r.fit.loss[-1] < r.fit.loss[0] and r.record()["noise"]["model"] == "poisson-gaussian"


def test_a_thresholded_fit_is_leashed_whatever_its_stopping_rule_and_a_whole_one_is_not():
    noisy, _ = _bead_photo(0.8)
    for stopping in ({"rule": "fixed"}, {"rule": "plateau"}, {"rule": "noise-level"}):
        _, problem = HistDip(sample="beads", iterations=2, stopping=stopping).fit(noisy)
        assert problem.leash is not None and problem.leash.slack == 3.0, stopping
    _, problem = HistDip(sample="beads", iterations=2, network={"leash": None}).fit(noisy)
    assert problem.leash is None
    _, problem = HistDip(sample="cells", iterations=2, stopping={"rule": "fixed"}).fit(noisy)
    assert problem.leash is None  # fitted whole: its target pulls every pixel itself

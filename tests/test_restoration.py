"""The restore pipeline end to end on small synthetic images."""

import numpy as np
import pytest

import histdip
from histdip.config import RestoreConfig
from histdip.errors import ConfigError, InputError, NoSignalError

FEW = dict(iterations=6, stopping={"rule": "fixed"})
#: The paper's prior: T on the raw grey, the bare mask (the fast preset subtracts a background).
PAPER_PRIOR = dict(background="none", mask_grow=0, threshold_smooth=0.0)


def beads(h=64, w=48, seed=0, dtype=np.uint8):
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


def test_threshold_method_is_the_masked_channel_in_input_units():
    rgb, _ = beads()
    r = histdip.restore_detailed(rgb, method="threshold", threshold=70, **PAPER_PRIOR)
    green = rgb[..., 1].astype(np.float32)
    # T is on BT.601 luma (the paper's grey), the fitted plane is green.
    gray = 0.299 * 5 + 0.587 * green + 0.114 * 5
    np.testing.assert_array_equal(r.image, np.where(gray > 70, green, 0))
    assert r.image.dtype == np.float32 and r.iterations == 0


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
    assert r.config.network.channels_down == [128] * 5 and r.config.input_channels == 32
    assert r.loss[-1] < r.loss[0]
    assert r.stop_reason.startswith("fixed")


def test_hist_dip_learns_the_masked_target():
    rgb, clean = beads(64, 64)
    r = histdip.restore_detailed(rgb, threshold=70, iterations=150, stopping={"rule": "fixed"})
    inside, outside = clean > 0, clean == 0
    # Background is pushed towards zero, beads stay bright.
    assert r.image[outside].mean() < 25
    assert r.image[inside].mean() > 100
    assert r.loss[-1] < 0.2 * r.loss[0]


def test_an_image_no_larger_than_a_crop_is_fitted_whole(monkeypatch):
    import histdip.restoration as restoration

    made = []
    real = restoration.RandomCrops
    monkeypatch.setattr(restoration, "RandomCrops", lambda *a, **k: made.append(1) or real(*a, **k))
    rgb, _ = beads(64, 64)
    histdip.restore(rgb, threshold=70, **FEW)  # 64 px under the fast preset's 128 px crops
    assert made == []
    big = np.tile(rgb, (3, 1, 1))  # 192 px tall: crops again
    histdip.restore(big, threshold=70, **FEW)
    assert made == [1]


def test_snapshots_and_plateau_record():
    rgb, _ = beads()
    r = histdip.restore_detailed(rgb, threshold=70, iterations=20, snapshots=5, stopping={"rule": "fixed"})
    assert [k for k, _ in r.snapshots] == [5, 10, 15, 20]
    assert all(s.shape == (64, 48) for _, s in r.snapshots)
    rec = r.record()
    assert rec["iterations"] == 20 and rec["threshold"] == 70


def test_all_dark_image_raises_no_signal():
    dark = np.full((32, 32), 10, np.uint8)
    with pytest.raises(NoSignalError):
        histdip.restore(dark, threshold=50, **FEW)


@pytest.mark.parametrize(
    "image",
    [np.zeros((1, 1)), np.zeros((0, 5)), np.array([[np.nan] * 9] * 9), np.zeros((9, 9, 7)), np.zeros((2, 9, 9, 3))],
)
def test_bad_arrays_raise_input_error(image):
    with pytest.raises(InputError):
        histdip.restore(image, method="threshold", threshold=0)


def test_16_bit_and_float_inputs_keep_their_scale():
    rgb, _ = beads()
    g16 = rgb[..., 1].astype(np.uint16) * 257
    out16 = histdip.restore(g16, method="threshold", threshold=70, **PAPER_PRIOR)
    assert out16.max() == g16.max()
    gf = rgb[..., 1].astype(np.float32) * 3.0
    outf = histdip.restore(gf, method="threshold", threshold=70, **PAPER_PRIOR)
    assert outf.max() == pytest.approx(gf.max())


def test_fit_then_apply_round_trip(tmp_path):
    rgb, _ = beads()
    model = histdip.fit_model(rgb, threshold=70, **FEW)
    path = model.save(tmp_path / "m.pt")
    other, _ = beads(seed=7)
    a = histdip.apply_model(model, other)
    b = histdip.apply_model(histdip.FittedModel.load(path), other)
    assert a.shape == (64, 48)
    np.testing.assert_allclose(a, b, atol=1e-5)
    assert model.fit_record["iterations"] == 6


def test_unknown_device_or_missing_cuda_is_a_config_error():
    rgb, _ = beads()
    with pytest.raises(ConfigError):
        histdip.restore(rgb, device="tpu", **FEW)
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="CUDA"):
            histdip.restore(rgb, threshold=70, device="cuda", **FEW)


def test_config_round_trip_json_and_yaml(tmp_path):
    cfg = RestoreConfig.from_preset("fast", threshold=99, seed=4, network={"norm": "batch"})
    for name in ("c.json", "c.yaml"):
        cfg.save(tmp_path / name, extra={"run": {"iterations": 3}})
        assert RestoreConfig.load(tmp_path / name) == cfg
    with pytest.raises(ConfigError, match="lr"):
        RestoreConfig.validated(lr=-1)
    with pytest.raises(ConfigError, match="unknown preset"):
        RestoreConfig.from_preset("nope")


def test_saved_config_reproduces_the_result(tmp_path):
    rgb, _ = beads()
    r1 = histdip.restore_detailed(rgb, threshold="otsu", seed=3, **FEW)
    r1.config.save(tmp_path / "c.json")
    r2 = histdip.restore_detailed(rgb, config=tmp_path / "c.json")
    np.testing.assert_array_equal(r1.image, r2.image)


def test_parse_assignments_reads_json_values_and_refuses_a_missing_equals_sign():
    from histdip.config import parse_assignments
    from histdip.errors import ConfigError

    assert parse_assignments(["lr=0.006", "background=none", 'physics={"factor": 1}', "tile=null"]) == {
        "lr": 0.006, "background": "none", "physics": {"factor": 1}, "tile": None}
    with pytest.raises(ConfigError, match="FIELD=VALUE"):
        parse_assignments(["lr"])


def test_sample_settings_go_under_the_callers_own_and_tune_only_the_fast_preset(tmp_path):
    from histdip.settings import resolve_config

    fast = resolve_config()
    assert fast.sample == "auto"  # the image chooses, at restore time
    fil = resolve_config(sample="filaments")
    assert (fil.sample, fil.threshold_low, fil.stopping.level) == ("filaments", "li", 0.6)
    # the rest of the stopping section is the fast preset's, not the section's defaults
    assert fil.stopping.rule == fast.stopping.rule and fil.stopping.near_level == fast.stopping.near_level
    assert fil.replace(threshold_low=None, stopping={"level": fast.stopping.level}, sample="auto") == fast
    cells = resolve_config(sample="cells", threshold="otsu")
    assert (cells.threshold, cells.background) == ("otsu", "none")
    assert resolve_config(sample="beads") == fast.replace(sample="beads")
    # the FMD figure (33.39 dB, scripts/fmd_check.py --set background=none) is this setting
    by_hand = resolve_config(threshold=0, background="none")
    assert by_hand.sample is None  # fields set by hand turn auto off
    assert resolve_config(sample="cells") == by_hand.replace(sample="cells")
    saved = tmp_path / "c.json"
    resolve_config(sample="cells").save(saved)
    assert resolve_config(saved) == resolve_config(sample="cells")  # no need to name the sample again
    assert resolve_config(saved, sample="filaments").threshold_low == "li"
    with pytest.raises(ConfigError, match="fast preset"):
        resolve_config(preset="paper", sample="cells")
    with pytest.raises(ConfigError, match="unknown sample"):
        resolve_config(sample="tissue")


def test_auto_is_off_for_hand_set_prior_fields_other_methods_and_the_paper_preset():
    from histdip.settings import resolve_config

    for fields in (dict(threshold=120), dict(background="none"), dict(threshold_low="li"),
                   dict(background_radius=30), dict(method="dip"), dict(method="threshold"), dict(preset="paper")):
        assert resolve_config(**fields).sample is None, fields
    assert resolve_config(lr=0.01, seed=3).sample == "auto"  # fields outside the prior leave it on
    assert resolve_config(sample="auto", threshold=120).sample is None  # even when named
    with pytest.raises(ConfigError, match="fast preset"):
        resolve_config(preset="paper", sample="auto")


def _bead_photo(peak, seed=0, shape=(96, 96)):
    """Bright discs on a dark, noisy field (sigma 0.02 of full scale)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    clean = np.zeros(shape)
    for cy, cx in rng.uniform(12, shape[0] - 12, (6, 2)):
        clean[(yy - cy) ** 2 + (xx - cx) ** 2 < 16] = peak
    return np.clip(clean + 0.05 + 0.02 * rng.standard_normal(shape), 0, 1).astype(np.float32), clean


def test_auto_keeps_the_threshold_for_objects_clear_of_the_noise_and_drops_it_near_it():
    from histdip.restoration import prepare
    from histdip.settings import resolve_config

    fast = resolve_config()
    bright, _ = _bead_photo(0.8)  # ~40 sigma above the floor
    prep, cfg, why = prepare(bright, fast)
    assert cfg.sample == "beads" and cfg.background == "rolling-ball" and "threshold prior kept" in why
    dim, _ = _bead_photo(0.12)  # ~6 sigma
    prep, cfg, why = prepare(dim, fast)
    assert (cfg.sample, cfg.threshold, cfg.background) == ("cells", 0.0, "none") and "< 15" in why
    assert prep.gray.max() > 0.05 * 255  # the cells' grey: nothing subtracted
    # a config that already names its sample, or none, is left alone
    for cfg in (fast.replace(sample="beads"), resolve_config(threshold=10)):
        assert prepare(dim, cfg)[1] == cfg and prepare(dim, cfg)[2] == ""


def test_auto_choice_is_recorded_and_the_saved_config_reproduces_it(tmp_path):
    dim, _ = _bead_photo(0.12)
    run = histdip.restore_detailed(dim, iterations=20)
    rec = run.record()
    assert rec["sample"] == "cells" and rec["sample_reason"].startswith("auto:")
    saved = run.config.save(tmp_path / "c.json")
    again = histdip.restore_detailed(dim, saved)
    assert again.config == run.config and again.sample_reason == ""  # nothing left to choose
    np.testing.assert_array_equal(again.image, run.image)


def test_cells_sample_fits_the_dim_cytoplasm_the_threshold_drops():
    from histdip.simulate import simulate_scene

    sc = simulate_scene("cells", shape=(64, 64), seed=3, n_beads=2)
    beads = histdip.restore_detailed(sc.noisy, method="threshold")
    cells = histdip.restore_detailed(sc.noisy, method="threshold", sample="cells")
    dim = (sc.clean > 0.05 * sc.clean.max()) & ~beads.mask
    assert dim.mean() > 0.05  # signal the one-T prior drops ...
    assert cells.mask[dim].all()  # ... is kept with the cells settings


def test_auto_keeps_the_prior_on_a_dim_colour_photo_and_not_on_the_same_grey_frame():
    from histdip.restoration import prepare
    from histdip.samples import AUTO_MIN_SNR, AUTO_MIN_SNR_PHOTO
    from histdip.settings import resolve_config

    fast = resolve_config()
    green, _ = _bead_photo(0.35)  # ~10 sigma: between the two cuts
    rng = np.random.default_rng(1)
    # a phone's red and blue planes: a share of the background, each with noise of its own
    red = np.clip(0.3 * green + 0.01 * rng.standard_normal(green.shape), 0, 1)
    blue = np.clip(0.02 + 0.01 * rng.standard_normal(green.shape), 0, 1)
    photo = np.stack([red, green, blue], -1).astype(np.float32)
    _, cfg, why = prepare(photo, fast)
    assert cfg.sample == "beads" and "colour photo" in why and f">= {AUTO_MIN_SNR_PHOTO:g}" in why
    snr = float(why.split("average ")[1].split(" ")[0])
    assert AUTO_MIN_SNR_PHOTO < snr < AUTO_MIN_SNR
    # the same plane as a grey frame, or saved as RGB with R = G = B, is fitted as cells
    for grey in (green, np.stack([green] * 3, -1)):
        _, cfg, why = prepare(grey, fast)
        assert cfg.sample == "cells" and f"< {AUTO_MIN_SNR:g})" in why and "colour" not in why
    # below the colour photo's own cut the prior goes too, and the reason says which cut
    dim = np.stack([red, _bead_photo(0.12)[0], blue], -1).astype(np.float32)
    _, cfg, why = prepare(dim, fast)
    assert cfg.sample == "cells" and f"< {AUTO_MIN_SNR_PHOTO:g} for a colour photo" in why

"""Fast checks of the noise model, the fast preset, plateau stopping and tiling.

No test depends on timing; all run in seconds on 2 CPU cores.
"""

import numpy as np
import pytest
import torch

import histdip
from histdip.config import NetworkConfig, RestoreConfig
from histdip.fitting import PlateauStopper
from histdip.networks import SkipNet
from histdip.noise import estimate_poisson_gaussian, gat, gat_inverse
from histdip.sampling import predict


def _ramp_scene(shape=(256, 256)):
    """A smooth image covering 0.05-0.9 (no edges: the estimator's best case)."""
    h, w = shape
    return np.tile(np.linspace(0.05, 0.9, w), (h, 1))


@pytest.mark.parametrize("gain,sigma", [(0.01, 0.02), (0.004, 0.01)])
def test_noise_estimator_recovers_gain_and_sigma(gain, sigma):
    rng = np.random.default_rng(0)
    clean = _ramp_scene()
    noisy = gain * rng.poisson(clean / gain) + rng.normal(0, sigma, clean.shape)
    est = estimate_poisson_gaussian(noisy, clip_levels=())
    # Tolerance: gain within 20 %, total noise std at mid-grey within 10 %.
    assert est["gain"] == pytest.approx(gain, rel=0.2)
    true_var = gain * 0.5 + sigma**2
    est_var = est["gain"] * (0.5 - est["offset"]) + est["sigma"] ** 2
    assert np.sqrt(est_var) == pytest.approx(np.sqrt(true_var), rel=0.1)


def test_noise_estimator_gaussian_only():
    rng = np.random.default_rng(1)
    noisy = _ramp_scene() + rng.normal(0, 0.03, (256, 256))
    est = estimate_poisson_gaussian(noisy, clip_levels=())
    assert est["sigma"] == pytest.approx(0.03, rel=0.15)
    assert est["gain"] < 0.002


def test_gat_stabilises_variance():
    rng = np.random.default_rng(2)
    gain, sigma = 0.01, 0.01
    for level in (0.05, 0.2, 0.5, 0.9):
        clean = np.full(20000, level)
        noisy = gain * rng.poisson(clean / gain) + rng.normal(0, sigma, clean.shape)
        assert np.var(gat(noisy, gain, sigma)) == pytest.approx(1.0, abs=0.12)


def test_gat_inverse_is_unbiased():
    rng = np.random.default_rng(3)
    gain, sigma = 0.01, 0.01
    for level in (0.05, 0.3, 0.8):
        noisy = gain * rng.poisson(np.full(50000, level) / gain) + rng.normal(0, sigma, 50000)
        # The mean of the transformed data is what an ideal denoiser returns.
        back = gat_inverse(np.mean(gat(noisy, gain, sigma)), gain, sigma)
        assert back == pytest.approx(level, rel=0.02)


def test_gat_torch_and_numpy_agree():
    x = np.linspace(0, 1, 11)
    a = gat(x, 0.01, 0.02, 0.0)
    b = gat(torch.tensor(x), 0.01, 0.02, 0.0).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-6)


def _bead_image(shape=(96, 96), seed=0, noise=0.05):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    clean = np.zeros(shape)
    for _ in range(6):
        y, x = rng.uniform(10, shape[0] - 10), rng.uniform(10, shape[1] - 10)
        clean += 0.7 * np.exp(-((yy - y) ** 2 + (xx - x) ** 2) / (2 * 3.0**2))
    clean = np.clip(clean + 0.1, 0, 1)
    noisy = np.clip(clean + rng.normal(0, noise, shape), 0, 1)
    return clean, (255 * noisy).astype(np.uint8)


def test_fast_preset_lowers_loss_and_keeps_shape():
    _, noisy = _bead_image()
    r = histdip.restoration.restore_detailed(noisy, iterations=60, stopping={"rule": "fixed"})
    assert r.image.shape == noisy.shape
    assert np.isfinite(r.image).all()
    first, last = np.mean(r.loss[:5]), np.mean(r.loss[-5:])
    assert last < first
    assert r.iterations == 60
    assert r.record()["iterations"] == 60 and "fixed" in r.record()["stop_reason"]


def test_fast_preset_output_not_dead():
    """The output must not collapse to a constant (the old norm='none' failure)."""
    _, noisy = _bead_image(seed=4)
    out = histdip.restore(noisy, iterations=80, stopping={"rule": "fixed"}, method="dip")
    assert out.std() > 5  # grey levels, input on 0-255


def test_plateau_stops_early_and_records_reason():
    flat = np.full((64, 64), 120, np.uint8)
    r = histdip.restoration.restore_detailed(
        flat, method="dip", iterations=2000,
        stopping={"rule": "plateau", "check_every": 10, "tolerance": 5e-2, "patience": 2, "min_iterations": 20},
    )
    assert r.iterations < 2000
    rec = r.record()
    assert rec["iterations"] == r.iterations
    assert rec["stop_reason"].startswith("plateau")


def test_plateau_stopper_unit():
    s = PlateauStopper(check_every=1, tolerance=1e-3, patience=2, min_iterations=0)
    x = np.ones(10)
    assert s.update(1, x) is None
    assert s.update(2, x) is None
    assert s.update(3, x) is not None


@pytest.mark.parametrize("norm", ["none", "channel", "batch"])
def test_tiled_prediction_equals_whole_for_local_norms(norm):
    torch.manual_seed(0)
    cfg = NetworkConfig(channels_down=[8] * 3, channels_up=[8] * 3, channels_skip=[2] * 3, norm=norm)
    net = SkipNet(1, 1, cfg).eval()
    x = torch.rand(1, 1, 256, 192)
    whole = predict(net, x)
    tiled = predict(net, x, tile=128, overlap=64)
    # Away from tile borders the receptive field sees the same pixels; the blend ramps
    # hide the rest. Tolerance: 2 % of the output range.
    assert (whole - tiled).abs().max().item() < 0.02


def test_groupnorm_is_not_tile_invariant():
    """Documents why the fast preset does not use GroupNorm: per-image statistics."""
    torch.manual_seed(0)
    cfg = NetworkConfig(channels_down=[8] * 3, channels_up=[8] * 3, channels_skip=[2] * 3, norm="group")
    net = SkipNet(1, 1, cfg).eval()
    x = torch.rand(1, 1, 256, 192)
    x[..., :96, :] *= 0.2  # tiles with different statistics
    diff = (predict(net, x) - predict(net, x, tile=128, overlap=64)).abs().max().item()
    assert diff > 1e-3


def test_fast_preset_uses_tile_invariant_norm():
    cfg = RestoreConfig.from_preset("fast")
    assert cfg.network.norm in ("none", "channel", "batch")


def test_dihedral_transforms_invert_and_ensemble_of_an_equivariant_net_changes_nothing():
    from histdip.sampling import dihedral, undo_dihedral

    x = torch.rand(1, 1, 64, 64)
    for k in range(8):
        assert torch.equal(undo_dihedral(dihedral(x, k), k), x)
    assert len({tuple(dihedral(x, k).flatten()[:20].tolist()) for k in range(8)}) == 8
    # A pointwise network is equivariant to flips and turns: the ensemble is its output.
    point = torch.nn.Conv2d(1, 1, 1)
    np.testing.assert_allclose(predict(point, x, ensemble=8).detach(), point(x).detach(), atol=1e-6)


def test_ensemble_averages_the_transformed_predictions():
    from histdip.sampling import DIHEDRAL_ORDER, dihedral, undo_dihedral

    torch.manual_seed(0)
    cfg = NetworkConfig(channels_down=[8] * 2, channels_up=[8] * 2, channels_skip=[2] * 2, norm="none")
    net = SkipNet(1, 1, cfg).eval()
    x = torch.rand(1, 1, 64, 96)  # not square: a quarter turn swaps the sides
    for n in (2, 4, 8):
        expected = sum(undo_dihedral(net(dihedral(x, k)), k) for k in DIHEDRAL_ORDER[:n]) / n
        got = predict(net, x, ensemble=n)
        assert got.shape == x.shape
        torch.testing.assert_close(got, expected)
    assert not torch.allclose(predict(net, x, ensemble=8), net(x))


def test_restore_with_ensemble_keeps_shape_and_is_deterministic():
    _, noisy = _bead_image()
    few = dict(iterations=5, stopping={"rule": "fixed"}, method="dip")
    a = histdip.restore(noisy[:50, :70], ensemble=4, **few)
    b = histdip.restore(noisy[:50, :70], ensemble=4, **few)
    assert a.shape == (50, 70)
    np.testing.assert_array_equal(a, b)

"""The noise-level (discrepancy-principle) stopping rule and the noise-variance map it uses."""

import numpy as np
import pytest
import torch

import histdip
from histdip.fitting import NoiseLevelStopper
from histdip.noise import estimate_poisson_gaussian, gat, noise_variance_map


def _smooth_scene(shape=(256, 256), seed=0):
    rng = np.random.default_rng(seed)
    from scipy import ndimage

    field = ndimage.gaussian_filter(rng.random(shape), 12)
    field = (field - field.min()) / np.ptp(field)
    return 0.1 + 0.7 * field


def test_variance_map_white_poisson_gaussian():
    rng = np.random.default_rng(0)
    clean = _smooth_scene()
    gain, sigma = 0.01, 0.02
    noisy = gain * rng.poisson(clean / gain) + rng.normal(0, sigma, clean.shape)
    true = gain * clean + sigma**2
    v = noise_variance_map(noisy)
    assert v.shape == noisy.shape
    assert v.mean() == pytest.approx(true.mean(), rel=0.2)
    # It follows the signal: brighter pixels are noisier.
    bright, dark = clean > 0.6, clean < 0.3
    assert v[bright].mean() > 1.5 * v[dark].mean()


@pytest.mark.parametrize("kind", ["interpolated", "blurred"])
def test_variance_map_sees_correlated_noise(kind):
    """Noise correlated between neighbours (a camera that interpolates, or optics and
    processing that blur it): a full-resolution high-pass estimate misses most of it;
    the map, fitted after 2 x 2 binning, finds it. Its limits (documented in
    histdip.noise): noise copied onto exact 2 x 2 blocks reads 4x too high, noise
    blurred over sigma = 1 px about 2x too low."""
    from scipy import ndimage

    rng = np.random.default_rng(1)
    clean = _smooth_scene((512, 512))
    if kind == "interpolated":
        noise = ndimage.zoom(rng.normal(0, 1, (256, 256)), 2, order=1)
    else:
        noise = ndimage.gaussian_filter(rng.normal(0, 1, (512, 512)), 0.7)
    noisy = clean + 0.05 * noise / noise.std()
    naive = estimate_poisson_gaussian(noisy, clip_levels=())
    naive_var = naive["gain"] * (clean.mean() - naive["offset"]) + naive["sigma"] ** 2
    assert naive_var < 0.5 * 0.05**2
    assert noise_variance_map(noisy).mean() == pytest.approx(0.05**2, rel=0.25)


def test_noise_level_stopper_unit():
    target = np.ones((8, 8))
    stopper = NoiseLevelStopper(target, np.full((8, 8), 0.01), check_every=10, level=1.0, min_iterations=20)
    assert stopper.update(10, target) is None  # before min_iterations
    assert stopper.update(20, target + 0.5) is None  # residual 25x the noise
    reason = stopper.update(30, target + 0.05)  # residual 0.25x the noise
    assert reason and reason.startswith("noise level")
    assert [r for _, r in stopper.history] == pytest.approx([0.0, 25.0, 0.25])


def test_noise_level_stopper_stops_when_the_fit_levels_off():
    target = np.zeros((8, 8))
    noise = np.full((8, 8), 0.01)
    flat = NoiseLevelStopper(target, noise, min_iterations=0, tolerance=0.03, patience=5)
    reasons = [flat.update(10 * k, np.full((8, 8), 0.3)) for k in range(1, 10)]  # ratio 9, never falling
    first = next(i for i, r in enumerate(reasons) if r)
    assert first == 5 and "levelled off" in reasons[first]
    falling = NoiseLevelStopper(target, noise, min_iterations=0, tolerance=0.03, patience=5)
    values = 0.3 * 0.95 ** np.arange(30)  # ratio falls 10 % a check: still improving
    assert not any(falling.update(10 * k, np.full((8, 8), v)) for k, v in enumerate(values) if v**2 / 0.01 > 1)


def test_near_the_noise_level_the_levelling_test_waits_longer():
    """A fit on a plateau at 1.5x the noise, then falling again: with ``near_patience``
    it goes on past the plateau; far above the level the short patience still holds."""
    ratios = [4.0, 3.0, 2.0] + [1.5] * 8 + [1.2, 1.0]

    def first_stop(values, **kw):
        stopper = NoiseLevelStopper(np.zeros(1), np.ones(1), min_iterations=0, patience=3, **kw)
        return next((10 * (k + 1) for k, r in enumerate(values) if stopper.observe(10 * (k + 1), r)), None)

    assert first_stop(ratios) == 90  # levelled off on the plateau
    reason_step = first_stop(ratios, near_level=2.0, near_patience=10)
    assert reason_step == 130  # went on and reached the noise level
    far = [40.0, 30.0, 20.0] + [15.0] * 8
    assert first_stop(far, near_level=2.0, near_patience=10) == first_stop(far) == 90


def test_observe_replays_what_update_computes():
    target = np.zeros((4, 4))
    live = NoiseLevelStopper(target, np.full((4, 4), 0.01), min_iterations=0, patience=2)
    replay = NoiseLevelStopper(np.zeros(1), np.ones(1), min_iterations=0, patience=2)
    for k, v in enumerate([0.5, 0.4, 0.39, 0.39, 0.39, 0.39]):
        a = live.update(10 * k, np.full((4, 4), v))
        b = replay.observe(10 * k, v**2 / 0.01)
        assert a == b and live.is_best == replay.is_best
    assert np.allclose(live.history, replay.history)


def test_noise_level_stopper_weight_and_no_noise():
    target = np.zeros((4, 4))
    weight = np.zeros((4, 4))
    weight[0, 0] = 1
    stopper = NoiseLevelStopper(target, np.full((4, 4), 1.0), weight, min_iterations=0)
    out = np.full((4, 4), 10.0)
    out[0, 0] = 0.5  # only the weighted pixel counts: residual 0.25 <= 1
    assert stopper.update(1, out)
    silent = NoiseLevelStopper(target, np.zeros((4, 4)), min_iterations=0)
    assert silent.update(1, target) is None  # no noise estimate: never stops, the cap decides


def test_restore_stops_at_noise_level_and_records_it():
    rng = np.random.default_rng(2)
    clean = _smooth_scene((96, 96), seed=3)
    noisy = np.clip(clean + rng.normal(0, 0.08, clean.shape), 0, 1).astype(np.float32)
    stopping = {"rule": "noise-level", "check_every": 10, "min_iterations": 20}
    r = histdip.restore_detailed(noisy, method="dip", iterations=400, patch_size=None, stopping=stopping)
    assert r.stop_reason.startswith("noise level"), r.stop_reason
    assert 20 <= r.iterations < 400
    again = histdip.restore_detailed(noisy, method="dip", iterations=400, patch_size=None, stopping=stopping)
    assert again.iterations == r.iterations and np.array_equal(again.image, r.image)
    # It stopped where the output explains the image down to about its noise.
    assert np.mean((r.image - noisy) ** 2) < 2.0 * 0.08**2
    # The trace holds the ratio at every check, ending on the one that stopped it.
    steps = [k for k, _ in r.stop_trace]
    assert steps == list(range(10, r.iterations + 1, 10)) and r.stop_trace[-1][1] <= 1.0


def test_gat_keeps_a_gradient_below_the_offset():
    x = torch.tensor([-0.5, 0.0, 0.3], requires_grad=True)
    gat(x, 0.01, 0.0, offset=0.1).sum().backward()
    assert torch.all(x.grad > 0)


def test_fit_ends_on_the_weights_the_stopper_rated_best():
    """A fit that gets worse after its best check (collapse, noise copying) returns the
    weights of that check, and says so in the stop reason."""
    from histdip.fitting import fit
    from histdip.physics import Identity

    torch.manual_seed(0)
    net = torch.nn.Conv2d(1, 1, 1, bias=False)
    x = torch.ones((1, 1, 4, 4))

    class Scripted:
        check_every = 1

        def __init__(self):
            self.is_best, self.weights = False, {}

        def update(self, step, output):
            self.weights[step] = float(net.weight.detach())
            self.is_best = step == 2
            return "scripted stop" if step == 4 else None

    stopper = Scripted()
    result, fitted = fit(net, lambda step: (x, 3 * x, None), Identity(), lambda p, t, w: ((p - t) ** 2).mean(),
                         iterations=10, lr=0.1, stopper=stopper, check=lambda model, out: out.numpy())
    assert result.iterations == 4
    assert float(fitted.weight.detach()) == pytest.approx(stopper.weights[2])
    assert float(fitted.weight.detach()) != pytest.approx(stopper.weights[4])
    assert result.stop_reason.endswith("output from step 2, the closest to the noise level")


def test_an_all_zero_output_is_not_levelled_off():
    """A fit stuck at an all-zero output keeps going (it may still start); the same
    ratios from a non-zero output stop on the levelling-off test."""
    target = np.zeros((4, 4))
    target[0, 0] = 1.0
    stuck = NoiseLevelStopper(target, np.full((4, 4), 0.01), min_iterations=0, patience=3)
    assert not any(stuck.update(10 * k, np.zeros((4, 4))) for k in range(1, 20))
    moving = NoiseLevelStopper(target, np.full((4, 4), 0.01), min_iterations=0, patience=3)
    out = np.full((4, 4), 1e-3)
    assert any(moving.update(10 * k, out) for k in range(1, 20))


def test_noise_level_stopper_takes_every_setting_from_its_config():
    from histdip.config import StoppingConfig
    from histdip.fitting import NoiseLevelStopper

    cfg = StoppingConfig(rule="noise-level", check_every=7, level=1.5, min_iterations=21, tolerance=0.05,
                         patience=4, near_level=3.0, near_patience=9, detour=2.0)
    st = NoiseLevelStopper.from_config(cfg, np.zeros((4, 4)), np.ones((4, 4)))
    assert (st.check_every, st.level, st.min_iterations, st.tolerance, st.patience, st.near_level,
            st.near_patience, st.detour) == (7, 1.5, 21, 0.05, 4, 3.0, 9, 2.0)


def test_an_unmasked_fit_waits_the_long_patience_far_above_the_noise_level():
    """A T = 0 / DIP fit stalling at 6x the noise is not done (FMD Confocal_BPAE_R
    frames); a thresholded photo levelling off there is."""
    from histdip.config import StoppingConfig

    cfg = StoppingConfig(rule="noise-level", check_every=10, min_iterations=0, tolerance=0.03, patience=3,
                         near_level=4.0, near_patience=10)
    stall = [40.0, 20.0, 10.0] + [6.0] * 6 + [3.0, 2.0, 1.0]

    def first_stop(**kw):
        st = NoiseLevelStopper.from_config(cfg, np.zeros(1), np.ones(1), **kw)
        return next((10 * (k + 1) for k, r in enumerate(stall) if st.observe(10 * (k + 1), r)), None)

    assert first_stop() == first_stop(thresholded=True) == 90  # levelled off on the stall
    assert first_stop(thresholded=False) == 120  # went on to the noise level


def test_a_spike_is_not_a_plateau():
    """The 128 px bead crop of session 10: the ratio falls, spikes for four checks (an lr
    spike), then falls below its earlier best. Without ``detour`` the spike reads as
    levelled off; with it the fit goes on, and still stops on a real plateau."""
    spike = [96.5, 89.0, 16.2, 6.9, 99.5, 116.1, 116.1, 116.1, 116.1, 64.7, 19.7, 11.7, 9.4, 8.4, 8.0, 7.7,
             7.5, 7.3, 7.2, 7.0, 6.8, 6.6, 6.4, 6.3, 6.2, 6.2, 6.2, 6.2, 6.2]

    def stops(ratios, **kw):
        st = NoiseLevelStopper(np.zeros(1), np.ones(1), min_iterations=50, tolerance=0.03, patience=3, **kw)
        return st.replay([(10 * (k + 1), r) for k, r in enumerate(ratios)])

    assert stops(spike) == (40, 100)  # the old reading: stopped inside the spike, on step 40's weights
    best, stop = stops(spike, detour=1.5)
    assert stop > 230 and best > 200  # went on, then stopped on the real plateau
    plateau = spike[:4] + [6.9] * 10
    assert stops(plateau, detour=1.5) == stops(plateau)  # a plateau is still one


def test_replay_gives_the_best_and_the_stopping_check():
    st = NoiseLevelStopper(np.zeros(1), np.ones(1), min_iterations=0, level=1.0)
    assert st.replay([(10, 3.0), (20, 2.0), (30, 0.9), (40, 0.5)]) == (30, 30)  # stops at the level
    never = NoiseLevelStopper(np.zeros(1), np.ones(1), min_iterations=0, patience=100)
    assert never.replay([(10, 3.0), (20, 2.0), (30, 2.5)]) == (20, 30)  # never stops: the last check

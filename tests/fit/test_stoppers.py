"""histdip.fit.stoppers: the noise-level (discrepancy) rule, the plateau rule and the window they watch."""

import numpy as np
import pytest

from histdip.config import StoppingConfig
from histdip.fit import NoiseLevelStopper, PlateauStopper, probe_window


def test_plateau_stopper_unit():
    s = PlateauStopper(check_every=1, tolerance=1e-3, patience=2, min_iterations=0)
    x = np.ones(10)
    assert s.update(1, x) is None and s.update(2, x) is None
    assert s.update(3, x).startswith("plateau")


def test_plateau_stopper_does_not_take_a_dead_output_for_convergence():
    stopper = PlateauStopper(check_every=1, tolerance=1e-3, patience=2, min_iterations=0)
    assert all(stopper.update(k, np.zeros((8, 8))) is None for k in range(1, 10))
    results = [stopper.update(k, np.ones((8, 8))) for k in range(10, 14)]
    assert results[-1] is not None and results[-1].startswith("plateau")


def test_the_probe_window_is_central_or_where_the_weight_is():
    rows, cols = probe_window((256, 256), 64, 16)
    assert (rows, cols) == (slice(96, 160), slice(96, 160))
    weight = np.zeros((256, 256))
    weight[200:230, 10:40] = 1
    rows, cols = probe_window((256, 256), 64, 16, weight)
    assert rows.stop - rows.start == 64 and rows.start % 16 == 0 and cols.start % 16 == 0
    assert weight[rows, cols].sum() == weight.sum()
    assert probe_window((40, 50), 64, 16) == (slice(4, 36), slice(1, 49))  # sides a multiple, at most the image


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
    cfg = StoppingConfig(rule="noise-level", check_every=7, level=1.5, min_iterations=21, tolerance=0.05,
                         patience=4, near_level=3.0, near_patience=9, detour=2.0, started=0.25, rewinds=2)
    st = NoiseLevelStopper.from_config(cfg, np.zeros((4, 4)), np.ones((4, 4)))
    assert (st.check_every, st.level, st.min_iterations, st.tolerance, st.patience, st.near_level,
            st.near_patience, st.detour, st.started, st.rewinds) == (7, 1.5, 21, 0.05, 4, 3.0, 9, 2.0, 0.25, 2)


def test_an_unmasked_fit_waits_the_long_patience_far_above_the_noise_level():
    """A T = 0 / DIP fit stalling at 6x the noise is not done (FMD Confocal_BPAE_R
    frames); a thresholded photo levelling off there is."""
    cfg = StoppingConfig(rule="noise-level", check_every=10, min_iterations=0, tolerance=0.03, patience=3,
                         near_level=4.0, near_patience=10)
    stall = [40.0, 20.0, 10.0] + [6.0] * 6 + [3.0, 2.0, 1.0]

    def first_stop(**kw):
        st = NoiseLevelStopper.from_config(cfg, np.zeros(1), np.ones(1), **kw)
        return next((10 * (k + 1) for k, r in enumerate(stall) if st.observe(10 * (k + 1), r)), None)

    assert first_stop() == first_stop(thresholded=True) == 90  # levelled off on the stall
    assert first_stop(thresholded=False) == 120  # went on to the noise level


def test_a_spike_is_not_a_plateau():
    """A 128 px bead crop at twice the calibrated noise: the ratio falls, spikes for four
    checks (an lr spike), then falls below its earlier best. Without ``detour`` the spike reads as
    levelled off; with it the fit goes on, and still stops on a real plateau."""
    spike = [96.5, 89.0, 16.2, 6.9, 99.5, 116.1, 116.1, 116.1, 116.1, 64.7, 19.7, 11.7, 9.4, 8.4, 8.0, 7.7,
             7.5, 7.3, 7.2, 7.0, 6.8, 6.6, 6.4, 6.3, 6.2, 6.2, 6.2, 6.2, 6.2]

    def stops(ratios, **kw):
        st = NoiseLevelStopper(np.zeros(1), np.ones(1), min_iterations=50, tolerance=0.03, patience=3, **kw)
        return st.replay([(10 * (k + 1), r) for k, r in enumerate(ratios)])

    assert stops(spike) == (40, 100)  # without detour: stopped inside the spike, on step 40's weights
    best, stop = stops(spike, detour=1.5)
    assert stop > 230 and best > 200  # went on, then stopped on the real plateau
    plateau = spike[:4] + [6.9] * 10
    assert stops(plateau, detour=1.5) == stops(plateau)  # a plateau is still one


def test_replay_gives_the_best_and_the_stopping_check():
    st = NoiseLevelStopper(np.zeros(1), np.ones(1), min_iterations=0, level=1.0)
    assert st.replay([(10, 3.0), (20, 2.0), (30, 0.9), (40, 0.5)]) == (30, 30)  # stops at the level
    never = NoiseLevelStopper(np.zeros(1), np.ones(1), min_iterations=0, patience=100)
    assert never.replay([(10, 3.0), (20, 2.0), (30, 2.5)]) == (20, 30)  # never stops: the last check


#: The first checks of the default's fit of the sweep's crowded scene c12 (tuning seed 0,
#: SNR 3.9): an all-zero output scores 17.7; the output creeps near zero for a hundred
#: steps, then the fit picks the beads up and runs down to the noise level.
CREEP = [17.71, 16.32, 15.07, 15.41, 15.44, 15.25, 15.17, 15.14, 14.99, 14.88, 14.53, 12.37, 7.43, 4.6, 3.46,
         2.83, 2.44, 2.13, 1.93, 1.8, 1.72, 1.65, 1.57, 1.52, 1.46, 1.42, 1.4, 1.39, 1.4, 1.36, 1.36, 1.36]


def test_a_fit_that_has_not_started_is_not_levelled_off():
    target = np.zeros((8, 8))
    target[:2] = np.sqrt(17.71 * 64 / 16)  # an all-zero output scores 17.71 on unit noise
    trace = [(10 * (k + 1), r) for k, r in enumerate(CREEP)]

    def stops(started):
        st = NoiseLevelStopper(target, np.ones((8, 8)), min_iterations=50, tolerance=0.03, patience=3,
                               started=started)
        assert st.zero_ratio == pytest.approx(17.71)
        return st.replay(trace)

    assert stops(None) == (100, 100)  # levelled off while still creeping at 14.9 of 17.7
    best, stop = stops(0.5)
    assert stop > 250 and CREEP[best // 10 - 1] < 1.4  # went on, and stopped on the real plateau
    assert stops(0.99) == (300, 320)  # 1.36 is not 99 % of the way to the noise: it never levels off


def test_replay_takes_the_recorded_zero_ratio():
    trace = [(10 * (k + 1), r) for k, r in enumerate(CREEP)]
    st = NoiseLevelStopper(np.zeros(1), np.ones(1), min_iterations=50, tolerance=0.03, patience=3, started=0.5)
    assert st.replay(trace) == (100, 100)  # built on no target: nothing to have started from
    st = NoiseLevelStopper(np.zeros(1), np.ones(1), min_iterations=50, tolerance=0.03, patience=3, started=0.5)
    assert st.replay(trace, zero_ratio=17.71)[1] > 250


def test_an_output_that_collapses_after_a_better_check_is_rewound_to_it():
    """Two all-zero checks in a row after a better one send the fit back to that check
    (the c30 scene of the sweep's tuning seed 0: ratio 117 of an all-zero 199 at step 60,
    then all zero from step 80 to 140); the checks after it are forgotten."""
    target = np.zeros((4, 4))
    target[:2] = 2.0
    st = NoiseLevelStopper(target, np.ones((4, 4)), min_iterations=30, level=0.01, rewinds=1)
    good, zero = np.where(target > 0, 1.0, 0.0), np.zeros((4, 4))
    for step, out in [(10, zero), (20, good), (30, good * 0.9), (40, zero)]:
        assert st.update(step, out) is None and st.rewind_to is None
    assert st.update(50, zero) is None and st.rewind_to == 20
    assert [s for s, _ in st.history] == [10, 20] and len(st.smoothed) == 2 and st.rewound == [(50, 20)]
    # the fit goes on from there; no rewinds left, a second collapse runs on
    for step in (60, 70, 80):
        st.update(step, zero)
    assert st.rewind_to is None and st.rewound == [(50, 20)]


def test_no_rewind_before_min_iterations_nor_without_a_better_check_nor_when_off():
    target = np.zeros((4, 4))
    target[:2] = 2.0
    zero, good = np.zeros((4, 4)), np.where(target > 0, 1.0, 0.0)

    def rewinds(outs, min_iterations=30, **kw):
        st = NoiseLevelStopper(target, np.ones((4, 4)), min_iterations=min_iterations, level=0.01, **kw)
        for k, out in enumerate(outs):
            st.update(10 * (k + 1), out)
        return st.rewound

    assert rewinds([good, zero, zero], rewinds=3) == [(30, 10)]
    assert rewinds([good, zero, zero], rewinds=3, min_iterations=40) == []
    assert rewinds([good * 0.9, good, zero, zero], rewinds=3) == [(40, 20)]
    assert rewinds([zero] * 6, rewinds=3) == []  # never better than all zero: not started
    assert rewinds([good * 0.9, good, zero, zero], rewinds=0) == []
    # a replay reads one recorded path and never rewinds
    st = NoiseLevelStopper(target, np.ones((4, 4)), min_iterations=0, level=0.01, rewinds=3)
    assert st.replay([(10, 1.0), (20, 4.0), (30, 4.0)], flat={20, 30}) == (10, 30) and st.rewound == []

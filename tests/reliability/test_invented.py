"""No invented signal: histdip finds at most one object per megapixel where there is none.

Bead-free simulated colour phone photos (``simulate_scene(kind='empty')``: an uneven
background, haze, ghost flares whose source lies outside the view, the calibrated phone
camera's noise and JPEG; ``clean`` all zero) at the simulator's calibrated settings and
frame (1200 x 900), restored with the default settings and counted as ``histdip count``
counts (:func:`histdip.count.count_result` with its own defaults). Every object counted
is invented.

The scenes are the bead-free colour photos of ``python -m benchmarks invented`` at the
first held-out seeds (:func:`benchmarks.invented.empty_scene`); nothing was chosen on
them. The fit is capped at :data:`benchmarks.invented.CAPPED_ITERATIONS` steps (the
default's own cap is 600) to keep the test near a minute on one core; the benchmark
counts the same scenes at both caps (its ``histdip-capped`` rows) to show what the cap
changes.
"""

import pytest

from benchmarks.invented import CAPPED_ITERATIONS, EMPTY_SHAPE, empty_scene
from benchmarks.sweep_grid import HELD_OUT_SEEDS
import histdip
from histdip.count import count_result

#: The benchmark seeds of the scenes: two calibrated frames, 2.16 MP.
SEEDS = HELD_OUT_SEEDS[:2]

#: The most objects per megapixel histdip may invent on a bead-free photo.
MAX_PER_MP = 1.0


@pytest.mark.slow
@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "histdip invents 123 objects per MP here (0 and 266 on the two frames, capped at 150 steps; 0 and 257 at "
    "the default's 600-step cap): the background's texture bumps and ghost-flare fragments that the learned "
    "split keeps as signal (docs/reliability.md, 'No invented signal')"))
def test_histdip_invents_at_most_one_object_per_megapixel_on_bead_free_photos():
    invented, megapixels = [], 0.0
    for seed in SEEDS:
        scene = empty_scene("colour", seed)
        assert scene.shape == EMPTY_SHAPE and scene.clean.max() == 0
        result = histdip.restore_detailed(scene.noisy_rgb, iterations=CAPPED_ITERATIONS)
        counts = count_result(result, scene.noisy_rgb)
        invented.append(counts.count)
        megapixels += scene.shape[0] * scene.shape[1] / 1e6
    rate = sum(invented) / megapixels
    assert rate <= MAX_PER_MP, f"{sum(invented)} objects invented on {megapixels:.2f} MP ({invented}): {rate:.1f}/MP"

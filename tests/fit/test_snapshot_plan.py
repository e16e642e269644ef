"""histdip.fit.SnapshotPlan: snapshots bounded in number and size however long the fit runs."""

import numpy as np
import torch

from histdip.fit import PlateauStopper, SnapshotPlan, WholeImage, fit
from histdip.physics import Identity


def _problem():
    torch.manual_seed(0)
    net = torch.nn.Conv2d(1, 1, 3, padding=1)
    x = torch.rand(1, 1, 40, 60)
    return net, x


def test_plan_thins_to_at_most_limit_evenly_spaced():
    net, x = _problem()
    plan = SnapshotPlan(every=1, limit=6)
    result = fit(net, WholeImage(x, x), Identity(), iterations=50, lr=1e-3, snapshot_every=plan,
                 preview=lambda m, out: out.numpy()[0, 0])
    steps = [k for k, _ in result.snapshots]
    # Every 1, then 2, 4, 8 steps as the fit goes on: never more than 6 held.
    assert steps == [8, 16, 24, 32, 40, 48]


def test_plan_shrinks_each_snapshot_but_the_stopper_sees_it_whole():
    net, x = _problem()
    seen = []

    class Watch(PlateauStopper):
        def update(self, step, output):
            seen.append(np.shape(output))
            return super().update(step, output)

    result = fit(net, WholeImage(x, x), Identity(), iterations=6, lr=1e-3,
                 snapshot_every=SnapshotPlan(every=3, limit=20, max_side=20), stopper=Watch(check_every=3),
                 preview=lambda m, out: out.numpy()[0, 0])
    assert [k for k, _ in result.snapshots] == [3, 6]
    assert result.snapshots[0][1].shape == (13, 20) and seen == [(40, 60), (40, 60)]


def test_shrink_block_averages_and_keeps_small_frames():
    plan = SnapshotPlan(max_side=2)
    frame = np.arange(16, dtype=np.float32).reshape(4, 4)
    np.testing.assert_array_equal(plan.shrink(frame), [[2.5, 4.5], [10.5, 12.5]])
    assert SnapshotPlan(max_side=None).shrink(frame) is frame
    assert plan.shrink(np.ones((4, 4, 3))).shape == (2, 2, 3)

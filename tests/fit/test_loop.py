"""histdip.fit.loop: the optimiser loop through a forward model, its stop and the weights it ends on."""

import numpy as np
import pytest
import torch

from histdip.config import NetworkConfig
from histdip.fit import Fit, PlateauStopper, RandomCrops, WholeImage, fit
from histdip.networks import SkipNet
from histdip.physics import Downsample, Identity


def _tiny_problem(seed=0):
    torch.manual_seed(seed)
    cfg = NetworkConfig(channels_down=[8, 8], channels_up=[8, 8], channels_skip=[2, 2], norm="group",
                        sigmoid=True, clamp=False)
    net = SkipNet(1, 1, cfg)
    yy, xx = np.mgrid[:64, :64]
    x = torch.from_numpy((np.hypot(yy - 30, xx - 34) < 10).astype(np.float32))[None, None]
    return net, x


def test_fit_lowers_the_loss_through_the_forward_model():
    net, x = _tiny_problem()
    physics = Downsample(4)
    result = fit(net, WholeImage(x, physics(x)), physics, iterations=40, lr=1e-2)
    assert isinstance(result, Fit) and result.iterations == 40 and len(result.loss) == 40
    assert result.loss[-1] < 0.5 * result.loss[0]
    assert result.stop_reason == "fixed: ran all 40 iterations" and result.best_step is None


def test_fit_is_deterministic_for_a_seed():
    outs = []
    for _ in range(2):
        net, x = _tiny_problem(seed=3)
        sampler = RandomCrops(x, x, size=32, batch=2, factor=1, margin=0, seed=5)
        result = fit(net, sampler, Identity(), iterations=5, lr=1e-2, ema=0.9)
        outs.append((result.loss, result.model(x).detach()))
    assert outs[0][0] == outs[1][0]
    torch.testing.assert_close(outs[0][1], outs[1][1], rtol=0, atol=0)


def test_a_stopper_ends_the_fit_and_says_why():
    net, x = _tiny_problem()
    stopper = PlateauStopper(check_every=5, tolerance=10.0, patience=2, min_iterations=10)
    result = fit(net, WholeImage(x, x), Identity(), iterations=500, lr=1e-3, stopper=stopper,
                 preview=lambda m, out: out.numpy())
    assert result.iterations == 15 and result.stop_reason.startswith("plateau")
    assert [step for step, _ in result.trace] == [10, 15]


def test_snapshots_every_k_steps():
    net, x = _tiny_problem()
    result = fit(net, WholeImage(x, x), Identity(), iterations=12, lr=1e-3, snapshot_every=4,
                 preview=lambda m, out: out.numpy()[0, 0])
    assert [k for k, _ in result.snapshots] == [4, 8, 12] and result.snapshots[0][1].shape == (64, 64)


def test_the_fit_ends_on_the_weights_the_stopper_rated_best():
    """A fit that gets worse after its best check (collapse, noise copying) returns the
    weights of that check, and says so in the stop reason."""
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
    result = fit(net, lambda step: (x, 3 * x, None), Identity(), iterations=10, lr=0.1, stopper=stopper,
                 check=lambda model, out: out.numpy())
    assert result.iterations == 4 and result.best_step == 2
    assert float(result.model.weight.detach()) == pytest.approx(stopper.weights[2])
    assert float(result.model.weight.detach()) != pytest.approx(stopper.weights[4])
    assert result.stop_reason.endswith("output from step 2, the closest to the noise level")


def test_a_rewind_puts_the_weights_and_the_optimiser_back_to_the_best_check():
    """A stopper that asks for a rewind (a collapsed output) gets the network, its
    average and the optimiser as they were at its best check; the fit goes on from
    there and the stop reason and the Fit say so."""
    torch.manual_seed(0)
    net = torch.nn.Conv2d(1, 1, 1, bias=False)
    x = torch.ones((1, 1, 4, 4))
    seen = {}

    class Scripted:
        check_every, rewinds = 1, 1

        def __init__(self):
            self.is_best, self.rewind_to, self.weights = False, None, {}

        def update(self, step, output):
            self.weights[step] = float(net.weight.detach())
            self.is_best = step == 2
            self.rewind_to = 2 if step in (4, 6) else None
            return "scripted stop" if step == 8 else None

    def watch(step, loss):
        seen[step] = float(net.weight.detach())
        return False

    stopper = Scripted()
    result = fit(net, lambda step: (x, 3 * x, None), Identity(), iterations=10, lr=0.1, ema=0.5,
                 stopper=stopper, check=lambda model, out: out.numpy(), callback=watch)
    assert result.rewinds == ((4, 2), (6, 2))
    assert "went back to its best check 2 times (step 4 -> 2, 6 -> 2), each time going on at 0.5x" in result.stop_reason
    w = stopper.weights  # as each check found them, before the rewind
    assert seen[4] == w[2] and w[4] != w[2]  # back at step 2's weights after step 4
    # step 5 retraces step 3 from the same weights, Adam moments, step count and data,
    # at half the rate: half as far; after the second rewind, a quarter
    assert seen[5] - seen[4] == pytest.approx(0.5 * (w[3] - w[2]), rel=1e-5)
    assert seen[7] - seen[6] == pytest.approx(0.25 * (w[3] - w[2]), rel=1e-5)
    assert result.iterations == 8 and result.best_step == 2


def test_a_diverging_fit_stops_and_says_so():
    torch.manual_seed(0)
    net = torch.nn.Conv2d(1, 1, 1)
    x = torch.ones((1, 1, 4, 4))
    result = fit(net, lambda step: (x, torch.full_like(x, float("nan")), None), Identity(), iterations=10, lr=0.1)
    assert result.iterations == 1 and result.stop_reason.startswith("diverged")

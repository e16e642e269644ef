"""histdip.fit.leash: the penalty that keeps a clipped output within reach of [0, 1]."""

import numpy as np
import pytest
import torch

from histdip.config import NetworkConfig
from histdip.fit import Leash, WholeImage, fit
from histdip.networks import SkipNet
from histdip.physics import Identity


def test_free_within_the_slack_then_squared_then_linear():
    leash = Leash([0.1], 3.0)
    raw = torch.tensor([-0.3, 0.0, 0.5, 1.3, -0.35, 1.35, -0.6], dtype=torch.float64).view(1, 1, 1, 7)
    each = [float(leash(raw[..., i:i + 1])) for i in range(7)]
    assert each[:4] == [0.0, 0.0, 0.0, 0.0]  # inside [-3 sd, 1 + 3 sd]
    assert each[4] == pytest.approx(0.05**2) and each[5] == pytest.approx(0.05**2)  # half a deviation beyond
    assert each[6] == pytest.approx(2 * 0.1 * 0.3 - 0.1**2)  # three deviations beyond: linear
    assert float(leash(raw)) == pytest.approx(np.mean(each))


def test_its_pull_is_never_more_than_a_one_deviation_misfit():
    leash = Leash([0.02, 0.05], 3.0)
    raw = torch.full((1, 2, 4, 4), -50.0, requires_grad=True)
    leash(raw).backward()
    per_channel = raw.grad.abs().amax(dim=(0, 2, 3)) * raw.numel()
    torch.testing.assert_close(per_channel, torch.tensor([0.04, 0.10]))  # 2 sd, the MSE's pull at 1 sd


def test_a_poisson_gaussian_loss_scales_it_into_noise_units():
    raw = torch.full((1, 1, 2, 2), -1.0)
    plain, scaled = Leash([0.1], 3.0)(raw), Leash([0.1], 3.0, scale=1 / 0.1**2)(raw)
    assert float(scaled) == pytest.approx(float(plain) / 0.01)


def test_a_deviation_that_is_not_positive_is_refused():
    with pytest.raises(ValueError, match="positive noise deviation"):
        Leash([0.0], 3.0)


def _sunk_fit(leash, iterations):
    """A dark target, and a network whose output is far below zero everywhere (as after
    an overshoot), fitted through the straight-through clip."""
    torch.manual_seed(0)
    net = SkipNet(1, 1, NetworkConfig(channels_down=[4] * 2, channels_up=[4] * 2, channels_skip=[1] * 2))
    with torch.no_grad():
        net.head.bias.fill_(-3.0)
    x = torch.rand(1, 1, 32, 32, generator=torch.Generator().manual_seed(1))
    fit(net, WholeImage(x, torch.zeros(1, 1, 32, 32)), Identity(), iterations=iterations, lr=1e-2, leash=leash)
    with torch.no_grad():
        return net.unbounded(x)


def test_a_leashed_fit_pulls_a_sunk_output_back_and_an_unleashed_one_does_not():
    """Behind the clip a pixel below zero whose target is zero sees no error: nothing
    moves it (the sweep's dimmest colour fits sat at zero for 600 steps). On the leash
    it is pulled back to within the slack of zero."""
    before = _sunk_fit(None, 0)
    free = _sunk_fit(None, 300)
    leashed = _sunk_fit(Leash([0.01], 3.0), 300)
    torch.testing.assert_close(free, before)
    assert float(before.max()) < -1.0
    assert float(leashed.min()) > -0.1

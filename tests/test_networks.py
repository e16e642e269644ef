"""histdip.networks: the paper's skip network, and the fast one's tile invariance."""

import pytest
import torch

from histdip.config import NetworkConfig, preset
from histdip.networks import SkipNet, count_parameters
from histdip.predict import predict


def test_paper_network_structure():
    cfg = preset("paper")
    net = SkipNet(cfg.input_channels, 3, cfg.network)
    # Ulyanov's skip net, 5 x 128 channels, 4-channel skips, 32 input channels.
    assert count_parameters(net) == 2_217_831
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    strided = [c for c in convs if c.stride == (2, 2)]
    assert len(strided) == 5 and all(c.kernel_size == (3, 3) for c in strided)
    assert len([c for c in convs if c.kernel_size == (1, 1) and c.out_channels == 4]) == 5
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules()) > 20
    assert sum(isinstance(m, torch.nn.ReflectionPad2d) for m in net.modules()) == 15
    ups = [m for m in net.modules() if isinstance(m, torch.nn.Upsample)]
    assert len(ups) == 5 and all(u.mode == "bilinear" for u in ups)
    out = net(torch.rand(1, 32, 64, 96))
    assert out.shape == (1, 3, 64, 96) and 0 <= out.min() and out.max() <= 1
    assert (net.in_channels, net.out_channels) == (32, 3)


def test_the_default_network_is_small_and_clamps_with_a_straight_through_gradient():
    net = SkipNet(1, 1, NetworkConfig())
    assert count_parameters(net) < 40_000
    x = torch.full((1, 1, 32, 32), 50.0, requires_grad=True)  # drives the output far above 1
    out = net(x)
    assert 0 <= float(out.detach().min()) and float(out.detach().max()) <= 1
    out.sum().backward()
    assert x.grad.abs().sum() > 0  # a clip that passes the gradient: no dead output


@pytest.mark.parametrize("norm", ["none", "channel", "batch"])
def test_tiled_prediction_equals_whole_for_local_norms(norm):
    torch.manual_seed(0)
    cfg = NetworkConfig(channels_down=[8] * 3, channels_up=[8] * 3, channels_skip=[2] * 3, norm=norm, sigmoid=True,
                        clamp=False)
    net = SkipNet(1, 1, cfg).eval()
    x = torch.rand(1, 1, 256, 192)
    assert (predict(net, x) - predict(net, x, tile=128, overlap=64)).abs().max().item() < 0.02


def test_groupnorm_is_not_tile_invariant_so_the_default_does_not_use_it():
    torch.manual_seed(0)
    cfg = NetworkConfig(channels_down=[8] * 3, channels_up=[8] * 3, channels_skip=[2] * 3, norm="group", sigmoid=True,
                        clamp=False)
    net = SkipNet(1, 1, cfg).eval()
    x = torch.rand(1, 1, 256, 192)
    x[..., :96, :] *= 0.2  # tiles with different statistics
    assert (predict(net, x) - predict(net, x, tile=128, overlap=64)).abs().max().item() > 1e-3
    assert preset("fast").network.norm in ("none", "channel", "batch")

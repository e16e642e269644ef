"""histdip.predict: tiles give the whole-image output; the flip/turn ensemble averages."""

import numpy as np
import torch

from histdip.config import NetworkConfig
from histdip.networks import SkipNet
from histdip.predict import DIHEDRAL_ORDER, dihedral, predict, predict_eval, undo_dihedral


def test_tiled_prediction_of_a_local_operator_is_exact():
    conv = torch.nn.Conv2d(1, 1, 3, padding=1)
    x = torch.rand(1, 1, 96, 160)
    torch.testing.assert_close(predict(conv, x, tile=64, overlap=16), conv(x), rtol=1e-4, atol=1e-4)


def test_dihedral_transforms_invert_and_an_equivariant_net_is_unchanged_by_the_ensemble():
    x = torch.rand(1, 1, 64, 64)
    for k in range(8):
        assert torch.equal(undo_dihedral(dihedral(x, k), k), x)
    assert len({tuple(dihedral(x, k).flatten()[:20].tolist()) for k in range(8)}) == 8
    point = torch.nn.Conv2d(1, 1, 1)
    np.testing.assert_allclose(predict(point, x, ensemble=8).detach(), point(x).detach(), atol=1e-6)


def test_ensemble_averages_the_transformed_predictions():
    torch.manual_seed(0)
    cfg = NetworkConfig(channels_down=[8] * 2, channels_up=[8] * 2, channels_skip=[2] * 2, norm="none",
                        sigmoid=True, clamp=False)
    net = SkipNet(1, 1, cfg).eval()
    x = torch.rand(1, 1, 64, 96)  # not square: a quarter turn swaps the sides
    for n in (2, 4, 8):
        expected = sum(undo_dihedral(net(dihedral(x, k)), k) for k in DIHEDRAL_ORDER[:n]) / n
        got = predict(net, x, ensemble=n)
        assert got.shape == x.shape
        torch.testing.assert_close(got, expected)
    assert not torch.allclose(predict(net, x, ensemble=8), net(x))


def test_eval_prediction_leaves_the_mode_as_it_was():
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 1), torch.nn.BatchNorm2d(2))
    net.train()
    predict_eval(net, torch.rand(1, 1, 8, 8))
    assert net.training

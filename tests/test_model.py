"""Network, forward model, loss and fitting loop as separate pieces."""

import numpy as np
import pytest
import torch

from histdip.config import NetworkConfig, RestoreConfig
from histdip.fitting import PlateauStopper, fit
from histdip.losses import Loss, gat
from histdip.networks import SkipNet, count_parameters
from histdip.physics import Downsample, Identity, lanczos_kernel_1d
from histdip.sampling import RandomCrops, WholeImage, pad, pad_amounts, predict, unpad


def test_paper_network_structure():
    cfg = RestoreConfig.from_preset("paper")
    net = SkipNet(cfg.input_channels, 3, cfg.network)
    # Ulyanov's skip net, 5 x 128 channels, 4-channel skips, 32 input channels.
    assert count_parameters(net) == 2_217_831
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    strided = [c for c in convs if c.stride == (2, 2)]
    assert len(strided) == 5 and all(c.kernel_size == (3, 3) for c in strided)
    skips = [c for c in convs if c.kernel_size == (1, 1) and c.out_channels == 4]
    assert len(skips) == 5
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules()) > 20
    assert sum(isinstance(m, torch.nn.ReflectionPad2d) for m in net.modules()) == 15
    ups = [m for m in net.modules() if isinstance(m, torch.nn.Upsample)]
    assert len(ups) == 5 and all(u.mode == "bilinear" for u in ups)
    out = net(torch.rand(1, 32, 64, 96))
    assert out.shape == (1, 3, 64, 96) and 0 <= out.min() and out.max() <= 1


def test_lanczos2_kernel_matches_ulyanov_downsampler():
    taps = lanczos_kernel_1d(4, support=2, phase=0.5)
    assert len(taps) == 16
    assert taps.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(taps, taps[::-1])
    # Lanczos-2 has negative lobes at the ends.
    assert taps[0] < 0 and taps[7] == taps.max()


def test_downsample_shape_constant_and_linearity():
    d = Downsample(4, "lanczos2")
    x = torch.rand(2, 3, 64, 96)
    assert d(x).shape == (2, 3, 16, 24)
    torch.testing.assert_close(d(torch.full((1, 1, 32, 32), 0.7)), torch.full((1, 1, 8, 8), 0.7))
    y = torch.rand(2, 3, 64, 96)
    torch.testing.assert_close(d(2 * x + y), 2 * d(x) + d(y), atol=1e-5, rtol=1e-5)
    assert isinstance(Identity()(x), torch.Tensor)


def test_gat_stabilises_poisson_variance():
    rng = np.random.default_rng(0)
    for lam in (5, 20, 80):
        counts = rng.poisson(lam, 200_000).astype(float)
        assert np.var(gat(counts, 1.0, 0.0)) == pytest.approx(1.0, abs=0.08)


def test_weighted_mse_ignores_zero_weight():
    loss = Loss()
    a, b = torch.zeros(1, 1, 4, 4), torch.ones(1, 1, 4, 4)
    w = torch.zeros(1, 1, 4, 4)
    w[..., 1:3, 1:3] = 1
    b[..., 0, 0] = 100.0
    assert float(loss(a, b, w)) == pytest.approx(1.0)


def _tiny_problem(seed=0):
    torch.manual_seed(seed)
    cfg = NetworkConfig(channels_down=[8, 8], channels_up=[8, 8], channels_skip=[2, 2], norm="group")
    net = SkipNet(1, 1, cfg)
    yy, xx = np.mgrid[:64, :64]
    clean = (np.hypot(yy - 30, xx - 34) < 10).astype(np.float32)
    x = torch.from_numpy(clean)[None, None]
    return net, x


def test_fit_lowers_loss_through_the_forward_model():
    net, x = _tiny_problem()
    physics = Downsample(4)
    result, _ = fit(net, WholeImage(x, physics(x)), physics, Loss(), iterations=40, lr=1e-2)
    assert result.iterations == 40
    assert result.loss[-1] < 0.5 * result.loss[0]


def test_fit_is_deterministic_for_a_seed():
    outs = []
    for _ in range(2):
        net, x = _tiny_problem(seed=3)
        sampler = RandomCrops(x, x, size=32, batch=2, factor=1, margin=0, seed=5)
        result, model = fit(net, sampler, Identity(), Loss(), iterations=5, lr=1e-2, ema=0.9)
        outs.append((result.loss, model(x).detach()))
    assert outs[0][0] == outs[1][0]
    torch.testing.assert_close(outs[0][1], outs[1][1], rtol=0, atol=0)


def test_plateau_stopper_stops_and_says_why():
    net, x = _tiny_problem()
    stopper = PlateauStopper(check_every=5, tolerance=10.0, patience=2, min_iterations=10)
    result, _ = fit(
        net, WholeImage(x, x), Identity(), Loss(), iterations=500, lr=1e-3,
        stopper=stopper, preview=lambda m, out: out.numpy(),
    )
    assert result.iterations == 15
    assert result.stop_reason.startswith("plateau")


def test_random_crops_line_up_with_the_low_resolution_target():
    x = torch.arange(128 * 128, dtype=torch.float32).reshape(1, 1, 128, 128)
    physics = Downsample(4)
    crops = RandomCrops(x, physics(x), size=64, batch=3, factor=4, margin=2, seed=0)
    inp, tgt, w = crops(1)
    assert inp.shape == (3, 1, 64, 64) and tgt.shape == (3, 1, 16, 16) and w.shape == (3, 1, 16, 16)
    # Away from the crop edge, downsampling the input crop gives the target crop.
    torch.testing.assert_close(physics(inp)[..., 4:-4, 4:-4], tgt[..., 4:-4, 4:-4], rtol=1e-4, atol=1e-2)


def test_crop_loss_margin_skips_inner_crop_edges_only():
    x = torch.rand(1, 1, 64, 64)
    physics = Downsample(2)
    crops = RandomCrops(x, physics(x), size=32, batch=64, factor=2, margin=2, seed=0)
    for y, xx in [(0, 0), (0, 16), (32, 32), (16, 32)]:
        w = crops._weight(y, xx)[0, 0]
        # The image's own edges are fitted (the target was padded the same way there) ...
        assert bool(w[0, 4:-4].all()) == (y == 0) and bool(w[-1, 4:-4].all()) == (y + 32 == 64)
        assert bool(w[4:-4, 0].all()) == (xx == 0) and bool(w[4:-4, -1].all()) == (xx + 32 == 64)
        # ... the crop's inner edges are not, the middle always is.
        assert w[4:-4, 4:-4].all()
    # Over every crop position each pixel of the image, the outermost included, is in the loss.
    seen = torch.zeros(32, 32)
    for y in range(0, 33, 2):
        for xx in range(0, 33, 2):
            seen[y // 2 : y // 2 + 16, xx // 2 : xx // 2 + 16] += crops._weight(y, xx)[0, 0]
    assert seen.min() > 0
    # Crops at the edges are drawn often enough to be fitted: 16 positions a side here,
    # the edge one drawn with the weight of a quarter crop's (8 low-res px) positions.
    wide = RandomCrops(torch.rand(1, 1, 64, 1024), torch.rand(1, 1, 32, 512), size=64, batch=4000, factor=2,
                       margin=2, seed=0)
    starts = wide._starts(481, 32)
    assert 0.01 < np.mean(starts == 0) < 0.03 and 0.01 < np.mean(starts == 480) < 0.03


def test_pad_unpad_round_trip_and_tiled_prediction():
    a = np.random.default_rng(0).random((37, 53, 3))
    amounts = pad_amounts(a.shape, 32)
    padded = pad(a, amounts)
    assert padded.shape[:2] == (64, 64)
    np.testing.assert_array_equal(unpad(padded, amounts), a)
    conv = torch.nn.Conv2d(1, 1, 3, padding=1)
    x = torch.rand(1, 1, 96, 160)
    torch.testing.assert_close(predict(conv, x, tile=64, overlap=16), conv(x), rtol=1e-4, atol=1e-4)


def test_pad_margin_keeps_every_side_at_least_the_margin_and_the_multiple():
    for shape in [(37, 53), (64, 64), (48, 80)]:
        t, b, l, r = pad_amounts(shape, 16, margin=16)
        assert min(t, b, l, r) >= 16
        assert (shape[0] + t + b) % 16 == 0 and (shape[1] + l + r) % 16 == 0
        assert max(t, b, l, r) < 16 + 16
    assert pad_amounts((64, 64), 16, margin=0) == (0, 0, 0, 0)
    # Only zero padding asks for the margin; the paper's reflection padding does not.
    assert NetworkConfig(padding="zeros", channels_down=[8] * 4, channels_up=[8] * 4, channels_skip=[4] * 4).margin == 16
    assert NetworkConfig().margin == 0


def test_foreground_crops_contain_the_sparse_signal():
    x = torch.zeros(1, 1, 512, 512)
    fg = np.zeros((512, 512), bool)
    fg[400:404, 60:64] = True  # one tiny bead: 0.006 % of the image
    x[..., 400:404, 60:64] = 1
    physics = Downsample(4)
    uniform = RandomCrops(x, physics(x), size=64, batch=64, factor=4, margin=2, seed=0)
    biased = RandomCrops(x, physics(x), size=64, batch=64, factor=4, margin=2, seed=0,
                         foreground=fg, foreground_share=0.5)
    hits = lambda sampler: int((sampler(1)[0].amax(dim=(1, 2, 3)) > 0).sum())
    assert hits(uniform) <= 3
    assert hits(biased) >= 20  # about half the batch, binomial(64, 0.5)


def test_plateau_stopper_does_not_take_a_dead_output_for_convergence():
    stopper = PlateauStopper(check_every=1, tolerance=1e-3, patience=2, min_iterations=0)
    assert all(stopper.update(k, np.zeros((8, 8))) is None for k in range(1, 10))
    live = np.ones((8, 8))
    results = [stopper.update(k, live) for k in range(10, 14)]
    assert results[-1] is not None and results[-1].startswith("plateau")


def test_adam_gives_torch_adams_bits():
    from histdip.optim import Adam

    torch.manual_seed(0)
    cfg = NetworkConfig(channels_down=[8, 8], channels_up=[8, 8], channels_skip=[2, 2], norm="none")
    nets = [SkipNet(1, 1, cfg), SkipNet(1, 1, cfg)]
    nets[1].load_state_dict(nets[0].state_dict())
    opts = [Adam(nets[0].parameters(), lr=6e-3), torch.optim.Adam(nets[1].parameters(), lr=6e-3)]
    x, y = torch.rand(1, 1, 32, 32), torch.rand(1, 1, 32, 32)
    for _ in range(15):
        for net, opt in zip(nets, opts):
            opt.zero_grad()
            ((net(x) - y) ** 2).mean().backward()
            opt.step()
    for a, b in zip(nets[0].parameters(), nets[1].parameters()):
        assert torch.equal(a, b)


def test_adam_rejects_nothing_to_fit():
    from histdip.optim import Adam

    with pytest.raises(ValueError, match="no parameters"):
        Adam([torch.nn.Parameter(torch.zeros(2), requires_grad=False)], lr=1e-3)


def test_a_restoration_does_not_import_torch_dynamo():
    # torch.optim's first step imports torch._dynamo (seconds per process); the fit's own
    # Adam must keep that cost out of every restoration.
    import subprocess
    import sys

    code = ("import sys, numpy as np, histdip; img = np.zeros((64, 64), np.uint8); img[20:30, 20:30] = 200; "
            "histdip.restore(img, iterations=3, threshold=100); print('torch._dynamo' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"

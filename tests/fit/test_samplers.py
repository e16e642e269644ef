"""histdip.fit.samplers: crops that line up with the target, fit the image's edges and find sparse signal."""

import numpy as np
import torch

from histdip.fit import RandomCrops, WholeImage
from histdip.physics import Downsample


def test_whole_image_gives_the_same_pair_every_step():
    x, y = torch.rand(1, 1, 8, 8), torch.rand(1, 1, 4, 4)
    assert WholeImage(x, y)(1)[0] is x and WholeImage(x, y)(9)[1] is y


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


def test_crops_at_the_edges_are_drawn_often_enough_to_be_fitted():
    # 16 positions a side here, the edge one drawn with the weight of a quarter crop's
    # (8 low-resolution px) positions.
    wide = RandomCrops(torch.rand(1, 1, 64, 1024), torch.rand(1, 1, 32, 512), size=64, batch=4000, factor=2,
                       margin=2, seed=0)
    starts = wide._starts(481, 32)
    assert 0.01 < np.mean(starts == 0) < 0.03 and 0.01 < np.mean(starts == 480) < 0.03


def test_foreground_crops_contain_the_sparse_signal():
    x = torch.zeros(1, 1, 512, 512)
    fg = np.zeros((512, 512), bool)
    fg[400:404, 60:64] = True  # one tiny bead: 0.006 % of the image
    x[..., 400:404, 60:64] = 1
    physics = Downsample(4)
    uniform = RandomCrops(x, physics(x), size=64, batch=64, factor=4, margin=2, seed=0)
    biased = RandomCrops(x, physics(x), size=64, batch=64, factor=4, margin=2, seed=0,
                         foreground=fg, foreground_share=0.5)

    def hits(sampler):
        return int((sampler(1)[0].amax(dim=(1, 2, 3)) > 0).sum())

    assert hits(uniform) <= 3
    assert hits(biased) >= 20  # about half the batch, binomial(64, 0.5)

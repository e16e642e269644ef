"""Zero-Shot Noise2Noise (Mansour & Heckel, CVPR 2023), re-implemented from the paper.

Y. Mansour, R. Heckel, "Zero-Shot Noise2Noise: Efficient Image Denoising without any
Data", CVPR 2023, pp. 14018-14027. Written here from the paper's description, not from
its released code.

Method (one noisy image ``y``, nothing else):

* **Pair downsampler**: two fixed stride-2 convolutions with the 2x2 kernels
  ``[[0, .5], [.5, 0]]`` and ``[[.5, 0], [0, .5]]`` give two half-size images
  ``D1(y)``, ``D2(y)`` whose noise is (nearly) independent and whose signal is (nearly)
  equal: a Noise2Noise pair made from one image.
* **Network** ``f``: a tiny residual (noise-predicting) CNN: 3x3 conv (1 -> 48),
  LeakyReLU(0.2), 3x3 conv (48 -> 48), LeakyReLU(0.2), 1x1 conv (48 -> 1); the
  denoiser is ``y - f(y)``. About 22 k parameters.
* **Loss** = residual loss + consistency loss (mean squared errors)::

      L_res  = 1/2 (|D1(y) - (D2(y) - f(D2(y)))|^2 + |D2(y) - (D1(y) - f(D1(y)))|^2)
      L_cons = 1/2 (|(D1(y) - f(D1(y))) - D1(y - f(y))|^2
                  + |(D2(y) - f(D2(y))) - D2(y - f(y))|^2)

  The first is symmetric (each sub-image's denoised version predicts the other); the
  second asks that denoise-then-downsample and downsample-then-denoise agree.
* **Optimiser**: Adam, lr 1e-3, 2000 iterations, learning rate halved at iteration 1500.
* **Output**: ``clip(y - f(y), 0, 1)`` on the full-size image.
"""

from __future__ import annotations

import numpy as np

from histdip.errors import ConfigError

from .contract import check_image, finish

__all__ = ["denoise_zsn2n", "pair_downsample", "ZSN2NNet"]


def _torch():
    import torch

    return torch


def pair_downsample(x):
    """The two half-size sub-images of a (N, C, H, W) tensor (odd edges dropped)."""
    torch = _torch()
    c = x.shape[1]
    k1 = torch.tensor([[0.0, 0.5], [0.5, 0.0]], dtype=x.dtype, device=x.device)
    k2 = torch.tensor([[0.5, 0.0], [0.0, 0.5]], dtype=x.dtype, device=x.device)
    k1 = k1.reshape(1, 1, 2, 2).repeat(c, 1, 1, 1)
    k2 = k2.reshape(1, 1, 2, 2).repeat(c, 1, 1, 1)
    d1 = torch.nn.functional.conv2d(x, k1, stride=2, groups=c)
    d2 = torch.nn.functional.conv2d(x, k2, stride=2, groups=c)
    return d1, d2


def ZSN2NNet(channels: int = 1, width: int = 48, generator=None):
    """The two-hidden-layer noise predictor; weights drawn from ``generator``.

    Initialisation follows PyTorch's default for ``Conv2d`` (Kaiming-uniform with
    ``a = sqrt(5)``, bias uniform in +-1/sqrt(fan_in)), but from the given generator
    so the result does not depend on, or disturb, the global RNG.
    """
    torch = _torch()
    nn = torch.nn
    net = nn.Sequential(
        nn.Conv2d(channels, width, 3, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(width, width, 3, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(width, channels, 1),
    )
    with torch.no_grad():
        for m in net:
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, a=5 ** 0.5, generator=generator)
                fan_in = m.weight.shape[1] * m.weight.shape[2] * m.weight.shape[3]
                bound = 1.0 / fan_in ** 0.5
                m.bias.uniform_(-bound, bound, generator=generator)
    return net


def _mse(a, b):
    return ((a - b) ** 2).mean()


def denoise_zsn2n(image, *, seed: int = 0, iterations: int = 2000, lr: float = 1e-3,
                  lr_step: int | None = 1500, lr_gamma: float = 0.5, width: int = 48,
                  device: str = "cpu", threads: int | None = None) -> np.ndarray:
    """ZS-N2N on one 2-D [0, 1] image; returns float32, same shape.

    Parameters: ``iterations`` (2000 per the paper; fewer for quick tests),
    ``lr`` (1e-3), ``lr_step``/``lr_gamma`` (step decay at 1500 by 0.5; None disables;
    when ``iterations`` is changed and ``lr_step`` left at 1500, the step is scaled to
    the same 75 % point), ``width`` (48 channels), ``device`` (``"cpu"``, ``"cuda"``),
    ``threads`` (torch intra-op threads during the call; None leaves the setting).

    Deterministic for a given seed on CPU: the weights come from a
    ``torch.Generator(seed)``, training uses no randomness, and the global RNG state is
    forked and restored (``torch.random.fork_rng``) so callers are not disturbed.
    """
    img = check_image(image)
    if img.shape[0] < 4 or img.shape[1] < 4:
        raise ConfigError(f"ZS-N2N needs at least 4x4 pixels, got {img.shape}")
    iterations = int(iterations)
    if iterations < 0:
        raise ConfigError(f"iterations must be >= 0, got {iterations}")
    if lr_step is not None and lr_step == 1500 and iterations != 2000:
        lr_step = max(1, int(round(0.75 * iterations)))
    torch = _torch()
    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(int(threads))
    devices = [] if device == "cpu" else [torch.device(device)]
    try:
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(int(seed))
            gen = torch.Generator().manual_seed(int(seed))
            net = ZSN2NNet(1, int(width), generator=gen).to(device)
            y = torch.from_numpy(img.astype(np.float32))[None, None].to(device)
            opt = torch.optim.Adam(net.parameters(), lr=float(lr))
            sched = (torch.optim.lr_scheduler.StepLR(opt, step_size=int(lr_step),
                                                     gamma=float(lr_gamma))
                     if lr_step else None)
            d1, d2 = pair_downsample(y)
            for _ in range(iterations):
                opt.zero_grad(set_to_none=True)
                den1 = d1 - net(d1)
                den2 = d2 - net(d2)
                loss_res = 0.5 * (_mse(d1, den2) + _mse(d2, den1))
                e1, e2 = pair_downsample(y - net(y))
                loss_cons = 0.5 * (_mse(den1, e1) + _mse(den2, e2))
                (loss_res + loss_cons).backward()
                opt.step()
                if sched is not None:
                    sched.step()
            with torch.no_grad():
                out = (y - net(y))[0, 0].detach().cpu().numpy()
    finally:
        if threads is not None:
            torch.set_num_threads(old_threads)
    return finish(out, img.shape)

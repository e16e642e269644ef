"""Where along a fit is the best output, and which stopping signal finds it?

For each FMD frame: DIP with the fast network for ``--iterations`` steps (stopping off),
a snapshot every 10 steps; per snapshot the PSNR against the 50-frame mean and three
candidate stopping signals:

* wmv   -- windowed moving variance of the last five snapshots (ES-WMV);
* lr    -- the discrepancy ratio in the loss's own space (x4-downsampled output against the
           downsampled frame, over that frame's noise variance estimated without binning);
* hr    -- the discrepancy ratio at full resolution with ``noise_variance_map`` (the rule
           the default uses).

Run: .venv/bin/python scripts/stopping_study.py [--frames A,B] [--iterations 600] [--lr 0.003]
Quoted in docs/stopping.md.
"""

import argparse
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import torch
from scipy import ndimage

import histdip
from histdip.metrics import psnr
from histdip.noise import estimate_poisson_gaussian, noise_variance_map
from histdip.physics import Downsample

p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
p.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "fmd-test-mix")
p.add_argument("--frames", default="WideField_BPAE_R_1,WideField_BPAE_G_1,Confocal_FISH_1,TwoPhoton_BPAE_G_1,Confocal_BPAE_B_1")
p.add_argument("--iterations", type=int, default=600)
p.add_argument("--lr", type=float, default=3e-3)
args = p.parse_args()
torch.set_num_threads(1)
down = Downsample(4)


def low(a):
    with torch.no_grad():
        return down(torch.from_numpy(np.asarray(a, np.float32))[None, None]).numpy()[0, 0].astype(np.float64)


for name in args.frames.split(","):
    z = iio.imread(args.data / "raw" / f"{name}.png").astype(np.float64)
    gt = iio.imread(args.data / "gt" / f"{name}.png").astype(np.float64)
    hr_noise = noise_variance_map(z / 255.0).mean()
    zl = low(z / 255.0)
    # At low resolution the noise is estimated without binning (the x4 model has already
    # averaged it), with a 3 x 3 local mean.
    e = estimate_poisson_gaussian(zl, clip_levels=())
    lr_noise = float((np.maximum(e["gain"] * (ndimage.uniform_filter(zl, 3) - e["offset"]), 0) + e["sigma"] ** 2).mean())
    r = histdip.restore_detailed(z.astype(np.uint8), method="dip", threshold=0, iterations=args.iterations,
                                 lr=args.lr, snapshots=10, stopping={"rule": "fixed"}, seed=0)
    snaps = np.stack([s for _, s in r.snapshots]) / 255.0
    print(f"\n{name}: true variance {((z - gt) ** 2).mean() / 255**2:.3g}, binned estimate {hr_noise:.3g}")
    print("step  PSNR    wmv        lr     hr")
    for i, (step, s) in enumerate(r.snapshots):
        wmv = snaps[max(0, i - 4): i + 1].var(axis=0).mean() * 255**2
        ratio_lr = ((low(snaps[i]) - zl) ** 2).mean() / lr_noise
        ratio_hr = ((snaps[i] - z / 255.0) ** 2).mean() / hr_noise
        score = psnr(np.clip(np.round(s), 0, 255), gt, data_range=255)
        print(f"{step:4d} {score:6.2f} {wmv:9.3g} {ratio_lr:6.2f} {ratio_hr:6.2f}", flush=True)

"""The default on colour phone photos noisier than the paper's: does the prior stay?

``sample='auto'`` keeps the threshold prior on a colour photo down to
``histdip.samples.AUTO_MIN_SNR_PHOTO`` noise sigma, on a grey frame down to
``AUTO_MIN_SNR``. Two checks against the simulator's clean image (affine PSNR / SSIM),
the photo given as a user gives it, in colour (``Scene.noisy_rgb``):

* ``fullsize``: 1200 x 900 bead photos at ``--levels`` times the calibrated noise,
  seeds 11-13: the default, ``--sample beads`` and ``--sample cells``, with steps and
  seconds, and the statistic the default read;
* ``crops``: the quality benchmark's 128 px bead scenes (seeds 11-19, x1 and x2 noise),
  which the benchmark hands every method as the green plane: the default on that grey
  plane and on the colour photo it was cut from.

Run (2 torch threads; fullsize about 2 min per noise level, crops about 5 min):
    .venv/bin/python scripts/colour_photo_check.py fullsize --levels 2,3,4,6
    .venv/bin/python scripts/colour_photo_check.py crops
Quoted in docs/results.md ("Session 10"); logs in docs/figures/data/colour-photo/.
"""

import argparse
import time

import numpy as np
import torch

import histdip
from histdip.bench.datasets import bead_scene
from histdip.metrics import psnr, ssim
from histdip.simulate import simulate_scene

p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
p.add_argument("what", choices=["fullsize", "crops"])
p.add_argument("--levels", default="2,3,4,6", help="noise levels for fullsize, comma-separated")
p.add_argument("--seeds", default=None, help="default: 11,12,13 (fullsize), 11-19 (crops)")
p.add_argument("--threads", type=int, default=2)
args = p.parse_args()
torch.set_num_threads(args.threads)


def fit(image, clean, **kw):
    t0 = time.perf_counter()
    run = histdip.restore_detailed(image, seed=0, **kw)
    out = np.asarray(run.image, np.float64)
    snr = run.sample_reason.split("average ")[1].split(" ")[0] if run.sample_reason else "-"
    return (f"{psnr(out, clean, data_range=1.0, affine=True):6.2f} / {ssim(out, clean, data_range=1.0, affine=True):.3f} "
            f"{run.config.sample:5s} {run.iterations:3d} st {time.perf_counter() - t0:5.1f} s  (statistic {snr})")


if args.what == "fullsize":
    seeds = [int(s) for s in (args.seeds or "11,12,13").split(",")]
    for level in (float(v) for v in args.levels.split(",")):
        for seed in seeds:
            sc = simulate_scene("beads", shape=(900, 1200), seed=seed, noise_level=level)
            for name, kw in [("default", {}), ("--sample beads", dict(sample="beads")),
                             ("--sample cells", dict(sample="cells"))]:
                print(f"x{level:g} seed {seed} {name:15s} {fit(sc.noisy_rgb, sc.clean, **kw)}", flush=True)
else:
    seeds = [int(s) for s in (args.seeds or "11,12,13,14,15,16,17,18,19").split(",")]
    for level in (1.0, 2.0):
        for seed in seeds:
            sc = bead_scene(128, seed, level)
            for name, image in [("green plane", sc.noisy.astype(np.float32)), ("colour photo", sc.noisy_rgb)]:
                print(f"128 px x{level:g} seed {seed} {name:12s} {fit(image, sc.clean)}", flush=True)

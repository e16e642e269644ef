"""The stopping rule's ``detour`` (session 10): where it changes a fit, and what it costs.

A ratio more than ``detour`` times its best so far is taken for a spike, not for a fit
that has levelled off. This runs the default and the same with ``detour=None`` (the
rule before) on the paper's ten phone photos (steps, seconds, whether the output
changed) and on the quality benchmark's 128 px bead scenes given as colour photos
(seeds 11-19, x1 and x2 noise; affine PSNR / SSIM against the clean image).

``trace`` prints, for one crop (``--seed``, ``--noise``), the ratio at each check and the
affine PSNR of the output there, with the levelling-off test switched off.

Run: .venv/bin/python scripts/detour_check.py [phones] [crops] [--threads 2]
     .venv/bin/python scripts/detour_check.py trace --seed 13 --noise 2 --threads 1
Quoted in docs/results.md ("Session 10"); log in docs/figures/data/detour/.
"""

import argparse
import time
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import torch

import histdip
from histdip.bench.datasets import bead_scene
from histdip.metrics import psnr, ssim

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
p.add_argument("what", nargs="*", default=["phones", "crops"], help="phones, crops, trace")
p.add_argument("--threads", type=int, default=2)
p.add_argument("--seed", type=int, default=13, help="trace: the crop's seed")
p.add_argument("--noise", type=float, default=2.0, help="trace: the crop's noise level")
args = p.parse_args()
torch.set_num_threads(args.threads)


def both(image):
    runs = []
    for detour in (1.5, None):
        t0 = time.perf_counter()
        run = histdip.restore_detailed(image, seed=0, stopping={"detour": detour})
        runs.append((run, time.perf_counter() - t0))
    return runs


def show(name, runs, clean=None):
    line = f"{name:18s}"
    for label, (run, sec) in zip(("detour 1.5", "before"), runs):
        score = "" if clean is None else (f" {psnr(run.image, clean, data_range=1.0, affine=True):6.2f} / "
                                          f"{ssim(run.image, clean, data_range=1.0, affine=True):.3f}")
        line += f" | {label}:{score} {run.iterations:3d} st {sec:5.1f} s"
    same = np.array_equal(runs[0][0].image, runs[1][0].image)
    print(line + (" | same output" if same else " | CHANGED"), flush=True)


if "trace" in args.what:
    sc = bead_scene(128, args.seed, args.noise)
    run = histdip.restore_detailed(sc.noisy_rgb, seed=0, snapshots=10,
                                   stopping={"patience": 10_000, "near_patience": 10_000})
    outputs = dict(run.snapshots)
    for step, ratio in run.stop_trace:
        print(f"step {step:3d}  ratio {ratio:8.2f}  "
              f"{psnr(np.asarray(outputs[step], np.float64), sc.clean, data_range=1.0, affine=True):6.2f} dB", flush=True)
if "phones" in args.what:
    for k in "abcdefghij":
        show(f"phone {k}.png", both(iio.imread(DATA / "smartphone-beads" / f"{k}.png")[..., :3]))
if "crops" in args.what:
    for level in (1.0, 2.0):
        for seed in range(11, 20):
            sc = bead_scene(128, seed, level)
            show(f"128 px x{level:g} seed {seed}", both(sc.noisy_rgb), sc.clean)

"""Where does the default's noise-level stopping rule stop, and is that a good place?

1. Full-size simulated bead photos (known clean image): affine-fair PSNR / SSIM of the
   default (self-stopping) against the same fit with the stopping rule off, kept at
   fixed budgets (snapshots), so one can see where along the curve the rule stopped.
2. The ten smartphone photos: iterations, stop reason and seconds of the default.

Run: .venv/bin/python scripts/stopping_check.py [--photos a,b,...] [--threads 1]
Quoted in docs/benchmarks.md ("Stopping by itself").
"""

import argparse
import time
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import torch

import histdip
from histdip.metrics import psnr, ssim
from histdip.simulate import simulate_scene

p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
p.add_argument("--photos", default="a,b,c,d,e,f,g,h,i,j")
p.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "smartphone-beads")
p.add_argument("--threads", type=int, default=1)
p.add_argument("--skip-sim", action="store_true")
args = p.parse_args()
torch.set_num_threads(args.threads)
default = histdip.RestoreConfig.from_preset("fast")
cap = default.iterations
print(f"default: {default.stopping.rule} rule, check every {default.stopping.check_every}, "
      f"at least {default.stopping.min_iterations}, at most {cap} iterations")

if not args.skip_sim:
    print("\n| scene | run | iterations | PSNR aff | SSIM aff |\n|---|---|---|---|---|")
    for seed, size, kind in [(1, "mixed", "beads"), (2, "points", "beads"), (3, "mixed", "cells")]:
        sc = simulate_scene(kind, shape=(1200, 900), seed=seed, bead_size=size)
        clean = sc.clean.astype(np.float64)
        name = f"{kind} {size} seed {seed}" if kind == "beads" else f"{kind} seed {seed}"
        t = time.perf_counter()
        r = histdip.restore_detailed(sc.noisy_rgb)
        secs = time.perf_counter() - t
        print(f"| {name} | default: {r.stop_reason.split(':')[0]} ({secs:.0f} s) | {r.iterations} | "
              f"{psnr(r.image / 255, clean, data_range=1.0, affine=True):.2f} | "
              f"{ssim(r.image / 255, clean, data_range=1.0, affine=True):.3f} |", flush=True)
        f = histdip.restore_detailed(sc.noisy_rgb, stopping={"rule": "fixed"}, snapshots=100)
        for k, snap in f.snapshots:
            print(f"| {name} | fixed | {k} | {psnr(snap / 255, clean, data_range=1.0, affine=True):.2f} | "
                  f"{ssim(snap / 255, clean, data_range=1.0, affine=True):.3f} |", flush=True)

print("\n| photo | iterations | stop | seconds |\n|---|---|---|---|")
for k in args.photos.split(","):
    photo = iio.imread(args.data / f"{k}.png")
    t = time.perf_counter()
    r = histdip.restore_detailed(photo)
    print(f"| {k} | {r.iterations} | {r.stop_reason} | {time.perf_counter() - t:.1f} |", flush=True)

"""The sample settings on full-size (1200 x 900) simulated filaments and cells.

The quality benchmark's scenes are 128 px; a phone or camera frame is ~1 MP, where the
same density of filaments covers ~40 % of the field. For each scene (seed 21, the
benchmark's object density) this prints affine PSNR / SSIM against the clean signal,
steps and seconds for the default, the sample settings, DIP alone (``sample='cells'``)
at stopping levels 1.0 / 0.8 / 0.6, the classical pipeline and BM3D alone.

Run: .venv/bin/python scripts/fullsize_sample_check.py [--threads 2]   (~5 min)
Quoted in docs/results.md ("Session 7").
"""

import argparse
import time

import numpy as np
import torch

import histdip
from histdip.metrics import psnr, ssim
from histdip.peers import PEERS, denoise_classical_pipeline
from histdip.simulate import simulate_scene

p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
p.add_argument("--threads", type=int, default=2)
p.add_argument("--seed", type=int, default=21)
args = p.parse_args()
torch.set_num_threads(args.threads)

RUNS = {
    "filaments": [("default", {}), ("sample filaments", dict(sample="filaments")),
                  ("sample cells", dict(sample="cells")),
                  ("sample cells, level 0.8", dict(sample="cells", stopping={"level": 0.8})),
                  ("sample cells, level 0.6", dict(sample="cells", stopping={"level": 0.6}))],
    "cells": [("default", {}), ("sample cells", dict(sample="cells"))],
}
for kind, runs in RUNS.items():
    n = int(round((8 if kind == "cells" else 6) * 900 * 1200 / 128 ** 2))
    sc = simulate_scene(kind, shape=(900, 1200), seed=args.seed, n_beads=n)
    x = sc.noisy.astype(np.float32)
    print(f"{kind}: {n} objects, {np.mean(sc.clean > 0.05 * sc.clean.max()):.2f} of the clean image above 5 % of its peak")
    peers = [("classical pipeline", denoise_classical_pipeline), ("BM3D alone", PEERS["bm3d"])]
    for name, what in runs + peers:
        t0 = time.perf_counter()
        if callable(what):
            out, steps = np.asarray(what(x.astype(np.float64)), np.float64), 0
        else:
            run = histdip.restore_detailed(x, seed=0, **what)
            out, steps = np.asarray(run.image, np.float64), run.iterations
        dt = time.perf_counter() - t0
        print(f"  {name:26s} {psnr(out, sc.clean, data_range=1.0, affine=True):6.2f} / "
              f"{ssim(out, sc.clean, data_range=1.0, affine=True):.3f}  steps {steps:3d}  {dt:5.1f} s", flush=True)

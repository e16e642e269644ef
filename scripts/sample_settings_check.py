"""The fast preset, its settings per kind of sample, and peers, on many simulated seeds.

For each simulated item of the quality benchmark (128 px, the seeds given) it runs the
named variants in one process and prints affine-fair PSNR / SSIM against the clean
signal, the steps fitted and the seconds, then the mean per dataset and variant.

Variants: ``default`` (the fast preset; its ``sample='auto'`` choice is printed last on
each line), ``sample:beads|filaments|cells``
(:mod:`histdip.samples`), a few single changes (``low-li``: hysteresis with Li's T as
the low one; ``lv0.6``: stop at 0.6 of the noise variance; ``bgnone``: no background
subtraction; ``cells+lv0.6``; ``*+ens8``: prediction averaged over 8 flips / turns), and the peers ``classical`` (BM3D + rolling ball + Otsu, as in the
benchmark), ``bm3d`` and ``nlm``.

Run (2 torch threads, about 12 s per fit):
    .venv/bin/python scripts/sample_settings_check.py 11,12,13,14,15,16 sim-filaments,sim-cells \\
        default,sample:filaments,sample:cells,classical
Quoted in docs/results.md ("Session 7"); logs in docs/figures/data/sample-settings/.
"""

import argparse
import time

import numpy as np
import torch

import histdip
from histdip.bench.quality import Settings, load_items, run_method, score

VARIANTS = {
    "default": {},
    "low-li": dict(threshold_low="li"),
    "lv0.6": dict(stopping={"level": 0.6}),
    "bgnone": dict(background="none"),
    "low-li+bgnone": dict(threshold_low="li", background="none"),
    "dip": dict(method="dip"),
    "cells+lv0.6": dict(sample="cells", stopping={"level": 0.6}),
    "cells+ens8": dict(sample="cells", ensemble=8),
    "filaments+ens8": dict(sample="filaments", ensemble=8),
    "default+ens8": dict(ensemble=8),
}
PEERS = {"classical": "classical_pipeline", "bm3d": "bm3d", "nlm": "nlm"}

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("seeds", help="comma-separated simulator seeds")
p.add_argument("datasets", help="comma-separated: sim-beads, sim-filaments, sim-cells")
p.add_argument("variants", help="comma-separated, see above")
p.add_argument("--threads", type=int, default=2)
args = p.parse_args()
torch.set_num_threads(args.threads)
variants = args.variants.split(",")
for v in variants:
    if v not in VARIANTS and v not in PEERS and not v.startswith("sample:"):
        p.error(f"unknown variant {v!r}")
settings = Settings(sim_seeds=tuple(int(s) for s in args.seeds.split(",")), threads=args.threads)
datasets = args.datasets.split(",")
results = {}
for item in load_items(datasets, settings):
    for v in variants:
        t0 = time.perf_counter()
        if v in PEERS:
            out, steps, chosen = run_method(PEERS[v], item, settings, 0, {}), 0, "-"
        else:
            kw = dict(sample=v.split(":", 1)[1]) if v.startswith("sample:") else VARIANTS[v]
            run = histdip.restore_detailed(item.image, seed=0, **kw)
            out, steps, chosen = np.asarray(run.image, np.float64), run.iterations, run.config.sample
        s = score(item, out)
        results.setdefault(v, []).append((item.dataset, s["psnr_affine"], s["ssim_affine"]))
        print(f"{item.name:28s} {v:17s} {s['psnr_affine']:6.2f} {s['ssim_affine']:.3f} ({steps}) "
              f"{time.perf_counter() - t0:5.1f}s {chosen}", flush=True)
for v, rows in results.items():
    for d in datasets:
        psnrs = [r[1] for r in rows if r[0] == d]
        ssims = [r[2] for r in rows if r[0] == d]
        print(f"MEAN {d:14s} {v:17s} {np.mean(psnrs):6.2f} {np.mean(ssims):.3f} n={len(psnrs)}")

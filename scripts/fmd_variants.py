"""Compare restoration settings on chosen FMD frames (the tuning runs of docs/stopping.md).

Each variant is a set of RestoreConfig overrides on top of the current default; a
variant may list ``"seeds": [0, 1]`` to average the outputs of several seeds. PSNR as in
scripts/fmd_check.py (8-bit, peak 255, whole frame).

Run, e.g. (the previous default, and it with lr 6e-3):
    .venv/bin/python scripts/fmd_variants.py Confocal_FISH_1,WideField_BPAE_R_1 \\
      '{"old": {"method": "dip", "threshold": 0, "lr": 0.003, "iterations": 200, "stopping": {"rule": "fixed"}},
        "lr6": {"method": "dip", "threshold": 0, "lr": 0.006, "iterations": 200, "stopping": {"rule": "fixed"}}}'
"""

import json
import sys
import time
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import torch

import histdip
from histdip.metrics import psnr

if len(sys.argv) != 3:
    raise SystemExit(__doc__)
torch.set_num_threads(1)
root = Path(__file__).resolve().parents[2] / "shared" / "data" / "fmd-test-mix"
variants = json.loads(sys.argv[2])
for name in sys.argv[1].split(","):
    noisy = iio.imread(root / "raw" / f"{name}.png")
    gt = iio.imread(root / "gt" / f"{name}.png").astype(np.float64)
    row = [f"{name:22s} noisy={psnr(noisy.astype(np.float64), gt, data_range=255):.2f}"]
    for label, overrides in variants.items():
        overrides = dict(overrides)
        seeds = overrides.pop("seeds", [0])
        t = time.perf_counter()
        runs = [histdip.restore_detailed(noisy, seed=s, **overrides) for s in seeds]
        out = np.mean([r.image for r in runs], axis=0)
        score = psnr(np.clip(np.round(out), 0, 255), gt, data_range=255)
        row.append(f"{label}={score:.2f}({time.perf_counter() - t:.0f}s,{runs[-1].iterations} it)")
    print(" ".join(row), flush=True)

"""histdip on real Poisson-Gaussian noise: the FMD test_mix frames against their 50-frame
averages, beside VST + BM3D run in the same process.

PSNR on 8-bit values (output rounded and clipped to 0-255), peak 255, whole 512 x 512
image: the FMD paper's convention, under which VST+BM3D is published at 32.71 dB (mean
over the 48 frames). histdip runs with its defaults (``sample='auto'``, which fits these
frames without a threshold: FMD's references keep their background, which a
fluorescence threshold would zero); each row records the sample chosen.

Run:
    .venv/bin/python scripts/fmd_check.py                 # all 48 frames (~20 min on 2 cores)
    .venv/bin/python scripts/fmd_check.py --frames first  # the 12 ``<Config>_1`` frames
    .venv/bin/python scripts/fmd_check.py --set lr=0.006 --set ema=0.98   # a variant
Per-frame results go to ``--out`` (JSON) as well as the console.
"""

import argparse
import json
import time
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import torch

import histdip
from histdip.config import parse_assignments
from histdip.metrics import psnr
from histdip.peers import PEERS

p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
p.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "fmd-test-mix")
p.add_argument("--frames", choices=["all", "first"], default="all")
p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
               help="RestoreConfig override (JSON value), e.g. lr=0.006; repeatable")
p.add_argument("--no-bm3d", action="store_true", help="skip the VST+BM3D reference")
p.add_argument("--seed", type=int, default=0)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--out", type=Path, default=None)
args = p.parse_args()
torch.set_num_threads(args.threads)
overrides = parse_assignments(args.set)
frames = sorted((args.data / "raw").glob("*_1.png" if args.frames == "first" else "*.png"))
if not frames:
    raise SystemExit(f"no FMD frames under {args.data / 'raw'}")

methods = ["noisy", "histdip"] + ([] if args.no_bm3d else ["VST+BM3D"])
rows, seconds = [], {m: 0.0 for m in methods}
for path in frames:
    noisy = iio.imread(path)
    gt = iio.imread(args.data / "gt" / path.name).astype(np.float64)

    def score(out, gt=gt):
        return psnr(np.clip(np.round(out), 0, 255), gt, data_range=255)

    row = {"frame": path.stem, "noisy": score(noisy.astype(np.float64))}
    t = time.perf_counter()
    r = histdip.restore_detailed(noisy, seed=args.seed, **overrides)
    seconds["histdip"] += time.perf_counter() - t
    row.update(histdip=score(r.image), sample=r.config.sample, iterations=r.iterations, stop_reason=r.stop_reason)
    if not args.no_bm3d:
        t = time.perf_counter()
        out = PEERS["bm3d_vst"](noisy / 255.0) * 255.0
        seconds["VST+BM3D"] += time.perf_counter() - t
        row["VST+BM3D"] = score(out)
    rows.append(row)
    print(" ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()), flush=True)

print(f"\nhistdip settings: {overrides}; mean over {len(rows)} frames (PSNR dB, peak 255), total seconds:")
print("| method | mean PSNR | seconds |\n|---|---|---|")
for m in methods:
    print(f"| {m} | {np.mean([r[m] for r in rows]):.2f} | {seconds[m]:.0f} |")
if args.out:
    args.out.write_text(json.dumps({"overrides": overrides, "rows": rows, "seconds": seconds}, indent=1))

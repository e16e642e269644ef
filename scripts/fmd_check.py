"""First look at histdip on real Poisson-Gaussian noise: FMD test_mix, one raw frame per
configuration (``<Config>_1.png``, 12 frames) against its 50-frame average.

PSNR on 8-bit values, peak 255, whole 512 x 512 image (the FMD convention). Compares two
DIP-alone configurations of histdip (no threshold: it would zero real background) with
VST + BM3D (the published 32.71 dB figure is over all 48 frames) in the same run.

Run: .venv/bin/python scripts/fmd_check.py [DATA_DIR]   (default ../shared/data/fmd-test-mix)
"""

import sys
import time
from pathlib import Path

import imageio.v3 as iio
import numpy as np

import histdip
from histdip.metrics import psnr
from histdip.peers import PEERS

root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parents[2] / "shared" / "data" / "fmd-test-mix")
frames = sorted((root / "raw").glob("*_1.png"))
CONFIGS = {
    "dip x4 (fast, image input)": dict(method="dip", threshold=0),
    "dip identity + GAT (noise input)": dict(
        method="dip", threshold=0, physics={"kind": "identity"}, input="noise", input_channels=8,
        noise_model="poisson-gaussian", patch_size=None, iterations=300,
    ),
}
scores = {name: [] for name in ["noisy", *CONFIGS, "VST+BM3D"]}
seconds = {name: 0.0 for name in scores}
for path in frames:
    noisy = iio.imread(path)
    gt = iio.imread(root / "gt" / path.name).astype(np.float64)
    scores["noisy"].append(psnr(noisy.astype(np.float64), gt, data_range=255))
    for name, cfg in CONFIGS.items():
        t = time.perf_counter()
        out = histdip.restore(noisy, seed=0, **cfg)
        seconds[name] += time.perf_counter() - t
        scores[name].append(psnr(np.clip(np.round(out), 0, 255), gt, data_range=255))
    t = time.perf_counter()
    out = PEERS["bm3d_vst"](noisy / 255.0) * 255.0
    seconds["VST+BM3D"] += time.perf_counter() - t
    scores["VST+BM3D"].append(psnr(np.clip(np.round(out), 0, 255), gt, data_range=255))
    print(path.name, " ".join(f"{k}={v[-1]:.2f}" for k, v in scores.items()), flush=True)
print(f"\nmean over {len(frames)} frames (PSNR dB, peak 255) and total seconds:")
for name, values in scores.items():
    print(f"| {name} | {np.mean(values):.2f} | {seconds[name]:.0f} s |")

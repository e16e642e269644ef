"""What each reference counts as signal: two oracle outputs, scored without any noise.

The quality target of the fast preset is judged against two kinds of reference that
disagree about the light between the objects:

* the simulator's clean image holds the objects only; the background, haze and flare
  that the camera also recorded are not in it;
* FMD's 50-frame averages keep everything the microscope recorded, background included.

Two oracles make the disagreement a number, with the noise taken out of the question:

* ``recorded``: the noise-free recording itself (the simulator's ``expected``; FMD's
  average). The best any output can do that keeps the recorded light, however well it
  denoises.
* ``prior``: the threshold prior of the default's ``beads`` settings (rolling ball, Yen's T,
  mask grown 1 px, the rest zero) applied to that noise-free recording:
  ``histdip.restore(noise_free, method='threshold', sample='beads')``. The best a
  threshold-prior output can do, with a perfect network.

Each oracle is scored against the reference the benchmark uses: affine PSNR / SSIM
against the simulator's clean image (the quality benchmark's 128 px items, seeds 11-19),
and PSNR on 0-255 (peak 255, the FMD convention of ``scripts/fmd_check.py``) against the
FMD averages, with affine PSNR beside it. No fitting: about a minute.

Run: .venv/bin/python scripts/reference_ceiling.py [sim] [fmd]
Quoted in docs/results.md ("Session 10").
"""

import sys
from collections import defaultdict
from pathlib import Path

import imageio.v3 as iio
import numpy as np

import histdip
from histdip.bench.quality import Settings, load_items
from histdip.metrics import psnr, ssim

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def prior(noise_free):
    return histdip.restore(noise_free, method="threshold", sample="beads")


def sim():
    groups = defaultdict(list)
    items = load_items(["sim-beads", "sim-filaments", "sim-cells"], Settings(sim_seeds=tuple(range(11, 20))))
    for item in items:
        ref, rec = item.reference, item.expected
        out = prior(rec.astype(np.float32)).astype(np.float64)
        groups[f"{item.dataset} {item.noise}"].append(
            (psnr(rec, ref, affine=True), ssim(rec, ref, affine=True), psnr(out, ref, affine=True),
             ssim(out, ref, affine=True)))
    print("simulated scenes, 128 px, seeds 11-19: affine PSNR / SSIM against the clean image (mean, min-max PSNR)")
    print("| scenes | recorded (noise-free photo) | threshold prior on it |\n|---|---|---|")
    for name, rows in groups.items():
        r = np.array(rows)
        print(f"| {name} | {r[:, 0].mean():.2f} / {r[:, 1].mean():.3f} ({r[:, 0].min():.1f}-{r[:, 0].max():.1f}) "
              f"| {r[:, 2].mean():.2f} / {r[:, 3].mean():.3f} ({r[:, 2].min():.1f}-{r[:, 2].max():.1f}) |")


def fmd():
    rows = []
    for gt_path in sorted((DATA / "fmd-test-mix" / "gt").glob("*.png")):
        gt = iio.imread(gt_path).astype(np.float64)
        out = np.clip(np.round(prior(gt.astype(np.float32))), 0, 255)
        rows.append((psnr(out, gt, data_range=255), psnr(out, gt, data_range=255, affine=True)))
        print(f"  {gt_path.stem:24s} prior on the average: PSNR {rows[-1][0]:6.2f}  affine {rows[-1][1]:6.2f}",
              flush=True)
    r = np.array(rows)
    print(f"FMD, {len(rows)} averages: the threshold prior on the average itself scores {r[:, 0].mean():.2f} dB "
          f"(min {r[:, 0].min():.2f}, max {r[:, 0].max():.2f}; affine {r[:, 1].mean():.2f}); "
          "the recorded oracle is the reference (infinite)")


for what in sys.argv[1:] or ["sim", "fmd"]:
    {"sim": sim, "fmd": fmd}[what]()

"""Can a threshold on the *fitted* output rescue the ``cells`` settings on sparse scenes?

``sample='auto'`` fits every image whose objects stand less than 15 noise sigma above
the floor as ``cells`` (no threshold, no background subtraction). On sparse simulated
scenes (filaments, dim bead crops) that loses to the threshold prior; on real frames the
threshold loses. The denoised output has far less noise than the input, so a threshold
on it might separate dim real structure from the floor where one on the input cannot.

Step 1 fits the ``cells`` settings on the quality benchmark's items (128 px simulated
scenes, seeds 11-19; FMD, W2S and Myxococcus crops) and saves each output under
``--cache``. Step 2 scores, against the independent reference (affine PSNR / SSIM),
the output as it is and after a threshold on it (Yen / Otsu / triangle / Li of the
output smoothed over 1 px, mask grown by 1 px, the rest set to the median below T), or
after a rolling ball (25 / 50 px); and prints per item statistics of the output (the
triangle mask's coverage, the share of pixels within 0.5 / 1 / 2 input noise sigma of
the output's mode) beside the gain of the triangle threshold.

Run (2 torch threads; step 1 about 6 min, step 2 seconds):
    .venv/bin/python scripts/output_threshold_check.py [--cache DIR] [--score-only]
Quoted in docs/results.md ("Session 9"); log in docs/figures/data/sample-auto/session9_output_threshold.log.
"""

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage

import histdip
from histdip.background import subtract_background
from histdip.bench.quality import Settings, load_items, score
from histdip.color import luma
from histdip.intensity import intensity_range, to_unit
from histdip.metrics import psnr, ssim
from histdip.noise import noise_sigma
from histdip.prior import foreground_mask, threshold_value

DATASETS = ["sim-filaments", "sim-cells", "sim-beads", "fmd", "w2s", "myxo"]


def fit_all(cache):
    settings = Settings(sim_seeds=tuple(range(11, 20)), threads=2)
    for item in load_items(DATASETS, settings):
        t0 = time.perf_counter()
        run = histdip.restore_detailed(item.image, seed=0, sample="cells")
        out = np.asarray(run.image, np.float64)
        s = score(item, out)
        key = f"{item.dataset}|{item.name}".replace(" ", "_").replace("/", "_")
        np.savez_compressed(cache / f"{key}.npz", out=out, ref=item.reference, dr=item.data_range,
                            image=np.asarray(item.image), dataset=item.dataset, name=item.name)
        print(f"{item.dataset:14s} {item.name:30s} {s['psnr_affine']:6.2f} {s['ssim_affine']:.3f} "
              f"({run.iterations}) {time.perf_counter() - t0:5.1f}s", flush=True)


def floor_threshold(o, rule):
    """(output, mask): ``o`` above ``rule``'s T on its 1 px smoothing (mask grown 1 px), the
    rest set to the median below T."""
    g = ndimage.gaussian_filter(o, 1.0)
    m = foreground_mask(g, threshold_value(g, rule), grow=1)
    return np.where(m, o, np.median(o[~m]) if (~m).any() else 0.0), m


def variants(o):
    yield "none", o
    for rule in ["yen", "otsu", "triangle", "li"]:
        yield f"{rule}-floor", floor_threshold(o, rule)[0]
    for r in [25, 50]:
        yield f"rb{r}", subtract_background((o - o.min()) / (np.ptp(o) + 1e-12), "rolling-ball", r)


def score_all(cache):
    rows = {}
    for f in sorted(cache.glob("*.npz")):
        z = np.load(f, allow_pickle=True)
        o = z["out"][..., 1] if z["out"].ndim == 3 else z["out"]
        ref, dr, name = z["ref"], float(z["dr"]), str(z["name"])
        grp = str(z["dataset"]) + ("-x2" if "x2" in name else "")
        line = []
        for v, out in variants(o):
            p, s = psnr(out, ref, data_range=dr, affine=True), ssim(out, ref, data_range=dr, affine=True)
            rows.setdefault((grp, v), []).append((p, s))
            line.append(f"{v}:{p:.2f}")
        # Statistics of the output, in the input's noise sigma (on the input's unit scale).
        img = z["image"]
        lo, hi = intensity_range(img)
        ou = (o - lo) / (hi - lo)
        sig = noise_sigma(luma(to_unit(img)))
        floored, m = floor_threshold(ou, "triangle")
        gain = psnr(floored, ref, data_range=dr, affine=True) - psnr(ou, ref, data_range=dr, affine=True)
        hist, edges = np.histogram(ou, bins=512)
        mode = edges[np.argmax(hist)] + (edges[1] - edges[0]) / 2
        near = " ".join(f"{np.mean(np.abs(ou - mode) < k * sig):.2f}" for k in (0.5, 1, 2))
        print(f"{grp:14s} {name[:22]:22s} {' '.join(line)} | triangle gain {gain:+6.2f} coverage {m.mean():.2f} "
              f"near mode 0.5/1/2 sigma {near}")
    groups = sorted({g for g, _ in rows})
    names = [v for g, v in rows if g == groups[0]]
    print("\nmean affine PSNR / SSIM")
    for g in groups:
        print(f"{g:16s}", " ".join(f"{v}:{np.mean([r[0] for r in rows[(g, v)]]):.2f}/"
                                   f"{np.mean([r[1] for r in rows[(g, v)]]):.3f}" for v in names))


p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--cache", type=Path, default=Path("bench-results/output-threshold"))
p.add_argument("--score-only", action="store_true", help="skip step 1 (outputs already in --cache)")
args = p.parse_args()
torch.set_num_threads(2)
args.cache.mkdir(parents=True, exist_ok=True)
if not args.score_only:
    fit_all(args.cache)
score_all(args.cache)

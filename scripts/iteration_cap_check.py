"""Is the fitted network adding anything over the threshold? Two full-size simulated
bead photos, default preset run 500 steps with snapshots every 50, affine-fair PSNR/SSIM
against the clean signal, beside threshold-only and the classical pipeline.

Run: .venv/bin/python scripts/iteration_cap_check.py   (about 5 minutes on 2 cores)
Results are quoted in docs/results.md ("Full-size simulated photos").
"""
import time, numpy as np, histdip
from histdip.simulate import simulate_scene
from histdip.metrics import psnr, ssim
from histdip.peers import PEERS
rows = []
for seed, size in [(1, "mixed"), (2, "points")]:
    sc = simulate_scene("beads", shape=(1200, 900), seed=seed, bead_size=size)
    clean = sc.clean.astype(np.float64)
    score = lambda out: (psnr(out, clean, data_range=1.0, affine=True), ssim(out, clean, data_range=1.0, affine=True))
    t0 = time.time()
    r = histdip.restore_detailed(sc.noisy_rgb, iterations=500, snapshots=50, stopping={"rule": "fixed"})
    fit_s = time.time() - t0
    for k, snap in r.snapshots:
        p, s = score(snap / 255.0)
        rows.append((seed, size, f"hist-dip @{k}", p, s))
    g = sc.noisy_rgb[..., 1] / 255.0
    thr = histdip.restore(sc.noisy_rgb, method="threshold") / 255.0
    rows.append((seed, size, "threshold (yen)", *score(thr)))
    rows.append((seed, size, "noisy green", *score(g)))
    t0 = time.time(); cp = PEERS["classical_pipeline"](g); cp_s = time.time() - t0
    rows.append((seed, size, "classical pipeline", *score(cp)))
    print(f"seed {seed} {size}: T={r.threshold:.1f} fit {fit_s:.1f}s (500 it + 10 snapshots), classical {cp_s:.1f}s", flush=True)
for row in rows:
    print("%d %-7s %-22s PSNR_aff %.2f  SSIM_aff %.3f" % row)

"""The iteration curve: PSNR against the known clean image at every snapshot of a fit.

The project page of the HIST-DIP paper shows DIP alone peaking and then falling as it
memorises noise, while HIST-DIP climbs and plateaus. :func:`run_iteration_curve` fits
DIP alone and HIST-DIP to the *same* small simulated crop, keeps the output every
``every`` steps (``restore_detailed(..., snapshots=every)``) and scores each snapshot
against the simulator's references:

* ``clean`` -- the ideal fluorescence signal (no background, haze, flare or noise). A
  HIST-DIP output has its background zeroed by the threshold, which by itself brings it
  closer to ``clean``; DIP alone reproduces the background, so its *raw* PSNR against
  ``clean`` is low for that reason alone. The affine-fair PSNR (least-squares gain and
  offset, :func:`histdip.metrics.fit_affine`) removes a constant offset, not an uneven
  background.
* ``expected`` -- the noise-free photo (background + haze + clean): what a pure denoiser
  should return; DIP alone is fitted to exactly this target plus noise.

Each configuration's curve is written to ``curve_<name>.json`` as soon as it finishes,
so an interrupted run keeps what it completed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from histdip.metrics import psnr

#: (name, overrides of restore_detailed) of the curves run by default.
CURVE_CONFIGS = {
    "fast-dip": dict(preset="fast", method="dip", patch_size=None, stopping={"rule": "fixed"}),
    "fast-hist-dip": dict(preset="fast", method="hist-dip", patch_size=None, stopping={"rule": "fixed"}),
    "paper-dip": dict(preset="paper", method="dip", channel="auto"),
    "paper-hist-dip": dict(preset="paper", method="hist-dip", channel="auto"),
}


def curve_scene(size=64, seed=3, noise_level=2.0):
    """The simulated crop the curves are fitted to: small beads, noisier than default."""
    from histdip.simulate import simulate_scene

    n = max(3, int(round(8 * (size / 64) ** 2)))
    return simulate_scene("beads", shape=(size, size), seed=seed, noise_level=noise_level,
                          bead_size=(5.0, 12.0), n_beads=n)


def _score(arr, scene):
    arr = np.asarray(arr, np.float64)
    if arr.ndim == 3:
        arr = arr[..., 1]
    return {
        "psnr_clean": psnr(arr, scene.clean, data_range=1.0),
        "psnr_clean_affine": psnr(arr, scene.clean, data_range=1.0, affine=True),
        "psnr_expected": psnr(arr, scene.expected, data_range=1.0),
        "psnr_expected_affine": psnr(arr, scene.expected, data_range=1.0, affine=True),
    }


def run_iteration_curve(outdir, *, size=64, iterations=2000, every=50, configs=None,
                        paper_iterations=None, seed=0, scene_seed=3, noise_level=2.0,
                        threads=1, log=print):
    """Fit each configuration to one simulated crop; return {name: curve dict}.

    ``configs``: names from :data:`CURVE_CONFIGS` (default: all). ``paper_iterations``
    caps the paper-preset runs (its 2.2 M-parameter network is ~3x slower per step).
    """
    import torch

    import histdip

    if threads:
        torch.set_num_threads(int(threads))
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    scene = curve_scene(size, scene_seed, noise_level)
    image = scene.noisy  # green plane, float32 in [0, 1]
    before = _score(image, scene)
    results = {}
    for name in configs or list(CURVE_CONFIGS):
        kw = dict(CURVE_CONFIGS[name])
        n_it = iterations
        if name.startswith("paper") and paper_iterations:
            n_it = min(iterations, int(paper_iterations))
        t0 = time.perf_counter()
        r = histdip.restore_detailed(image, snapshots=every, iterations=n_it, seed=seed,
                                     threshold="otsu", **kw)
        seconds = time.perf_counter() - t0
        points = [{"iteration": int(k), **_score(a, scene)} for k, a in r.snapshots]
        final = {"iteration": int(r.iterations), **_score(r.image, scene)}
        curve = {"name": name, "overrides": kw, "iterations": n_it, "every": every,
                 "size": size, "scene_seed": scene_seed, "noise_level": noise_level,
                 "seed": seed, "threshold": r.threshold, "seconds": seconds,
                 "before": before, "points": points, "final": final}
        (outdir / f"curve_{name}.json").write_text(json.dumps(curve, indent=1))
        results[name] = curve
        if log:
            best = max(points, key=lambda p: p["psnr_clean_affine"]) if points else final
            log(f"{name}: {n_it} steps in {seconds:.0f} s; final PSNR(clean, affine) "
                f"{final['psnr_clean_affine']:.2f} dB, best {best['psnr_clean_affine']:.2f} at {best['iteration']}")
    return results


def load_curves(outdir):
    """The curves an earlier run wrote to ``outdir``, ``{name: curve dict}``."""
    return {json.loads(p.read_text())["name"]: json.loads(p.read_text())
            for p in sorted(Path(outdir).glob("curve_*.json"))}


def plot_curves(curves, path):
    """Two panels: PSNR vs clean (affine-fair) and vs the noise-free photo (affine-fair)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    keys = [("psnr_clean", "vs clean signal (raw)"),
            ("psnr_clean_affine", "vs clean signal (affine-fair)"),
            ("psnr_expected_affine", "vs noise-free photo incl. background (affine-fair)")]
    styles = {"fast-dip": ("tab:red", "--"), "fast-hist-dip": ("tab:green", "--"),
              "paper-dip": ("tab:red", "-"), "paper-hist-dip": ("tab:green", "-")}
    for ax, (key, title) in zip(axes, keys):
        before = None
        for name, c in curves.items():
            xs = [p["iteration"] for p in c["points"]]
            ys = [p[key] for p in c["points"]]
            color, ls = styles.get(name, (None, "-"))
            ax.plot(xs, ys, color=color, ls=ls, label=name)
            before = c["before"][key]
        if before is not None:
            ax.axhline(before, color="grey", lw=0.8, ls=":", label="noisy input")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("iteration")
        ax.set_ylabel("PSNR (dB)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    c0 = next(iter(curves.values()))
    fig.suptitle(f"Per-image fitting on one simulated {c0['size']}x{c0['size']} bead crop "
                 f"(noise level {c0['noise_level']}, scene seed {c0['scene_seed']})", fontsize=10)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _run(args):
    curves = run_iteration_curve(args.outdir, size=args.size, iterations=args.iterations,
                                 every=args.every, configs=args.configs,
                                 paper_iterations=args.paper_iterations, threads=args.threads)
    curves = {**load_curves(args.outdir), **curves}
    plot_curves(curves, Path(args.figure))
    print(f"wrote {args.figure}")


def register(subparsers, parents):
    """Add the ``curve`` command (the DIP / HIST-DIP iteration curve) to ``python -m benchmarks``."""
    p = subparsers.add_parser("curve", parents=parents,
                              help="PSNR against the clean image at every snapshot, DIP vs HIST-DIP")
    p.add_argument("--outdir", default="bench-results/curve")
    p.add_argument("--figure", default="docs/figures/iteration_curve.png")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--iterations", type=int, default=2000)
    p.add_argument("--paper-iterations", type=int, default=None,
                   help="cap for the paper-preset runs (default: same as --iterations)")
    p.add_argument("--every", type=int, default=50)
    p.add_argument("--configs", nargs="+", choices=list(CURVE_CONFIGS), default=None)
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.set_defaults(func=_run)
    return p

"""``python -m benchmarks volumes``: 3-D bead volumes restored plane by plane and by one 3-D network.

Simulated widefield bead z-stacks (:func:`histdip.simulate.volume.simulate_volume`) with
their clean volume and bead list, isotropic (z step = pixel, 0.1 µm) and anisotropic
(z step 3x the pixel), on held-out seeds nothing was tuned on. Each method is scored
against the clean volume: affine PSNR and 3-D SSIM of the signal (histdip's signal
layer; the input itself for ``raw``), bead F1 (3-D local maxima matched to the true
beads), and time, in seconds and as a ratio to the plane-by-plane run of the same
volume in the same process.

Methods: ``raw``; ``classical-3d`` (3-D Gaussian blur of 1 pixel less a 3-D Gaussian
background of 1 µm, in µm so it follows the spacing); ``bm3d-planes`` (VST + BM3D on
each plane, if the bm3d package imports); ``planes`` (histdip's default, plane by plane,
warm-started along z); ``3d`` (``volume='3d'``, the z spacing given).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi
from scipy.optimize import linear_sum_assignment

from histdip.metrics import fit_affine
from histdip.simulate.volume import simulate_volume
from histdip.stack import restore_stack
from histdip.volume import restore_volume

from .doc import add_doc_arguments, command_line, git_commit, markdown_table

#: Seeds never used while the 3-D path was built (its learning rate and crops were
#: chosen on seed 100).
HELD_OUT_SEEDS = (201, 202, 203)
#: (name, z step in µm); the pixel is 0.1 µm.
GEOMETRIES = (("isotropic", 0.1), ("anisotropic", 0.3))
SHAPE = (32, 128, 128)
METHODS = ("raw", "classical-3d", "bm3d-planes", "planes", "3d")
#: What runs by default: BM3D takes 3 s a 128 x 128 plane here, 96 s a volume, more
#: than both histdip runs together; `--methods ... bm3d-planes` adds it.
DEFAULT_METHODS = ("raw", "classical-3d", "planes", "3d")


def score(output, clean):
    """(affine PSNR, 3-D SSIM) of ``output`` against ``clean`` (data range: the clean peak)."""
    from skimage.metrics import structural_similarity

    a, b = fit_affine(output.reshape(-1, output.shape[-1]), clean.reshape(-1, clean.shape[-1]))
    x = a * output.astype(np.float64) + b
    y = clean.astype(np.float64)
    r = float(y.max())
    psnr = 10.0 * np.log10(r * r / float(np.mean((x - y) ** 2)))
    return float(psnr), float(structural_similarity(x, y, data_range=r))


def detect_beads_3d(volume, spacing):
    """Bead centres (n, 3) in voxels: local maxima of the volume smoothed by 0.1 µm,
    above Otsu's threshold of the smoothed volume, at least 0.2 µm apart."""
    from skimage.feature import peak_local_max
    from skimage.filters import threshold_otsu

    sigma = tuple(0.1 / s for s in spacing)
    smooth = ndi.gaussian_filter(np.asarray(volume, np.float64), sigma)
    distance = tuple(max(1, int(round(0.2 / s))) for s in spacing)
    footprint = np.ones(tuple(2 * d + 1 for d in distance), bool)
    return peak_local_max(smooth, footprint=footprint, threshold_abs=threshold_otsu(smooth), exclude_border=False)


def bead_f1(found, beads, spacing, slack=0.15):
    """F1 of ``found`` centres matched one to one to the true ``beads`` within each
    bead's radius plus ``slack`` µm (physical distance)."""
    truth = np.stack([beads["z"], beads["y"], beads["x"]], 1) * np.array(spacing)
    if len(found) == 0 or len(truth) == 0:
        return 0.0
    points = np.asarray(found, float) * np.array(spacing)
    dist = np.linalg.norm(points[:, None] - truth[None], axis=-1)
    reach = beads["radius"][None] + slack
    cost = np.where(dist <= reach, dist, 1e6)
    rows, cols = linear_sum_assignment(cost)
    hits = int(np.sum(cost[rows, cols] < 1e6))
    return 2.0 * hits / (len(points) + len(truth))


def classical_3d(volume, spacing):
    """A 3-D Gaussian blur (0.1 µm) less a 3-D Gaussian background (1 µm), clipped at 0."""
    v = np.asarray(volume, np.float64)
    fine = ndi.gaussian_filter(v, tuple(0.1 / s for s in spacing))
    coarse = ndi.gaussian_filter(v, tuple(1.0 / s for s in spacing))
    return np.maximum(fine - coarse, 0.0)


def bm3d_planes(volume):
    """VST + BM3D on each plane (the 2-D benchmarks' peer), or None without bm3d."""
    from .peers.bm3d import bm3d_available, denoise_bm3d_vst

    if not bm3d_available()[0]:
        return None
    unit = volume.astype(np.float64) / 65535.0
    return np.stack([denoise_bm3d_vst(p) for p in unit])


def run_volume(name, dz, seed, methods, *, iterations=None, log=print):
    """The rows of one simulated volume: one per method."""
    spacing = (dz, 0.1, 0.1)
    sim = simulate_volume(SHAPE, spacing=spacing, seed=seed)
    overrides = {"iterations": iterations} if iterations else {}
    outputs, seconds, primary = {}, {}, {}
    for method in methods:
        start = time.perf_counter()
        if method == "raw":
            out = sim.volume.astype(np.float64)
        elif method == "classical-3d":
            out = classical_3d(sim.volume, spacing)
        elif method == "bm3d-planes":
            out = bm3d_planes(sim.volume)
        elif method == "planes":
            result = restore_stack(sim.volume, "ZYX", **overrides)
            out, primary[method] = result.layers["signal"], result.image
        else:
            result = restore_volume(sim.volume, spacing=spacing, **overrides)
            out, primary[method] = result.layers["signal"], result.image
        seconds[method] = time.perf_counter() - start
        if out is not None:
            outputs[method] = out
    rows = []
    for method, out in outputs.items():
        psnr, ssim = score(out, sim.clean)
        f1 = bead_f1(detect_beads_3d(out, spacing), sim.beads, spacing)
        ratio = seconds[method] / seconds["planes"] if "planes" in seconds else None
        # histdip's primary layer as written (here the denoised recording: haze kept).
        output_psnr = score(primary[method], sim.clean)[0] if method in primary else None
        rows.append({"geometry": name, "dz": dz, "seed": seed, "method": method, "psnr": psnr, "ssim": ssim,
                     "f1": f1, "seconds": seconds[method], "time_ratio": ratio, "psnr_output": output_psnr})
        log(f"{name} seed {seed} {method}: {psnr:.2f} dB, SSIM {ssim:.3f}, F1 {f1:.2f}, {seconds[method]:.1f} s")
    return rows, sim, outputs


def summary_table(rows):
    """Means over seeds per geometry and method."""
    header = ["volumes", "method", "PSNR (dB)", "SSIM", "bead F1", "seconds", "time / planes", "PSNR, primary layer"]
    table = []
    for geometry, _ in GEOMETRIES:
        for method in METHODS:
            mine = [r for r in rows if r["geometry"] == geometry and r["method"] == method]
            if not mine:
                continue
            ratio = [r["time_ratio"] for r in mine if r["time_ratio"] is not None]
            primary = [r["psnr_output"] for r in mine if r.get("psnr_output") is not None]
            table.append([f"{geometry} ({len(mine)})", method, f"{np.mean([r['psnr'] for r in mine]):.2f}",
                          f"{np.mean([r['ssim'] for r in mine]):.3f}", f"{np.mean([r['f1'] for r in mine]):.2f}",
                          f"{np.mean([r['seconds'] for r in mine]):.1f}",
                          f"{np.mean(ratio):.2f}" if ratio else "",
                          f"{np.mean(primary):.2f}" if primary else ""])
    return markdown_table(header, table)


def seed_table(rows):
    """3-D against plane by plane on every volume: the PSNR and F1 differences."""
    header = ["volumes", "seed", "PSNR planes", "PSNR 3d", "F1 planes", "F1 3d", "time 3d / planes"]
    table = []
    for geometry, _ in GEOMETRIES:
        seeds = sorted({r["seed"] for r in rows if r["geometry"] == geometry})
        for seed in seeds:
            got = {r["method"]: r for r in rows if r["geometry"] == geometry and r["seed"] == seed}
            if "planes" in got and "3d" in got:
                p, d = got["planes"], got["3d"]
                table.append([geometry, seed, f"{p['psnr']:.2f}", f"{d['psnr']:.2f}", f"{p['f1']:.2f}",
                              f"{d['f1']:.2f}", f"{d['time_ratio']:.2f}"])
    return markdown_table(header, table)


def figure(path, sim, outputs):
    """Orthogonal views (xy through the brightest plane, xz through the brightest row) of
    the input, plane by plane, 3-D and the clean volume."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    z = int(np.argmax(sim.clean.sum(axis=(1, 2))))
    y = int(np.argmax(sim.clean[z].sum(axis=1)))
    panels = [("input", sim.volume.astype(np.float64))] + [(m, outputs[m]) for m in ("planes", "3d") if m in outputs]
    panels.append(("clean", sim.clean))
    dz, dy, dx = sim.spacing
    fig, axes = plt.subplots(2, len(panels), figsize=(3.2 * len(panels), 4.6),
                             gridspec_kw={"height_ratios": [1.0, max(0.25, SHAPE[0] * dz / (SHAPE[1] * dy))]})
    for col, (name, vol) in enumerate(panels):
        lo, hi = np.percentile(vol, (1, 99.9))
        for row, (view, aspect) in enumerate(((vol[z], 1.0), (vol[:, y, :], dz / dx))):
            ax = axes[row, col]
            ax.imshow(view, cmap="gray", vmin=lo, vmax=hi, aspect=aspect, interpolation="nearest")
            ax.set_xticks([]), ax.set_yticks([])
            if row == 0:
                ax.set_title(name)
        axes[0, 0].set_ylabel(f"xy, z={z}")
        axes[1, 0].set_ylabel(f"xz, y={y}")
    fig.suptitle(f"bead volume {SHAPE[0]}x{SHAPE[1]}x{SHAPE[2]}, z step {dz:g} µm, pixel {dx:g} µm, seed {sim.seed}")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def run_volumes(*, seeds=HELD_OUT_SEEDS, methods=DEFAULT_METHODS, iterations=None, out=None, figures=None, command=""):
    """Every geometry and seed; the Markdown of both tables."""
    rows = []
    for name, dz in GEOMETRIES:
        for i, seed in enumerate(seeds):
            got, sim, outputs = run_volume(name, dz, seed, methods, iterations=iterations)
            rows += got
            if figures and i == 0:
                Path(figures).mkdir(parents=True, exist_ok=True)
                figure(Path(figures) / f"volume_{name}.png", sim, outputs)
    text = ("Means over the held-out seeds " + ", ".join(map(str, seeds)) + f" ({SHAPE[0]}x{SHAPE[1]}x{SHAPE[2]} "
            "voxels, pixel 0.1 µm; isotropic: z step 0.1 µm, anisotropic: 0.3 µm):\n\n" + summary_table(rows)
            + "\n\nPer volume, histdip plane by plane against 3-D:\n\n" + seed_table(rows))
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / "results.json").write_text(json.dumps({"rows": rows, "command": command,
                                                            "commit": git_commit()}, indent=1))
        (Path(out) / "results.md").write_text(text + "\n")
    return text


def _run(args):
    argv = ["volumes", "--seeds", ",".join(map(str, args.seeds)), "--methods", *args.methods,
            *(["--iterations", str(args.iterations)] if args.iterations else []), "--threads", str(args.threads)]
    text = run_volumes(seeds=args.seeds, methods=tuple(m for m in METHODS if m in args.methods),
                       iterations=args.iterations, out=args.out, figures=args.figures, command=command_line(argv))
    print("\n" + text)
    return text


def register(subparsers, parents):
    """Add the ``volumes`` command to ``python -m benchmarks``."""
    from .flags import int_list

    p = subparsers.add_parser("volumes", parents=parents,
                              help="3-D bead volumes: plane by plane against one 3-D network, and peers")
    p.add_argument("--seeds", type=int_list, default=HELD_OUT_SEEDS,
                   help=f"volume seeds (default the held-out {','.join(map(str, HELD_OUT_SEEDS))})")
    p.add_argument("--methods", nargs="+", choices=METHODS, default=list(DEFAULT_METHODS),
                   help="what runs (default all but bm3d-planes; the time ratio needs 'planes')")
    p.add_argument("--iterations", type=int, default=None, help="histdip's iteration cap (default the default's)")
    p.add_argument("--out", metavar="DIR", default="bench-results/volumes", help="results.json and results.md")
    p.add_argument("--figures", metavar="DIR", default=None,
                   help="write volume_isotropic.png and volume_anisotropic.png (the first seed's views) here")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    add_doc_arguments(p, "volumes")
    p.set_defaults(func=_run)
    return p

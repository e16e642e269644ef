"""The ``sweep`` benchmark's tables and plot, from its rows (:mod:`benchmarks.sweep`).

Each row is one (scene, method, layer). A method's *main layer* is its signal layer
where it has one, else its primary layer; the summary tables use it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .doc import markdown_table
from .sweep_grid import SNR_BINS, bin_label
from .sweep_methods import CLASSICAL_VARIANTS, METHODS, classical_name

#: The scene groups, in table order.
GROUPS = ("colour beads", "grey beads", "filaments", "cells")
CLASSICAL_BEST = "classical-best"


def _f(v, digits=2):
    return "-" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.{digits}f}"


def _mean(values):
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(vals)) if vals else None


def ok_rows(rows):
    """The rows that carry scores."""
    return [r for r in rows if r.get("status") == "ok"]


def with_best(rows, best):
    """``rows`` plus copies of the chosen classical variant's rows named
    :data:`CLASSICAL_BEST`."""
    if not best:
        return list(rows)
    name = classical_name(best)
    return list(rows) + [dict(r, method=CLASSICAL_BEST, variant=best) for r in rows if r["method"] == name]


def method_order(rows):
    """Methods present, in :data:`benchmarks.sweep_methods.METHODS` order, the classical
    variants replaced by :data:`CLASSICAL_BEST`."""
    present = {r["method"] for r in rows}
    out = []
    for m in METHODS:
        if m == "classical":
            if CLASSICAL_BEST in present:
                out.append(CLASSICAL_BEST)
        elif m in present:
            out.append(m)
    return out


def main_rows(rows, method):
    """One row per scene: the method's main layer."""
    mine = [r for r in rows if r["method"] == method]
    layers = {r["layer"] for r in mine}
    out = []
    for r in mine:
        main = "signal" if "signal" in layers else None
        if (main and r["layer"] == main) or (not main and r.get("primary")):
            out.append(r)
    return out


def summary_table(rows):
    """Per method, means over scenes of its main layer's scores."""
    head = ["method", "layer", "scenes", "PSNR vs clean (dB)", "SSIM vs clean", "F1", "bridge", "bridged",
            "rim", "rimmed", "s / scene"]
    body = []
    for m in method_order(rows):
        mr = main_rows(rows, m)
        if not mr:
            continue
        layer = "/".join(sorted({r["layer"] for r in mr}))
        body.append([m, layer, len(mr), _f(_mean(r["psnr_clean"] for r in mr)),
                     _f(_mean(r["ssim_clean"] for r in mr), 3), _f(_mean(r.get("f1") for r in mr)),
                     _f(_mean(r.get("bridge_mean") for r in mr)), _f(_mean(r.get("bridge_share") for r in mr)),
                     _f(_mean(r.get("rim_mean") for r in mr), 3), _f(_mean(r.get("rim_share") for r in mr)),
                     _f(_mean(r.get("seconds") for r in mr), 1)])
    return markdown_table(head, body)


def _by(rows, scenes, key, values, label):
    head = ["method"] + [f"{label(v)} (n={len({(r['scene'], r['seed']) for r in rows if key(r) == v})})"
                         for v in values]
    body = []
    for m in method_order(rows):
        mr = main_rows(rows, m)
        body.append([m] + [_f(_mean(r["psnr_clean"] for r in mr if key(r) == v)) for v in values])
    body.append(["(an empty output)"] + [_f(_mean(s.get("psnr_floor") for s in scenes if key(s) == v))
                                         for v in values])
    return markdown_table(head, body)


def snr_table(rows, scenes=()):
    """PSNR vs clean of each method's main layer, per SNR bin of the measured scene SNR,
    and the floor: what an output with nothing in it scores."""
    return _by(rows, scenes, lambda r: r.get("bin"), range(len(SNR_BINS)), bin_label)


def group_table(rows, scenes=()):
    """PSNR vs clean of each method's main layer, per scene group, and the floor."""
    groups = [g for g in GROUPS if any(r.get("group") == g for r in rows)]
    return _by(rows, scenes, lambda r: r.get("group"), groups, str)


def layers_table(rows):
    """Each histdip method's layers against both references, and the layer it picked."""
    head = ["method", "layer", "primary in", "PSNR vs clean", "SSIM vs clean", "PSNR vs recording",
            "SSIM vs recording", "F1"]
    body = []
    for m in method_order(rows):
        if not m.startswith("histdip"):
            continue
        mine = [r for r in rows if r["method"] == m]
        n = len({(r["scene"], r["seed"]) for r in mine})
        groups = [(layer, [r for r in mine if r["layer"] == layer]) for layer in ("signal", "recording", "background")]
        if sum(1 for _, lr in groups if lr) > 1:
            groups.append(("primary (picked)", [r for r in mine if r.get("primary")]))
        for layer, lr in groups:
            if not lr:
                continue
            picked = sum(1 for r in lr if r.get("primary"))
            body.append([m, layer, f"{picked} of {n}", _f(_mean(r["psnr_clean"] for r in lr)),
                         _f(_mean(r["ssim_clean"] for r in lr), 3), _f(_mean(r["psnr_recording"] for r in lr)),
                         _f(_mean(r["ssim_recording"] for r in lr), 3), _f(_mean(r.get("f1") for r in lr))])
    return markdown_table(head, body)


def classical_table(rows, tuning):
    """Every classical variant on this run's scenes, beside its tuning-seed PSNR."""
    head = ["variant", "PSNR vs clean (this run)", "SSIM vs clean", "F1", "PSNR vs clean (tuning seeds)"]
    body = []
    best = (tuning or {}).get("best")
    for v in CLASSICAL_VARIANTS:
        mr = [r for r in rows if r["method"] == classical_name(v)]
        if not mr:
            continue
        name = f"**{v}** (best)" if v == best else v
        body.append([name, _f(_mean(r["psnr_clean"] for r in mr)), _f(_mean(r["ssim_clean"] for r in mr), 3),
                     _f(_mean(r.get("f1") for r in mr)), _f((tuning or {}).get("psnr", {}).get(v))])
    return markdown_table(head, body)


def scenes_table(scenes):
    """Each grid scene: target against measured SNR (mean over seeds) and its settings."""
    head = ["scene", "group", "target SNR", "measured SNR", "bin", "haze", "size", "density", "clipped beads"]
    body = []
    for name in dict.fromkeys(s["name"] for s in scenes):
        ss = [s for s in scenes if s["name"] == name]
        s0 = ss[0]
        bins = sorted({bin_label(s["bin"]) for s in ss})
        body.append([name, s0["group"], _f(s0["snr_target"], 1), _f(_mean(s["snr"] for s in ss), 1),
                     ", ".join(bins), s0.get("haze") or "-", s0.get("size") or "-", s0.get("density") or "-",
                     _f(_mean(s["n_clipped"] for s in ss), 1)])
    return markdown_table(head, body)


def markdown_report(rows, scenes, meta):
    """The whole Markdown report (what ``--update-doc`` writes)."""
    good = with_best(ok_rows(rows), (meta.get("classical") or {}).get("best"))
    seeds = ", ".join(str(s) for s in meta.get("seeds", []))
    parts = [
        f"Seeds {seeds} ({meta.get('seed_set')}), {len({(s['name'], s['seed']) for s in scenes})} scenes of "
        f"{meta.get('shape', ['?', '?'])[0]} x {meta.get('shape', ['?', '?'])[1]} px, histdip capped at "
        f"{meta.get('iterations')} iterations, {meta.get('threads')} torch threads; "
        f"{_f(meta.get('total_seconds', 0) / 60, 1)} min in all. Means over scenes of each method's main layer "
        "(signal where it has one); PSNR on the scene's median object peak; bridge / rim in units of bead peak "
        "(benchmarks/sweep_metrics.py).",
        summary_table(good),
        "PSNR vs clean (dB) per bin of measured object SNR (the last row: a constant image, the floor):",
        snr_table(good, scenes),
        "PSNR vs clean (dB) per kind of scene:",
        group_table(good, scenes),
    ]
    if any(r["method"].startswith("histdip") for r in good):
        parts += ["histdip's layers against both references (primary in: scenes where that layer was primary):",
                  layers_table(good)]
    if any(r["method"].startswith("classical:") for r in good):
        tuning = meta.get("classical") or {}
        parts += [f"Classical variants; the best on the tuning seeds ({tuning.get('how', '-')}) is the "
                  "classical-best row:", classical_table(good, tuning)]
    parts += ["Scenes:", scenes_table(scenes)]
    skipped = sorted({(r["method"], r["status"]) for r in rows if r.get("status") != "ok"})
    if skipped:
        parts.append("Not run: " + "; ".join(f"{m}: {s}" for m, s in skipped))
    return "\n\n".join(parts) + "\n"


def plot_psnr_vs_snr(rows, meta, path):
    """``sweep_psnr_vs_snr.png``: PSNR vs clean against the SNR bin, one line per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    good = with_best(ok_rows(rows), (meta.get("classical") or {}).get("best"))
    centres = [math.sqrt(lo * hi) for lo, hi in SNR_BINS]
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for m in method_order(good):
        mr = main_rows(good, m)
        ys = [_mean(r["psnr_clean"] for r in mr if r.get("bin") == b) for b in range(len(SNR_BINS))]
        xs = [c for c, y in zip(centres, ys) if y is not None]
        if xs:
            ax.plot(xs, [y for y in ys if y is not None], marker="o", label=m)
    ax.set_xscale("log")
    ax.set_xticks(centres)
    ax.set_xticklabels([bin_label(b) for b in range(len(SNR_BINS))])
    ax.minorticks_off()
    ax.set_xlabel("object SNR (median bead peak / noise sigma), bin")
    ax.set_ylabel("affine PSNR vs clean (dB, peak = median object peak)")
    ax.set_title(f"sweep, {meta.get('seed_set')} seeds {', '.join(str(s) for s in meta.get('seeds', []))}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(Path(path), dpi=120)
    plt.close(fig)
    return Path(path)

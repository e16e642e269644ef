"""How the quality benchmark reports its rows: Markdown tables, ``results.md`` and PNG plots.

:func:`summarise` averages each metric over a dataset's items (``sim-beads`` per noise
level); :func:`markdown_tables` lays the means out with the columns that fit the kind of
dataset (:data:`COLUMNS`); :func:`write_markdown` adds the run's settings, an
explanation of the metrics and the methods that did not run; :func:`plot_results` draws
the bar charts. :func:`jsonable` makes rows and metadata safe for ``json.dumps``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from .methods import LABELS


def jsonable(x):
    """``x`` with NumPy scalars made plain and non-finite floats made strings, for JSON."""
    if isinstance(x, dict):
        return {k: jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, (np.floating, float)):
        x = float(x)
        return x if math.isfinite(x) else str(x)
    if isinstance(x, np.integer):
        return int(x)
    return x


#: Table columns, (metric key, header), for each kind of dataset (see :func:`_group`).
COLUMNS = {
    "sim": [("psnr", "PSNR"), ("psnr_affine", "PSNR aff"), ("ssim", "SSIM"), ("ssim_affine", "SSIM aff"),
            ("psnr_expected_affine", "PSNR aff vs noise-free photo"), ("f1", "bead F1"),
            ("linearity_r2", "bead R^2"), ("seconds", "s")],
    "sim-empty": [("hallucinated", "beads detected (truth: 0)"), ("psnr_expected_affine", "PSNR aff vs noise-free photo"),
                  ("seconds", "s")],
    "real": [("psnr", "PSNR"), ("psnr_affine", "PSNR aff"), ("ssim", "SSIM"), ("ssim_affine", "SSIM aff"),
             ("seconds", "s")],
    "phone": [("paper_psnr_circular", "PSNR (CIRCULAR)"), ("paper_ssim_circular", "SSIM (CIRCULAR)"),
              ("cnr", "CNR"), ("sdnr", "SDNR"), ("seconds", "s")],
}


def _group(dataset):
    if dataset == "sim-empty":
        return "sim-empty"
    if dataset.startswith("sim-"):
        return "sim"
    return "phone" if dataset == "phone" else "real"


def _fmt(v, key):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return str(v)
    if not math.isfinite(v):
        return "inf" if v > 0 else "-inf"
    if key == "seconds":
        return f"{v:.1f}"
    if "ssim" in key or key in ("f1", "linearity_r2", "precision", "recall"):
        return f"{v:.3f}"
    return f"{v:.2f}"


def summarise(rows):
    """Mean of each metric per (dataset, noise group, method) over its items, in row order."""
    groups = {}
    for r in rows:
        key = (r["dataset"] + (" " + r["item"].split()[1] + " " + r["item"].split()[2]
                               if r["dataset"] == "sim-beads" else ""), r["method"])
        groups.setdefault(key, []).append(r)
    out = []
    for (ds, m), rs in groups.items():
        ok = [r for r in rs if r["status"] == "ok"]
        s = dict(dataset=ds, method=m, label=rs[0]["label"], n=len(ok),
                 status="ok" if ok else rs[0]["status"])
        for key in {k for r in ok for k in r if k not in ("dataset", "item", "method", "label", "status")}:
            vals = [r[key] for r in ok if isinstance(r.get(key), (int, float)) and r.get(key) is not None]
            if vals:
                s[key] = float(np.mean(vals))
        out.append(s)
    return out


def markdown_tables(rows):
    """One Markdown table per dataset (per noise level for ``sim-beads``) of the means of
    :func:`summarise`, with the columns of :data:`COLUMNS` for its kind."""
    lines = []
    summary = summarise(rows)
    for ds in dict.fromkeys(s["dataset"] for s in summary):
        srows = [s for s in summary if s["dataset"] == ds]
        cols = COLUMNS[_group(ds.split()[0])]
        n_items = max(s["n"] for s in srows) if srows else 0
        lines.append(f"### {ds} (mean over {n_items} item{'s' if n_items != 1 else ''})")
        lines.append("")
        lines.append("| method | " + " | ".join(c[1] for c in cols) + " |")
        lines.append("|---|" + "---|" * len(cols))
        for s in srows:
            if s["status"] != "ok":
                lines.append(f"| {s['label']} | " + " | ".join("-" for _ in cols) + f" |  <!-- {s['status'][:120]} -->")
                continue
            lines.append(f"| {s['label']} | " + " | ".join(_fmt(s.get(k), k) for k, _ in cols) + " |")
        lines.append("")
    return "\n".join(lines)


def write_markdown(rows, meta, path):
    """``results.md``: the run's settings, what the metrics mean, the tables of
    :func:`markdown_tables` and the methods that did not run (with why)."""
    skipped = sorted({(r["method"], r["status"]) for r in rows if r["status"] != "ok"})
    text = [
        "# Quality benchmark",
        "",
        f"quick={meta['quick']}, seed={meta['seed']}, torch threads={meta['torch_threads']}, "
        f"total {meta['total_seconds']:.0f} s. Settings: `{json.dumps(jsonable(meta['settings']))}`",
        "",
        "PSNR/SSIM: against the independent reference (simulator: the clean signal; real pairs: the "
        "frame average). 'aff' = affine-fair: the output is first mapped onto the reference by a "
        "least-squares gain and offset. Phone photos: the paper's protocol, CIRCULAR (its reference is "
        "the photo times its own threshold mask); CNR/SDNR on regions fixed from the paper's mask of the "
        "raw photo, the same for every method ('inf' = zero background variance, e.g. a zeroed background).",
        "",
        markdown_tables(rows),
    ]
    if skipped:
        text += ["## Not run / failed", ""]
        text += [f"- {LABELS.get(m, m)}: {why}" for m, why in skipped]
        text.append("")
    Path(path).write_text("\n".join(text))
    return path


def plot_results(rows, outdir, prefix="quality"):
    """Bar charts: affine-fair PSNR per dataset; bead F1 and hallucinations; runtime."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = summarise(rows)
    outdir = Path(outdir)
    paths = []
    ds_psnr = [d for d in dict.fromkeys(s["dataset"] for s in summary)
               if any("psnr_affine" in s for s in summary if s["dataset"] == d)]
    methods = list(dict.fromkeys(s["method"] for s in summary))
    if ds_psnr:
        fig, ax = plt.subplots(figsize=(max(8, 1.4 * len(ds_psnr) * 1.2), 4.5))
        width = 0.8 / max(1, len(methods))
        for j, m in enumerate(methods):
            ys = [next((s.get("psnr_affine", np.nan) for s in summary if s["dataset"] == d and s["method"] == m),
                       np.nan) for d in ds_psnr]
            ax.bar(np.arange(len(ds_psnr)) + j * width, ys, width, label=LABELS.get(m, m), color=plt.cm.tab20(j % 20))
        ax.set_xticks(np.arange(len(ds_psnr)) + 0.4 - width / 2)
        ax.set_xticklabels(ds_psnr, rotation=20, fontsize=8)
        ax.set_ylabel("affine-fair PSNR (dB)")
        lo = np.nanmin([s.get("psnr_affine", np.nan) for s in summary] + [np.inf])
        if np.isfinite(lo):
            ax.set_ylim(max(0, lo - 3), None)
        ax.legend(fontsize=7, ncol=2)
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        p = outdir / f"{prefix}_psnr.png"
        fig.savefig(p, dpi=100)
        plt.close(fig)
        paths.append(p)
    det_rows = [s for s in summary if "f1" in s or "hallucinated" in s]
    if det_rows:
        fig, axes = plt.subplots(1, 3, figsize=(14, 4))
        ds_f1 = [d for d in dict.fromkeys(s["dataset"] for s in det_rows) if any("f1" in s for s in det_rows if s["dataset"] == d)]
        for j, m in enumerate(methods):
            ys = [next((s.get("f1", np.nan) for s in det_rows if s["dataset"] == d and s["method"] == m), np.nan)
                  for d in ds_f1]
            axes[0].bar(np.arange(len(ds_f1)) + j * 0.8 / len(methods), ys, 0.8 / len(methods), label=LABELS.get(m, m), color=plt.cm.tab20(j % 20))
        axes[0].set_xticks(np.arange(len(ds_f1)) + 0.4)
        axes[0].set_xticklabels(ds_f1, fontsize=8)
        axes[0].set_ylabel("bead detection F1")
        axes[0].set_ylim(0, 1.05)
        hal = [(LABELS.get(s["method"], s["method"]), s.get("hallucinated", np.nan)) for s in det_rows
               if "hallucinated" in s]
        if hal:
            axes[1].barh([h[0] for h in hal], [h[1] for h in hal], color="tab:red")
            axes[1].set_xlabel("beads detected on an EMPTY scene")
            axes[1].tick_params(axis="y", labelsize=7)
        secs = {}
        for r in rows:
            if r.get("seconds") is not None and r["status"] == "ok":
                secs.setdefault(r["method"], []).append(r["seconds"])
        if secs:
            axes[2].barh([LABELS.get(m, m) for m in secs], [np.mean(v) for v in secs.values()], color="tab:gray")
            axes[2].set_xscale("log")
            axes[2].set_xlabel("mean seconds per image (same run)")
            axes[2].tick_params(axis="y", labelsize=7)
        axes[0].legend(fontsize=6)
        fig.tight_layout()
        p = outdir / f"{prefix}_detection_runtime.png"
        fig.savefig(p, dpi=100)
        plt.close(fig)
        paths.append(p)
    return paths

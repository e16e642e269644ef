"""Quality benchmark: HIST-DIP and every peer, side by side, on data with an
independent reference.

:func:`run_quality_benchmark` runs each method on each dataset item, times it, scores
it and writes ``results.md`` (tables), ``results.json`` and PNG plots into ``outdir``.
This module holds that loop, its :class:`Settings`, the scoring of one output
(:func:`score`) and the ``histdip bench quality`` command. The pieces it drives live in

* :mod:`.datasets` -- the datasets and their references (names for ``datasets=``);
* :mod:`.methods` -- the methods (names for ``methods=``) and how each is run;
* :mod:`.report` -- the Markdown tables and plots;

and their public names are importable from here as well.

Metrics
-------
PSNR / SSIM against the reference, raw and *affine-fair* (the output mapped onto the
reference by a least-squares gain and offset, :func:`histdip.metrics.fit_affine`);
bead-detection F1 against the true bead list (:mod:`.detection`); per-bead linearity
R^2; hallucinated beads on an empty scene; wall-clock seconds.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..metrics import cnr, paper_scores, psnr, sdnr, ssim
from . import detection as det
from .datasets import ALL_DATASETS, DATA_ROOT, PHONE_T, QUICK_DATASETS, Item, load_items
from .methods import (
    ALL_METHODS,
    DEFAULT_METHODS,
    LABELS,
    QUICK_METHODS,
    Skip,
    run_method,
)
from .report import (
    COLUMNS,
    jsonable,
    markdown_tables,
    plot_results,
    summarise,
    write_markdown,
)

__all__ = [
    "ALL_DATASETS",
    "ALL_METHODS",
    "COLUMNS",
    "DATA_ROOT",
    "DEFAULT_METHODS",
    "LABELS",
    "PHONE_T",
    "QUICK_DATASETS",
    "QUICK_METHODS",
    "Item",
    "Settings",
    "Skip",
    "load_items",
    "main",
    "markdown_tables",
    "plot_results",
    "register_quality",
    "run_method",
    "run_quality_benchmark",
    "score",
    "settings_for",
    "summarise",
    "write_markdown",
]


@dataclass
class Settings:
    """Sizes and iteration budgets; :func:`settings_for` gives the quick / full ones."""

    sim_size: int = 128
    sim_seeds: tuple = (11,)
    crop: int = 128
    fmd_files: tuple = ("Confocal_BPAE_B_1", "TwoPhoton_MICE_1", "WideField_BPAE_G_1", "Confocal_FISH_1")
    w2s_pairs: tuple = ("010_0", "020_1", "044_0")
    phone_images: tuple = ("a", "c", "e")
    histdip_iterations: int | None = None  # None: the fast preset's own cap and stopping rule
    paper_iterations: int = 300
    zsn2n_iterations: int = 500
    n2v_epochs: int = 10
    threads: int = 1
    extra: dict = field(default_factory=dict)


def settings_for(quick):
    """The :class:`Settings` of the ``--quick`` smoke test, or the full defaults."""
    if quick:
        return Settings(sim_size=64, crop=64, fmd_files=("Confocal_BPAE_B_1",), w2s_pairs=("010_0",),
                        phone_images=("e",), histdip_iterations=40, paper_iterations=20,
                        zsn2n_iterations=100, n2v_epochs=2)
    return Settings()


def _f(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def score(item, out):
    """Metric dict for one output (see module docstring)."""
    r = {}
    if item.dataset == "phone":
        ps = paper_scores(np.clip(out, 0, 1), item.photo, item.threshold)
        r["paper_psnr_circular"] = ps.psnr
        r["paper_ssim_circular"] = ps.ssim
        if item.regions is not None:
            g = out[..., 1] if out.ndim == 3 else out
            r["cnr"] = cnr(g, *item.regions)
            r["sdnr"] = sdnr(g, *item.regions)
        return r
    plane = out[..., 1] if out.ndim == 3 else out
    ref, dr = item.reference, item.data_range
    if not item.empty:
        r["psnr"] = psnr(plane, ref, data_range=dr)
        r["psnr_affine"] = psnr(plane, ref, data_range=dr, affine=True)
        r["ssim"] = ssim(plane, ref, data_range=dr)
        r["ssim_affine"] = ssim(plane, ref, data_range=dr, affine=True)
    if item.expected is not None:
        r["psnr_expected_affine"] = psnr(plane, item.expected, data_range=1.0, affine=True)
    if item.beads is not None:
        found = det.detect_beads(plane)
        d = det.detection_scores(found, item.beads)
        if item.empty:
            r["hallucinated"] = d["fp"]
        else:
            r.update(f1=d["f1"], precision=d["precision"], recall=d["recall"])
            r["linearity_r2"] = _f(det.bead_linearity(plane, item.reference, item.beads))
    return r


def run_quality_benchmark(methods=None, datasets=None, outdir="bench-results/quality", quick=False,
                          seed=0, settings=None, log=print):
    """Run every method on every dataset item; write tables/plots; return the rows.

    Each row: dataset, item, method, label, seconds, status ('ok' / 'skipped: why' /
    'error: why') and the metrics of :func:`score`.
    """
    import torch

    settings = settings or settings_for(quick)
    methods = list(methods or (QUICK_METHODS if quick else DEFAULT_METHODS))
    datasets = list(datasets or (QUICK_DATASETS if quick else ALL_DATASETS))
    for m in methods:
        if m not in ALL_METHODS:
            raise ValueError(f"unknown method {m!r}; use {', '.join(ALL_METHODS)}")
    old_threads = torch.get_num_threads()
    if settings.threads:
        torch.set_num_threads(settings.threads)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    items = load_items(datasets, settings)
    rows, cache, skipped = [], {}, {}
    t_start = time.perf_counter()
    try:
        for item in items:
            for m in methods:
                if m in skipped:
                    rows.append(dict(dataset=item.dataset, item=item.name, method=m, label=LABELS[m],
                                     seconds=None, status=f"skipped: {skipped[m]}"))
                    continue
                t0 = time.perf_counter()
                try:
                    out = run_method(m, item, settings, seed, cache)
                    secs = time.perf_counter() - t0
                    row = dict(dataset=item.dataset, item=item.name, method=m, label=LABELS[m],
                               seconds=secs, status="ok", **score(item, out))
                except Skip as why:
                    skipped[m] = str(why)
                    row = dict(dataset=item.dataset, item=item.name, method=m, label=LABELS[m],
                               seconds=None, status=f"skipped: {why}")
                except Exception as err:  # one failing method must not sink the benchmark
                    msg = " ".join(str(err).split())
                    row = dict(dataset=item.dataset, item=item.name, method=m, label=LABELS[m],
                               seconds=time.perf_counter() - t0, status=f"error: {type(err).__name__}: {msg[-400:]}")
                    if m in ("n2v", "care", "zsn2n", "histdip-paper"):  # costly: do not retry per item
                        skipped[m] = f"failed on the first item ({type(err).__name__}: {msg[-300:]})"
                rows.append(row)
                if log:
                    log(_log_line(row))
                (outdir / "results.json").write_text(json.dumps(jsonable(rows), indent=1))
    finally:
        torch.set_num_threads(old_threads)
    meta = dict(quick=quick, seed=seed, methods=methods, datasets=datasets,
                settings={k: v for k, v in settings.__dict__.items()},
                total_seconds=time.perf_counter() - t_start, torch_threads=settings.threads)
    (outdir / "results.json").write_text(json.dumps(jsonable({"meta": meta, "rows": rows}), indent=1))
    write_markdown(rows, meta, outdir / "results.md")
    try:
        plot_results(rows, outdir)
    except Exception as err:  # plots are a convenience; tables are the result
        if log:
            log(f"plotting failed: {err}")
    return rows


def _log_line(row):
    keys = [k for k in ("psnr", "psnr_affine", "ssim_affine", "f1", "hallucinated", "paper_psnr_circular",
                        "cnr") if k in row]
    vals = " ".join(f"{k}={row[k]:.3g}" if isinstance(row[k], float) else f"{k}={row[k]}" for k in keys)
    secs = f"{row['seconds']:.1f}s" if row.get("seconds") is not None else "-"
    return f"[{row['dataset']}] {row['item']} | {row['method']}: {row['status'][:80]} {secs} {vals}"


def _cmd_quality(args):
    rows = run_quality_benchmark(args.methods, args.datasets, args.outdir, quick=args.quick, seed=args.seed)
    bad = [r for r in rows if r["status"].startswith("error")]
    print(f"wrote {Path(args.outdir) / 'results.md'} ({len(rows)} rows, {len(bad)} errors)")
    return 0


def _quality_arguments(p):
    p.add_argument("--quick", action="store_true", help="small smoke-test version (~2 min on 2 cores)")
    p.add_argument("--outdir", default="bench-results/quality")
    p.add_argument("--methods", nargs="+", choices=ALL_METHODS, default=None)
    p.add_argument("--datasets", nargs="+", choices=ALL_DATASETS, default=None)
    p.add_argument("--seed", type=int, default=0)


def register_quality(subparsers):
    """Add ``quality`` to a sub-parser set (``histdip bench quality``)."""
    p = subparsers.add_parser("quality", help="quality benchmark: histdip and every peer side by side")
    _quality_arguments(p)
    p.set_defaults(func=_cmd_quality)
    return p


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m histdip.bench.quality")
    _quality_arguments(p)
    return _cmd_quality(p.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())

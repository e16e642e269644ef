"""Quality benchmark: HIST-DIP and every peer, side by side, on data with an
independent reference.

:func:`run_quality_benchmark` runs each method on each dataset item, times it, scores
it and writes ``results.md`` (tables), ``results.json`` and PNG plots into ``outdir``.
This module holds that loop, its :class:`Settings`, the scoring of one output
(:func:`score`), the merging of a partial run into an earlier one (:func:`merge_rows`)
and the ``quality`` command. The pieces it drives live in

* :mod:`.datasets` -- the datasets and their references (names for ``datasets=``);
* :mod:`.methods` -- the methods (names for ``methods=``) and how each is run;
* :mod:`.report` -- the Markdown tables and plots.

Metrics
-------
PSNR / SSIM against the reference, raw and *affine-fair* (the output mapped onto the
reference by a least-squares gain and offset, :func:`histdip.metrics.fit_affine`);
bead-detection F1 against the true bead list (:mod:`.detection`); per-bead linearity
R^2; hallucinated beads on an empty scene; wall-clock seconds.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from histdip.metrics import cnr, psnr, sdnr, ssim
from histdip.protocol import paper_scores

from . import detection as det
from .datasets import ALL_DATASETS, QUICK_DATASETS, load_items
from .doc import add_doc_arguments
from .flags import add_set_argument, config_overrides, int_list
from .methods import ALL_METHODS, DEFAULT_METHODS, LABELS, QUICK_METHODS, Skip, run_method
from .report import jsonable, markdown_tables, plot_results, write_markdown

#: Methods too costly to retry on every item once they failed on one.
COSTLY = ("n2v", "care", "zsn2n", "histdip-paper")


@dataclass
class Settings:
    """Sizes, iteration budgets and data of a run; :func:`settings_for` gives the quick /
    full ones.

    Attributes
    ----------
    sim_size : int
        Side of the simulated scenes (px).
    sim_seeds : tuple of int
        One simulated scene per seed and dataset.
    crop : int
        Side of the crops of real images (px).
    fmd_files, w2s_pairs, phone_images : tuple of str
        Which real images.
    histdip_iterations : int or None
        Cap of the fast-preset rows; None: the preset's own cap and stopping rule.
    paper_iterations : int
        Iterations of the paper-preset row (the paper runs 2000).
    zsn2n_iterations, n2v_epochs : int
        Budgets of the learned peers.
    threads : int
        Torch threads.
    data : str or None
        The ``--data`` flag (:func:`benchmarks.datasets.data_root`).
    custom : dict
        RestoreConfig overrides of the ``histdip-custom`` row.
    """

    sim_size: int = 128
    sim_seeds: tuple = (11,)
    crop: int = 128
    fmd_files: tuple = ("Confocal_BPAE_B_1", "TwoPhoton_MICE_1", "WideField_BPAE_G_1", "Confocal_FISH_1")
    w2s_pairs: tuple = ("010_0", "020_1", "044_0")
    phone_images: tuple = ("a", "c", "e")
    histdip_iterations: int | None = None
    paper_iterations: int = 300
    zsn2n_iterations: int = 500
    n2v_epochs: int = 10
    threads: int = 1
    data: str | None = None
    custom: dict = field(default_factory=dict)


def settings_for(quick, **changes):
    """The :class:`Settings` of the ``--quick`` smoke test, or the full defaults, with
    ``changes`` (fields given as None are left as they are)."""
    base = (Settings(sim_size=64, crop=64, fmd_files=("Confocal_BPAE_B_1",), w2s_pairs=("010_0",),
                     phone_images=("e",), histdip_iterations=40, paper_iterations=20,
                     zsn2n_iterations=100, n2v_epochs=2) if quick else Settings())
    for key, value in changes.items():
        if value is not None:
            setattr(base, key, value)
    return base


def _f(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def score(item, out):
    """The metrics of one output (see the module docstring).

    Parameters
    ----------
    item : benchmarks.datasets.Item
    out : ndarray, the layout of ``item.image``

    Returns
    -------
    dict of str to float or int
    """
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


def merge_rows(base, new):
    """``base`` rows with those of the methods in ``new`` replaced by ``new``'s.

    A row of ``new`` replaces the base row of the same dataset, item and method; a
    method the base run lacks gets its rows after each item's other rows.

    Raises
    ------
    ValueError
        When ``new`` has items the base run does not (the runs' settings differ).

    Examples
    --------
    >>> base = [dict(dataset="d", item="i", method="a", v=1), dict(dataset="d", item="i", method="b", v=2)]
    >>> new = [dict(dataset="d", item="i", method="b", v=3), dict(dataset="d", item="i", method="c", v=4)]
    >>> [(r["method"], r["v"]) for r in merge_rows(base, new)]
    [('a', 1), ('b', 3), ('c', 4)]
    """
    def key(r):
        return r["dataset"], r["item"]

    missing = {key(r) for r in new} - {key(r) for r in base}
    if missing:
        raise ValueError(f"the base run has no item {sorted(missing)[0]} (and {len(missing) - 1} more): "
                         "run with the base run's datasets, seeds and sizes")
    replacing = {(*key(r), r["method"]): r for r in new}
    base_methods = {r["method"] for r in base}
    rows = []
    for i, r in enumerate(base):
        rows.append(replacing.get((*key(r), r["method"]), r))
        if i + 1 == len(base) or key(base[i + 1]) != key(r):  # the item's last row
            rows += [n for n in new if n["method"] not in base_methods and key(n) == key(r)]
    return rows


def load_results(outdir):
    """The ``{"meta", "rows"}`` a run wrote to ``outdir/results.json``."""
    return json.loads((Path(outdir) / "results.json").read_text())


def _row(item, method, **values):
    return dict(dataset=item.dataset, item=item.name, method=method, label=LABELS[method], **values)


def _run_rows(items, methods, settings, seed, save, log):
    """Every method on every item; ``save(rows)`` after each row, so a stopped run keeps
    what it measured."""
    rows, cache, skipped = [], {}, {}
    for item in items:
        for m in methods:
            if m in skipped:
                rows.append(_row(item, m, seconds=None, status=f"skipped: {skipped[m]}"))
                continue
            t0 = time.perf_counter()
            try:
                out = run_method(m, item, settings, seed, cache)
                row = _row(item, m, seconds=time.perf_counter() - t0, status="ok", **score(item, out))
            except Skip as why:
                skipped[m] = str(why)
                row = _row(item, m, seconds=None, status=f"skipped: {why}")
            except Exception as err:  # one failing method must not sink the benchmark
                msg = " ".join(str(err).split())
                row = _row(item, m, seconds=time.perf_counter() - t0,
                           status=f"error: {type(err).__name__}: {msg[-400:]}")
                if m in COSTLY:
                    skipped[m] = f"failed on the first item ({type(err).__name__}: {msg[-300:]})"
            rows.append(row)
            if log:
                log(_log_line(row))
            save(rows)
    return rows


def run_quality_benchmark(methods=None, datasets=None, outdir="bench-results/quality", quick=False,
                          seed=0, settings=None, log=print, merge=None):
    """Run every method on every dataset item; write tables and plots; return the rows.

    Parameters
    ----------
    methods, datasets : list of str, optional
        Names from :data:`benchmarks.methods.ALL_METHODS` and
        :data:`benchmarks.datasets.ALL_DATASETS` (default: the quick or full sets).
    outdir : path
        Gets ``results.json``, ``results.md`` and the plots.
    quick : bool
        The smoke test's sets and settings.
    seed : int
        Seed of every method.
    settings : Settings, optional
        Default: :func:`settings_for` ``(quick)``.
    log : callable or None
        Gets one line per row.
    merge : path, optional
        A folder with an earlier run's ``results.json``: the rows of the methods run now
        replace its rows of them (:func:`merge_rows`), and the merged rows are written.

    Returns
    -------
    list of dict
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
    base = load_results(merge) if merge else None
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    items = load_items(datasets, settings)
    if base is not None:  # refuse before hours of fitting, not after
        merge_rows(base["rows"], [_row(i, m) for i in items for m in methods])

    def save(rows):
        (outdir / "results.json").write_text(json.dumps(jsonable(rows), indent=1))

    old_threads = torch.get_num_threads()
    if settings.threads:
        torch.set_num_threads(settings.threads)
    t_start = time.perf_counter()
    try:
        rows = _run_rows(items, methods, settings, seed, save, log)
    finally:
        torch.set_num_threads(old_threads)
    meta = dict(quick=quick, seed=seed, methods=methods, datasets=datasets, settings=asdict(settings),
                total_seconds=time.perf_counter() - t_start, torch_threads=settings.threads)
    if base is not None:
        rows = merge_rows(base["rows"], rows)
        meta = dict(base["meta"], merged_from={"base": str(merge), "methods": methods, "run_meta": meta})
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


def _run(args):
    custom = config_overrides(args.set, "quality")
    methods = list(args.methods or (QUICK_METHODS if args.quick else DEFAULT_METHODS))
    if custom and "histdip-custom" not in methods:
        methods.append("histdip-custom")
    settings = settings_for(args.quick, sim_seeds=args.seeds, sim_size=args.sim_size, crop=args.crop,
                            paper_iterations=args.paper_iterations, threads=args.threads, data=args.data,
                            custom=custom)
    try:
        rows = run_quality_benchmark(methods, args.datasets, args.outdir, quick=args.quick, seed=args.seed,
                                     settings=settings, merge=args.merge)
    except ValueError as err:  # a merge that does not fit: one line, not a traceback
        raise SystemExit(f"benchmarks quality: {err}") from None
    bad = [r for r in rows if r["status"].startswith("error")]
    print(f"wrote {Path(args.outdir) / 'results.md'} ({len(rows)} rows, {len(bad)} errors)")
    return markdown_tables(rows)


def register(subparsers, parents):
    """Add the ``quality`` command to ``python -m benchmarks``."""
    p = subparsers.add_parser("quality", parents=parents,
                              help="histdip and every peer side by side against independent references")
    p.add_argument("--quick", action="store_true", help="small smoke-test version (seconds on 2 cores)")
    p.add_argument("--outdir", default="bench-results/quality")
    p.add_argument("--methods", nargs="+", choices=ALL_METHODS, default=None)
    p.add_argument("--datasets", nargs="+", choices=ALL_DATASETS, default=None)
    p.add_argument("--seeds", type=int_list, default=None, help="simulated scenes' seeds, e.g. 11,12 (default 11)")
    p.add_argument("--sim-size", type=int, default=None, help="side of the simulated scenes (default 128; quick 64)")
    p.add_argument("--crop", type=int, default=None, help="side of the real images' crops (default 128; quick 64)")
    p.add_argument("--paper-iterations", type=int, default=None,
                   help="iterations of the histdip-paper row (default 300; quick 20; the paper: 2000)")
    add_set_argument(p, "an added histdip-custom row")
    p.add_argument("--merge", metavar="BASE_DIR", default=None,
                   help="replace the rows of the methods run now in BASE_DIR/results.json; write the merge")
    p.add_argument("--seed", type=int, default=0, help="seed of every method")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    add_doc_arguments(p, "quality")
    p.set_defaults(func=_run)
    return p

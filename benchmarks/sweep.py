"""The ``sweep`` benchmark: every method on simulated scenes across the dim regime.

``python -m benchmarks sweep`` simulates a fixed grid of scenes, runs every method on
each and scores every output layer. The design below was fixed before any result was
looked at; nothing in it may be tuned on the held-out seeds.

Scenes (:mod:`benchmarks.sweep_grid`)
    18 scenes per seed, 256 x 320 px: 12 colour phone photos of beads crossing object
    SNR (targets 2.1, 4.2, 8.5, 19: the geometric centres of the bins [1.5, 3), [3, 6),
    [6, 12), [12, 30]) with haze (none, 1x, 3x the bead peak), bead size (radius 1-3,
    4-10, 12-22 px), density (sparse, crowded) and clipping rotated through them; two
    grey scientific-camera bead frames; two filament and two cell frames. The SNR is
    set by scaling the objects' brightness against the noise, then *measured* (object
    peak in ``clean`` over the noise sigma round it), and scenes are binned by their
    measured median.
Seeds
    :data:`~benchmarks.sweep_grid.TUNING_SEEDS` (0, 1) for choosing anything;
    :data:`~benchmarks.sweep_grid.HELD_OUT_SEEDS` (1000-1004) for the results
    (``--seeds held-out``, the default).
Methods (:mod:`benchmarks.sweep_methods`)
    ``input`` (the noisy photo), eight ``classical`` variants (blur, background
    subtraction, global threshold) and ``classical-best``, ``bm3d``, ``histdip``,
    ``histdip-beads``, ``histdip-learned`` and, with ``--set``, ``histdip-custom``.
    ``classical-best`` is the variant with the best mean affine PSNR against ``clean``
    on the tuning seeds: in a ``--seeds tuning`` run, on that run's own scenes; in a
    held-out run, on the same grid at the tuning seeds, simulated and scored inside
    the run (the classical variants take seconds) before any held-out scene is made.
Scores (:mod:`benchmarks.sweep_metrics`)
    Per (scene, method, layer): affine-fair PSNR and SSIM against the clean signal and
    against the recording (clean + smooth background), bead-detection F1 with the
    library's one detector (:func:`histdip.detect.detect_beads`), the bridge and rim
    artefacts, seconds.
Output (``--out DIR``, default ``bench-results/sweep``)
    ``results.json`` (meta, scenes, rows; rewritten after every scene, so a stopped run
    keeps what it measured), ``results.md`` (:mod:`benchmarks.sweep_report`) and
    ``sweep_psnr_vs_snr.png``; ``--update-doc PATH`` writes the tables into PATH.
    ``--resume`` continues a stopped run in the same ``--out``.

``--quick`` runs the scenes :data:`~benchmarks.sweep_grid.QUICK_NAMES` at 96 x 128 px,
one seed, histdip capped at 30 iterations: a smoke test of about 20 s.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from .doc import add_doc_arguments, git_commit
from .flags import add_set_argument, config_overrides
from .report import jsonable
from .sweep_grid import (GRID, HELD_OUT_SEEDS, QUICK_NAMES, QUICK_SHAPE, SCENE_SHAPE, TUNING_SEEDS, make_scene,
                         scene_seed)
from .sweep_methods import (CLASSICAL_VARIANTS, DEFAULT_METHODS, METHODS, PEER_LAYER, Skip, classical_name,
                            run_classical, run_method)
from .sweep_metrics import SceneTruth, affine_scores, score_layer
from .sweep_report import markdown_report, plot_psnr_vs_snr

#: histdip's iteration cap in the sweep (the fast preset's own), and in ``--quick``.
ITERATIONS = 600
QUICK_ITERATIONS = 30

SEED_SETS = {"tuning": TUNING_SEEDS, "held-out": HELD_OUT_SEEDS}


def plan(quick=False, seed_set="held-out", limit=None):
    """The (spec, seed) pairs of a run in order, and the scene shape."""
    specs = [s for s in GRID if s.name in QUICK_NAMES] if quick else list(GRID)
    seeds = SEED_SETS[seed_set][:1] if quick else SEED_SETS[seed_set]
    pairs = [(spec, seed) for seed in seeds for spec in specs]
    return pairs[:limit] if limit else pairs, QUICK_SHAPE if quick else SCENE_SHAPE


def _scene(spec, seed, shape):
    scene, record, snrs = make_scene(spec, scene_seed(seed, GRID.index(spec)), shape)
    record["seed"] = int(seed)
    return scene, record, snrs


def choose_classical(pairs, shape, log=None):
    """The classical variant with the best mean affine PSNR against ``clean`` over the
    scenes ``pairs`` (tuning seeds): ``{"best", "psnr": {variant: mean}}``."""
    scores = {v: [] for v in CLASSICAL_VARIANTS}
    for spec, seed in pairs:
        scene, record, snrs = _scene(spec, seed, shape)
        truth = SceneTruth(scene, record, snrs)
        for v in CLASSICAL_VARIANTS:
            out = run_classical(scene.noisy.astype(np.float64), v)
            scores[v].append(affine_scores(out, truth.refs["clean"], truth.level, truth.keep)[0])
        if log:
            log(f"[tuning] {spec.name} seed {seed}: classical variants scored")
    means = {v: float(np.mean(s)) for v, s in scores.items() if s}
    return {"best": max(means, key=means.get) if means else None, "psnr": means}


def best_from_rows(rows):
    """:func:`choose_classical`'s answer from a tuning run's own rows."""
    means = {}
    for v in CLASSICAL_VARIANTS:
        vals = [r["psnr_clean"] for r in rows if r["method"] == classical_name(v) and r.get("status") == "ok"]
        if vals:
            means[v] = float(np.mean(vals))
    return {"best": max(means, key=means.get) if means else None, "psnr": means}


def _rows_of(method, scene, spec, record, truth, iterations, custom, cache):
    base = dict(scene=spec.name, seed=record["seed"], group=spec.group, bin=record["bin"], snr=record["snr"])
    try:
        outputs = run_method(method, scene, spec, iterations=iterations, custom=custom, cache=cache)
    except Skip as why:
        return [dict(base, method=method, layer=None, status=f"skipped: {why}")]
    except Exception as err:  # one failing method must not sink a run of hours
        msg = " ".join(str(err).split())[-300:]
        return [dict(base, method=method, layer=None, status=f"error: {type(err).__name__}: {msg}")]
    rows = []
    for name, layers, primary, seconds, info in outputs:
        for layer, image in layers.items():
            kind = layer if layer in ("signal", "recording", "background") else PEER_LAYER.get(method, "signal")
            rows.append(dict(base, method=name, layer=layer, primary=layer == primary, seconds=seconds,
                             status="ok", **info, **score_layer(image, truth, kind=kind)))
    return rows


#: Settings a ``--resume`` run must share with the run it continues.
RESUME_KEYS = ("seed_set", "quick", "shape", "iterations", "methods", "custom")


def _revive(x):
    # results.json holds non-finite floats as strings (JSON has none)
    if isinstance(x, dict):
        return {k: _revive(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_revive(v) for v in x]
    return float(x) if x in ("inf", "-inf", "nan") else x


def load_run(out):
    """The ``{"meta", "scenes", "rows"}`` a run wrote to ``out/results.json``, with its
    non-finite scores as floats again."""
    return _revive(json.loads((Path(out) / "results.json").read_text()))


def run_sweep(*, methods=None, seed_set="held-out", quick=False, iterations=None, out="bench-results/sweep",
              limit=None, custom=None, resume=False, log=print):
    """Run the sweep; write results.json, results.md and the plot into ``out``.

    Parameters
    ----------
    methods : list of str, optional
        Names of :data:`benchmarks.sweep_methods.METHODS` (default: all but
        ``histdip-custom``, which ``custom`` adds).
    seed_set : {'held-out', 'tuning'}
    quick : bool
        The smoke test's scenes, size, one seed and iteration cap.
    iterations : int, optional
        histdip's iteration cap (default :data:`ITERATIONS`, quick :data:`QUICK_ITERATIONS`).
    out : path
    limit : int, optional
        Only the first ``limit`` scenes (of the tuning pass too).
    custom : dict, optional
        RestoreConfig overrides of ``histdip-custom``.
    resume : bool
        Continue the run whose ``results.json`` is in ``out``: keep its scenes, run the
        rest (its settings, :data:`RESUME_KEYS`, must be these).
    log : callable or None

    Returns
    -------
    dict
        ``{"meta", "scenes", "rows", "markdown"}``.
    """
    import torch

    methods = list(methods or DEFAULT_METHODS)
    if custom and "histdip-custom" not in methods:
        methods.append("histdip-custom")
    bad = [m for m in methods if m not in METHODS]
    if bad:
        raise ValueError(f"unknown method {bad[0]!r}; use {', '.join(METHODS)}")
    pairs, shape = plan(quick, seed_set, limit)
    iterations = iterations or (QUICK_ITERATIONS if quick else ITERATIONS)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    meta = dict(seed_set=seed_set, seeds=sorted({s for _, s in pairs}), quick=quick, shape=list(shape),
                iterations=iterations, threads=torch.get_num_threads(), methods=methods, custom=custom or {},
                grid=[s.name for s in GRID], commit=git_commit(), classical=None)
    t_start = time.perf_counter()
    rows, scenes, cache, earlier = [], [], {}, 0.0
    if resume and (out / "results.json").exists():
        old = load_run(out)
        differ = [k for k in RESUME_KEYS if old["meta"].get(k) != meta[k]]
        if differ:
            raise ValueError(f"--resume: {out / 'results.json'} was run with other settings ({', '.join(differ)})")
        rows, scenes, earlier = old["rows"], old["scenes"], old["meta"].get("total_seconds", 0.0)
        meta["classical"] = old["meta"].get("classical")
        done = {(s["name"], s["seed"]) for s in scenes}
        pairs = [(spec, seed) for spec, seed in pairs if (spec.name, seed) not in done]
        if log:
            log(f"resuming {out}: {len(done)} scenes kept, {len(pairs)} to run")
    if "classical" in methods and seed_set != "tuning" and not meta["classical"]:
        tune, _ = plan(quick, "tuning", limit)
        meta["classical"] = dict(choose_classical(tune, shape, log),
                                 how=f"this grid at tuning seeds {', '.join(str(s) for s in sorted({s for _, s in tune}))}, "
                                     "run before the held-out scenes")

    def save():
        if "classical" in methods and seed_set == "tuning":
            meta["classical"] = dict(best_from_rows(rows), how="this run's own scenes")
        meta["total_seconds"] = earlier + time.perf_counter() - t_start
        meta["scenes_done"] = len(scenes)
        text = markdown_report(rows, scenes, meta)
        (out / "results.json").write_text(json.dumps(jsonable({"meta": meta, "scenes": scenes, "rows": rows}),
                                                     indent=1))
        (out / "results.md").write_text("# Sweep of the dim regime\n\n" + text)
        return text

    for spec, seed in pairs:
        t0 = time.perf_counter()
        scene, record, snrs = _scene(spec, seed, shape)
        truth = SceneTruth(scene, record, snrs)
        # what an output with nothing in it scores: the floor under every method
        record["psnr_floor"] = affine_scores(np.zeros(scene.shape), truth.refs["clean"], truth.level, truth.keep)[0]
        scenes.append(record)
        for m in methods:
            new = _rows_of(m, scene, spec, record, truth, iterations, custom, cache)
            rows.extend(new)
            if log:
                log(_log_line(spec, seed, record, new))
        if log:
            log(f"  scene {spec.name} seed {seed} done in {time.perf_counter() - t0:.1f} s")
        save()
    text = save()
    try:
        plot_psnr_vs_snr(rows, meta, out / "sweep_psnr_vs_snr.png")
    except Exception as err:  # the plot is a convenience; the tables are the result
        if log:
            log(f"plotting failed: {err}")
    return {"meta": meta, "scenes": scenes, "rows": rows, "markdown": text}


def _log_line(spec, seed, record, rows):
    head = f"[{spec.name} seed {seed} snr {record['snr']:.1f}]"
    if rows and rows[0].get("status") != "ok":
        return f"{head} {rows[0]['method']}: {rows[0]['status'][:120]}"
    parts = []
    for r in rows:
        if r.get("primary") or r["method"].startswith("histdip"):
            parts.append(f"{r['method']}/{r['layer']}: psnr {r['psnr_clean']:.1f} f1 "
                         f"{r['f1']:.2f} {r['seconds']:.1f}s" if r.get("f1") is not None else
                         f"{r['method']}/{r['layer']}: psnr {r['psnr_clean']:.1f} {r['seconds']:.1f}s")
    return f"{head} " + "; ".join(parts[:4]) + (" ..." if len(parts) > 4 else "")


def _run(args):
    custom = config_overrides(args.set, "sweep")
    try:
        result = run_sweep(methods=args.methods, seed_set=args.seeds, quick=args.quick, iterations=args.iterations,
                           out=args.out, limit=args.limit, custom=custom, resume=args.resume)
    except ValueError as err:
        raise SystemExit(f"benchmarks sweep: {err}") from None
    rows = result["rows"]
    bad = sum(1 for r in rows if r.get("status", "").startswith("error"))
    print(f"wrote {Path(args.out) / 'results.md'} ({len(result['scenes'])} scenes, {len(rows)} rows, {bad} errors)")
    return result["markdown"]


def register(subparsers, parents):
    """Add the ``sweep`` command to ``python -m benchmarks``."""
    p = subparsers.add_parser("sweep", parents=parents,
                              help="every method on simulated scenes across the dim regime (SNR, haze, size, "
                                   "crowding, clipping)")
    p.add_argument("--quick", action="store_true", help="4 small scenes, one seed, 30 iterations (about 20 s)")
    p.add_argument("--seeds", choices=tuple(SEED_SETS), default="held-out",
                   help="tuning seeds (0, 1) or the held-out seeds (1000-1004; default)")
    p.add_argument("--methods", nargs="+", choices=METHODS, default=None,
                   help=f"default: {' '.join(DEFAULT_METHODS)} (histdip-custom comes with --set)")
    p.add_argument("--iterations", type=int, default=None,
                   help=f"histdip's iteration cap (default {ITERATIONS}; quick {QUICK_ITERATIONS})")
    p.add_argument("--limit", type=int, default=None, help="only the first N scenes")
    p.add_argument("--out", metavar="DIR", default="bench-results/sweep",
                   help="results.json, results.md and sweep_psnr_vs_snr.png go here")
    p.add_argument("--resume", action="store_true",
                   help="continue the stopped run in --out: keep its scenes, run the others (same settings)")
    add_set_argument(p, "an added histdip-custom method")
    p.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    add_doc_arguments(p, "sweep")
    p.set_defaults(func=_run)
    return p

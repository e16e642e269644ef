"""``python -m benchmarks invented``: how many objects each method invents where there is
nothing to find.

The counter of ``histdip count`` (:func:`histdip.count.count_objects`, with the options
:mod:`benchmarks.counting` uses, which are its defaults) on what each method hands
back, on held-out seeds only (:data:`benchmarks.sweep_grid.HELD_OUT_SEEDS`; nothing is
chosen on them):

* ``raw``: the photo's green plane (the plane every method restores);
* ``classical``: the classical pipeline's variant :data:`benchmarks.counting.CLASSICAL`
  (rolling ball 30 px, Gaussian blur 1 px, Otsu), the one the counting benchmark counts;
* ``histdip``: the default restoration's signal layer (:func:`histdip.count.count_result`,
  what ``histdip count PHOTO`` counts);
* ``histdip-auto``: the former default, ``--sample auto`` (the Yen prior with its own
  choice between beads and cells), counted by :func:`~histdip.count.count_result` as
  ``histdip count --sample auto`` counts it (its output: it has no signal layer);
* ``histdip-capped`` (bead-free colour photos only): the default with its fit capped at
  :data:`CAPPED_ITERATIONS` steps, the cap of ``tests/reliability/test_invented.py``:
  whether the cap changes the test's answer.

``raw`` and ``classical`` are cut at the noise sigma histdip's count reads from the
photo, put into their units, as in :mod:`benchmarks.counting`.

Two parts, each written to ``--out`` as soon as a scene is measured:

Bead-free scenes
    ``simulate_scene(kind='empty')``: an uneven background, haze and ghost flares
    (flares whose source lies outside the view), noise, no bead; ``clean`` is all zero,
    so every object counted is invented. Per seed, :data:`EMPTY_SCENES`: a colour phone
    photo at the simulator's calibrated settings and frame (1200 x 900, 1.08 MP), and a
    grey scientific-camera frame of that size (the sweep's grey bead camera: no JPEG,
    150 photons at full scale, a dark background); scene ``k`` at seed ``s`` is
    simulated with seed :func:`empty_seed` ``= 1000 s + 100 + k``, apart from the sweep's
    scenes (``1000 s + k``, k < 18).
Scenes with beads
    The sweep's 12 colour bead scenes (:data:`benchmarks.sweep_grid.GRID`: object SNR
    1.5-30, haze none to 3x the bead peak, bead radius 1-22 px, sparse and crowded,
    clipped beads; 256 x 320 px) at ``--bead-seeds`` (default 1000). An invented object
    is a detection that matches no true bead (:func:`histdip.detect.match_beads`, through
    :func:`benchmarks.counting.detection_counts`: a detection inside a bead cut by the
    frame's edge counts neither way).

Reported per part and method: objects invented per megapixel, the mean over scenes and
the worst scene, and the share of them that lie on haze or flare (the scene's haze layer
at the object's centre at least :data:`ON_FLARE_SIGMA` noise sigma).
``overlays/`` holds, per scene, the objects each histdip method counts outlined over the
photo and over the image counted.

``--quick``: one seed, both bead-free scenes at 128 x 160, one bead scene at 96 x 128,
histdip capped at 20 steps (10 for ``histdip-capped``): a smoke test.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from histdip.count import count_objects, count_result, overlay, saturated_mask
from histdip.simulate import simulate_scene
from histdip.simulate.scene import FRAME

from .counting import CLASSICAL, detection_counts
from .doc import add_doc_arguments, command_line, git_commit, markdown_table
from .report import jsonable
from .sweep_grid import GRID, HELD_OUT_SEEDS, QUICK_SHAPE, SCENE_SHAPE, make_scene, scene_seed
from .sweep_methods import run_classical

#: What is counted, in order. ``histdip-capped`` runs on the bead-free colour photos only.
METHODS = ("raw", "classical", "histdip", "histdip-auto", "histdip-capped")

#: The settings of each histdip method (on top of the default).
HISTDIP_METHODS = {"histdip": {}, "histdip-auto": {"sample": "auto"}, "histdip-capped": {}}

#: histdip's iteration cap (the default's own), and in ``--quick``.
ITERATIONS = 600
QUICK_ITERATIONS = 20

#: The cap of ``histdip-capped``: the one tests/reliability/test_invented.py fits with.
CAPPED_ITERATIONS = 150
QUICK_CAPPED_ITERATIONS = 10

#: The bead-free scenes of one seed: name -> simulate_scene's arguments (less seed, shape).
#: ``colour``: the calibrated phone photo; ``grey``: the sweep's grey bead camera
#: (:func:`benchmarks.sweep_grid._sim_kwargs`).
EMPTY_SCENES = {
    "colour": dict(kind="empty"),
    "grey": dict(kind="empty", grey=True, jpeg_quality=None, bg_level=(0.03, 0.08), bg_texture=0.0,
                 photon_scale=150.0, read_sigma=0.01, noise_corr=0.0, sharpen=0.0),
}
EMPTY_SHAPE = FRAME
QUICK_EMPTY_SHAPE = (128, 160)

#: Simulator seeds of the bead-free scenes: ``1000 s + EMPTY_OFFSET + k``.
EMPTY_OFFSET = 100

#: The colour bead scenes of the sweep's grid; ``--quick``: one of them.
BEAD_SCENES = tuple(s.name for s in GRID if s.group == "colour beads")
QUICK_BEAD_SCENES = ("c21",)

#: An object lies on haze or flare where the haze layer at its centre is at least this
#: many noise sigma.
ON_FLARE_SIGMA = 3.0

PARTS = ("empty", "beads")


# ------------------------------------------------------------------ scenes

def empty_seed(seed, index):
    """The simulator seed of bead-free scene ``index`` (of :data:`EMPTY_SCENES`) at seed ``seed``."""
    return 1000 * int(seed) + EMPTY_OFFSET + int(index)


def empty_scene(name, seed, shape=EMPTY_SHAPE):
    """The bead-free scene ``name`` (a key of :data:`EMPTY_SCENES`) at benchmark seed ``seed``."""
    index = list(EMPTY_SCENES).index(name)
    return simulate_scene(shape=shape, seed=empty_seed(seed, index), **EMPTY_SCENES[name])


# ------------------------------------------------------------------ counting

def _restore(photo, iterations, **overrides):
    import histdip

    t0 = time.perf_counter()
    result = histdip.restore_detailed(photo, iterations=iterations, **overrides)
    counts = count_result(result, photo)  # histdip count's own options
    return counts, result, time.perf_counter() - t0


def count_methods(photo, plane, methods, *, iterations, capped_iterations):
    """``{method: (Counts, result or None, seconds)}`` of one photo.

    ``plane`` is the photo's green plane on [0, 1]; ``raw`` and ``classical`` are cut at
    the noise sigma of the default's count, over 255 (their units), as in
    :func:`benchmarks.counting.count_three`.
    """
    out = {}
    counts, result, seconds = _restore(photo, iterations)
    out["histdip"] = (counts, result, seconds)
    sigma = counts.noise_sigma / 255.0
    saturated = saturated_mask(photo)
    if "raw" in methods:
        t0 = time.perf_counter()
        out["raw"] = (count_objects(plane, noise_sigma=sigma, saturated=saturated), None, time.perf_counter() - t0)
    if "classical" in methods:
        t0 = time.perf_counter()
        cl = run_classical(plane, CLASSICAL)
        out["classical"] = (count_objects(cl, noise_sigma=sigma, saturated=saturated), None,
                            time.perf_counter() - t0)
    if "histdip-auto" in methods:
        out["histdip-auto"] = _restore(photo, iterations, **HISTDIP_METHODS["histdip-auto"])
    if "histdip-capped" in methods:
        out["histdip-capped"] = _restore(photo, capped_iterations)
    return {m: out[m] for m in METHODS if m in out and m in methods}


def _centres(counts):
    t = counts.table
    return np.column_stack([t["y"], t["x"]]) if counts.count else np.zeros((0, 2))


def _haze_sigma(centres, haze255, sigma255):
    """Per object, the haze layer (0-255) at its centre over the noise sigma (0-255)."""
    if not len(centres):
        return np.zeros(0)
    h, w = haze255.shape
    y = np.clip(np.rint(centres[:, 0]).astype(int), 0, h - 1)
    x = np.clip(np.rint(centres[:, 1]).astype(int), 0, w - 1)
    return haze255[y, x] / max(sigma255, 1e-9)


def _row(base, method, counts, result, seconds, invented, scene, sigma255):
    """One row: the invented objects (``invented``: a bool per object counted) of one
    method on one scene."""
    mp = scene.shape[0] * scene.shape[1] / 1e6
    t = counts.table
    index = np.flatnonzero(invented)
    haze = _haze_sigma(_centres(counts)[index] if len(index) else np.zeros((0, 2)), scene.haze * 255.0, sigma255)
    flare = haze >= ON_FLARE_SIGMA
    objects = []
    for k, d in enumerate(index):
        obj = dict(y=float(t["y"][d]), x=float(t["x"][d]), radius=float(t["equivalent_radius_px"][d]),
                   area=int(t["area_px"][d]), haze_sigma=float(haze[k]), on_flare=bool(flare[k]))
        if result is not None:  # a background-removed layer on 0-255: its peak over the photo's noise
            obj["peak_sigma"] = float(t["peak_intensity"][d] / counts.noise_sigma) if counts.noise_sigma else None
        objects.append(obj)
    n = len(index)
    return dict(base, method=method, mp=mp, counted=int(counts.count), invented=n, per_mp=n / mp,
                on_flare=int(flare.sum()), seconds=seconds,
                iterations=None if result is None else int(result.iterations),
                stop=None if result is None else result.summary(short=True), objects=objects)


def _write_overlays(folder, stem, photo, counts_by_method):
    """The objects of each histdip method outlined over the photo (``folder/stem_method.png``)
    and over what was counted (``stem_method_counted.png``: the signal layer, or the output)."""
    import imageio.v3 as iio

    from histdip.count import signal_plane

    folder.mkdir(parents=True, exist_ok=True)
    for method, (counts, result, _) in counts_by_method.items():
        if result is None:
            continue
        iio.imwrite(folder / f"{stem}_{method}.png", overlay(photo, counts.labels, ids=False))
        counted = signal_plane(result.layers["signal"] if result.layers is not None else result.image)
        iio.imwrite(folder / f"{stem}_{method}_counted.png", overlay(counted, counts.labels, ids=False))


def run_empty(seeds, methods, *, shape=EMPTY_SHAPE, iterations=ITERATIONS, capped_iterations=CAPPED_ITERATIONS,
              out=None, log=print, save=None, rows=None):
    """Rows of the bead-free part: one per (scene, method); every object counted is invented."""
    rows = [] if rows is None else rows
    for seed in seeds:
        for name in EMPTY_SCENES:
            scene = empty_scene(name, seed, shape)
            ms = [m for m in methods if m != "histdip-capped" or name == "colour"]
            counts = count_methods(scene.noisy_rgb, scene.noisy.astype(np.float64), ms, iterations=iterations,
                                   capped_iterations=capped_iterations)
            sigma255 = counts["histdip"][0].noise_sigma
            base = dict(part="empty", scene=name, seed=int(seed), sim_seed=empty_seed(seed, list(EMPTY_SCENES).index(name)),
                        shape=list(scene.shape), noise_sigma=sigma255)
            for method, (c, result, seconds) in counts.items():
                rows.append(_row(base, method, c, result, seconds, np.ones(c.count, bool), scene, sigma255))
            if out is not None:
                _write_overlays(Path(out) / "overlays", f"empty-{name}-{seed}", scene.noisy_rgb, counts)
            if log:
                log(f"[empty {name} seed {seed}] " + "; ".join(
                    f"{r['method']}: {r['invented']} ({r['per_mp']:.1f}/MP"
                    + (f", {r['iterations']} steps" if r["iterations"] is not None else "") + ")"
                    for r in rows[-len(counts):]))
            if save:
                save()
    return rows


def run_beads(seeds, methods, *, shape=SCENE_SHAPE, names=BEAD_SCENES, iterations=ITERATIONS, out=None, log=print,
              save=None, rows=None):
    """Rows of the part with beads: one per (scene, method); invented = detections that
    match no true bead."""
    rows = [] if rows is None else rows
    ms = [m for m in methods if m != "histdip-capped"]
    for seed in seeds:
        for spec in [s for s in GRID if s.name in names]:
            scene, record, _ = make_scene(spec, scene_seed(seed, GRID.index(spec)), shape)
            counts = count_methods(scene.noisy_rgb, scene.noisy.astype(np.float64), ms, iterations=iterations,
                                   capped_iterations=None)
            sigma255 = counts["histdip"][0].noise_sigma
            base = dict(part="beads", scene=spec.name, seed=int(seed), sim_seed=scene_seed(seed, GRID.index(spec)),
                        shape=list(scene.shape), noise_sigma=sigma255, snr=record["snr"], haze=spec.haze,
                        size=spec.size, density=spec.density)
            for method, (c, result, seconds) in counts.items():
                found = _centres(c)
                tp, fp, fn, pairs = detection_counts(found, scene.beads, scene.shape)
                invented = _unmatched(found, pairs, scene)
                assert int(invented.sum()) == fp
                row = _row(base, method, c, result, seconds, invented, scene, sigma255)
                row.update(n_true=tp + fn, tp=tp)
                rows.append(row)
            if out is not None:
                _write_overlays(Path(out) / "overlays", f"beads-{spec.name}-{seed}", scene.noisy_rgb, counts)
            if log:
                log(f"[beads {spec.name} seed {seed} snr {record['snr']:.1f}] " + "; ".join(
                    f"{r['method']}: {r['invented']} invented of {r['counted']} ({r['per_mp']:.1f}/MP)"
                    for r in rows[-len(counts):]))
            if save:
                save()
    return rows


def _unmatched(found, pairs, scene):
    """Which detections :func:`benchmarks.counting.detection_counts` calls false positives:
    matched to no bead, and not inside a bead cut by the frame's edge."""
    h, w = scene.shape
    b = scene.beads
    y, x, r = b["y"], b["x"], b["radius"]
    cut = (y - r < 0) | (y + r > h - 1) | (x - r < 0) | (x + r > w - 1)
    matched = {d for d, _ in pairs}
    return np.array([d not in matched and not np.any(cut & (np.hypot(y - found[d][0], x - found[d][1]) <= r))
                     for d in range(len(found))], bool)


# ------------------------------------------------------------------ report

PART_LABELS = {("empty", "colour"): "bead-free colour photos", ("empty", "grey"): "bead-free grey frames",
               ("beads", None): "colour bead scenes (unmatched detections)"}


def _groups(rows):
    for (part, scene), label in PART_LABELS.items():
        sel = [r for r in rows if r["part"] == part and (scene is None or r["scene"] == scene)]
        if sel:
            yield label, sel


def summary_table(rows):
    """Per part and method: scenes, megapixels, objects counted (in scenes with beads, and
    the beads matched of the true), objects invented, per MP mean and worst scene, share
    on haze or flare, histdip's steps."""
    table = []
    for label, sel in _groups(rows):
        for method in METHODS:
            mr = [r for r in sel if r["method"] == method]
            if not mr:
                continue
            rates = [r["per_mp"] for r in mr]
            n = sum(r["invented"] for r in mr)
            worst = max(mr, key=lambda r: r["per_mp"])
            steps = [r["iterations"] for r in mr if r["iterations"] is not None]
            counted = sum(r["counted"] for r in mr)
            matched = f" ({sum(r['tp'] for r in mr)}/{sum(r['n_true'] for r in mr)} beads)" if "tp" in mr[0] else ""
            table.append([label, method, str(len(mr)), f"{sum(r['mp'] for r in mr):.2f}", f"{counted}{matched}", str(n),
                          f"{np.mean(rates):.1f}", f"{worst['per_mp']:.1f} ({worst['scene']}, {worst['seed']})",
                          f"{100 * sum(r['on_flare'] for r in mr) / n:.0f} %" if n else "-",
                          "-" if not steps else str(min(steps)) if min(steps) == max(steps)
                          else f"{min(steps)}-{max(steps)}"])
    return markdown_table(["scenes", "counted on", "n", "MP", "objects (beads matched / true)", "invented",
                           "per MP, mean", "per MP, worst (scene, seed)",
                           "on haze / flare", "histdip steps"], table)


def scene_table(rows, part="empty"):
    """Per bead-free scene: objects counted by each method (and histdip's steps)."""
    keys = sorted({(r["scene"], r["seed"]) for r in rows if r["part"] == part})
    present = [m for m in METHODS if any(r["method"] == m and r["part"] == part for r in rows)]
    table = []
    for scene, seed in keys:
        cells = []
        for m in present:
            r = next((r for r in rows if r["part"] == part and r["scene"] == scene and r["seed"] == seed
                      and r["method"] == m), None)
            cells.append("-" if r is None else str(r["invented"]) + (f" ({r['iterations']} steps)"
                                                                    if r["iterations"] is not None else ""))
        table.append([scene, str(seed), *cells])
    return markdown_table(["scene", "seed", *present], table)


def markdown(result):
    """The run's tables."""
    rows = result["rows"]
    meta = result["meta"]
    seconds = meta.get("total_seconds")
    parts = [f"Objects invented per megapixel: bead-free scenes at seeds {', '.join(map(str, meta['seeds']))}, "
             f"bead scenes at {', '.join(map(str, meta['bead_seeds']))} (held out); histdip capped at "
             f"{meta['iterations']} steps, `histdip-capped` at {meta['capped_iterations']}; {meta['threads']} "
             f"torch thread(s)" + (f", {seconds / 60:.0f} min" if seconds else "") + ":\n\n" + summary_table(rows)]
    if any(r["part"] == "empty" for r in rows):
        parts.append("Per bead-free scene, objects counted (every one invented):\n\n" + scene_table(rows))
    return "\n\n".join(parts)


def run_invented(*, seeds=HELD_OUT_SEEDS, bead_seeds=(HELD_OUT_SEEDS[0],), quick=False, iterations=None,
                 capped_iterations=None, methods=METHODS, parts=PARTS, out="bench-results/invented", log=None,
                 command=None):
    """Run the benchmark; write ``results.json`` (after every scene), ``results.md`` and
    ``overlays/``.

    Returns
    -------
    dict
        meta, rows and markdown.
    """
    import torch

    iterations = iterations or (QUICK_ITERATIONS if quick else ITERATIONS)
    capped_iterations = capped_iterations or (QUICK_CAPPED_ITERATIONS if quick else CAPPED_ITERATIONS)
    if quick:
        seeds, bead_seeds = seeds[:1], bead_seeds[:1]
    log = log or (lambda line: print(line, flush=True))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result = dict(meta=dict(seeds=list(seeds), bead_seeds=list(bead_seeds), quick=quick, iterations=iterations,
                            capped_iterations=capped_iterations, methods=list(methods), parts=list(parts),
                            threads=torch.get_num_threads(), classical=CLASSICAL, on_flare_sigma=ON_FLARE_SIGMA,
                            commit=git_commit(), command=command),
                  rows=[])
    t_start = time.perf_counter()

    def save():
        result["meta"]["total_seconds"] = time.perf_counter() - t_start
        (out / "results.json").write_text(json.dumps(jsonable(result), indent=1))

    kw = dict(iterations=iterations, out=out, log=log, save=save, rows=result["rows"])
    if "empty" in parts:
        run_empty(seeds, methods, shape=QUICK_EMPTY_SHAPE if quick else EMPTY_SHAPE,
                  capped_iterations=capped_iterations, **kw)
    if "beads" in parts:
        run_beads(bead_seeds, methods, shape=QUICK_SHAPE if quick else SCENE_SHAPE,
                  names=QUICK_BEAD_SCENES if quick else BEAD_SCENES, **kw)
    save()
    text = markdown(result)
    (out / "results.md").write_text("# Invented objects\n\n" + text + "\n")
    return dict(result, markdown=text)


def _command(args):
    """The measuring command line these arguments make (all its settings spelt out)."""
    argv = ["invented", *(["--quick"] if args.quick else []), "--seeds", ",".join(map(str, args.seeds)),
            "--bead-seeds", ",".join(map(str, args.bead_seeds)), "--parts", *args.parts, "--methods", *args.methods,
            *(["--iterations", str(args.iterations)] if args.iterations else []),
            *(["--capped-iterations", str(args.capped_iterations)] if args.capped_iterations else []),
            "--threads", str(args.threads)]
    return command_line(argv)


def _run(args):
    if args.tables_from:
        result = json.loads((Path(args.tables_from) / "results.json").read_text())
        meta = result["meta"]
        text = (f"Tables of the run in `{args.tables_from}`" + (f" (`{meta['command']}`)" if meta.get("command") else "")
                + f", measured on commit {meta['commit']}.\n\n" + markdown(result))
        print(text)
        return text
    methods = tuple(m for m in METHODS if m in args.methods)
    result = run_invented(seeds=args.seeds, bead_seeds=args.bead_seeds, quick=args.quick, iterations=args.iterations,
                          capped_iterations=args.capped_iterations, methods=methods, parts=tuple(args.parts),
                          out=args.out, command=_command(args))
    print("\n" + result["markdown"])
    return result["markdown"]


def register(subparsers, parents):
    """Add the ``invented`` command to ``python -m benchmarks``."""
    from .flags import int_list

    p = subparsers.add_parser("invented", parents=parents,
                              help="objects each method invents: bead-free scenes, and unmatched detections "
                                   "in scenes with beads")
    p.add_argument("--quick", action="store_true",
                   help="one seed, small scenes, histdip capped at 20 steps: a smoke test")
    p.add_argument("--seeds", type=int_list, default=HELD_OUT_SEEDS,
                   help=f"seeds of the bead-free scenes (default the held-out {','.join(map(str, HELD_OUT_SEEDS))})")
    p.add_argument("--bead-seeds", type=int_list, default=(HELD_OUT_SEEDS[0],),
                   help=f"seeds of the sweep's colour bead scenes (default {HELD_OUT_SEEDS[0]})")
    p.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS),
                   help="bead-free scenes, scenes with beads (default: both)")
    p.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS),
                   help="what is counted (default: all; histdip itself always runs: its noise cuts the others)")
    p.add_argument("--iterations", type=int, default=None,
                   help=f"histdip's iteration cap (default {ITERATIONS}, the default's own; quick {QUICK_ITERATIONS})")
    p.add_argument("--capped-iterations", type=int, default=None,
                   help=f"the cap of histdip-capped (default {CAPPED_ITERATIONS}, the reliability test's; "
                        f"quick {QUICK_CAPPED_ITERATIONS})")
    p.add_argument("--out", metavar="DIR", default="bench-results/invented",
                   help="results.json, results.md and overlays/ go here")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--tables-from", metavar="DIR", default=None,
                   help="measure nothing: print (and with --update-doc write) the tables of the run whose "
                        "results.json is in DIR")
    add_doc_arguments(p, "invented")
    p.set_defaults(func=_run)
    return p

"""``python -m benchmarks counting``: the bead counter (:func:`histdip.count.count_objects`)
on the raw photo, on the classical pipeline's output and on histdip's signal layer.

Three parts, each written to ``--out`` as soon as it is measured:

Simulated colour bead photos
    The 12 colour bead scenes of the sweep's grid (:mod:`benchmarks.sweep_grid`: object
    SNR 1.5-30, haze none to 3x the bead peak, bead radius 1-22 px, sparse and crowded,
    clipped beads) at the held-out seeds (``--seeds``; 1000-1004, default 1000). The same
    counter, with the same options, counts (a) ``raw``: the photo's green plane (the plane
    every method restores), (b) ``classical``: the classical pipeline's variant
    :data:`CLASSICAL` (rolling ball 30 px, Gaussian blur 1 px, Otsu) on that plane, (c)
    ``histdip``: the default restoration's signal layer (:func:`histdip.count.count_result`);
    and, as a reference, ``clean``: the scene's clean image, which shows what the counter
    itself gets right whatever the restoration. The threshold's noise sigma is the one
    histdip reads from the photo, put into each image's units, so all are cut at the same
    number of photo noise sigma.
    Scores per scene: the count error ``(found - true) / true`` and the detection F1
    (:func:`histdip.detect.match_beads`), beads cut by the frame's edge counting neither
    way; the F1 over the beads that stand >= 3 noise sigma above their surroundings (the
    others, and detections matched to them, count neither way); and the R² of each
    matched unclipped bead's integrated intensity against the clean image's integral
    over the bead (:func:`truth_integrals`). Scenes are binned by their measured median
    object SNR, as in the sweep.
Real beads (biopixr)
    The near-clean laboratory bead images of ``biopixr-beads`` degraded into phone-like
    photos (:func:`degrade`: dimmed to a tenth of full scale on an uneven background of a
    quarter, with a flare halo, Poisson-Gaussian noise correlated over ~1 px, unsharp
    masking, JPEG q90, in the green channel of an RGB photo), restored and counted;
    against the count on the clean image as it is (its own mild noise read off itself).
The ten phone photos
    The count on the raw photo's green plane and on the restored signal (no truth).

``--quick``: two scenes at 96 x 128 px, the smallest biopixr image, two phone photos
cropped to 160 px, histdip capped at 20 iterations: a smoke test.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi

from histdip.count import count_objects, count_result, saturated_mask
from histdip.detect import match_beads

from .doc import add_doc_arguments, git_commit, markdown_table
from .report import jsonable
from .sweep_grid import (GRID, HELD_OUT_SEEDS, QUICK_SHAPE, SCENE_SHAPE, SNR_BINS, bin_label, clipped_beads,
                         make_scene, scene_seed)
from .sweep_methods import run_classical
from .sweep_metrics import nearest_bead

#: The classical pipeline's variant counted (:data:`benchmarks.sweep_methods.CLASSICAL_VARIANTS`).
CLASSICAL = "rb30-b1-otsu"

#: What is counted, in order; on simulated scenes also :data:`REFERENCE`.
METHODS = ("raw", "classical", "histdip")

#: The counter on the scene's clean image (x 255, the signal layer's units) with
#: histdip's noise sigma: what the counter itself gets right, whatever the restoration.
REFERENCE = "clean"

#: histdip's iteration cap (the sweep's), and in ``--quick``.
ITERATIONS = 600
QUICK_ITERATIONS = 20

#: Beads at least this many noise sigma above their surroundings: where the targets apply.
TARGET_SNR = 3.0

#: The truth integral of a bead: ``clean`` over its disc and this many px round it.
INTEGRAL_MARGIN = 3.0

#: ``--quick``: the grid's scenes, the biopixr image, phone photos and their crop.
QUICK_SCENES = ("c11", "c21")
QUICK_BIOPIXR = ("beads.png",)
QUICK_PHONE = ("d", "e")
QUICK_CROP = 160

BIOPIXR = ("beads.png", "beads_large1.bmp", "beads_large2.png")


# ------------------------------------------------------------------ scores

def truth_integrals(scene, margin=INTEGRAL_MARGIN):
    """Each bead's integral of ``scene.clean``: over the pixels within ``margin`` px of
    its disc that are nearer its disc than any other bead's."""
    n = len(scene.beads)
    if n == 0:
        return np.zeros(0)
    nearest, dist = nearest_bead(scene.shape, scene.beads)
    own = np.where(dist <= margin, nearest + 1, 0)
    return np.asarray(ndi.sum_labels(scene.clean.astype(np.float64), own, np.arange(1, n + 1)), np.float64)


def detection_counts(found, beads, shape, ignore=None):
    """tp, fp, fn of detections ``found`` (n, 2) against ``beads``, ignoring the beads cut
    by the frame and those flagged in ``ignore``: they are not in the truth, and a
    detection matched to one, or lying inside one, is not a false positive.

    Returns
    -------
    tp, fp, fn : int
    pairs : list of (int, int)
        (detection, bead) of each match, ignored beads included.
    """
    h, w = shape
    y, x, r = beads["y"], beads["x"], beads["radius"]
    skip = (y - r < 0) | (y + r > h - 1) | (x - r < 0) | (x + r > w - 1)
    if ignore is not None:
        skip = skip | np.asarray(ignore, bool)
    pairs, _, _, _ = match_beads(found, np.stack([y, x, r], axis=1))
    tp = sum(1 for _, b in pairs if not skip[b])
    matched = {d for d, _ in pairs}
    fp = sum(1 for d in range(len(found)) if d not in matched
             and not np.any(skip & (np.hypot(y - found[d][0], x - found[d][1]) <= r)))
    return tp, fp, int((~skip).sum()) - tp, pairs


def _f1(tp, fp, fn):
    return 2 * tp / (2 * tp + fp + fn) if (tp + fp + fn) else 1.0


def r_squared(x, y):
    """R² of the least-squares line of ``y`` on ``x`` (None for fewer than 3 points)."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1] ** 2)


def score_counts(counts, scene, snrs, integrals):
    """The scores of one count of one scene (module docstring).

    Returns
    -------
    dict
        n_true (beads not cut by the edge), n_found (detections not in a cut bead),
        count_error (found / true - 1), f1, f1_target (beads >= :data:`TARGET_SNR` sigma),
        n_target, r2 (integrated intensity against the truth integrals, matched
        unclipped beads), n_r2, r2_slope, clipped_flag_agree (share of matched beads whose
        clipped flag is the truth's).
    """
    t = counts.table
    found = np.column_stack([t["y"], t["x"]]) if counts.count else np.zeros((0, 2))
    tp, fp, fn, pairs = detection_counts(found, scene.beads, scene.shape)
    dim = np.asarray(snrs) < TARGET_SNR
    ttp, tfp, tfn, _ = detection_counts(found, scene.beads, scene.shape, ignore=dim)
    clipped = clipped_beads(scene)
    ok = [(d, b) for d, b in pairs if not clipped[b]]
    xs = integrals[[b for _, b in ok]] if ok else np.zeros(0)
    ys = t["integrated_intensity"][[d for d, _ in ok]] if ok else np.zeros(0)
    r2 = r_squared(xs, ys)
    agree = [bool(t["clipped"][d]) == bool(clipped[b]) for d, b in pairs]
    return dict(n_true=tp + fn, n_found=tp + fp, count_error=(fp - fn) / (tp + fn) if tp + fn else None,
                f1=_f1(tp, fp, fn), f1_target=_f1(ttp, tfp, tfn), n_target=ttp + tfn,
                r2=r2, n_r2=len(ok), r2_slope=float(np.polyfit(xs, ys, 1)[0]) if r2 is not None else None,
                clipped_flag_agree=float(np.mean(agree)) if agree else None)


# ------------------------------------------------------------------ counting

def _restore(image, iterations, seed=0):
    import histdip

    # Every image here is fluorescence: the polarity is stated, not read. Read, it is
    # dark on some 96 x 128 quick scenes whose large beads span half the frame
    # (docs/brightfield.md, "Where auto reads it wrong"); on full-size scenes it is bright.
    return histdip.restore_detailed(image, iterations=iterations, seed=seed, polarity="bright")


def count_three(photo, plane, iterations, *, classical=True):
    """The counts of one photo: ``{method: (Counts, seconds)}`` and the histdip result.

    ``plane`` is the photo's green plane on [0, 1]; the raw and classical counts use
    the noise sigma histdip's count read from the photo, over 255 (their units).
    """
    t0 = time.perf_counter()
    result = _restore(photo, iterations)
    restored = count_result(result, photo)
    out = {"histdip": (restored, time.perf_counter() - t0)}
    sigma = restored.noise_sigma / 255.0
    saturated = saturated_mask(photo)
    t0 = time.perf_counter()
    out["raw"] = (count_objects(plane, noise_sigma=sigma, saturated=saturated), time.perf_counter() - t0)
    if classical:
        t0 = time.perf_counter()
        cl = run_classical(plane, CLASSICAL)
        out["classical"] = (count_objects(cl, noise_sigma=sigma, saturated=saturated), time.perf_counter() - t0)
    return out, result


def run_scenes(seeds, *, quick=False, iterations=ITERATIONS, log=print, save=None, rows=None):
    """Rows of the simulated part: one per (scene, method)."""
    specs = [s for s in GRID if s.group == "colour beads" and (not quick or s.name in QUICK_SCENES)]
    shape = QUICK_SHAPE if quick else SCENE_SHAPE
    rows = [] if rows is None else rows
    for seed in seeds:
        for spec in specs:
            scene, record, snrs = make_scene(spec, scene_seed(seed, GRID.index(spec)), shape)
            integrals = truth_integrals(scene)
            counts, result = count_three(scene.noisy_rgb, scene.noisy.astype(np.float64), iterations)
            counts[REFERENCE] = (count_objects(scene.clean * 255.0, noise_sigma=counts["histdip"][0].noise_sigma,
                                               saturated=saturated_mask(scene.noisy_rgb)), 0.0)
            base = dict(scene=spec.name, seed=int(seed), snr=record["snr"], bin=record["bin"], haze=spec.haze,
                        size=spec.size, density=spec.density, clip=spec.clip)
            for method in (*METHODS, REFERENCE):
                c, seconds = counts[method]
                rows.append(dict(base, method=method, seconds=seconds, **score_counts(c, scene, snrs, integrals)))
            if log:
                log(f"[{spec.name} seed {seed} snr {record['snr']:.1f}] "
                    + "; ".join(f"{r['method']}: {r['n_found']}/{r['n_true']} f1 {r['f1']:.2f} "
                                f"r2 {_fmt(r['r2'])}" for r in rows[-len(METHODS) - 1:])
                    + f" ({result.summary(short=True)})")
            if save:
                save()
    return rows


def degrade(clean, seed=0, *, peak=0.1, background=0.25, haze=0.5, photons=1700.0, read=0.002, jpeg=90):
    """A phone-like colour photo of a near-clean grey bead image.

    The image (its own median taken as zero, its 99.9th percentile as the bead peak) is
    scaled to ``peak`` of full scale, put on an uneven background of mean ``background``
    (a smooth field varying by +-30 %) with a flare halo (the beads blurred over 15 px,
    scaled to ``haze`` times the peak at its 99th percentile), given Poisson-Gaussian
    noise (``photons`` per unit of full scale, read noise ``read``, correlated over 1
    px as a phone's), unsharp-masked, and written as the green channel of an RGB photo
    (red and blue a tenth of the background and signal) through JPEG at quality ``jpeg``.

    Returns
    -------
    photo : ndarray, uint8, (H, W, 3)
    signal : ndarray
        The scaled clean signal, green units on [0, 1].
    """
    from histdip.simulate import camera

    rng = np.random.default_rng(seed)
    img = np.asarray(clean, np.float64)
    img = img.mean(axis=-1) if img.ndim == 3 else img
    base = np.median(img)
    signal = np.clip(img - base, 0, None) * (peak / max(np.percentile(img - base, 99.9), 1e-9))
    h, w = signal.shape
    field = ndi.gaussian_filter(rng.standard_normal((h, w)), max(h, w) / 6.0)
    field = field / max(np.abs(field).max(), 1e-9)
    bg = background * (1 + 0.3 * field)
    halo = ndi.gaussian_filter(signal, 15.0)
    halo *= haze * peak / max(np.percentile(halo, 99), 1e-9)
    lin = bg + halo + signal
    green = lin + camera.noise_residual(rng, np.clip(lin, 0, 1), photons, read, 1.0)
    green = camera.sharpen(green, 0.3, 1.5)
    side = 0.1 * (bg + signal)
    side = side + camera.noise_residual(rng, side, photons, read, 1.0)
    rgb = np.stack([camera.to_uint8(side), camera.to_uint8(green), camera.to_uint8(side)], axis=-1)
    return camera.jpeg_roundtrip(rgb, jpeg), signal


def run_biopixr(root, *, quick=False, iterations=ITERATIONS, log=print, save=None, rows=None):
    """Rows of the biopixr part: per image, the count on the clean image, and on the
    degraded photo raw and restored."""
    from .datasets import read_image

    folder = Path(root) / "biopixr-beads"
    rows = [] if rows is None else rows
    for name in QUICK_BIOPIXR if quick else BIOPIXR:
        clean = read_image(folder / name).astype(np.float64)
        clean = clean.max(axis=-1) if clean.ndim == 3 else clean  # beads_large2: all in red
        photo, signal = degrade(clean)
        truth = count_objects(clean)  # near-clean: its own mild noise read off the image itself
        counts, result = count_three(photo, photo[..., 1] / 255.0, iterations, classical=True)
        row = dict(image=name, shape=list(clean.shape), clean=truth.count,
                   photo_snr=_photo_snr(photo, signal, counts["histdip"][0].noise_sigma),
                   summary=result.summary(short=True))
        for method in METHODS:
            c, seconds = counts[method]
            row[method] = dict(count=c.count, error=c.count / truth.count - 1 if truth.count else None,
                               seconds=seconds)
        rows.append(row)
        if log:
            log(f"[biopixr {name}] clean {truth.count}; " + "; ".join(
                f"{m} {row[m]['count']} ({100 * row[m]['error']:+.1f} %)" for m in METHODS
                if row[m]["error"] is not None))
        if save:
            save()
    return rows


def _photo_snr(photo, signal, sigma255):
    """The median bead peak (99th percentile of the scaled signal's local maxima) over the
    photo's noise, both on 0-255."""
    peaks = signal[(signal == ndi.maximum_filter(signal, 5)) & (signal > 0.2 * signal.max())]
    return float(np.median(peaks) * 255.0 / sigma255) if peaks.size and sigma255 > 0 else None


def run_phone(root, *, quick=False, iterations=ITERATIONS, log=print, save=None, rows=None):
    """Rows of the phone part: the count on each photo, raw and restored."""
    from .datasets import phone_photos

    rows = [] if rows is None else rows
    for name, photo in sorted(phone_photos(root, list(QUICK_PHONE) if quick else None).items()):
        if quick:
            h, w = photo.shape[:2]
            photo = np.ascontiguousarray(photo[(h - QUICK_CROP) // 2:(h + QUICK_CROP) // 2,
                                               (w - QUICK_CROP) // 2:(w + QUICK_CROP) // 2])
        counts, result = count_three(photo, photo[..., 1] / 255.0, iterations, classical=True)
        row = dict(photo=name, summary=result.summary(short=True),
                   **{m: dict(count=counts[m][0].count, clipped=int(counts[m][0].table["clipped"].sum()),
                              seconds=counts[m][1]) for m in METHODS})
        rows.append(row)
        if log:
            log(f"[phone {name}] " + "; ".join(f"{m} {row[m]['count']}" for m in METHODS)
                + f" ({row['summary']}, {row['histdip']['seconds']:.0f} s)")
        if save:
            save()
    return rows


# ------------------------------------------------------------------ report

def _fmt(v, digits=3):
    return "-" if v is None else f"{v:.{digits}f}"


def _mean(values):
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def bin_table(rows):
    """Per SNR bin and method: scenes, beads, mean |count error| %, mean F1, mean F1 over
    beads >= 3 sigma, mean R² (and the lowest)."""
    table = []
    for b in [*range(len(SNR_BINS)), None]:
        for method in (*METHODS, REFERENCE):
            sel = [r for r in rows if r["bin"] == b and r["method"] == method]
            if not sel:
                continue
            errs = [abs(r["count_error"]) * 100 for r in sel if r["count_error"] is not None]
            r2 = [r["r2"] for r in sel if r["r2"] is not None]
            table.append([bin_label(b), method, str(len(sel)), str(sum(r["n_true"] for r in sel)),
                          _fmt(_mean(errs), 1), _fmt(_mean([r["f1"] for r in sel])),
                          _fmt(_mean([r["f1_target"] for r in sel if r["n_target"]])),
                          _fmt(_mean(r2)) + (f" ({min(r2):.2f})" if r2 else "")])
    return markdown_table(["SNR bin", "counted on", "scenes", "beads", "mean abs count error %", "F1",
                           "F1, beads >= 3 sigma", "R² intensity (lowest)"], table)


def markdown(result):
    """The run's tables (simulated per bin, per scene, biopixr, phone)."""
    parts = []
    rows = result.get("scenes") or []
    if rows:
        parts.append("Simulated colour bead photos, per SNR bin:\n\n" + bin_table(rows))
        per = [[r["scene"], str(r["seed"]), f"{r['snr']:.1f}", r["method"], f"{r['n_found']}/{r['n_true']}",
                _fmt(100 * r["count_error"], 1) if r["count_error"] is not None else "-", _fmt(r["f1"]),
                _fmt(r["r2"])] for r in rows]
        parts.append("Per scene:\n\n" + markdown_table(["scene", "seed", "SNR", "counted on", "found / true",
                                                        "count error %", "F1", "R²"], per))
    bio = result.get("biopixr") or []
    if bio:
        parts.append("Real beads (biopixr-beads), degraded to phone-like photos, counts against the clean "
                     "image's:\n\n" + markdown_table(
                         ["image", "photo SNR", "clean", *(f"{m} (error %)" for m in METHODS)],
                         [[r["image"], _fmt(r["photo_snr"], 1), str(r["clean"]),
                           *(f"{r[m]['count']} ({_fmt(100 * r[m]['error'], 1) if r[m]['error'] is not None else '-'})"
                             for m in METHODS)] for r in bio]))
    phone = result.get("phone") or []
    if phone:
        parts.append("The phone photos (no truth):\n\n" + markdown_table(
            ["photo", *(f"{m}" for m in METHODS), "histdip s", "restoration"],
            [[r["photo"], *(str(r[m]["count"]) for m in METHODS), f"{r['histdip']['seconds']:.0f}",
              r["summary"]] for r in phone]))
    return "\n\n".join(parts)


def run_counting(*, seeds=(HELD_OUT_SEEDS[0],), quick=False, iterations=None, parts=("scenes", "biopixr", "phone"),
                 root=None, out="bench-results/counting", log=None):
    """Run the benchmark; write ``results.json`` (after every item) and ``results.md``.

    Returns
    -------
    dict
        meta, scenes, biopixr, phone (rows) and markdown.
    """
    import torch

    iterations = iterations or (QUICK_ITERATIONS if quick else ITERATIONS)
    log = log or (lambda line: print(line, flush=True))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result = dict(meta=dict(seeds=list(seeds), quick=quick, iterations=iterations, parts=list(parts),
                            threads=torch.get_num_threads(), classical=CLASSICAL, commit=git_commit()),
                  scenes=[], biopixr=[], phone=[])
    t_start = time.perf_counter()

    def save():
        result["meta"]["total_seconds"] = time.perf_counter() - t_start
        (out / "results.json").write_text(json.dumps(jsonable(result), indent=1))

    kw = dict(quick=quick, iterations=iterations, log=log, save=save)
    if "scenes" in parts:
        run_scenes(seeds, rows=result["scenes"], **kw)
    if "biopixr" in parts:
        run_biopixr(root, rows=result["biopixr"], **kw)
    if "phone" in parts:
        run_phone(root, rows=result["phone"], **kw)
    save()
    text = markdown(result)
    (out / "results.md").write_text("# Counting\n\n" + text + "\n")
    return dict(result, markdown=text)


def _run(args):
    from .datasets import data_root

    parts = tuple(args.parts)
    root = data_root(args.data) if {"biopixr", "phone"} & set(parts) else None
    result = run_counting(seeds=args.seeds, quick=args.quick, iterations=args.iterations, parts=parts, root=root,
                          out=args.out)
    print("\n" + result["markdown"])
    return result["markdown"]


def register(subparsers, parents):
    """Add the ``counting`` command to ``python -m benchmarks``."""
    from .flags import int_list

    p = subparsers.add_parser("counting", parents=parents,
                              help="the bead counter on the raw photo, the classical pipeline and histdip's signal")
    p.add_argument("--quick", action="store_true",
                   help="two small scenes, one biopixr image, two phone crops, 20 iterations")
    p.add_argument("--seeds", type=int_list, default=(HELD_OUT_SEEDS[0],),
                   help=f"simulator seeds of the scenes (default {HELD_OUT_SEEDS[0]}; held-out: "
                        f"{','.join(map(str, HELD_OUT_SEEDS))})")
    p.add_argument("--parts", nargs="+", choices=("scenes", "biopixr", "phone"),
                   default=["scenes", "biopixr", "phone"], help="what to run (default: all three)")
    p.add_argument("--iterations", type=int, default=None,
                   help=f"histdip's iteration cap (default {ITERATIONS}; quick {QUICK_ITERATIONS})")
    p.add_argument("--out", metavar="DIR", default="bench-results/counting",
                   help="results.json and results.md go here")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    add_doc_arguments(p, "counting")
    p.set_defaults(func=_run)
    return p

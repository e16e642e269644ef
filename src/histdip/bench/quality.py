"""Quality benchmark: HIST-DIP and every peer, side by side, on data with an
independent reference.

:func:`run_quality_benchmark` runs each method on each dataset item, times it, scores
it and writes ``results.md`` (tables), ``results.json`` and PNG plots into ``outdir``.

Datasets (names for ``datasets=``)
----------------------------------
``sim-beads`` (two noise levels), ``sim-cells``, ``sim-filaments``, ``sim-empty``
    :func:`histdip.simulate.simulate_scene` with the known clean image and bead list.
    Methods see the green plane (float, [0, 1]); references: ``clean`` (ideal signal,
    no background) and ``expected`` (noise-free photo incl. background).
``fmd``, ``w2s``, ``myxo``
    Real noisy / frame-averaged pairs from ``/work/shared/data`` (centre crops).
``phone``
    The paper's smartphone photos (centre crop around the beads): the paper's circular
    protocol (labelled) and reference-free CNR / SDNR on regions fixed from the paper's
    hand-threshold mask of the raw photo (signal = mask eroded 2 px, background = not
    (mask dilated 10 px)), identical for every method and for the raw photo.

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

from ..metrics import cnr, paper_mask, paper_scores, psnr, sdnr, ssim
from . import detection as det

DATA_ROOT = Path("/work/shared/data")

#: Methods in run order. 'care' is supervised (trained on simulator pairs): an upper reference.
ALL_METHODS = ("identity", "threshold", "gaussian", "median", "nlm", "bm3d", "classical_pipeline",
               "histdip", "dip", "histdip-paper", "zsn2n", "n2v", "care")
DEFAULT_METHODS = ("identity", "threshold", "gaussian", "median", "nlm", "bm3d", "classical_pipeline",
                   "histdip", "dip", "zsn2n", "n2v", "care")
QUICK_METHODS = ("identity", "threshold", "gaussian", "median", "histdip")
ALL_DATASETS = ("sim-beads", "sim-cells", "sim-filaments", "sim-empty", "fmd", "w2s", "myxo", "phone")
QUICK_DATASETS = ("sim-beads", "sim-empty")

LABELS = {
    "identity": "before (noisy input)",
    "threshold": "threshold only",
    "gaussian": "Gaussian 11x11",
    "median": "median 3x3",
    "nlm": "NLM",
    "bm3d": "BM3D",
    "classical_pipeline": "classical pipeline",
    "histdip": "HIST-DIP (fast preset)",
    "dip": "DIP alone (fast preset)",
    "histdip-paper": "HIST-DIP (paper preset)",
    "zsn2n": "ZS-N2N",
    "n2v": "Noise2Void (CAREamics)",
    "care": "CARE (supervised: upper reference)",
}

PHONE_T = {"a": 125, "b": 152, "c": 50, "d": 143, "e": 62, "f": 75, "g": 150, "h": 59, "i": 80, "j": 148}


# ----------------------------------------------------------------------------- settings

@dataclass
class Settings:
    """Sizes and iteration budgets; :func:`settings_for` gives the quick / full ones."""

    sim_size: int = 128
    sim_seeds: tuple = (11,)
    crop: int = 128
    fmd_files: tuple = ("Confocal_BPAE_B_1", "TwoPhoton_MICE_1", "WideField_BPAE_G_1", "Confocal_FISH_1")
    w2s_pairs: tuple = ("010_0", "020_1", "044_0")
    phone_images: tuple = ("a", "c", "e")
    histdip_iterations: int | None = 150  # cap on the fast preset's 400 (plateau stop still on)
    paper_iterations: int = 300
    zsn2n_iterations: int = 500
    n2v_epochs: int = 10
    threads: int = 1
    extra: dict = field(default_factory=dict)


def settings_for(quick):
    if quick:
        return Settings(sim_size=64, crop=64, fmd_files=("Confocal_BPAE_B_1",), w2s_pairs=("010_0",),
                        phone_images=("e",), histdip_iterations=40, paper_iterations=20,
                        zsn2n_iterations=100, n2v_epochs=2)
    return Settings()


# ----------------------------------------------------------------------------- data items

@dataclass
class Item:
    dataset: str
    name: str
    image: np.ndarray            # what 2-D methods get: float [0, 1], (H, W) or RGB (H, W, 3)
    reference: np.ndarray | None = None   # float, same units as image (green plane for phone)
    data_range: float = 1.0
    reference_label: str = ""
    expected: np.ndarray | None = None
    beads: np.ndarray | None = None       # (m, 3) y, x, radius
    bead_table: np.ndarray | None = None
    threshold: float | str = "otsu"
    photo: np.ndarray | None = None       # phone: uint8 RGB crop
    regions: tuple | None = None          # phone: (signal, background) masks
    empty: bool = False
    noise: str = ""


def _centre_crop(a, size):
    h, w = a.shape[:2]
    size = min(size, h, w)
    y0, x0 = (h - size) // 2, (w - size) // 2
    return a[y0:y0 + size, x0:x0 + size]


def _sim_items(kind, settings):
    from ..simulate import simulate_scene

    s = settings.sim_size
    items = []
    for seed in settings.sim_seeds:
        if kind == "sim-beads":
            n = max(4, int(round(10 * (s / 96) ** 2)))
            for level in (1.0, 2.0):
                sc = simulate_scene("beads", shape=(s, s), seed=seed, noise_level=level,
                                    bead_size=(5.0, 12.0), n_beads=n)
                items.append(_sim_item(kind, f"beads noise x{level:g} seed {seed}", sc, f"x{level:g}"))
        elif kind == "sim-empty":
            sc = simulate_scene("empty", shape=(s, s), seed=seed)
            items.append(_sim_item(kind, f"empty seed {seed}", sc, "x1", empty=True))
        else:
            k = kind.split("-", 1)[1]
            n = max(2, int(round((8 if k == "cells" else 6) * (s / 128) ** 2)))
            sc = simulate_scene(k, shape=(s, s), seed=seed, n_beads=n)
            items.append(_sim_item(kind, f"{k} seed {seed}", sc, "x1"))
    return items


def _sim_item(dataset, name, sc, noise, empty=False):
    beads = det.bead_table_array(sc.beads) if sc.kind in ("beads", "empty") else None
    return Item(dataset, name, sc.noisy.astype(np.float32), sc.clean.astype(np.float64), 1.0,
                "clean signal (simulator)", sc.expected.astype(np.float64), beads, sc.beads,
                empty=empty, noise=noise)


def _read(path):
    from PIL import Image

    if str(path).lower().endswith((".tif", ".tiff")):
        import tifffile

        return np.asarray(tifffile.imread(path))
    with Image.open(path) as im:
        return np.asarray(im)


def _real_items(dataset, settings):
    items = []
    if dataset == "fmd":
        root = DATA_ROOT / "fmd-test-mix"
        for f in settings.fmd_files:
            x = _centre_crop(_read(root / "raw" / f"{f}.png"), settings.crop).astype(np.float64) / 255
            y = _centre_crop(_read(root / "gt" / f"{f}.png"), settings.crop).astype(np.float64) / 255
            items.append(Item("fmd", f, x.astype(np.float32), y, 1.0, "mean of 50 frames"))
    elif dataset == "w2s":
        root = DATA_ROOT / "w2s-8bit-subset"
        for p in settings.w2s_pairs:
            x = _centre_crop(_read(root / "avg1" / f"input_avg1_{p}.tif"), settings.crop).astype(np.float64) / 255
            y = _centre_crop(_read(root / "avg400" / f"target_avg400_{p}.tif"), settings.crop).astype(np.float64) / 255
            items.append(Item("w2s", p, x.astype(np.float32), y, 1.0,
                              "avg of 400 frames (min-max scaled separately: use affine-fair)"))
    elif dataset == "myxo":
        root = DATA_ROOT / "nd-myxococcus-16bit"
        raw = _read(root / "Noisy_images_avg1_16bit.png").astype(np.float64)
        tgt = _read(root / "AVG_2mw_OD=0_Myxo_1mM Ferri in 240mM KNO3_CV_9_16bit_target.png").astype(np.float64)
        scale = 4096.0  # fixed: maps the 111..2651 counts into [0, 0.65] for every method
        peak = (tgt.max() - tgt.min()) / scale  # PSNR peak = target range, as in SOURCE.md
        x = np.clip(_centre_crop(raw, settings.crop) / scale, 0, 1)
        y = _centre_crop(tgt, settings.crop) / scale
        items.append(Item("myxo", "myxococcus", x.astype(np.float32), y, float(peak),
                          "average of >=32 frames (peak = target range)"))
    elif dataset == "phone":
        from scipy import ndimage as ndi

        root = DATA_ROOT / "smartphone-beads"
        for k in settings.phone_images:
            photo = _read(root / f"{k}.png")[..., :3]
            t = PHONE_T[k]
            full_mask = paper_mask(photo, t)
            # crop centred on the mask's centre of mass so the crop holds beads
            cy, cx = (ndi.center_of_mass(full_mask) if full_mask.any() else (photo.shape[0] / 2, photo.shape[1] / 2))
            s = min(settings.crop, *photo.shape[:2])
            y0 = int(np.clip(round(cy - s / 2), 0, photo.shape[0] - s))
            x0 = int(np.clip(round(cx - s / 2), 0, photo.shape[1] - s))
            crop = np.ascontiguousarray(photo[y0:y0 + s, x0:x0 + s])
            mask = paper_mask(crop, t)
            sig = ndi.binary_erosion(mask, iterations=2)
            if not sig.any():
                sig = mask
            bg = ~ndi.binary_dilation(mask, iterations=10)
            items.append(Item("phone", f"{k} (T={t}, crop {s} at y{y0} x{x0})",
                              (crop / 255.0).astype(np.float32), None, 1.0,
                              "CIRCULAR paper reference (photo x own mask, JPEG)", threshold=float(t),
                              photo=crop, regions=(sig, bg) if sig.any() and bg.any() else None))
    return items


def load_items(datasets, settings):
    items = []
    for d in datasets:
        if d.startswith("sim-"):
            items += _sim_items(d, settings)
        elif d in ("fmd", "w2s", "myxo", "phone"):
            items += _real_items(d, settings)
        else:
            raise ValueError(f"unknown dataset {d!r}; use {', '.join(ALL_DATASETS)}")
    return items


# ----------------------------------------------------------------------------- methods

class Skip(Exception):
    """A method cannot run on this item / machine; the message says why."""


def _histdip_call(img, item, settings, seed, **kw):
    import histdip

    h, w = img.shape[:2]
    over = dict(kw)
    if over.get("preset", "fast") == "fast":
        if max(h, w) <= 256:
            over.setdefault("patch_size", None)  # whole image each step: cheaper than 128-crops here
        if settings.histdip_iterations:
            over.setdefault("iterations", settings.histdip_iterations)
    else:
        over.setdefault("iterations", settings.paper_iterations)
    if img.ndim == 3:
        over.setdefault("channel", "rgb")
    elif over.get("preset") == "paper":
        over.setdefault("channel", "auto")
    return np.asarray(histdip.restore(img, threshold=item.threshold, seed=seed, **over), np.float64)


def _care_training(settings, seed):
    """(noisy, clean) simulator pairs for CARE, from seeds disjoint from the test scenes."""
    from ..simulate import simulate_scene

    xs, ys = [], []
    s = max(64, settings.sim_size)
    for i, (kind, lvl) in enumerate([("beads", 1.0), ("beads", 2.0), ("cells", 1.0), ("filaments", 1.0)] * 2):
        kw = dict(bead_size=(5.0, 12.0), n_beads=max(4, int(round(10 * (s / 96) ** 2)))) if kind == "beads" else {}
        sc = simulate_scene(kind, shape=(s, s), seed=1000 + seed + i, noise_level=lvl, **kw)
        xs.append(sc.noisy)
        ys.append(sc.clean)
    return np.stack(xs), np.stack(ys)


def run_method(method, item, settings, seed=0, cache=None):
    """Restored image (float64, same layout as ``item.image``) or raise :class:`Skip`."""
    from .. import peers

    img = item.image
    if method == "identity":
        return img.astype(np.float64)
    if method == "threshold":
        if img.ndim == 3:
            return _histdip_call(img, item, settings, seed, method="threshold")
        return _histdip_call(img, item, settings, seed, method="threshold")
    if method == "histdip":
        return _histdip_call(img, item, settings, seed)
    if method == "dip":
        return _histdip_call(img, item, settings, seed, method="dip")
    if method == "histdip-paper":
        return _histdip_call(img, item, settings, seed, preset="paper")
    if method not in peers.PEERS:
        raise Skip(f"unknown method {method!r}")
    status = (cache or {}).get("_status")
    if status is None:
        status = peers.available_peers()
        if cache is not None:
            cache["_status"] = status
    st = status.get(method)
    if st is not None and not st.available:
        raise Skip(st.reason)
    fn = peers.PEERS[method]
    params = {}
    small = dict(patch_size=32, val_patches=2) if min(img.shape[:2]) < 256 else {}
    # CAREamics' defaults (64-px patches, 8 validation patches) fail on small crops.
    if method == "zsn2n":
        params = dict(iterations=settings.zsn2n_iterations, threads=settings.threads)
    elif method == "n2v":
        params = dict(epochs=settings.n2v_epochs, threads=settings.threads, **small)
    elif method == "care":
        if cache is not None and "care_pairs" in cache:
            tx, ty = cache["care_pairs"]
        else:
            tx, ty = _care_training(settings, seed)
            if cache is not None:
                cache["care_pairs"] = (tx, ty)
        params = dict(train_noisy=tx, train_clean=ty, epochs=settings.n2v_epochs, threads=settings.threads, **small)
    if img.ndim == 3:  # per channel (R and B of the phone photos are near zero)
        return np.stack([np.asarray(fn(img[..., c], seed=seed, **params), np.float64)
                         for c in range(img.shape[2])], axis=-1)
    return np.asarray(fn(img, seed=seed, **params), np.float64)


# ----------------------------------------------------------------------------- scoring

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


# ----------------------------------------------------------------------------- benchmark

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
                (outdir / "results.json").write_text(json.dumps(_jsonable(rows), indent=1))
    finally:
        torch.set_num_threads(old_threads)
    meta = dict(quick=quick, seed=seed, methods=methods, datasets=datasets,
                settings={k: v for k, v in settings.__dict__.items()},
                total_seconds=time.perf_counter() - t_start, torch_threads=settings.threads)
    (outdir / "results.json").write_text(json.dumps(_jsonable({"meta": meta, "rows": rows}), indent=1))
    write_markdown(rows, meta, outdir / "results.md")
    try:
        plot_results(rows, outdir)
    except Exception as err:  # plots are a convenience; tables are the result
        if log:
            log(f"plotting failed: {err}")
    return rows


def _jsonable(x):
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.floating, float)):
        x = float(x)
        return x if math.isfinite(x) else str(x)
    if isinstance(x, np.integer):
        return int(x)
    return x


def _log_line(row):
    keys = [k for k in ("psnr", "psnr_affine", "ssim_affine", "f1", "hallucinated", "paper_psnr_circular",
                        "cnr") if k in row]
    vals = " ".join(f"{k}={row[k]:.3g}" if isinstance(row[k], float) else f"{k}={row[k]}" for k in keys)
    secs = f"{row['seconds']:.1f}s" if row.get("seconds") is not None else "-"
    return f"[{row['dataset']}] {row['item']} | {row['method']}: {row['status'][:80]} {secs} {vals}"


# ----------------------------------------------------------------------------- reporting

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
    skipped = sorted({(r["method"], r["status"]) for r in rows if r["status"] != "ok"})
    text = [
        "# Quality benchmark",
        "",
        f"quick={meta['quick']}, seed={meta['seed']}, torch threads={meta['torch_threads']}, "
        f"total {meta['total_seconds']:.0f} s. Settings: `{json.dumps(_jsonable(meta['settings']))}`",
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
            ax.bar(np.arange(len(ds_psnr)) + j * width, ys, width, label=LABELS.get(m, m))
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
            axes[0].bar(np.arange(len(ds_f1)) + j * 0.8 / len(methods), ys, 0.8 / len(methods), label=LABELS.get(m, m))
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


# ----------------------------------------------------------------------------- CLI

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

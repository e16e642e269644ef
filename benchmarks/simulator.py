"""The ``simulator`` command: the real smartphone bead photos and default simulated
scenes, measured side by side.

For each of the ten photos (green channel and BT.601 luma) it measures background level
and unevenness, noise level and correlation, bead contrast, saturation, flare
extent/level/anisotropy and colour ratios (:mod:`histdip.simulate.stats`). It then
simulates default scenes of the matching bead class (a: large, d g: medium, b c f j:
points, e h i: small; plus 'mixed') with a few seeds and measures them with the same
code. The simulator's defaults (:data:`histdip.simulate.BEAD_CLASSES`,
:data:`histdip.simulate.DEFAULTS`) were tuned by hand against this table. Well under a
minute on 2 CPU cores.
"""

from __future__ import annotations

import time

import numpy as np

from histdip.simulate import simulate_scene
from histdip.simulate.stats import describe, photo_stats

from .datasets import data_root, phone_photos
from .doc import markdown_table

#: Which simulated bead class stands for which real photo.
CLASS_OF = {"a": "large", "d": "medium", "g": "medium", "b": "points", "c": "points",
            "f": "points", "j": "points", "e": "small", "h": "small", "i": "small"}
CLASSES = ("large", "medium", "points", "small")
#: Statistics shown in the tables.
SHOWN = ("bg_median", "bg_dark", "bg_variation", "noise", "noise_ac1", "contrast", "sat_pct",
         "flare_r50", "flare_r10", "flare_level", "flare_aniso", "r_over_g", "b_over_g",
         "luma_median", "luma_contrast", "luma_noise")


def fmt(value):
    """A statistic with about three significant digits; ``-`` for none."""
    if value is None or not np.isfinite(value):
        return "-"
    a = abs(value)
    return f"{value:.0f}" if a >= 100 else f"{value:.1f}" if a >= 10 else f"{value:.2f}" if a >= 0.1 else f"{value:.3f}"


def _text_table(header, rows):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(str(c).rjust(w) for c, w in zip(r, widths)) for r in [header, *rows])


def compare(root, seeds=2):
    """The statistics of the real photos and of simulated scenes.

    Parameters
    ----------
    root : Path
        The data root (:func:`benchmarks.datasets.data_root`).
    seeds : int
        Simulated scenes per bead class.

    Returns
    -------
    (list of list, list of list)
        Table rows: per photo, and per class real against simulated.
    """
    real = {k: photo_stats(p) for k, p in phone_photos(root, sorted(CLASS_OF)).items()}
    sim = {cls: [photo_stats(simulate_scene("beads", seed=s, bead_size=cls).noisy_rgb) for s in range(seeds)]
           for cls in (*CLASSES, "mixed")}
    per_photo = [[n, CLASS_OF[n]] + [fmt(st[k]) for k in SHOWN] for n, st in real.items()]
    per_class = []
    for cls in (*CLASSES, "all"):
        names = [n for n in real if cls == "all" or CLASS_OF[n] == cls]
        scenes = [s for c in CLASSES for s in sim[c]] if cls == "all" else sim[cls]
        label = f"{cls} ({''.join(names)})" if cls != "all" else "all 10 / all classes"
        per_class.append([label + " real"] + [fmt(np.nanmean([real[n][k] for n in names])) for k in SHOWN])
        per_class.append([label + " sim"] + [fmt(np.nanmean([s[k] for s in scenes])) for k in SHOWN])
    per_class.append([f"mixed sim ({seeds} scenes)"] + [fmt(np.nanmean([s[k] for s in sim["mixed"]])) for k in SHOWN])
    return per_photo, per_class


def _run(args):
    t0 = time.perf_counter()
    per_photo, per_class = compare(data_root(args.data), args.seeds)
    table = markdown_table if args.markdown else _text_table
    print("Real photos, per image (green channel unless 'luma'):\n")
    print(table(["img", "class", *SHOWN], per_photo))
    print(f"\nReal (mean over the photos of a class) vs simulated (mean of {args.seeds} default scenes):\n")
    print(table(["class", *SHOWN], per_class))
    print("\nStatistics:")
    for k in SHOWN:
        print(f"  {k}: {describe(k)}")
    print(f"\n({time.perf_counter() - t0:.0f} s)")


def register(subparsers, parents):
    """Add the ``simulator`` command to ``python -m benchmarks``."""
    p = subparsers.add_parser("simulator", parents=parents,
                              help="statistics of the real bead photos beside default simulated scenes")
    p.add_argument("--seeds", type=int, default=2, help="simulated scenes per bead class (default 2)")
    p.add_argument("--markdown", action="store_true", help="print Markdown tables")
    p.set_defaults(func=_run)
    return p

#!/usr/bin/env python
"""Measure the real smartphone bead photos and default simulated scenes side by side.

For each of the ten photos of ``data/smartphone-beads`` (green channel and BT.601 luma)
the script measures background level and unevenness, noise level and correlation,
bead contrast, saturation, flare extent/level/anisotropy and colour ratios
(:mod:`histdip.simulate.stats`). It then simulates default scenes of the matching bead
class (a: large, d g: medium, b c f j: points, e h i: small; plus 'mixed') with a few
seeds and measures them with the same code. The simulator's defaults
(:data:`histdip.simulate.BEAD_CLASSES`, :data:`histdip.simulate.DEFAULTS`) were tuned by
hand against this table. Runs in well under a minute on 2 CPU cores.

Usage::

    python scripts/calibrate_simulator.py [--data DIR] [--seeds N] [--markdown]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from histdip.simulate import simulate_scene
from histdip.simulate.stats import describe, photo_stats

#: Which simulated bead class stands for which real photo.
CLASS_OF = {"a": "large", "d": "medium", "g": "medium", "b": "points", "c": "points",
            "f": "points", "j": "points", "e": "small", "h": "small", "i": "small"}
#: Statistics shown in the side-by-side table (all of them are in the per-image table).
SHOWN = ("bg_median", "bg_dark", "bg_variation", "noise", "noise_ac1", "contrast", "sat_pct",
         "flare_r50", "flare_r10", "flare_level", "flare_aniso", "r_over_g", "b_over_g",
         "luma_median", "luma_contrast", "luma_noise")


def default_data_dir():
    env = os.environ.get("HISTDIP_SHARED_DATA")
    base = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"
    return base / "smartphone-beads"


def fmt(value):
    if value is None or not np.isfinite(value):
        return "-"
    a = abs(value)
    return f"{value:.0f}" if a >= 100 else f"{value:.1f}" if a >= 10 else f"{value:.2f}" if a >= 0.1 else f"{value:.3f}"


def table(rows, header, markdown):
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    else:
        lines = ["  ".join(str(c).rjust(w) for c, w in zip(header, widths))]
        lines += ["  ".join(str(c).rjust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=default_data_dir(), help="folder with a.png ... j.png")
    parser.add_argument("--seeds", type=int, default=2, help="simulated scenes per bead class (default 2)")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"calibrate_simulator: data folder not found: {args.data}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()

    real = {}
    for name in sorted(CLASS_OF):
        path = args.data / f"{name}.png"
        if path.exists():
            with Image.open(path) as im:
                real[name] = photo_stats(np.asarray(im.convert("RGB")))
    if not real:
        print(f"calibrate_simulator: no a.png ... j.png in {args.data}", file=sys.stderr)
        return 2

    sim = {}
    for cls in ("large", "medium", "points", "small", "mixed"):
        sim[cls] = [photo_stats(simulate_scene("beads", seed=s, bead_size=cls).noisy_rgb)
                    for s in range(args.seeds)]

    print("Real photos, per image (green channel unless 'luma'):\n")
    rows = [[n, CLASS_OF[n]] + [fmt(st[k]) for k in SHOWN] for n, st in real.items()]
    print(table(rows, ["img", "class"] + list(SHOWN), args.markdown))

    print(f"\nReal (mean over the photos of a class) vs simulated (mean of {args.seeds} default scenes):\n")
    rows = []
    for cls in ("large", "medium", "points", "small", "all"):
        names = [n for n in real if cls == "all" or CLASS_OF[n] == cls]
        scenes = [s for c in ("large", "medium", "points", "small") for s in sim[c]] if cls == "all" else sim[cls]
        if not names:
            continue
        label = f"{cls} ({''.join(names)})" if cls != "all" else "all 10 / all classes"
        rows.append([label + " real"] + [fmt(np.nanmean([real[n][k] for n in names])) for k in SHOWN])
        rows.append([label + " sim"] + [fmt(np.nanmean([s[k] for s in scenes])) for k in SHOWN])
    rows.append([f"mixed sim ({args.seeds} scenes)"] + [fmt(np.nanmean([s[k] for s in sim["mixed"]])) for k in SHOWN])
    print(table(rows, ["class"] + list(SHOWN), args.markdown))

    print("\nStatistics:")
    for k in SHOWN:
        print(f"  {k}: {describe(k)}")
    print(f"\n({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

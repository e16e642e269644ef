"""The ``stopping`` command: where the default's noise-level stopping rule stops, and
whether that is a good place.

1. Full-size simulated photos (known clean image; two bead scenes and one of cells):
   affine-fair PSNR / SSIM of the default (self-stopping) against the same fit with the
   stopping rule off, kept every 100 steps (snapshots), so one can see where along the
   curve the rule stopped.
2. The smartphone photos: iterations, stop reason and seconds of the default.

About an hour on 2 cores with the simulated part (``--skip-sim``: minutes).
"""

from __future__ import annotations

import time

import histdip
from histdip.config import preset
from histdip.metrics import psnr, ssim
from histdip.simulate import simulate_scene

from .datasets import PHONE_T, data_root, phone_photos
from .doc import markdown_table

#: The simulated scenes: (seed, bead size, kind); a cells scene has no beads to size.
SCENES = ((1, "mixed", "beads"), (2, "points", "beads"), (3, "mixed", "cells"))


def _scores(image, clean):
    # The fit's output is on the photo's 0-255 scale; the simulator's clean image on [0, 1].
    return (f"{psnr(image / 255, clean, data_range=1.0, affine=True):.2f}",
            f"{ssim(image / 255, clean, data_range=1.0, affine=True):.3f}")


def simulated_rows(shape=(1200, 900), log=print):
    """Default against fixed-budget snapshots on each of :data:`SCENES`.

    Returns
    -------
    list of list
        Table rows: scene, run, iterations, PSNR aff, SSIM aff.
    """
    rows = []

    def add(row):
        rows.append(row)
        if log:
            log(" | ".join(str(c) for c in row))

    for seed, size, kind in SCENES:
        sc = simulate_scene(kind, shape=shape, seed=seed, bead_size=size)
        clean = sc.clean.astype(float)
        name = f"{kind} {size} seed {seed}" if kind == "beads" else f"{kind} seed {seed}"
        t = time.perf_counter()
        r = histdip.restore_detailed(sc.noisy_rgb)
        secs = time.perf_counter() - t
        add([name, f"default: {r.stop_reason.split(':')[0]} ({secs:.0f} s)", r.iterations, *_scores(r.image, clean)])
        fixed = histdip.restore_detailed(sc.noisy_rgb, stopping={"rule": "fixed"}, snapshots=100)
        for k, snap in fixed.snapshots:
            add([name, "fixed", k, *_scores(snap, clean)])
    return rows


def photo_rows(root, names, log=print):
    """The default on each smartphone photo of ``names``.

    Returns
    -------
    list of list
        Table rows: photo, iterations, stop reason, seconds.
    """
    rows = []
    for k, photo in phone_photos(root, names).items():
        t = time.perf_counter()
        r = histdip.restore_detailed(photo)
        rows.append([k, r.iterations, r.stop_reason, f"{time.perf_counter() - t:.1f}"])
        if log:
            log(" | ".join(str(c) for c in rows[-1]))
    return rows


def _run(args):
    default = preset("fast")
    s = default.stopping
    print(f"default: {s.rule} rule, check every {s.check_every}, at least {s.min_iterations}, "
          f"at most {default.iterations} iterations\n")
    if not args.skip_sim:
        rows = simulated_rows()
        print("\n" + markdown_table(["scene", "run", "iterations", "PSNR aff", "SSIM aff"], rows) + "\n")
    rows = photo_rows(data_root(args.data), args.photos.split(","))
    print("\n" + markdown_table(["photo", "iterations", "stop", "seconds"], rows))


def register(subparsers, parents):
    """Add the ``stopping`` command to ``python -m benchmarks``."""
    p = subparsers.add_parser("stopping", parents=parents,
                              help="where the default's stopping rule stops, against fixed budgets")
    p.add_argument("--photos", default=",".join(PHONE_T), help="smartphone photos (default all: a,b,...,j)")
    p.add_argument("--skip-sim", action="store_true", help="only the photos (the simulated part takes ~1 h)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.set_defaults(func=_run)
    return p

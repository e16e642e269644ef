"""The ``noise`` command: how well noise estimated from one frame matches the true noise
of real microscope frames.

On the 48 FMD test frames (8-bit, on [0, 1]) the true noise variance is the mean of
``(raw - gt)^2``, with ``gt`` the 50-frame average (which keeps 1/50 of a frame's
noise, so the truth reads about 2 % high). Against it, the ratio estimate / truth of

* ``binned``: :func:`histdip.noise.noise_variance_map` averaged, the library's estimate
  (the Poisson-Gaussian line fitted on the frame binned 2 x 2);
* ``full-res``: the same line fitted on the full-resolution frame
  (:func:`histdip.noise.estimate_poisson_gaussian`, no pixels left out as clipped, as
  the library does), evaluated at each pixel's local mean and averaged;
* ``wavelet``: ``skimage.restoration.estimate_sigma(raw) ** 2``, the estimate BM3D
  and NLM are usually given.

A ratio of 1 is exact; below 1 the estimate misses noise (correlated between
neighbouring pixels by the camera, which the finest scales do not see). Seconds; no
fitting.
"""

from __future__ import annotations

import numpy as np
from skimage.restoration import estimate_sigma

from histdip.noise import PoissonGaussianNoise, estimate_poisson_gaussian, noise_variance_map

from .datasets import data_root, fmd_pairs
from .doc import add_doc_arguments, markdown_table
from .flags import add_limit_argument, add_out_argument, emit

#: The estimators compared, in table order.
ESTIMATORS = ("binned", "full-res", "wavelet")
#: FMD's microscope types: the first part of a frame's name.
MICROSCOPES = ("Confocal", "TwoPhoton", "WideField")


def full_resolution_variance(plane, window=5):
    """Mean noise variance of ``plane`` from the Poisson-Gaussian line fitted on the
    full-resolution pixels (no binning), at each pixel's local mean over ``window`` px."""
    e = estimate_poisson_gaussian(plane, clip_levels=())
    return float(PoissonGaussianNoise(e["gain"], e["sigma"], e["offset"]).variance_map(plane, window).mean())


def measure_noise(root, *, limit=None):
    """The true noise variance of each FMD frame and each estimator's ratio to it.

    Parameters
    ----------
    root : Path
        The data root (:func:`benchmarks.datasets.data_root`).
    limit : int, optional
        Only the first this many frames (tests).

    Returns
    -------
    list of dict
        Per frame: ``frame``, ``microscope``, ``truth`` (variance on [0, 1]) and, per
        estimator of :data:`ESTIMATORS`, its ``ratio`` estimate / truth.
    """
    rows = []
    for name, raw, gt in fmd_pairs(root)[:limit]:
        z, ref = raw / 255.0, gt / 255.0
        truth = float(np.mean((z - ref) ** 2))
        estimates = {"binned": float(noise_variance_map(z).mean()),
                     "full-res": full_resolution_variance(z),
                     "wavelet": float(estimate_sigma(z)) ** 2}
        rows.append({"frame": name, "microscope": name.split("_", 1)[0], "truth": truth,
                     **{k: v / truth for k, v in estimates.items()}})
    return rows


def noise_markdown(rows):
    """Per microscope type, each estimator's ratio estimate / truth, min-max."""
    table = []
    for kind in MICROSCOPES:
        mine = [r for r in rows if r["microscope"] == kind]
        if mine:
            table.append([kind, len(mine)] + [f"{min(r[k] for r in mine):.2f}-{max(r[k] for r in mine):.2f}"
                                              for k in ESTIMATORS])
    header = ["microscope", "frames", "binned 2x2 (histdip)", "full resolution", "wavelet (skimage)"]
    return ("Noise variance estimated from one frame / true variance (raw vs 50-frame average), "
            "min-max over the frames:\n\n" + markdown_table(header, table))


def _run(args):
    rows = measure_noise(data_root(args.data), limit=args.limit)
    if args.verbose:
        print(markdown_table(["frame", "true variance"] + list(ESTIMATORS),
                             [[r["frame"], f"{r['truth']:.3g}"] + [f"{r[k]:.2f}" for k in ESTIMATORS] for r in rows]))
    return emit(noise_markdown(rows), rows, args.out)


def register(subparsers, parents):
    """Add the ``noise`` command to ``python -m benchmarks``."""
    p = subparsers.add_parser("noise", parents=parents,
                              help="noise estimated from one FMD frame against its true noise")
    p.add_argument("--verbose", action="store_true", help="also one line per frame")
    add_out_argument(p, "the per-frame ratios")
    add_limit_argument(p, "frames")
    add_doc_arguments(p, "noise")
    p.set_defaults(func=_run)
    return p

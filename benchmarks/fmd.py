"""The ``fmd`` command: histdip on real Poisson-Gaussian noise, the FMD test frames
against their 50-frame averages, beside VST + BM3D run in the same process.

PSNR on 8-bit values (output rounded and clipped to 0-255), peak 255, whole 512 x 512
image: the FMD paper's convention, under which VST+BM3D is published at 32.71 dB (mean
over the 48 frames). histdip runs with its defaults (``sample='auto'``, which fits these
frames without a threshold: FMD's references keep their background, which a
fluorescence threshold would zero), or with the ``--set`` overrides; each row records the
sample chosen, the iterations and why the fit stopped.
"""

from __future__ import annotations

import time

import numpy as np

import histdip
from histdip.metrics import psnr

from .datasets import data_root, fmd_pairs
from .doc import add_doc_arguments, markdown_table
from .flags import add_limit_argument, add_out_argument, add_set_argument, config_overrides, emit
from .peers import denoise_bm3d_vst

#: The published mean PSNR of VST+BM3D on these 48 frames (FMD paper, CVPR 2019).
PUBLISHED_BM3D = 32.71


def psnr8(output, gt):
    """PSNR of ``output`` rounded and clipped to 8-bit values against ``gt``, peak 255."""
    return psnr(np.clip(np.round(output), 0, 255), np.asarray(gt, np.float64), data_range=255)


def run_fmd(root, *, frames="all", overrides=None, bm3d=True, seed=0, limit=None, log=print):
    """histdip (and VST+BM3D) on the FMD test frames.

    Parameters
    ----------
    root : Path
        The data root (:func:`benchmarks.datasets.data_root`).
    frames : {'all', 'first'}
        All 48 frames, or the 12 ``<configuration>_1`` ones.
    overrides : dict, optional
        :class:`histdip.RestoreConfig` fields for histdip.
    bm3d : bool
        Also run VST+BM3D (:func:`benchmarks.peers.denoise_bm3d_vst`).
    seed : int
    limit : int, optional
        Only the first this many frames (tests).
    log : callable or None
        Gets one line per frame.

    Returns
    -------
    dict
        ``overrides``, ``rows`` (per frame: noisy, histdip and VST+BM3D PSNR, sample,
        iterations, stop reason) and ``seconds`` per method.
    """
    overrides = dict(overrides or {})
    methods = ["noisy", "histdip"] + (["VST+BM3D"] if bm3d else [])
    rows, seconds = [], {m: 0.0 for m in methods}
    for name, noisy, gt in fmd_pairs(root, frames)[:limit]:
        row = {"frame": name, "noisy": psnr8(noisy, gt)}
        t = time.perf_counter()
        r = histdip.restore_detailed(noisy, seed=seed, **overrides)
        seconds["histdip"] += time.perf_counter() - t
        row.update(histdip=psnr8(r.image, gt), sample=r.config.sample, iterations=r.iterations,
                   stop_reason=r.stop_reason)
        if bm3d:
            t = time.perf_counter()
            out = denoise_bm3d_vst(noisy / 255.0) * 255.0
            seconds["VST+BM3D"] += time.perf_counter() - t
            row["VST+BM3D"] = psnr8(out, gt)
        rows.append(row)
        if log:
            log(" ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))
    return {"overrides": overrides, "rows": rows, "seconds": seconds}


def fmd_markdown(result):
    """The mean PSNR and total seconds of each method, as a Markdown table."""
    rows = result["rows"]
    table = [[m, f"{np.mean([r[m] for r in rows]):.2f}", f"{s:.0f}"] for m, s in result["seconds"].items()]
    settings = result["overrides"] or "defaults"
    return (f"histdip settings: {settings}; mean over {len(rows)} frames (PSNR dB on 8-bit values, peak 255; "
            f"VST+BM3D published: {PUBLISHED_BM3D}).\n\n"
            + markdown_table(["method", "mean PSNR", "seconds"], table))


def _run(args):
    result = run_fmd(data_root(args.data), frames=args.frames, overrides=config_overrides(args.set, "fmd"),
                     bm3d=not args.no_bm3d, seed=args.seed, limit=args.limit)
    return emit(fmd_markdown(result), result, args.out)


def register(subparsers, parents):
    """Add the ``fmd`` command to ``python -m benchmarks``."""
    p = subparsers.add_parser("fmd", parents=parents,
                              help="histdip and VST+BM3D on the 48 FMD test frames vs their 50-frame averages")
    p.add_argument("--frames", choices=["all", "first"], default="all",
                   help="all 48 frames (~20 min on 2 cores) or the 12 <configuration>_1 frames")
    add_set_argument(p, "histdip")
    p.add_argument("--no-bm3d", action="store_true", help="skip the VST+BM3D reference")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    add_out_argument(p, "the per-frame results")
    add_limit_argument(p, "frames")
    add_doc_arguments(p, "fmd")
    p.set_defaults(func=_run)
    return p

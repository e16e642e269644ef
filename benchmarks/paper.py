"""The ``paper`` command: the paper's headline numbers by its own protocol, labelled
circular.

The authors fit their network once, on one photo (T = 143 by hand: photo ``d`` of the
paper's table, ``smartphone-beads/SOURCE.md``), and apply it feed-forward to the ten
photos; each output is scored against that photo times its own hand-threshold mask
(JPEG q75). That reference is derived from the photo itself (CIRCULAR:
:data:`histdip.protocol.CIRCULAR_NOTE`), so the figures measure closeness to the
thresholded input, not restoration quality. The paper reports 15.59 -> 27.10 dB PSNR
and 0.035 -> 0.82 SSIM (means over the ten).

This runs the ``paper`` preset (:func:`histdip.fit_model`, :func:`histdip.apply_model`)
and scores with :func:`histdip.protocol.paper_scores` and
:func:`histdip.protocol.paper_before`. 2000 iterations of the paper's network on a
1200 x 900 photo take a day or more on a 2-core CPU; use ``--device cuda`` where there
is a GPU.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import histdip
from histdip.protocol import CIRCULAR_NOTE, paper_before, paper_scores

from .datasets import PHONE_T, data_root, phone_crop, phone_photos
from .doc import add_doc_arguments, markdown_table
from .flags import add_out_argument, emit

#: The paper's reported means over the ten photos (before, after).
PAPER_REPORTED = {"psnr": (15.59, 27.10), "ssim": (0.035, 0.82)}


def run_paper(root, *, train="d", iterations=2000, device="cpu", seed=0, size=None, log=print):
    """Fit the paper preset on one photo, apply it to the ten, score them the paper's way.

    Parameters
    ----------
    root : Path
        The data root (:func:`benchmarks.datasets.data_root`).
    train : str
        The photo fitted on (``a`` .. ``j``), with the paper's hand T for it.
    iterations : int
        Fitting steps (the paper: 2000).
    device : str
        Torch device of the fit (``cpu``, ``cuda``).
    seed : int
    size : int, optional
        Crop every photo to this side around its beads first (tests).
    log : callable or None
        Gets one line per photo.

    Returns
    -------
    dict
        ``train``, ``iterations``, ``device``, ``seconds_fit``, ``note`` (the circular
        label) and ``rows``: per photo its T and the before / after PSNR and SSIM.
    """
    photos = phone_photos(root)
    if train not in photos:
        raise SystemExit(f"benchmarks paper: --train must be one of {', '.join(photos)}, got {train!r}")
    if size:
        photos = {k: phone_crop(p, PHONE_T[k], size)[0] for k, p in photos.items()}
    t0 = time.perf_counter()
    model = histdip.fit_model(photos[train], preset="paper", threshold=PHONE_T[train], iterations=iterations,
                              device=device, seed=seed)
    seconds_fit = time.perf_counter() - t0
    if log:
        log(f"fitted the paper preset on {train} (T={PHONE_T[train]}): {iterations} iterations, {seconds_fit:.0f} s")
    rows = []
    for k, photo in photos.items():
        t = PHONE_T[k]
        before = paper_before(photo, t)
        after = paper_scores(histdip.apply_model(model, photo), photo, t, data_range=255)
        rows.append({"photo": k, "threshold": t, "psnr_before": before.psnr, "psnr_after": after.psnr,
                     "ssim_before": before.ssim, "ssim_after": after.ssim})
        if log:
            log(f"{k} (T={t}): PSNR {before.psnr:.2f} -> {after.psnr:.2f} dB, "
                f"SSIM {before.ssim:.4f} -> {after.ssim:.4f}")
    return {"train": train, "iterations": iterations, "device": device, "seed": seed, "size": size,
            "seconds_fit": seconds_fit, "note": CIRCULAR_NOTE, "rows": rows}


def paper_markdown(result):
    """Per-photo and mean before / after PSNR and SSIM, with the circular label."""
    rows = result["rows"]
    table = [[r["photo"] + (" (fitted on)" if r["photo"] == result["train"] else ""), r["threshold"],
              f"{r['psnr_before']:.2f}", f"{r['psnr_after']:.2f}", f"{r['ssim_before']:.4f}", f"{r['ssim_after']:.4f}"]
             for r in rows]
    means = {k: float(np.mean([r[k] for r in rows]))
             for k in ("psnr_before", "psnr_after", "ssim_before", "ssim_after")}
    table.append(["**mean**", "", f"{means['psnr_before']:.2f}", f"{means['psnr_after']:.2f}",
                  f"{means['ssim_before']:.4f}", f"{means['ssim_after']:.4f}"])
    (pb, pa), (sb, sa) = PAPER_REPORTED["psnr"], PAPER_REPORTED["ssim"]
    table.append(["paper (reported)", "", f"{pb:.2f}", f"{pa:.2f}", f"{sb:.3f}", f"{sa:.2f}"])
    crop = f", photos cropped to {result['size']} px" if result["size"] else ""
    return (f"**{result['note']}.** Paper preset fitted once on {result['train']} "
            f"({result['iterations']} iterations on {result['device']}{crop}), applied feed-forward to each photo.\n\n"
            + markdown_table(["photo", "T", "PSNR before", "PSNR after", "SSIM before", "SSIM after"], table))


def _run(args):
    result = run_paper(data_root(args.data), train=args.train, iterations=args.iterations, device=args.device,
                       seed=args.seed, size=args.size)
    return emit(paper_markdown(result), result, args.out)


def register(subparsers, parents):
    """Add the ``paper`` command to ``python -m benchmarks``."""
    p = subparsers.add_parser("paper", parents=parents,
                              help="the paper's headline by its own (circular) protocol: "
                                   "fit on one photo, apply to ten")
    p.add_argument("--iterations", type=int, default=2000, help="fitting steps (default 2000, the paper's)")
    p.add_argument("--device", default="cpu", help="torch device of the fit (default cpu)")
    p.add_argument("--train", default="d", choices=sorted(PHONE_T), help="the photo fitted on (default d, T=143)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    add_out_argument(p, "the per-photo results")
    p.add_argument("--size", type=int, default=None, help=argparse.SUPPRESS)  # tests: crop the photos first
    add_doc_arguments(p, "paper")
    p.set_defaults(func=_run)
    return p

"""How the quality benchmark runs each method: names, labels and :func:`run_method`.

HIST-DIP and its variants go through :func:`histdip.restore` with the benchmark's
iteration budgets; every peer goes through :data:`histdip.peers.PEERS`, after
:func:`histdip.peers.available_peers` says it can run here (else :class:`Skip`). A
colour item is restored by a peer one channel at a time.
"""

from __future__ import annotations

import numpy as np

#: The ``sample=`` a user imaging each dataset's kind of specimen would pass
#: (:mod:`histdip.samples`): FMD, W2S and Myxococcus frames are cells filling the field.
SAMPLE_OF = {"sim-beads": "beads", "sim-empty": "beads", "phone": "beads", "sim-filaments": "filaments",
             "sim-cells": "cells", "fmd": "cells", "w2s": "cells", "myxo": "cells"}

#: Methods in run order. 'care' is supervised (trained on simulator pairs): an upper reference.
ALL_METHODS = ("identity", "threshold", "gaussian", "median", "nlm", "bm3d", "classical_pipeline",
               "histdip", "histdip-sample", "dip", "histdip-paper", "zsn2n", "n2v", "care")
DEFAULT_METHODS = ("identity", "threshold", "gaussian", "median", "nlm", "bm3d", "classical_pipeline",
                   "histdip", "histdip-sample", "dip", "zsn2n", "n2v", "care")
QUICK_METHODS = ("identity", "threshold", "gaussian", "median", "histdip")

LABELS = {
    "identity": "before (noisy input)",
    "threshold": "threshold only",
    "gaussian": "Gaussian 11x11",
    "median": "median 3x3",
    "nlm": "NLM",
    "bm3d": "BM3D",
    "classical_pipeline": "classical pipeline",
    "histdip": "HIST-DIP (fast preset)",
    "histdip-sample": "HIST-DIP (fast preset, --sample for the item)",
    "dip": "DIP alone (fast preset)",
    "histdip-paper": "HIST-DIP (paper preset)",
    "zsn2n": "ZS-N2N",
    "n2v": "Noise2Void (CAREamics)",
    "care": "CARE (supervised: upper reference)",
}


class Skip(Exception):
    """A method cannot run on this item / machine; the message says why."""


def _histdip_call(img, item, settings, seed, **kw):
    import histdip
    from ..settings import resolve_config

    over = dict(kw)
    if over.get("preset", "fast") == "fast":
        if settings.histdip_iterations:
            over.setdefault("iterations", settings.histdip_iterations)
    else:
        over.setdefault("iterations", settings.paper_iterations)
    if img.ndim == 3:
        over.setdefault("channel", "rgb")
    elif over.get("preset") == "paper":
        over.setdefault("channel", "auto")
    threshold = item.threshold
    if isinstance(threshold, (int, float)) and resolve_config(**over).background != "none":
        # A hand T (the paper's, on phone photos) lives on the raw grey; a preset that
        # thresholds the background-subtracted grey (the fast one) finds no meaning in
        # that number (T = 125 there leaves no pixel): it keeps its own rule.
        threshold = None
    return np.asarray(histdip.restore(img, threshold=threshold, seed=seed, **over), np.float64)


def _care_training(settings, seed):
    """(noisy, clean) simulator pairs for CARE, from seeds disjoint from the test scenes."""
    from ..simulate import simulate_scene
    from .datasets import bead_scene

    xs, ys = [], []
    s = max(64, settings.sim_size)
    for i, (kind, lvl) in enumerate([("beads", 1.0), ("beads", 2.0), ("cells", 1.0), ("filaments", 1.0)] * 2):
        if kind == "beads":
            sc = bead_scene(s, 1000 + seed + i, lvl)
        else:
            sc = simulate_scene(kind, shape=(s, s), seed=1000 + seed + i, noise_level=lvl)
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
        return _histdip_call(img, item, settings, seed, method="threshold")
    if method == "histdip":
        return _histdip_call(img, item, settings, seed)
    if method == "histdip-sample":
        return _histdip_call(img, item, settings, seed, sample=SAMPLE_OF.get(item.dataset, "beads"))
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

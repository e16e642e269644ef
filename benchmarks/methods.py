"""How the quality benchmark runs each method: names, labels and :func:`run_method`.

HIST-DIP and its variants go through :func:`histdip.restore` with the benchmark's
iteration budgets; every peer goes through :data:`benchmarks.peers.PEERS`, after
:func:`benchmarks.peers.available_peers` says it can run here (else :class:`Skip`). A
colour item is restored by a peer one channel at a time.

``histdip-custom`` is the fast preset with the run's own overrides
(``Settings.custom``, from ``--set FIELD=VALUE``): a variant measured beside the default.
"""

from __future__ import annotations

import numpy as np

from . import peers
from .datasets import bead_scene

#: The ``sample=`` a user imaging each dataset's kind of specimen would pass
#: (:data:`histdip.config.SAMPLES`): FMD, W2S and Myxococcus frames are cells filling the field.
SAMPLE_OF = {"sim-beads": "beads", "sim-empty": "beads", "phone": "beads", "sim-filaments": "filaments",
             "sim-cells": "cells", "fmd": "cells", "w2s": "cells", "myxo": "cells"}

#: Methods in run order. 'care' is supervised (trained on simulator pairs): an upper reference.
ALL_METHODS = ("identity", "threshold", "gaussian", "median", "nlm", "bm3d", "classical_pipeline",
               "histdip", "histdip-sample", "histdip-custom", "dip", "histdip-paper", "zsn2n", "n2v", "care")
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
    "histdip-custom": "HIST-DIP (fast preset, --set overrides)",
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

    over = dict(kw)
    paper = over.get("preset") == "paper"
    over.setdefault("iterations", settings.paper_iterations if paper else settings.histdip_iterations)
    if img.ndim == 3:
        over.setdefault("channel", "rgb")
    elif paper:
        over.setdefault("channel", "auto")
    # A number as threshold is the paper's T on the raw grey, with the paper's mask:
    # only the paper preset's row takes the item's hand T (phone photos). The fast
    # preset keeps its own rule (Yen on the background-subtracted grey), as a user's
    # run does.
    over.setdefault("threshold", item.threshold if paper else None)
    return np.asarray(histdip.restore(img, seed=seed, **over), np.float64)


def _care_training(settings, seed):
    """(noisy, clean) simulator pairs for CARE, from seeds disjoint from the test scenes."""
    from histdip.simulate import simulate_scene

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
    """Run one method on one item.

    Parameters
    ----------
    method : str
        A name of :data:`ALL_METHODS`.
    item : benchmarks.datasets.Item
    settings : benchmarks.quality.Settings
    seed : int
    cache : dict, optional
        Shared across calls of one run: the peers' availability and CARE's training pairs.

    Returns
    -------
    ndarray, float64, the layout of ``item.image``

    Raises
    ------
    Skip
        When the method cannot run here (the message says why).
    """
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
    if method == "histdip-custom":
        return _histdip_call(img, item, settings, seed, **settings.custom)
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

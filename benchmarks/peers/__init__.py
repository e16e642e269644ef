"""Competitor ("peer") methods that benchmarks run against HIST-DIP.

Every peer is a plain function with one calling convention::

    restored = PEERS[name](image, seed=0, **params)

* ``image``: 2-D (H, W) real array, finite, intensities on [0, 1] (read as float64;
  nothing is rescaled, so scale your data to [0, 1] first).
* returns a new float32 (H, W) array clipped to [0, 1]; the input is not modified.
* deterministic for a given ``seed`` (classical peers ignore it).
* invalid input raises :class:`histdip.InputError`, invalid settings or a missing
  optional backend :class:`histdip.ConfigError`.

The convention's input check and output rule: :mod:`.contract`.

=====================  ==========================================================
name                   what
=====================  ==========================================================
``identity``           the noisy input (clipped): the "before" row
``gaussian``           the paper's 11x11 Gaussian blur (OpenCV rule, sigma 2.0)
``median``             median filter, 3x3 (``size=5`` for 5x5)
``nlm``                non-local means, sigma estimated from the image
``bm3d``               BM3D, sigma estimated (needs the ``bm3d`` package)
``bm3d_vst``           GAT + BM3D + exact unbiased inverse (Poisson-Gaussian)
``classical_pipeline`` denoise (BM3D/NLM) -> rolling-ball background -> Otsu mask
``zsn2n``              Zero-Shot Noise2Noise (Mansour & Heckel 2023), torch
``n2v``                Noise2Void via CAREamics (separate venv: ``make careamics-env``)
``care``               CARE via CAREamics, trained on caller-supplied pairs
=====================  ==========================================================

:func:`available_peers` tells which can run here and why not. See docs/peers.md.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from .bm3d import bm3d_available, denoise_bm3d, denoise_bm3d_vst, gat_parameters
from .careamics import careamics_status, denoise_care, denoise_n2v
from .classical import (
    denoise_classical_pipeline,
    denoise_gaussian,
    denoise_identity,
    denoise_median,
    denoise_nlm,
)
from .zsn2n import denoise_zsn2n

__all__ = [
    "PEERS",
    "SUPERVISED",
    "PeerStatus",
    "available_peers",
    "bm3d_available",
    "careamics_status",
    "denoise_bm3d",
    "denoise_bm3d_vst",
    "denoise_care",
    "denoise_classical_pipeline",
    "denoise_gaussian",
    "denoise_identity",
    "denoise_median",
    "denoise_n2v",
    "denoise_nlm",
    "denoise_zsn2n",
    "gat_parameters",
]

#: name -> peer function, all with the signature ``f(image, *, seed=0, **params)``
PEERS: dict[str, Callable] = {
    "identity": denoise_identity,
    "gaussian": denoise_gaussian,
    "median": denoise_median,
    "nlm": denoise_nlm,
    "bm3d": denoise_bm3d,
    "bm3d_vst": denoise_bm3d_vst,
    "classical_pipeline": denoise_classical_pipeline,
    "zsn2n": denoise_zsn2n,
    "n2v": denoise_n2v,
    "care": denoise_care,
}

#: peers that need training pairs from the caller (``train_noisy``, ``train_clean``)
SUPERVISED = frozenset({"care"})


class PeerStatus(NamedTuple):
    """Whether a peer can run here; ``reason`` says why not (or what it will use)."""

    available: bool
    reason: str = ""


def available_peers(*, careamics_env=None, check_import: bool = False) -> dict[str, PeerStatus]:
    """Which peers of :data:`PEERS` can run on this machine, with the reason when not.

    Cheap: imports ``bm3d`` and ``torch`` at most, and only looks for the CAREamics
    venv (``check_import=True`` also imports careamics there, ~10 s).

    Parameters
    ----------
    careamics_env : path, optional
        The CAREamics environment (default: :func:`.careamics.resolve_env`).
    check_import : bool
        Also import careamics in that environment.

    Returns
    -------
    dict of str to PeerStatus
    """
    status: dict[str, PeerStatus] = {}
    for name in ("identity", "gaussian", "median", "nlm"):
        status[name] = PeerStatus(True, "")
    ok, why = bm3d_available()
    status["bm3d"] = PeerStatus(ok, why)
    status["bm3d_vst"] = PeerStatus(ok, why)
    status["classical_pipeline"] = PeerStatus(
        True, "" if ok else "bm3d missing: its default denoise='auto' uses NLM instead")
    try:
        import torch  # noqa: F401

        status["zsn2n"] = PeerStatus(True, "")
    except Exception as exc:  # pragma: no cover - torch is a hard dependency
        status["zsn2n"] = PeerStatus(False, f"torch does not import: {exc}")
    ok, why = careamics_status(careamics_env, check_import=check_import)
    status["n2v"] = PeerStatus(ok, why)
    status["care"] = PeerStatus(ok, (why + "; needs train_noisy/train_clean pairs") if ok
                                else why)
    return status

"""The methods of the ``sweep`` benchmark and the layers each hands back.

Every method returns ``{layer name: (H, W) array}`` and the name of its primary layer.
The peers work on the photo's green plane (float, [0, 1]; the simulator's clean image is
in green units); histdip gets what a user has: the uint8 RGB photo of a colour scene,
the uint8 grey frame of a grey one, and its layers' green plane (or single plane) is
scored. Units do not matter: every score maps a layer onto its reference first.

* ``input``: the noisy green plane itself (a recording): the "before" row.
* ``classical``: :data:`CLASSICAL_VARIANTS`, each the peers' classical pipeline
  (:func:`benchmarks.peers.denoise_classical_pipeline`) with a Gaussian blur for its
  denoising step: blur, subtract a background, zero everything below a global threshold
  (specks under 4 px dropped, mask grown 1 px). ``classical-best`` is the variant with
  the best mean affine PSNR against ``clean`` over the tuning seeds
  (:func:`benchmarks.sweep.choose_classical`).
* ``bm3d``: BM3D with its noise sigma estimated (a denoised recording); skipped where
  the ``bm3d`` package is missing.
* ``histdip``, ``histdip-beads`` (``sample='beads'``), ``histdip-learned``
  (``threshold='learned'``; skipped where this histdip does not know it),
  ``histdip-custom`` (the ``--set`` overrides): :func:`histdip.restore_detailed` with
  the sweep's iteration cap. Every layer the result carries (``result.layers``:
  signal, recording, background) is scored; without layers its image is the signal.
"""

from __future__ import annotations

import math
import time

import numpy as np

#: Method names for ``--methods``, in run order; ``histdip-custom`` runs with ``--set``.
METHODS = ("input", "classical", "bm3d", "histdip", "histdip-beads", "histdip-learned", "histdip-custom")
DEFAULT_METHODS = ("input", "classical", "bm3d", "histdip", "histdip-beads", "histdip-learned")
HISTDIP_OVERRIDES = {"histdip": {}, "histdip-beads": {"sample": "beads"},
                     "histdip-learned": {"threshold": "learned"}}

#: The classical variants, fixed before any result: background (kind, radius px),
#: Gaussian blur sigma (px) and the global threshold rule.
CLASSICAL_VARIANTS = {
    "rb30-b1-otsu": ("rolling-ball", 30, 1.0, "otsu"),
    "rb30-b2-triangle": ("rolling-ball", 30, 2.0, "triangle"),
    "rb30-b2-li": ("rolling-ball", 30, 2.0, "li"),
    "rb30-b2-yen": ("rolling-ball", 30, 2.0, "yen"),
    "rb30-b2-3sigma": ("rolling-ball", 30, 2.0, "sigma:3"),
    "rb50-b3-li": ("rolling-ball", 50, 3.0, "li"),
    "tophat30-b2-triangle": ("tophat", 30, 2.0, "triangle"),
    "gauss25-b2-otsu": ("gaussian", 25, 2.0, "otsu"),
}

#: What each layer of a peer is.
PEER_LAYER = {"input": "recording", "classical": "signal", "bm3d": "recording"}


class Skip(Exception):
    """A method cannot run here; the message says why."""


def classical_name(variant):
    """The method name of one classical variant's rows."""
    return f"classical:{variant}"


def run_classical(noisy, variant):
    """One classical variant on the green plane; float (H, W)."""
    from .peers import denoise_classical_pipeline

    background, radius, blur, rule = CLASSICAL_VARIANTS[variant]
    ksize = 2 * math.ceil(3 * blur) + 1  # the Gaussian out to 3 sigma
    return denoise_classical_pipeline(noisy, denoise="gaussian", denoise_params=dict(sigma=blur, ksize=ksize),
                                      background=background, background_radius=radius, threshold=rule)


def learned_unavailable():
    """Why ``threshold='learned'`` cannot run with this histdip (None: it can)."""
    from histdip.config import RestoreConfig

    try:
        RestoreConfig(threshold="learned")
    except Exception as err:  # pydantic's error or ConfigError: either way, not here
        return "threshold='learned' is not in this histdip: " + " ".join(str(err).split())[:200]
    return None


def scored_plane(array):
    """The (H, W) plane the sweep scores: a colour layer's green channel (the sweep's
    classical pipeline runs on it too), a grey layer as it is."""
    a = np.asarray(array, dtype=np.float64)
    return a[..., 1] if a.ndim == 3 and a.shape[2] >= 2 else a[..., 0] if a.ndim == 3 else a


def result_layers(result):
    """``({name: (H, W) plane}, primary name)`` of a histdip result: every layer of
    ``result.layers`` (signal, recording, background), else ``{"signal": result.image}``."""
    layers = getattr(result, "layers", None)
    out = {}
    if layers is not None:
        for name in ("signal", "recording", "background"):
            try:
                arr = layers[name]
            except (KeyError, TypeError, AttributeError):
                continue
            if arr is not None:
                out[name] = scored_plane(arr)
    if not out:
        return {"signal": scored_plane(result.image)}, "signal"
    primary = getattr(result, "primary_layer", None)
    if not isinstance(primary, str):
        primary = getattr(result, "primary", None)
    return out, primary if isinstance(primary, str) and primary in out else next(iter(out))


def run_histdip(scene, colour, overrides, iterations, seed=0):
    """histdip on the photo a user would have; ``(layers, primary, info)``."""
    import histdip

    image = scene.noisy_rgb if colour else scene.noisy_rgb[..., 0]
    over = dict(overrides)
    over.setdefault("iterations", iterations)
    over.setdefault("seed", seed)
    result = histdip.restore_detailed(image, **over)
    layers, primary = result_layers(result)
    info = dict(summary=result.summary(short=True), iterations=int(result.iterations),
                sample=getattr(result.config, "sample", None))
    return layers, primary, info


def run_method(method, scene, spec, *, iterations, custom=None, cache=None):
    """Run one method on one scene.

    Parameters
    ----------
    method : str
        A name of :data:`METHODS`.
    scene : histdip.simulate.Scene
    spec : benchmarks.sweep_grid.SceneSpec
    iterations : int
        histdip's iteration cap.
    custom : dict, optional
        RestoreConfig overrides of ``histdip-custom``.
    cache : dict, optional
        Shared over a run: which methods cannot run here.

    Returns
    -------
    list of (str, dict, str, float, dict)
        Per output: method name (one per classical variant), layers, primary layer,
        seconds, info.

    Raises
    ------
    Skip
        When the method cannot run here.
    """
    cache = {} if cache is None else cache
    noisy = scene.noisy.astype(np.float64)
    if method == "input":
        return [("input", {"recording": noisy}, "recording", 0.0, {})]
    if method == "classical":
        out = []
        for v in CLASSICAL_VARIANTS:
            t0 = time.perf_counter()
            img = run_classical(noisy, v)
            out.append((classical_name(v), {"signal": np.asarray(img, np.float64)}, "signal",
                        time.perf_counter() - t0, {}))
        return out
    if method == "bm3d":
        from .peers import PEERS, bm3d_available

        ok, why = cache.setdefault("bm3d", bm3d_available())
        if not ok:
            raise Skip(why or "bm3d is not installed")
        t0 = time.perf_counter()
        img = np.asarray(PEERS["bm3d"](noisy, seed=0), np.float64)
        return [("bm3d", {"recording": img}, "recording", time.perf_counter() - t0, {})]
    if method == "histdip-learned":
        why = cache.setdefault("learned", learned_unavailable())
        if why:
            raise Skip(why)
    if method == "histdip-custom":
        if not custom:
            raise Skip("no --set overrides given")
        overrides = custom
    elif method in HISTDIP_OVERRIDES:
        overrides = HISTDIP_OVERRIDES[method]
    else:
        raise Skip(f"unknown method {method!r}; use {', '.join(METHODS)}")
    t0 = time.perf_counter()
    layers, primary, info = run_histdip(scene, spec.colour, overrides, iterations)
    return [(method, layers, primary, time.perf_counter() - t0, info)]

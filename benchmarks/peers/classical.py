"""Classical (non-learned) peers: Gaussian blur, median, non-local means, and a strong
classical pipeline (denoise -> background subtraction -> threshold).

All follow the peers' calling convention (:mod:`benchmarks.peers.contract`).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from histdip.config import THRESHOLD_RULES
from histdip.errors import ConfigError
from histdip.noise import noise_sigma
from histdip.prior import estimate_background, foreground_mask, threshold_value

from .bm3d import bm3d_available, denoise_bm3d, denoise_bm3d_vst
from .contract import check_image, finish

__all__ = [
    "cv2_gaussian_sigma",
    "sigma_threshold",
    "denoise_classical_pipeline",
    "denoise_gaussian",
    "denoise_identity",
    "denoise_median",
    "denoise_nlm",
]


def cv2_gaussian_sigma(ksize: int) -> float:
    """The sigma OpenCV uses when ``cv2.GaussianBlur`` gets ``sigmaX=0``.

    ``sigma = 0.3 * ((ksize - 1) * 0.5 - 1) + 0.8``; for ksize 11 this is 2.0.

    >>> cv2_gaussian_sigma(11)
    2.0
    """
    if ksize < 1 or ksize % 2 == 0:
        raise ConfigError(f"ksize must be a positive odd integer, got {ksize}")
    return 0.3 * ((ksize - 1) * 0.5 - 1.0) + 0.8


# --------------------------------------------------------------------------- peers
def denoise_identity(image, *, seed: int = 0) -> np.ndarray:
    """The noisy input itself (clipped to [0, 1]): the 'before' row of a benchmark."""
    img = check_image(image)
    return finish(img, img.shape)


def denoise_gaussian(image, *, seed: int = 0, ksize: int = 11,
                     sigma: float | None = None) -> np.ndarray:
    """The paper's baseline: ``cv2.GaussianBlur(img, (11, 11), 0)`` replicated in SciPy.

    OpenCV with ``sigmaX=0`` derives sigma from the kernel size (2.0 for 11x11, see
    :func:`cv2_gaussian_sigma`), samples the Gaussian at the 11 integer offsets -5..5,
    normalises the taps to sum 1, filters rows then columns, and pads with
    BORDER_REFLECT_101 (``dcb|abcd|cba``). ``scipy.ndimage.gaussian_filter`` with the
    same sigma, ``truncate = radius / sigma`` (radius 5) and ``mode="mirror"`` (SciPy's
    name for reflect-101) builds the same normalised sampled kernel, so the result
    equals OpenCV's on float input up to rounding (OpenCV's 8-bit path uses fixed-point
    arithmetic and rounds to integers; that last rounding is not replicated).

    Parameters: ``ksize`` odd kernel size (11); ``sigma`` overrides the OpenCV rule.
    """
    img = check_image(image)
    s = cv2_gaussian_sigma(ksize) if sigma is None else float(sigma)
    if s <= 0:
        raise ConfigError(f"sigma must be > 0, got {sigma}")
    radius = ksize // 2
    if radius == 0:
        return finish(img, img.shape)
    out = ndimage.gaussian_filter(img, sigma=s, mode="mirror", truncate=radius / s)
    return finish(out, img.shape)


def denoise_median(image, *, seed: int = 0, size: int = 3) -> np.ndarray:
    """Median filter over a ``size`` x ``size`` square window (3 or 5 are usual).

    ``scipy.ndimage.median_filter``, border mode ``"reflect"`` (``cba|abcd|dcb``).
    """
    img = check_image(image)
    if int(size) != size or size < 1:
        raise ConfigError(f"size must be a positive integer, got {size}")
    out = ndimage.median_filter(img, size=int(size), mode="reflect")
    return finish(out, img.shape)


def denoise_nlm(image, *, seed: int = 0, sigma: float | None = None, h_factor: float = 0.8,
                patch_size: int = 5, patch_distance: int = 6,
                fast_mode: bool = True) -> np.ndarray:
    """Non-local means (Buades, Coll & Morel 2005) via ``skimage.restoration``.

    ``sigma`` is the Gaussian noise standard deviation; when None it is estimated with
    :func:`histdip.noise.noise_sigma` (on binned pixels, so that noise correlated by JPEG
    or demosaicing is seen).
    The filter strength is ``h = h_factor * sigma`` and ``sigma`` is also passed to
    ``denoise_nl_means`` so patch distances are bias-corrected; defaults follow the
    scikit-image gallery (h = 0.8 sigma, 5x5 patches, search distance 6, fast mode).
    """
    img = check_image(image)
    if sigma is None:
        sigma = noise_sigma(img)
    sigma = float(sigma)
    if sigma < 0:
        raise ConfigError(f"sigma must be >= 0, got {sigma}")
    if sigma == 0.0 or h_factor <= 0:
        return finish(img, img.shape)
    from skimage.restoration import denoise_nl_means

    out = denoise_nl_means(img, patch_size=int(patch_size), patch_distance=int(patch_distance),
                           h=float(h_factor) * sigma, sigma=sigma, fast_mode=bool(fast_mode))
    return finish(out, img.shape)


# --------------------------------------------------------------------------- pipeline
def _threshold_value(img: np.ndarray, threshold) -> float:
    # A number is a threshold in the image's own [0, 1] units, so it bypasses
    # threshold_value (whose manual T lives on 0-255); the rules are the same functions.
    if isinstance(threshold, (int, float)) and not isinstance(threshold, bool):
        return float(threshold)
    if isinstance(threshold, str) and threshold.startswith("sigma:"):
        try:
            k = float(threshold.split(":", 1)[1])
        except ValueError:
            raise ConfigError(f"sigma:K needs a number K, got {threshold!r}") from None
        return sigma_threshold(img, k)
    if threshold not in THRESHOLD_RULES:
        raise ConfigError(f"unknown threshold {threshold!r}; use otsu, triangle, li, yen, "
                          "sigma:K, a number, or None")
    return threshold_value(img, threshold)


def sigma_threshold(image, k=3.0) -> float:
    """``median + k * sigma``, sigma the robust spread (1.4826 x median absolute
    deviation) of the image: the astronomer's rule for sparse objects on a flat
    background, where the median and the MAD are those of the background.

    >>> round(sigma_threshold(np.array([1.0, 2.0, 3.0, 4.0, 100.0]), 1.0), 2)
    4.48
    """
    img = np.asarray(image, dtype=np.float64)
    med = float(np.median(img))
    return med + float(k) * 1.4826 * float(np.median(np.abs(img - med)))


def _denoise_step(img: np.ndarray, method: str, seed: int, params: dict) -> np.ndarray:
    if method in ("none", None):
        return img
    if method == "auto":
        method = "bm3d" if bm3d_available()[0] else "nlm"
    steps = {"bm3d": denoise_bm3d, "bm3d_vst": denoise_bm3d_vst, "nlm": denoise_nlm,
             "gaussian": denoise_gaussian, "median": denoise_median}
    if method not in steps:
        raise ConfigError(f"unknown denoise method {method!r}; use auto, {', '.join(steps)} or none")
    return steps[method](img, seed=seed, **params).astype(np.float64)


def denoise_classical_pipeline(image, *, seed: int = 0, denoise: str = "auto",
                               denoise_params: dict | None = None,
                               background: str = "rolling-ball",
                               background_radius: float = 25.0,
                               threshold="otsu", min_size: int = 4, dilate: int = 1,
                               keep_background_level: bool = False) -> np.ndarray:
    """What a careful image analyst would do by hand, in three explicit steps.

    1. **Denoise** (``denoise``): ``"auto"`` = BM3D when the ``bm3d`` package imports,
       else non-local means; or ``"bm3d"``, ``"bm3d_vst"``, ``"nlm"``, ``"gaussian"``,
       ``"median"``, ``"none"``. ``denoise_params`` go to that peer. Denoising first
       keeps noise from biasing the background estimate low.
    2. **Background** (``background``, ``background_radius`` in pixels): rolling ball
       (``"rolling-ball"``, the default, ImageJ-like), ``"tophat"`` (grey opening),
       ``"gaussian"`` or ``"none"``; the estimate is subtracted. Pick the radius larger than the biggest
       object (the default 25 px suits beads a few to ~20 px across).
    3. **Threshold** (``threshold``): ``"otsu"`` (default), ``"triangle"``, ``"li"``,
       ``"yen"``, ``"sigma:K"`` (median + K robust sigmas, :func:`sigma_threshold`), a
       number on the background-subtracted scale, or None (skip).
       Foreground = pixels ``> T``; connected specks smaller than ``min_size`` pixels
       (8-connectivity) are dropped, then the mask is dilated by ``dilate`` pixels
       (3x3 steps) so that object rims softened by denoising are not cut off;
       everything outside the mask is zeroed.

    Output: the background-subtracted denoised image inside the mask (zero outside);
    with ``keep_background_level=True`` the denoised image *before* subtraction is
    kept inside the mask instead (matches a "photo x mask" reference such as the
    HIST-DIP paper's). Clipped to [0, 1], float32.
    """
    img = check_image(image)
    den = _denoise_step(img, denoise, seed, dict(denoise_params or {}))
    bg = estimate_background(den, background, background_radius)
    sub = den - bg
    if threshold is None:
        mask = np.ones(img.shape, dtype=bool)
    else:
        t = _threshold_value(sub, threshold)
        # The prior's mask: specks dropped (8-connectivity), then grown in 3 x 3 steps.
        mask = foreground_mask(sub, t, min_size=int(min_size or 0), grow=int(dilate or 0))
    out = (den if keep_background_level else sub) * mask
    return finish(out, img.shape)

"""BM3D peers (Dabov et al. 2007; Makinen, Azzari & Foi 2020) and the generalised
Anscombe transform (GAT) for Poisson-Gaussian noise (Makitalo & Foi 2013).

BM3D itself comes from the ``bm3d`` PyPI package (optional extra ``histdip[bench]``;
its licence allows non-commercial use only, see docs/peers.md). The GAT functions are
plain NumPy and need nothing optional; they are named ``gat_forward``/``gat_inverse``
so they can move to a shared module later (nothing else in histdip provides them yet).

Noise model for the GAT: ``z = alpha * p + n`` with ``p ~ Poisson(y / alpha)`` and
``n ~ N(mu, sigma^2)``: a gain ``alpha`` (intensity units per photo-electron), a
Gaussian read noise ``sigma`` and a pedestal ``mu``, all in the image's own units
(here [0, 1]). Then ``E[z] = y + mu`` and ``Var[z] = alpha * y + sigma^2``.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from .classical import check_image, finish

__all__ = [
    "bm3d_available",
    "denoise_bm3d",
    "denoise_bm3d_vst",
    "gat_forward",
    "gat_inverse",
    "estimate_poisson_gaussian",
]

_SQRT_3_2 = np.sqrt(1.5)
#: value of the normalised GAT at zero signal and zero read noise: 2 * sqrt(3/8)
_D_MIN = 2.0 * np.sqrt(3.0 / 8.0)


def bm3d_available() -> tuple[bool, str]:
    """(True, "") when the ``bm3d`` package imports, else (False, reason)."""
    try:
        import bm3d  # noqa: F401  (the PyPI package, not this module)
    except Exception as exc:  # ImportError, or a broken binary inside it
        return False, (f"the 'bm3d' package does not import ({type(exc).__name__}: {exc}); "
                       "install it with: pip install 'histdip[bench]'  (or: pip install bm3d)")
    return True, ""


def _check_gat_params(alpha: float, sigma: float) -> None:
    if not alpha > 0:
        raise ConfigError(f"GAT gain alpha must be > 0, got {alpha}")
    if not sigma >= 0:
        raise ConfigError(f"GAT read-noise sigma must be >= 0, got {sigma}")


def gat_forward(z, alpha: float = 1.0, sigma: float = 0.0, mu: float = 0.0) -> np.ndarray:
    """Generalised Anscombe transform (Starck, Murtagh & Bijaoui 1998; Makitalo & Foi 2013).

    ``f(z) = (2 / alpha) * sqrt(max(alpha * z + 3/8 * alpha^2 + sigma^2 - alpha * mu, 0))``

    Maps Poisson-Gaussian data to approximately unit-variance Gaussian data. With
    ``alpha=1, sigma=0, mu=0`` it is the classical Anscombe transform ``2 sqrt(z + 3/8)``.
    """
    _check_gat_params(alpha, sigma)
    z = np.asarray(z, dtype=np.float64)
    arg = alpha * z + 0.375 * alpha * alpha + sigma * sigma - alpha * mu
    return (2.0 / alpha) * np.sqrt(np.maximum(arg, 0.0))


def gat_inverse(d, alpha: float = 1.0, sigma: float = 0.0, mu: float = 0.0) -> np.ndarray:
    """Closed-form approximation of the exact unbiased inverse of the GAT.

    Makitalo & Foi (IEEE TIP 22(1), 2013; Poisson case IEEE TIP 20(1), 2011): in units
    normalised by ``alpha`` (``sigma_n = sigma / alpha``),

    ``I(D) = D^2/4 + sqrt(3/2)/4 * D^-1 - 11/8 * D^-2 + 5/8 * sqrt(3/2) * D^-3 - 1/8 - sigma_n^2``

    clipped at 0, then ``y = alpha * I + mu``. ``d`` is a denoised GAT-domain value,
    i.e. an estimate of ``E[f(z)]``, and the result estimates ``E[z] = y + mu``
    (not the biased algebraic inverse). Inputs below ``2 sqrt(3/8)`` (the transform of
    a zero signal without read noise, where ``I`` is 0) are raised to it, because
    the asymptotic series is meaningless for smaller ``D``.
    """
    _check_gat_params(alpha, sigma)
    d = np.maximum(np.asarray(d, dtype=np.float64), _D_MIN)
    sn2 = (sigma / alpha) ** 2
    inv = (0.25 * d * d + 0.25 * _SQRT_3_2 / d - 1.375 / (d * d)
           + 0.625 * _SQRT_3_2 / (d * d * d) - 0.125 - sn2)
    return alpha * np.maximum(inv, 0.0) + mu


def estimate_poisson_gaussian(image, n_bins: int = 16) -> tuple[float, float]:
    """Rough (alpha, sigma) of ``Var[z] = alpha * E[z] + sigma^2`` from one image.

    Haar diagonal details of non-overlapping 2x2 blocks (``(a - b - c + d) / 2``, which
    keep the variance of white noise and cancel planar signal) are grouped into
    ``n_bins`` equal-count bins of local 2x2 mean; each bin's noise variance is the
    squared normalised median absolute deviation; a count-weighted least-squares line
    ``var = alpha * mean + sigma^2`` is fitted and its coefficients clipped at 0.
    Blocks holding an exact 0 or 1 (clipped values) are left out. Edges inflate bright bins a
    little; this is a simple stand-in for Foi et al.'s (2008) ClipPoisGaus estimator.
    """
    img = check_image(image)
    h, w = (img.shape[0] // 2) * 2, (img.shape[1] // 2) * 2
    a, b = img[0:h:2, 0:w:2], img[0:h:2, 1:w:2]
    c, d = img[1:h:2, 0:w:2], img[1:h:2, 1:w:2]
    detail = ((a - b - c + d) / 2.0).ravel()
    mean = ((a + b + c + d) / 4.0).ravel()
    lo = np.minimum(np.minimum(a, b), np.minimum(c, d)).ravel()
    hi = np.maximum(np.maximum(a, b), np.maximum(c, d)).ravel()
    ok = (lo != 0.0) & (hi != 1.0)  # blocks with exact 0 or 1 were clipped
    if ok.sum() < 8 * n_bins:
        ok = np.ones_like(ok)
    detail, mean = detail[ok], mean[ok]
    order = np.argsort(mean, kind="stable")
    xs, vs, ws = [], [], []
    for chunk in np.array_split(order, n_bins):
        if chunk.size < 8:
            continue
        dv = detail[chunk]
        mad = np.median(np.abs(dv - np.median(dv))) * 1.4826
        xs.append(mean[chunk].mean())
        vs.append(mad * mad)
        ws.append(chunk.size)
    xs, vs, ws = np.asarray(xs), np.asarray(vs), np.asarray(ws, dtype=np.float64)
    if xs.size >= 2 and np.ptp(xs) > 0:
        A = np.stack([xs, np.ones_like(xs)], axis=1) * np.sqrt(ws)[:, None]
        slope, icpt = np.linalg.lstsq(A, vs * np.sqrt(ws), rcond=None)[0]
    else:
        slope, icpt = 0.0, float(np.average(vs, weights=ws)) if vs.size else 0.0
    if slope <= 0:  # no signal dependence: pure Gaussian
        slope, icpt = 0.0, float(np.average(vs, weights=ws))
    if icpt < 0:  # refit through the origin: pure Poisson
        slope, icpt = float(np.sum(ws * xs * vs) / np.sum(ws * xs * xs)), 0.0
    return float(max(slope, 0.0)), float(np.sqrt(max(icpt, 0.0)))


def _run_bm3d(z: np.ndarray, sigma: float, profile: str, stage: str) -> np.ndarray:
    ok, why = bm3d_available()
    if not ok:
        raise ConfigError(why)
    import bm3d as _bm3d

    stages = {"all": _bm3d.BM3DStages.ALL_STAGES, "hard": _bm3d.BM3DStages.HARD_THRESHOLDING}
    if stage not in stages:
        raise ConfigError(f"stage must be 'all' or 'hard', got {stage!r}")
    return np.asarray(_bm3d.bm3d(z, sigma_psd=float(sigma), profile=profile,
                                 stage_arg=stages[stage]), dtype=np.float64)


def denoise_bm3d(image, *, seed: int = 0, sigma: float | None = None, profile: str = "np",
                 stage: str = "all") -> np.ndarray:
    """BM3D for additive white Gaussian noise.

    ``sigma``: noise standard deviation on the image's [0, 1] scale; None estimates it
    with ``skimage.restoration.estimate_sigma``. ``profile``: the bm3d package's
    profile name (``"np"`` normal, ``"refilter"``, ``"vn"``, ``"high"``, ``"deb"``).
    ``stage``: ``"all"`` (hard thresholding then Wiener) or ``"hard"``.
    Deterministic; ``seed`` is accepted for the common signature only.
    """
    img = check_image(image)
    if sigma is None:
        from skimage.restoration import estimate_sigma

        sigma = float(estimate_sigma(img))
    if sigma < 0:
        raise ConfigError(f"sigma must be >= 0, got {sigma}")
    if sigma == 0:
        return finish(img, img.shape)
    return finish(_run_bm3d(img, sigma, profile, stage), img.shape)


def denoise_bm3d_vst(image, *, seed: int = 0, alpha: float | None = None,
                     sigma: float | None = None, mu: float = 0.0, profile: str = "np",
                     stage: str = "all") -> np.ndarray:
    """VST + BM3D + exact-unbiased inverse, for Poisson-Gaussian (photon-limited) noise.

    ``gat_forward`` with (``alpha``, ``sigma``, ``mu``) -> BM3D with unit noise
    ``sigma_psd = 1`` -> ``gat_inverse``. When ``alpha`` or ``sigma`` is None, both
    missing ones come from :func:`estimate_poisson_gaussian`. If the estimated gain is
    ~0 (no signal-dependent noise) this falls back to plain Gaussian BM3D.
    """
    img = check_image(image)
    if alpha is None or sigma is None:
        a_est, s_est = estimate_poisson_gaussian(img)
        alpha = a_est if alpha is None else alpha
        sigma = s_est if sigma is None else sigma
    alpha, sigma = float(alpha), float(sigma)
    if sigma < 0:
        raise ConfigError(f"sigma must be >= 0, got {sigma}")
    if alpha <= 1e-9:
        if sigma == 0:
            return finish(img, img.shape)
        return finish(_run_bm3d(img, sigma, profile, stage), img.shape)
    f = gat_forward(img, alpha, sigma, mu)
    den = _run_bm3d(f, 1.0, profile, stage)
    return finish(gat_inverse(den, alpha, sigma, mu), img.shape)

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
from ..noise import estimate_poisson_gaussian as _estimate
from ..noise import gat, noise_sigma
from ..noise import gat_inverse as noise_gat_inverse
from .classical import check_image, finish

__all__ = [
    "bm3d_available",
    "denoise_bm3d",
    "denoise_bm3d_vst",
    "gat_forward",
    "gat_inverse",
    "estimate_poisson_gaussian",
]


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

    ``f(z) = (2 / alpha) * sqrt(alpha * (z - mu) + 3/8 * alpha^2 + sigma^2)``: Poisson-
    Gaussian data to approximately unit-variance Gaussian data; the classical Anscombe
    ``2 sqrt(z + 3/8)`` for ``alpha=1, sigma=0, mu=0``. The peers' names and checks over
    :func:`histdip.noise.gat`.
    """
    _check_gat_params(alpha, sigma)
    return np.asarray(gat(np.asarray(z, dtype=np.float64), alpha, sigma, mu))


def gat_inverse(d, alpha: float = 1.0, sigma: float = 0.0, mu: float = 0.0) -> np.ndarray:
    """Closed-form exact-unbiased inverse of the GAT (Makitalo & Foi, IEEE TIP 2011, 2013):
    :func:`histdip.noise.gat_inverse` with the peers' parameter checks."""
    _check_gat_params(alpha, sigma)
    return noise_gat_inverse(d, alpha, sigma, mu)


def estimate_poisson_gaussian(image) -> tuple[float, float]:
    """(alpha, sigma) of ``Var[z] = alpha * E[z] + sigma^2`` from one image, by
    :func:`histdip.noise.estimate_poisson_gaussian` (a dark offset it finds is folded
    back into sigma^2 = -alpha * offset, clipped at 0, since BM3D-VST takes mu apart)."""
    est = _estimate(check_image(image))
    sigma2 = est["sigma"] ** 2 - est["gain"] * est.get("offset", 0.0)
    return float(est["gain"]), float(np.sqrt(max(sigma2, 0.0)))


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
    with :func:`histdip.noise.noise_sigma` (the wavelet ``estimate_sigma`` read JPEG'd
    bead photos 6x low, leaving them as they were). ``profile``: the bm3d package's
    profile name (``"np"`` normal, ``"refilter"``, ``"vn"``, ``"high"``, ``"deb"``).
    ``stage``: ``"all"`` (hard thresholding then Wiener) or ``"hard"``.
    Deterministic; ``seed`` is accepted for the common signature only.
    """
    img = check_image(image)
    if sigma is None:
        sigma = noise_sigma(img)
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

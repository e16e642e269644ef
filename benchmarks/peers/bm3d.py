"""BM3D peers (Dabov et al. 2007; Makinen, Azzari & Foi 2020): plain BM3D for white
Gaussian noise, and BM3D between the generalised Anscombe transform and its exact
unbiased inverse for Poisson-Gaussian noise.

BM3D itself comes from the ``bm3d`` PyPI package (optional extra ``histdip[bench]``;
its licence allows non-commercial use only, see docs/peers.md). The transform is the
library's, :func:`histdip.noise.gat` and :func:`histdip.noise.gat_inverse`.

Noise model of the VST peer: ``z = alpha * p + n`` with ``p ~ Poisson(y / alpha)`` and
``n ~ N(mu, sigma^2)``: a gain ``alpha`` (intensity units per photo-electron), a
Gaussian read noise ``sigma`` and a pedestal ``mu``, all in the image's own units
(here [0, 1]). Then ``E[z] = y + mu`` and ``Var[z] = alpha * y + sigma^2``.
"""

from __future__ import annotations

import numpy as np

from histdip.errors import ConfigError
from histdip.noise import estimate_poisson_gaussian, gat, gat_inverse, noise_sigma

from .contract import check_image, finish

__all__ = [
    "bm3d_available",
    "denoise_bm3d",
    "denoise_bm3d_vst",
    "gat_parameters",
]


def bm3d_available() -> tuple[bool, str]:
    """Whether the ``bm3d`` package imports here.

    Returns
    -------
    (bool, str)
        (True, "") when it imports, else (False, the reason and how to install it).
    """
    try:
        import bm3d  # noqa: F401  (the PyPI package, not this module)
    except Exception as exc:  # ImportError, or a broken binary inside it
        return False, (f"the 'bm3d' package does not import ({type(exc).__name__}: {exc}); "
                       "install it with: pip install 'histdip[bench]'  (or: pip install bm3d)")
    return True, ""


def gat_parameters(image) -> tuple[float, float]:
    """(alpha, sigma) of ``Var[z] = alpha * E[z] + sigma^2`` for the VST, from one image.

    :func:`histdip.noise.estimate_poisson_gaussian` fits the line; a dark offset it finds
    is folded back into ``sigma^2 = -alpha * offset`` (clipped at 0), since the VST
    takes the pedestal ``mu`` apart.

    Parameters
    ----------
    image : ndarray, (H, W), on [0, 1]

    Returns
    -------
    (float, float)
    """
    est = estimate_poisson_gaussian(check_image(image))
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

    :func:`histdip.noise.gat` with (``alpha``, ``sigma``, ``mu``) -> BM3D with unit noise
    ``sigma_psd = 1`` -> :func:`histdip.noise.gat_inverse`. When ``alpha`` or ``sigma``
    is None, the missing ones come from :func:`gat_parameters`. If the estimated gain is
    ~0 (no signal-dependent noise) this falls back to plain Gaussian BM3D.
    """
    img = check_image(image)
    if alpha is None or sigma is None:
        a_est, s_est = gat_parameters(img)
        alpha = a_est if alpha is None else alpha
        sigma = s_est if sigma is None else sigma
    alpha, sigma = float(alpha), float(sigma)
    # The library's transform clamps a gain at ~0 rather than refuse it; a negative or
    # missing setting given here is a caller's mistake, so it is refused by name.
    if not alpha >= 0:
        raise ConfigError(f"alpha (the gain) must be >= 0, got {alpha}")
    if not sigma >= 0:
        raise ConfigError(f"sigma must be >= 0, got {sigma}")
    if alpha <= 1e-9:  # no signal-dependent noise: plain BM3D
        if sigma == 0:
            return finish(img, img.shape)
        return finish(_run_bm3d(img, sigma, profile, stage), img.shape)
    den = _run_bm3d(gat(img, alpha, sigma, mu), 1.0, profile, stage)
    return finish(gat_inverse(den, alpha, sigma, mu), img.shape)

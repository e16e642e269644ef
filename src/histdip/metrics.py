"""Image-quality metrics, each defined exactly (docs/metrics.md).

Everything here is a plain function on NumPy arrays.

* :func:`psnr`, :func:`ssim` -- full-reference metrics against an image you trust.
  ``affine=True`` first maps the output onto the reference by least squares
  (:func:`fit_affine`), so that methods whose output scale differs compete fairly.
* :func:`cnr`, :func:`sdnr` -- no-reference contrast metrics on caller-given regions.

The paper's own (circular) evaluation is :mod:`histdip.protocol`.
"""

from __future__ import annotations

import numpy as np
from skimage.metrics import structural_similarity

from .errors import InputError
from .validate import check_array


# --------------------------------------------------------------------------- helpers

def _as_pair(restored, reference):
    restored = check_array(restored, name="restored image", ndim=(1, 2, 3), max_channels=64)
    reference = check_array(reference, name="reference", ndim=(1, 2, 3), max_channels=64)
    if restored.shape != reference.shape:
        raise InputError(f"shapes differ: restored {restored.shape} vs reference {reference.shape}")
    return restored, reference


def default_data_range(reference):
    """Peak value used by :func:`psnr` and :func:`ssim` when none is given.

    Integer dtypes: the dtype's span (255 for uint8, 65535 for uint16). Floats: 1.0,
    and the reference must lie in [0, 1]; otherwise the scale is unknown and an
    :class:`InputError` asks for ``data_range``. Note that 12-bit data stored as
    uint16 gets 65535; pass ``data_range=4095`` for it.
    """
    reference = np.asarray(reference)
    if reference.dtype.kind == "b":
        return 1.0
    if reference.dtype.kind in "iu":
        info = np.iinfo(reference.dtype)
        return float(info.max) if info.min == 0 else float(info.max) - float(info.min)
    lo, hi = float(np.min(reference)), float(np.max(reference))
    if lo < 0.0 or hi > 1.0:
        raise InputError(
            f"float reference spans [{lo:g}, {hi:g}], not [0, 1]: pass data_range explicitly"
        )
    return 1.0


def fit_affine(output, reference):
    """Least-squares gain and offset mapping ``output`` onto ``reference``.

    Returns ``(a, b)`` minimising ``sum((a * output + b - reference) ** 2)`` over all
    pixels (and channels: one global pair, not one per channel). If ``output`` is
    constant the gain is undetermined; then ``a = 0`` and ``b = mean(reference)``.

    Parameters
    ----------
    output, reference : ndarray, same shape

    Returns
    -------
    (float, float)
    """
    x, y = _as_pair(output, reference)
    x = x.astype(np.float64).ravel()
    y = y.astype(np.float64).ravel()
    xm, ym = x.mean(), y.mean()
    var = np.mean((x - xm) ** 2)
    if var == 0.0:
        return 0.0, float(ym)
    a = np.mean((x - xm) * (y - ym)) / var
    return float(a), float(ym - a * xm)


def _prepare(restored, reference, data_range, affine):
    restored, reference = _as_pair(restored, reference)
    if data_range is None:
        data_range = default_data_range(reference)
    data_range = float(data_range)
    if not (data_range > 0 and np.isfinite(data_range)):  # inf made every PSNR inf
        raise InputError(f"data_range must be positive and finite, got {data_range}")
    x = restored.astype(np.float64)
    y = reference.astype(np.float64)
    if affine:
        # No clipping afterwards: clipping would undo the least-squares optimum.
        a, b = fit_affine(x, y)
        x = a * x + b
    return x, y, data_range


# ------------------------------------------------------------------ full reference

def psnr(restored, reference, data_range=None, affine=False):
    """Peak signal-to-noise ratio in dB.

    ``PSNR = 10 * log10(R**2 / MSE)`` with ``MSE = mean((restored - reference)**2)``
    over all pixels and channels (computed in float64) and ``R = data_range``.

    Parameters
    ----------
    restored, reference : ndarray, same shape
    data_range : float, optional
        Peak value R. Default :func:`default_data_range` of ``reference``: 255 for
        uint8, 65535 for uint16, 1.0 for floats in [0, 1] (other floats must pass it).
    affine : bool
        Score ``a * restored + b`` with ``(a, b) = fit_affine(restored, reference)``
        ("affine-fair": a method is not penalised for a global gain or offset).

    Returns
    -------
    float
        ``inf`` when the images are identical (MSE = 0).
    """
    x, y, r = _prepare(restored, reference, data_range, affine)
    mse = float(np.mean((x - y) ** 2))
    if mse == 0.0:
        return float("inf")
    return float(10.0 * np.log10(r * r / mse))


def ssim(restored, reference, data_range=None, channel_axis=None, affine=False):
    """Mean structural similarity (scikit-image defaults).

    ``skimage.metrics.structural_similarity`` with its defaults: 7x7 uniform window,
    K1 = 0.01, K2 = 0.03, sample covariance, mean of the SSIM map. With
    ``channel_axis`` set, SSIM is computed per channel and averaged.

    Parameters
    ----------
    restored, reference : ndarray, same shape, each spatial side >= 7
    data_range : float, optional
        As in :func:`psnr`.
    channel_axis : int, optional
        Axis of colour channels; None treats the array as one grey image.
    affine : bool
        As in :func:`psnr`.

    Returns
    -------
    float
        1.0 for identical images.
    """
    x, y, r = _prepare(restored, reference, data_range, affine)
    try:
        return float(structural_similarity(x, y, data_range=r, channel_axis=channel_axis))
    except ValueError as err:  # window larger than the image, bad axis...
        raise InputError(f"SSIM cannot be computed: {err}") from None


# ------------------------------------------------------------------ region contrast

def _regions(image, signal_mask, background_mask):
    image = check_array(image, name="image (CNR/SDNR need one plane)", ndim=(2,))
    masks = []
    for name, mask in (("signal", signal_mask), ("background", background_mask)):
        mask = np.asarray(mask)
        if mask.shape != image.shape:
            raise InputError(f"{name} mask shape {mask.shape} differs from image shape {image.shape}")
        mask = mask != 0
        if not mask.any():
            raise InputError(f"{name} region is empty")
        masks.append(mask)
    if np.any(masks[0] & masks[1]):
        raise InputError("signal and background regions overlap")
    img = image.astype(np.float64)
    s, b = img[masks[0]], img[masks[1]]
    return s.mean(), s.std(), b.mean(), b.std()


def _ratio(num, den):
    # Zero noise: any contrast is infinitely detectable, no contrast is none at all.
    if den == 0.0:
        return float("inf") if num > 0.0 else 0.0
    return float(num / den)


def cnr(image, signal_mask, background_mask):
    """Contrast-to-noise ratio ``|mu_s - mu_b| / sigma_b``.

    ``mu`` and ``sigma`` are the mean and population standard deviation (ddof=0) of
    ``image`` over each region. Regions come from the caller and must not be derived
    from the image being scored; use the same regions for every method compared.

    Parameters
    ----------
    image : ndarray, (H, W)
    signal_mask, background_mask : ndarray, (H, W)
        Nonzero = inside. Must be non-empty and disjoint.

    Returns
    -------
    float
        ``inf`` if ``sigma_b == 0`` and the means differ; 0.0 if both are zero.
    """
    ms, _, mb, sb = _regions(image, signal_mask, background_mask)
    return _ratio(abs(ms - mb), sb)


def sdnr(image, signal_mask, background_mask):
    """Signal-difference-to-noise ratio ``|mu_s - mu_b| / sqrt((sigma_s**2 + sigma_b**2) / 2)``.

    Same regions, statistics and zero-noise convention as :func:`cnr`, but the noise
    is the RMS of the two regions' standard deviations.
    """
    ms, ss, mb, sb = _regions(image, signal_mask, background_mask)
    return _ratio(abs(ms - mb), float(np.sqrt((ss * ss + sb * sb) / 2.0)))

"""Image-quality metrics, each defined exactly, plus the paper's (circular) protocol.

Everything here is a plain function on NumPy arrays. Full definitions, and why the
paper's protocol is circular, are in ``docs/metrics.md``.

* :func:`psnr`, :func:`ssim` -- full-reference metrics against an image you trust.
  ``affine=True`` first maps the output onto the reference by least squares
  (:func:`fit_affine`), so that methods whose output scale differs compete fairly.
* :func:`cnr`, :func:`sdnr` -- no-reference contrast metrics on caller-given regions.
* :func:`paper_reference`, :func:`paper_scores`, :func:`paper_before` -- the HIST-DIP
  paper's evaluation as coded. Its "ground truth" is the input photo times its own
  threshold mask, so it is circular; every result carries that label.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image
from skimage.metrics import structural_similarity

from .color import BT601
from .errors import InputError

#: Grey weights of the paper's SSIM code (``np.dot(rgb, [0.2989, 0.5870, 0.1140])``);
#: they differ from :data:`histdip.color.BT601` in the 4th decimal, kept for fidelity.
PAPER_SSIM_WEIGHTS = np.array([0.2989, 0.5870, 0.1140])

#: JPEG quality of the paper's saved "ground truth" (PIL's default).
PAPER_JPEG_QUALITY = 75

CIRCULAR_NOTE = (
    "CIRCULAR: the reference is derived from the input photo itself "
    "(photo x its own threshold mask, JPEG q75); it is not an independent ground truth"
)


# --------------------------------------------------------------------------- helpers

def _as_pair(restored, reference):
    restored = np.asarray(restored)
    reference = np.asarray(reference)
    if restored.shape != reference.shape:
        raise InputError(f"shapes differ: restored {restored.shape} vs reference {reference.shape}")
    if restored.size == 0:
        raise InputError("images are empty")
    for name, arr in (("restored", restored), ("reference", reference)):
        if arr.dtype.kind not in "biuf":
            raise InputError(f"{name} image has unsupported dtype {arr.dtype}")
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            raise InputError(f"{name} image contains NaN or infinite values")
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
    if not data_range > 0:
        raise InputError(f"data_range must be positive, got {data_range}")
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
    image = np.asarray(image)
    if image.ndim != 2:
        raise InputError(f"CNR/SDNR need a 2-D (single-plane) image, got shape {image.shape}")
    if image.dtype.kind == "f" and not np.all(np.isfinite(image)):
        raise InputError("image contains NaN or infinite values")
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


# -------------------------------------------------------------- paper protocol

def _rgb_uint8(image, name):
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise InputError(f"{name} must be 8-bit (uint8), got {image.dtype}")
    if image.ndim == 2:
        return np.repeat(image[..., None], 3, axis=2)
    if image.ndim == 3 and image.shape[2] in (3, 4):
        return image[..., :3]  # alpha is dropped, as PIL's convert("RGB") does
    raise InputError(f"{name} must be (H, W) or (H, W, 3|4), got shape {image.shape}")


def paper_mask(rgb_uint8, threshold):
    """The paper's foreground mask: ``gray8 > T`` on 8-bit BT.601 luma.

    ``gray8 = floor(0.299 R + 0.587 G + 0.114 B)`` (an 8-bit grey image by truncation,
    in exact integer arithmetic). The authors thresholded an 8-bit grey image whose
    rounding convention is not recoverable; truncation reproduces the recomputed
    figures in PAPER.md (rounding, as PIL's ``convert("L")`` does, moves the mean
    "before" SSIM from 0.0351 to 0.0356).
    """
    rgb = _rgb_uint8(rgb_uint8, "photo").astype(np.int64)
    weights = np.rint(BT601 * 1000).astype(np.int64)  # 299, 587, 114: exact, no float ties
    gray8 = (rgb @ weights) // 1000
    return gray8 > threshold


def paper_reference(rgb_uint8, threshold, quality=PAPER_JPEG_QUALITY):
    """The paper's "ground truth": photo x its own threshold mask, JPEG round trip.

    CIRCULAR: it is computed from the very photo that is being restored, so scores
    against it measure closeness to the thresholded input; thresholding alone would
    score perfectly but for the JPEG loss.

    Parameters
    ----------
    rgb_uint8 : ndarray, uint8, (H, W, 3) (grey is replicated, alpha dropped)
    threshold : number
        T on 0-255; pixels with ``gray8 > T`` are kept (:func:`paper_mask`).
    quality : int
        JPEG quality of the in-memory round trip (PIL, default 4:2:0 subsampling).

    Returns
    -------
    ndarray, uint8, (H, W, 3)
    """
    rgb = _rgb_uint8(rgb_uint8, "photo")
    masked = rgb * paper_mask(rgb, threshold)[..., None].astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(masked)).save(buf, format="JPEG", quality=int(quality))
    buf.seek(0)
    with Image.open(buf) as im:
        return np.asarray(im.convert("RGB"))


@dataclass(frozen=True)
class PaperScores:
    """Result of :func:`paper_scores`; ``circular`` is always True and says why."""

    psnr: float
    ssim: float
    threshold: float
    compared_shape: tuple
    reference_shape: tuple
    circular: bool = True
    note: str = CIRCULAR_NOTE

    def to_dict(self):
        d = asdict(self)
        d["compared_shape"] = list(self.compared_shape)
        d["reference_shape"] = list(self.reference_shape)
        return d


def _unit_rgb(image, name):
    """RGB float64 in [0, 1] from uint8/uint16 or float [0, 1] input."""
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise InputError(f"{name} must be (H, W) or (H, W, 3|4), got shape {image.shape}")
    image = image[..., :3]
    if image.dtype.kind == "u":
        return image.astype(np.float64) / np.iinfo(image.dtype).max
    if image.dtype.kind == "f":
        if not np.all(np.isfinite(image)) or image.min() < 0 or image.max() > 1:
            raise InputError(f"float {name} must lie in [0, 1]")
        return image.astype(np.float64)
    raise InputError(f"{name} has unsupported dtype {image.dtype}")


def _resize_bicubic(unit_rgb, size_hw):
    """PIL bicubic resize of a [0, 1] RGB array, per channel in float ("F" mode)."""
    h, w = size_hw
    planes = [
        np.asarray(Image.fromarray(unit_rgb[..., c].astype(np.float32), mode="F")
                   .resize((w, h), Image.BICUBIC))
        for c in range(3)
    ]
    return np.clip(np.stack(planes, axis=-1).astype(np.float64), 0.0, 1.0)


def paper_scores(restored_rgb, photo_rgb, threshold, resize="reference"):
    """PSNR and SSIM of ``restored_rgb`` against :func:`paper_reference` of the photo.

    CIRCULAR: the reference is derived from ``photo_rgb``; see :data:`CIRCULAR_NOTE`.

    * PSNR: RGB in [0, 1], peak 1, mean over all pixels and channels.
    * SSIM: grey ``0.2989 R + 0.5870 G + 0.1140 B`` of both, scikit-image defaults,
      ``data_range=1``.

    Parameters
    ----------
    restored_rgb : ndarray, (H', W', 3) or (H', W')
        uint8/uint16 (scaled by the dtype maximum) or float in [0, 1].
    photo_rgb : ndarray, uint8, (H, W, 3)
        The raw photo the reference is computed from.
    threshold : number
        The paper's hand-picked T for this photo.
    resize : {'reference', 'restored'}
        When sizes differ, which image is resized (PIL bicubic) to the other's size.
        The paper's code resizes the 8-bit reference to the output's size
        (``'reference'``, the default); ``'restored'`` resizes the output instead.

    Returns
    -------
    PaperScores
    """
    ref8 = paper_reference(photo_rgb, threshold)
    reference_shape = tuple(int(n) for n in ref8.shape)
    out = _unit_rgb(restored_rgb, "restored image")
    if out.shape[:2] != ref8.shape[:2]:
        if resize == "reference":
            h, w = out.shape[:2]
            ref8 = np.asarray(Image.fromarray(ref8).resize((w, h), Image.BICUBIC))
        elif resize == "restored":
            out = _resize_bicubic(out, ref8.shape[:2])
        else:
            raise InputError(f"resize must be 'reference' or 'restored', got {resize!r}")
    ref = ref8.astype(np.float64) / 255.0
    value_psnr = psnr(out, ref, data_range=1.0)
    value_ssim = ssim(out @ PAPER_SSIM_WEIGHTS, ref @ PAPER_SSIM_WEIGHTS, data_range=1.0)
    return PaperScores(
        psnr=value_psnr,
        ssim=value_ssim,
        threshold=float(threshold),
        compared_shape=tuple(int(n) for n in out.shape),
        reference_shape=reference_shape,
    )


def paper_before(photo_rgb, threshold):
    """The paper's "before" figures: the raw photo scored against its own reference."""
    return paper_scores(photo_rgb, photo_rgb, threshold)

"""The HIST-DIP paper's evaluation as its code does it: circular, and labelled so.

Its "ground truth" is the input photo times its own threshold mask, saved as JPEG
(quality 75), so PSNR / SSIM against it measure closeness to the thresholded input;
thresholding alone would score near perfectly. Every result here carries that label
(:data:`CIRCULAR_NOTE`). Independent references are :mod:`histdip.metrics`' business.

* :func:`paper_mask`, :func:`paper_reference` -- the paper's mask and "ground truth";
* :func:`paper_scores` -- PSNR / SSIM against it, as the paper's code computes them;
* :func:`paper_before` -- the paper's "before" figures.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image

from .colour import BT601
from .errors import InputError
from .metrics import psnr, ssim

#: Grey weights of the paper's SSIM code (``np.dot(rgb, [0.2989, 0.5870, 0.1140])``);
#: they differ from :data:`histdip.colour.BT601` in the 4th decimal, kept for fidelity.
PAPER_SSIM_WEIGHTS = np.array([0.2989, 0.5870, 0.1140])

#: JPEG quality of the paper's saved "ground truth" (PIL's default).
PAPER_JPEG_QUALITY = 75

CIRCULAR_NOTE = (
    "CIRCULAR: the reference is derived from the input photo itself "
    "(photo x its own threshold mask, JPEG q75); it is not an independent ground truth"
)


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
    """The paper's foreground mask: ``grey8 > T`` on 8-bit BT.601 luma.

    ``grey8 = floor(0.299 R + 0.587 G + 0.114 B)`` (an 8-bit grey image by truncation,
    in exact integer arithmetic). The authors thresholded an 8-bit grey image whose
    rounding convention is not recoverable; truncation reproduces the recomputed
    figures in PAPER.md (rounding, as PIL's ``convert("L")`` does, moves the mean
    "before" SSIM from 0.0351 to 0.0356).
    """
    rgb = _rgb_uint8(rgb_uint8, "photo").astype(np.int64)
    weights = np.rint(BT601 * 1000).astype(np.int64)  # 299, 587, 114: exact, no float ties
    grey8 = (rgb @ weights) // 1000
    return grey8 > threshold


def paper_reference(rgb_uint8, threshold, quality=PAPER_JPEG_QUALITY):
    """The paper's "ground truth": photo x its own threshold mask, JPEG round trip.

    CIRCULAR: it is computed from the very photo that is being restored, so scores
    against it measure closeness to the thresholded input; thresholding alone would
    score perfectly but for the JPEG loss.

    Parameters
    ----------
    rgb_uint8 : ndarray, uint8, (H, W, 3) (grey is replicated, alpha dropped)
    threshold : number
        T on 0-255; pixels with ``grey8 > T`` are kept (:func:`paper_mask`).
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


def _unit_rgb(image, name, data_range=1.0):
    """RGB float64 in [0, 1] from uint8/uint16, or float on [0, ``data_range``]."""
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise InputError(f"{name} must be (H, W) or (H, W, 3|4), got shape {image.shape}")
    image = image[..., :3]
    if image.dtype.kind == "u":
        return image.astype(np.float64) / np.iinfo(image.dtype).max
    if image.dtype.kind == "f":
        if not np.all(np.isfinite(image)):
            raise InputError(f"{name} contains NaN or infinite values")
        unit = image.astype(np.float64) / float(data_range)
        # A fitted output may overshoot its scale by rounding; more is the wrong scale.
        if unit.min() < -0.01 or unit.max() > 1.01:
            raise InputError(f"float {name} spans [{image.min():.4g}, {image.max():.4g}], outside its scale "
                             f"[0, {float(data_range):g}]; give its full-scale value (data_range, --data-range)")
        return np.clip(unit, 0.0, 1.0)
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


def paper_scores(restored_rgb, photo_rgb, threshold, resize="reference", *, data_range=1.0):
    """PSNR and SSIM of ``restored_rgb`` against :func:`paper_reference` of the photo.

    CIRCULAR: the reference is derived from ``photo_rgb``; see :data:`CIRCULAR_NOTE`.

    * PSNR: RGB in [0, 1], peak 1, mean over all pixels and channels.
    * SSIM: grey ``0.2989 R + 0.5870 G + 0.1140 B`` of both, scikit-image defaults,
      ``data_range=1``.

    Parameters
    ----------
    restored_rgb : ndarray, (H', W', 3) or (H', W')
        uint8/uint16 (scaled by the dtype maximum), or float on [0, ``data_range``].
    photo_rgb : ndarray, uint8, (H, W, 3)
        The raw photo the reference is computed from.
    threshold : number
        The paper's hand-picked T for this photo.
    resize : {'reference', 'restored'}
        When sizes differ, which image is resized (PIL bicubic) to the other's size.
        The paper's code resizes the 8-bit reference to the output's size
        (``'reference'``, the default); ``'restored'`` resizes the output instead.
    data_range : float
        Full scale of a float ``restored_rgb``: 1, or 255 for an output on the photo's
        own 0-255 scale (what ``histdip restore`` writes for an 8-bit photo).

    Returns
    -------
    PaperScores
    """
    ref8 = paper_reference(photo_rgb, threshold)
    reference_shape = tuple(int(n) for n in ref8.shape)
    out = _unit_rgb(restored_rgb, "restored image", data_range)
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

"""The report's figures: reference-free ones, those against a clean image, and counts.

Reference-free: the noise each image holds, estimated from the image alone
(:func:`histdip.noise.noise_sigma`), and the contrast of the signal against the
background (:func:`histdip.metrics.cnr`, :func:`histdip.metrics.sdnr`) on two regions
fixed from the *input* (:func:`contrast_regions`): the foreground the prior drew on the
input and the pixels well away from it. Nothing is measured on regions drawn from the
output, which would favour whatever the output made bright.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..errors import HistdipError, InputError
from ..metrics import cnr, psnr, sdnr, ssim
from ..noise import noise_sigma

#: Background pixels are at least this many pixels from the foreground.
BACKGROUND_MARGIN = 3


def grey(image):
    """A grey plane of ``image`` (float64): itself, or the mean of its first three channels."""
    a = np.asarray(image, np.float64)
    return a if a.ndim == 2 else a[..., :3].mean(axis=-1)


def contrast_regions(mask, margin=BACKGROUND_MARGIN):
    """The signal and background regions of the contrast figures, from the input.

    Parameters
    ----------
    mask : ndarray of bool, (H, W)
        The foreground the prior drew on the input (:attr:`histdip.prior.Prior.mask`).
    margin : int
        The background region keeps the pixels more than this many pixels from it.

    Returns
    -------
    (ndarray, ndarray) of bool, or None
        None when either region is empty (a mask of all or no pixels).
    """
    signal = np.asarray(mask, bool)
    background = ~ndimage.binary_dilation(signal, iterations=margin) if signal.any() else ~signal
    if not signal.any() or not background.any():
        return None
    return signal, background


def _figure(fn, *args):
    try:
        value = float(fn(*args))
    except (HistdipError, ValueError):
        return None
    return None if np.isnan(value) else value


def reference_free(plane, output, mask, *, recording=None):
    """Rows of reference-free figures of the input ``plane`` and the restored ``output``.

    Parameters
    ----------
    plane : ndarray
        The input's plane the network fitted, on the input's scale.
    output : ndarray
        The restored image, on the input's scale.
    mask : ndarray of bool
        The prior's foreground on the input (:func:`contrast_regions`).
    recording : ndarray, optional
        The denoised recording (with a learned split): the noise left after is read on
        it, like for like with the input, rather than on a background-removed output.

    Returns
    -------
    list of (str, float or None, float or None, str)
        (figure, input, restored, what it means); None where it cannot be computed.
    """
    a, b = grey(plane), grey(output)
    after, on = (b, "the output") if recording is None else (grey(recording), "the denoised recording layer")
    rows = [("noise sigma (estimated from the image alone)", _figure(noise_sigma, a), _figure(noise_sigma, after),
             f"histdip.noise.noise_sigma of the input's fitted plane and of {on}, in the input's units")]
    regions = contrast_regions(mask)
    if regions is None:
        note = "not computed: the input's foreground covers all or none of the image"
        rows += [("CNR", None, None, note), ("SDNR", None, None, note)]
        return rows
    where = (f"signal: the {int(regions[0].sum()):,} px of the prior's foreground on the input; background: the "
             f"{int(regions[1].sum()):,} px more than {BACKGROUND_MARGIN} px from it (inf: a background of "
             "exactly one value)")
    rows.append(("CNR |mu_s - mu_b| / sigma_b", _figure(cnr, a, *regions), _figure(cnr, b, *regions), where))
    rows.append(("SDNR |mu_s - mu_b| / rms(sigma_s, sigma_b)", _figure(sdnr, a, *regions),
                 _figure(sdnr, b, *regions), "same regions"))
    return rows


def against_reference(plane, output, reference, name="reference"):
    """Rows of PSNR and SSIM of the input and the output against a clean ``reference``.

    Both are affine-fair (:func:`histdip.metrics.psnr` with ``affine=True``): each
    image is first mapped onto the reference by the least-squares gain and offset, so a
    background-subtracted output is not penalised for its offset. The data range is the
    reference's span.

    Raises
    ------
    InputError
        The reference's height and width differ from the input's.
    """
    ref = grey(reference)
    a, b = grey(plane), grey(output)
    if ref.shape != a.shape:
        raise InputError(f"{name}: is {ref.shape[1]}x{ref.shape[0]} but the input is {a.shape[1]}x{a.shape[0]}")
    span = float(ref.max() - ref.min()) or 1.0
    return [
        ("PSNR (affine), dB", _figure(psnr, a, ref, span, True), _figure(psnr, b, ref, span, True),
         f"against {name}; higher is closer"),
        ("SSIM (affine)", _figure(ssim, a, ref, span, None, True), _figure(ssim, b, ref, span, None, True),
         f"against {name}; 1 is identical"),
    ]


def counts_of_result(result, photo, *, pixel_size=None):
    """The objects of a result's signal layer as ``histdip count`` counts them, and notes.

    Returns
    -------
    (histdip.count.Counts or None, list of str)
        None (with the reason) where :mod:`histdip.count` is not available.
    """
    try:
        from ..count import count_result
    except ImportError:
        return None, ["counting not available (histdip.count is not installed)"]
    layer = "signal layer" if result.layers is not None else "output (no learned split: no signal layer)"
    return count_result(result, photo, pixel_size=pixel_size), [f"counted the {layer}, as histdip count does"]


def counts_of_run(json_path, *, pixel_size=None):
    """The objects of a saved run as ``histdip count RUN.json`` counts them, and notes."""
    try:
        from ..count_files import count_output, histdip_output
    except ImportError:
        return None, ["counting not available (histdip.count is not installed)"]
    counts, notes, _ = count_output(json_path, histdip_output(json_path), pixel_size=pixel_size)
    return counts, list(notes)

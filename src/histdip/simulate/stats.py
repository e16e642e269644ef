"""Image statistics used to calibrate the simulator against the real photos.

The same functions measure the real smartphone photos and simulated photos, so the two
can be compared number for number (``python -m benchmarks simulator``). All values are
in 8-bit digital numbers (DN, 0-255) unless said otherwise.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from ..colour import luma

#: Order of the statistics in :func:`photo_stats` (and in the calibration table).
STAT_NAMES = (
    "bg_median", "bg_dark", "bg_variation", "noise", "noise_ac1", "contrast", "sat_pct",
    "flare_r50", "flare_r10", "flare_level", "flare_aniso", "r_over_g", "b_over_g",
    "luma_median", "luma_contrast", "luma_noise",
)

_DESCRIPTIONS = {
    "bg_median": "median of the green channel (DN)",
    "bg_dark": "median green in the darkest 30% of the heavily smoothed image (DN)",
    "bg_variation": "std of the 40x40-block median map of green (DN)",
    "noise": "robust sigma (IQR/1.349) of green - Gaussian(green, 2 px) in the dark 30% (DN)",
    "noise_ac1": "lag-1 autocorrelation of green - Gaussian(green, 4 px) in the dark 30%",
    "contrast": "99.9th percentile minus median of green (DN)",
    "sat_pct": "percent of pixels with green >= 250",
    "flare_r50": "radius (px) where the excess above the median falls to 50% of the peak, median over bright beads",
    "flare_r10": "radius (px) where it falls to 10% of the peak (flare/halo extent)",
    "flare_level": "mean excess 5-35 px outside r50, as a fraction of the peak excess",
    "flare_aniso": "coefficient of variation of that annulus over 16 angular sectors",
    "r_over_g": "median red / median green",
    "b_over_g": "median blue / median green",
    "luma_median": "median BT.601 luma (DN)",
    "luma_contrast": "99.9th percentile minus median of luma (DN)",
    "luma_noise": "as 'noise', on luma (DN)",
}


def describe(name):
    """One-line description of the statistic ``name``."""
    return _DESCRIPTIONS[name]


def _robust_sigma(values):
    q25, q75 = np.percentile(values, [25, 75])
    return float((q75 - q25) / 1.349)


def _dark_region(plane, fraction=0.3):
    smooth = ndi.gaussian_filter(plane, 20)
    return smooth <= np.percentile(smooth, 100 * fraction)


def noise_sigma(plane, region=None):
    """Robust noise sigma of ``plane`` (float, DN) from a 2-px Gaussian high-pass."""
    plane = np.asarray(plane, dtype=np.float64)
    region = _dark_region(plane) if region is None else region
    residual = plane - ndi.gaussian_filter(plane, 2.0)
    return _robust_sigma(residual[region])


def noise_autocorrelation(plane, region=None, lag=1):
    """Correlation of the 4-px high-pass residual with itself shifted by ``lag`` columns."""
    plane = np.asarray(plane, dtype=np.float64)
    region = _dark_region(plane) if region is None else region
    residual = plane - ndi.gaussian_filter(plane, 4.0)
    both = region[:, :-lag] & region[:, lag:]
    a, b = residual[:, :-lag][both], residual[:, lag:][both]
    return float(np.corrcoef(a, b)[0, 1])


def block_median_std(plane, block=40):
    """Standard deviation of the map of ``block`` x ``block`` medians (large-scale unevenness)."""
    plane = np.asarray(plane, dtype=np.float64)
    h, w = (plane.shape[0] // block) * block, (plane.shape[1] // block) * block
    blocks = plane[:h, :w].reshape(h // block, block, w // block, block).transpose(0, 2, 1, 3)
    return float(np.median(blocks.reshape(h // block, w // block, -1), axis=-1).std())


def find_bright_spots(plane, max_spots=15, window=41, border=20):
    """Centres (y, x) of the brightest well-separated spots of ``plane``."""
    smooth = ndi.gaussian_filter(np.asarray(plane, dtype=np.float64), 2.0)
    base = np.median(smooth)
    top = smooth.max()
    if top - base < 5:
        return np.zeros((0, 2), int)
    peaks = (ndi.maximum_filter(smooth, window) == smooth) & (smooth >= base + 0.7 * (top - base))
    peaks[:border] = peaks[-border:] = False
    peaks[:, :border] = peaks[:, -border:] = False
    ys, xs = np.nonzero(peaks)
    order = np.argsort(smooth[ys, xs])[::-1][:max_spots]
    return np.stack([ys[order], xs[order]], axis=1)


def flare_profile(plane, centres, rmax=100, sectors=16):
    """Radial flare statistics around ``centres``; returns (r50, r10, level, aniso) medians."""
    plane = np.asarray(plane, dtype=np.float64)
    base = np.median(plane)
    yy, xx = np.mgrid[-rmax:rmax + 1, -rmax:rmax + 1]
    rr = np.hypot(yy, xx)
    rbin = np.minimum(rr.round().astype(int), rmax + 1)
    sbin = ((np.arctan2(yy, xx) + np.pi) / (2 * np.pi) * sectors).astype(int) % sectors
    padded = np.pad(plane, rmax, mode="constant", constant_values=np.nan)
    out = []
    for y, x in centres:
        win = padded[y:y + 2 * rmax + 1, x:x + 2 * rmax + 1] - base
        ok = np.isfinite(win)
        cnt = np.bincount(rbin[ok], minlength=rmax + 2)[: rmax + 1]
        tot = np.bincount(rbin[ok], weights=win[ok], minlength=rmax + 2)[: rmax + 1]
        prof = tot / np.maximum(cnt, 1)
        peak = prof[:3].max()
        if peak <= 0:
            continue
        below50 = np.nonzero(prof < 0.5 * peak)[0]
        below10 = np.nonzero(prof < 0.1 * peak)[0]
        r50 = int(below50[0]) if below50.size else rmax
        r10 = int(below10[0]) if below10.size else rmax
        ring = ok & (rr >= r50 + 5) & (rr <= r50 + 35)
        level = win[ring].mean() / peak if ring.any() else np.nan
        sec = np.bincount(sbin[ring], weights=win[ring], minlength=sectors)
        scnt = np.bincount(sbin[ring], minlength=sectors)
        smean = sec[scnt > 0] / scnt[scnt > 0]
        aniso = smean.std() / smean.mean() if smean.size and smean.mean() > 0 else np.nan
        out.append((r50, r10, level, aniso))
    if not out:
        return (np.nan,) * 4
    return tuple(float(v) for v in np.nanmedian(np.array(out, dtype=float), axis=0))


def photo_stats(rgb):
    """All calibration statistics of one 8-bit RGB photo (dict, keys :data:`STAT_NAMES`)."""
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[-1] < 3:
        raise ValueError(f"expected an RGB image, got shape {rgb.shape}")
    red, green, blue = (rgb[..., c].astype(np.float64) for c in range(3))
    grey = luma(rgb)
    dark = _dark_region(green)
    r50, r10, level, aniso = flare_profile(green, find_bright_spots(green))
    med_g = float(np.median(green))
    return {
        "bg_median": med_g,
        "bg_dark": float(np.median(green[dark])),
        "bg_variation": block_median_std(green),
        "noise": noise_sigma(green, dark),
        "noise_ac1": noise_autocorrelation(green, dark),
        "contrast": float(np.percentile(green, 99.9) - med_g),
        "sat_pct": float(100 * np.mean(green >= 250)),
        "flare_r50": r50,
        "flare_r10": r10,
        "flare_level": level,
        "flare_aniso": aniso,
        "r_over_g": float(np.median(red) / max(med_g, 1e-9)),
        "b_over_g": float(np.median(blue) / max(med_g, 1e-9)),
        "luma_median": float(np.median(grey)),
        "luma_contrast": float(np.percentile(grey, 99.9) - np.median(grey)),
        "luma_noise": noise_sigma(grey, dark),
    }

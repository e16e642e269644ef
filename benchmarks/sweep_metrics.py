"""The scores of the ``sweep`` benchmark: each output layer against the clean signal and
the recording, bead detection, and the two artefacts (bridges, rims).

Definitions
-----------
``level`` is the scene's median object peak in ``clean`` (:func:`benchmarks.sweep_grid.
measure`); every score below is on that scale, so scenes of any SNR compare.

* **References.** *clean*: ``scene.clean``, the signal alone. *recording*:
  ``scene.clean + scene.background``, the signal on its smooth recorded background,
  without haze, noise or saturation (what a layer that keeps the background should
  show).
* **Scored pixels**: all but those within :data:`CLIP_MARGIN` px of a clipped bead
  (background + haze + clean >= 1 at its peak). Nothing in the photo says how bright a
  saturated bead is, and at up to 50 times the typical peak its error would swamp
  every other; what a method does round it is the rim's business.
* **PSNR / SSIM** (affine-fair): the layer is mapped onto the reference by a
  least-squares gain and offset fitted on the scored pixels
  (:func:`histdip.metrics.fit_affine`); PSNR ``= 10 log10(level^2 / MSE)`` over the
  scored pixels, SSIM (scikit-image's, ``data_range = level``) the mean of its map over
  the scored pixels less a 3 px border (without clipped beads: exactly
  :func:`histdip.metrics.ssim`).
* **Signal estimate** ``S`` of a layer: the layer mapped onto *its own* reference
  (clean for a signal layer, recording for a recording layer), less the true
  background where that reference holds it; ``E = S - clean`` is what it got wrong.
  Detection and both artefacts are measured on ``S`` and ``E``, so that every layer is
  judged as a signal, in clean's units.
* **F1**: :func:`histdip.detect.detect_beads` on ``S`` with :data:`DETECT` and threshold
  ``DETECT_REL * level`` (beads down to about a fifth of the typical peak), matched one
  to one to the true beads (:func:`histdip.detect.match_beads`). Beads cut by the
  frame's edge count neither way: they are not in the truth, and a detection matched to
  one, or lying inside one, is not a false positive.
* **Bridge**, per pair of true beads whose discs are :data:`BRIDGE_GAP` px apart (edge to
  edge) and where ``clean`` stays below ``BRIDGE_CLEAN_MAX`` of the brighter peak on
  the line between them (light that is not really there to leave): ``E`` is sampled on
  that line from ``BRIDGE_MARGIN`` px outside one disc to as far outside the other,
  averaged across 3 px (offsets -1, 0, 1 px); the bridge is the maximum of that profile
  less the local level of ``E`` (median over the pixels 4-12 px outside the two discs
  and nearer to them than to any other bead), over the brighter bead's peak. Reported:
  mean bridge and the share of pairs above :data:`BRIDGED`.
* **Rim**, per clipped bead (background + haze + clean >= 1 at its peak) and per large
  bright bead (radius >= 8 px, SNR >= 12): the mean of ``E`` over the annulus
  :data:`RIM_OUTER` px outside its disc less its mean over the ring :data:`RIM_RING` px
  outside it (both over pixels nearer that bead than any other), over the bead's peak:
  how far the ring falls below the local background. Reported: mean rim depth and the
  share of beads deeper than :data:`RIMMED`.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from skimage.metrics import structural_similarity

from histdip.detect import detect_beads, match_beads
from histdip.metrics import fit_affine, psnr
from histdip.simulate import bead_discs, bead_peaks

from .sweep_grid import clipped_beads

#: The one detector's settings (radii ~1.4 to 22 px) and its threshold over ``level``.
DETECT = dict(min_sigma=1.0, max_sigma=16.0, num_sigma=12, overlap=0.5, border=2)
DETECT_REL = 0.1

#: Pixels this close to a clipped bead's disc are not scored by PSNR / SSIM.
CLIP_MARGIN = 12.0

#: Bridge: gap range (px, edge to edge), margin off the discs, the most ``clean`` may
#: hold on the line (of the brighter peak), and the height counted as a bridge.
BRIDGE_GAP = (1.0, 6.0)
BRIDGE_MARGIN = 0.5
BRIDGE_CLEAN_MAX = 0.5
BRIDGED = 0.2

#: Rim: ring and outer annulus (px outside the disc), the depth counted as a rim, and
#: what makes a bead large and bright (radius px, SNR).
RIM_RING = (1.0, 4.0)
RIM_OUTER = (6.0, 12.0)
RIMMED = 0.05
LARGE_BRIGHT = (8.0, 12.0)


def reference_images(scene):
    """``{"clean": ..., "recording": ...}`` as float64 (see the module docstring)."""
    clean = scene.clean.astype(np.float64)
    return {"clean": clean, "recording": clean + scene.background.astype(np.float64)}


def signal_estimate(layer, reference, clean, keep=None):
    """``S``: ``layer`` mapped onto ``reference`` by least squares (fitted on the pixels
    ``keep``, default all), less ``reference - clean`` (the background it holds)."""
    layer = np.asarray(layer, np.float64)
    keep = np.ones(layer.shape, bool) if keep is None else keep
    a, b = fit_affine(layer[keep], reference[keep])
    return a * layer + b - (reference - clean)


def scored_pixels(scene, nearest=None, dist=None):
    """The pixels PSNR and SSIM are taken over: all but those within
    :data:`CLIP_MARGIN` px of a clipped bead's disc."""
    keep = np.ones(scene.shape, bool)
    clipped = clipped_beads(scene)
    if clipped.any():
        if nearest is None:
            nearest, dist = nearest_bead(scene.shape, scene.beads)
        keep &= ~(np.isin(nearest, np.flatnonzero(clipped)) & (dist <= CLIP_MARGIN))
    return keep


def affine_scores(layer, reference, level, keep):
    """Affine-fair PSNR and SSIM of ``layer`` against ``reference`` over ``keep``
    (module docstring)."""
    layer = np.asarray(layer, np.float64)
    a, b = fit_affine(layer[keep], reference[keep])
    mapped = a * layer + b
    value = psnr(mapped[keep], reference[keep], data_range=level)
    _, smap = structural_similarity(mapped, reference, data_range=level, full=True)
    inner = keep.copy()
    inner[:3], inner[-3:], inner[:, :3], inner[:, -3:] = False, False, False, False
    return value, float(smap[inner].mean()) if inner.any() else float("nan")


def bead_f1(found, beads, shape):
    """Precision, recall and F1 of detections against the beads, those cut by the
    frame's edge counting neither way (module docstring)."""
    h, w = shape
    y, x, r = beads["y"], beads["x"], beads["radius"]
    cut = (y - r < 0) | (y + r > h - 1) | (x - r < 0) | (x + r > w - 1)
    truth = np.stack([y, x, r], axis=1)
    pairs, _, _, _ = match_beads(found, truth)
    to_cut = {d for d, b in pairs if cut[b]}
    tp = sum(1 for _, b in pairs if not cut[b])
    matched = {d for d, _ in pairs}
    fp = 0
    for d in range(len(found)):
        if d in matched:
            continue
        inside_cut = cut & (np.hypot(y - found[d, 0], x - found[d, 1]) <= r)
        fp += 0 if inside_cut.any() else 1
    fn = int((~cut).sum()) - tp
    precision = tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0)
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * tp / (2 * tp + fp + fn) if (tp + fp + fn) else 1.0
    return {"f1": f1, "precision": precision, "recall": recall, "tp": tp, "fp": fp, "fn": fn,
            "ignored": len(to_cut)}


def nearest_bead(shape, beads):
    """Per pixel, the index of the bead whose disc is nearest (inside a disc: that bead),
    and the distance to that disc; (-1, inf) everywhere without beads."""
    labels = np.zeros(shape, np.int64)
    for i, window, disc in bead_discs(shape, beads, min_radius=0.5):
        labels[window][disc] = i + 1
    if not labels.any():
        return np.full(shape, -1), np.full(shape, np.inf)
    dist, (iy, ix) = ndi.distance_transform_edt(labels == 0, return_indices=True)
    return labels[iy, ix] - 1, dist


def bridge_heights(estimate, clean, beads, peaks, nearest, dist):
    """The bridge of every qualifying pair of beads (module docstring), as an array."""
    err = np.asarray(estimate, np.float64) - clean
    ys, xs, rs = beads["y"], beads["x"], beads["radius"]
    out = []
    for i in range(len(beads)):
        d = np.hypot(ys - ys[i], xs - xs[i])
        gaps = d - rs - rs[i]
        for j in np.flatnonzero((gaps >= BRIDGE_GAP[0]) & (gaps < BRIDGE_GAP[1])):
            if j <= i:
                continue
            peak = max(peaks[i], peaks[j])
            if peak <= 0:
                continue
            u = np.array([ys[j] - ys[i], xs[j] - xs[i]]) / d[j]
            t = np.arange(rs[i] + BRIDGE_MARGIN, d[j] - rs[j] - BRIDGE_MARGIN + 1e-9, 0.5)
            if t.size == 0:
                continue
            line = np.array([ys[i], xs[i]])[:, None] + u[:, None] * t[None, :]
            if np.any(ndi.map_coordinates(clean, line, order=1, mode="nearest") > BRIDGE_CLEAN_MAX * peak):
                continue
            normal = np.array([u[1], -u[0]])
            profile = np.mean([ndi.map_coordinates(err, line + k * normal[:, None], order=1, mode="nearest")
                               for k in (-1.0, 0.0, 1.0)], axis=0)
            box = _box(err.shape, line, 12 + max(rs[i], rs[j]))
            near = ((nearest[box] == i) | (nearest[box] == j)) & (dist[box] >= 4) & (dist[box] <= 12)
            local = err[box][near]
            base = float(np.median(local)) if local.size >= 10 else 0.0
            out.append((float(profile.max()) - base) / peak)
    return np.array(out)


def _box(shape, points, pad):
    lo = np.maximum(np.floor(points.min(axis=1) - pad).astype(int), 0)
    hi = np.minimum(np.ceil(points.max(axis=1) + pad).astype(int) + 1, shape)
    return slice(lo[0], hi[0]), slice(lo[1], hi[1])


def rim_beads(scene, snr_per_bead):
    """Which beads the rim is measured on: clipped, or large and bright."""
    large = (scene.beads["radius"] >= LARGE_BRIGHT[0]) & (np.asarray(snr_per_bead) >= LARGE_BRIGHT[1])
    return clipped_beads(scene) | large


def rim_depths(estimate, clean, beads, peaks, which, nearest):
    """The rim depth of each bead flagged in ``which`` (module docstring), as an array."""
    err = np.asarray(estimate, np.float64) - clean
    h, w = err.shape
    out = []
    for i in np.flatnonzero(which):
        y, x, r = beads["y"][i], beads["x"][i], beads["radius"][i]
        m = int(r + RIM_OUTER[1]) + 2
        y0, y1, x0, x1 = max(int(y) - m, 0), min(int(y) + m + 1, h), max(int(x) - m, 0), min(int(x) + m + 1, w)
        if y0 >= y1 or x0 >= x1 or peaks[i] <= 0:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1]
        d = np.hypot(yy - y, xx - x) - r
        own = nearest[y0:y1, x0:x1] == i
        ring = own & (d >= RIM_RING[0]) & (d <= RIM_RING[1])
        outer = own & (d >= RIM_OUTER[0]) & (d <= RIM_OUTER[1])
        if ring.sum() < 10 or outer.sum() < 10:
            continue
        e = err[y0:y1, x0:x1]
        out.append((float(e[outer].mean()) - float(e[ring].mean())) / peaks[i])
    return np.array(out)


def _summary(values, cut, prefix):
    if values.size == 0:
        return {f"{prefix}_mean": None, f"{prefix}_share": None, f"{prefix}_n": 0}
    return {f"{prefix}_mean": float(values.mean()), f"{prefix}_share": float((values > cut).mean()),
            f"{prefix}_n": int(values.size)}


class SceneTruth:
    """What the scores of one scene need, computed once for all its layers."""

    def __init__(self, scene, record, snr_per_bead=None):
        self.scene = scene
        self.level = float(record["level"])
        self.refs = reference_images(scene)
        self.beads = scene.beads if scene.kind == "beads" and len(scene.beads) else None
        if self.beads is not None:
            b = self.beads
            self.peaks = bead_peaks(scene.clean, b)
            self.nearest, self.dist = nearest_bead(scene.shape, b)
            snr = self.peaks / record["sigma"] if snr_per_bead is None else snr_per_bead
            self.rim_which = rim_beads(scene, snr)
            self.keep = scored_pixels(scene, self.nearest, self.dist)
        else:
            self.keep = np.ones(scene.shape, bool)


def score_layer(layer, truth, *, kind):
    """Every score of one output layer.

    Parameters
    ----------
    layer : ndarray, (H, W)
        The layer, any units.
    truth : SceneTruth
    kind : {'signal', 'recording', 'background'}
        What the layer holds: detection and artefacts are measured on signal and
        recording layers, against the matching reference.

    Returns
    -------
    dict
        psnr_clean, ssim_clean, psnr_recording, ssim_recording; for beads also f1,
        precision, recall, bridge_mean, bridge_share, bridge_n, rim_mean, rim_share, rim_n.
    """
    layer = np.asarray(layer, np.float64)
    r = {}
    for name, ref in truth.refs.items():
        r[f"psnr_{name}"], r[f"ssim_{name}"] = affine_scores(layer, ref, truth.level, truth.keep)
    if truth.beads is None or kind == "background":
        return r
    clean = truth.refs["clean"]
    est = signal_estimate(layer, truth.refs["recording" if kind == "recording" else "clean"], clean, truth.keep)
    found = detect_beads(est, threshold=DETECT_REL * truth.level, **DETECT)
    d = bead_f1(found, truth.beads, clean.shape)
    r.update(f1=d["f1"], precision=d["precision"], recall=d["recall"])
    b = truth.beads
    r.update(_summary(bridge_heights(est, clean, b, truth.peaks, truth.nearest, truth.dist), BRIDGED, "bridge"))
    r.update(_summary(rim_depths(est, clean, b, truth.peaks, truth.rim_which, truth.nearest), RIMMED, "rim"))
    return r

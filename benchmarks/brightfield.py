"""``python -m benchmarks brightfield``: dark objects on a bright field, against the peers.

Two parts, one Markdown text (``--out``, ``--update-doc``):

Simulated brightfield photos (held-out seeds)
    :func:`histdip.simulate.simulate_brightfield` at ``--seeds`` (default 1000-1004;
    nothing was chosen on them: histdip runs with its defaults, the peers with the
    settings of the fluorescence quality benchmark), ``--shape`` px (default 192 x 192).
    Methods, each on what it takes:

    * ``input``: the photo's green plane (a recording);
    * ``classical``: the peers' classical pipeline (BM3D, rolling ball 25 px, Otsu) on
      the inverted green plane: polarity flipped by hand, as an analyst would; it
      hands back the objects' contrast (a signal);
    * ``bm3d``, ``zsn2n`` (500 steps, as in the quality benchmark): the green plane
      denoised (recordings);
    * ``dip``: histdip ``method='dip'`` (DIP alone) on the green plane; its polarity
      read by ``auto`` (it hands back a recording);
    * ``histdip``: ``histdip.restore_detailed(photo)`` on the RGB photo, no settings:
      what ``histdip restore photo.png`` does. Its output (the recording layer) and
      its signal layer are both scored.

    A recording is scored against the scene's ``clean`` (the noise-free green plane), a
    signal against ``signal`` (the objects' contrast below the field), with affine-fair
    PSNR / SSIM (:func:`histdip.metrics.psnr`, ``affine=True``). Object F1: the LoG
    detector of :mod:`histdip.detect` on the signal, or on the negated recording (LoG
    does not see a smooth field), matched to the true objects
    (:func:`benchmarks.sweep_metrics.bead_f1`; objects cut by the frame's edge count
    neither way). A recording is also scored against the recording without the
    defocus halo (``clean - halo``: the objects' shadows alone), which a signal that is
    contrast below the field (>= 0) can represent and the halo's bright ring it cannot.
Real brightfield phone photos (no reference)
    The three photos of ``cellphone-microbead-photos``: the polarity ``auto`` reads on
    the whole photo, and a centre crop (``--crop``, default 512 px, full resolution)
    restored by the default. "Nothing real erased": the LoG detector on
    the negated input's green plane (threshold 5 noise sigma of the input, its MAD of
    first differences) and on the negated output, at the same absolute threshold;
    reported: objects on the input, the share of them found again on the output
    (within their radius + 2 px), objects found on the output only; LoG scales from
    sigma 2 px (beads, particles, whole wells; not the pieces of a 1-px rim line).
    ``--figure`` writes input beside output for the centre 256 px of each crop.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from .datasets import data_root
from .doc import add_doc_arguments, markdown_table

#: The held-out seeds (nothing was tuned on them) and the scene size.
SEEDS = (1000, 1001, 1002, 1003, 1004)
SHAPE = (192, 192)
METHODS = ("input", "classical", "bm3d", "zsn2n", "dip", "histdip")
ZSN2N_ITERATIONS = 500
REAL = ("18088.jpg", "18096.jpg", "IMG_20170707_103528R.jpg")
CROP = 512
#: LoG detections on the real photos: at least this many noise sigma of the input.
REAL_SIGMA = 5.0
#: ... at LoG scales from this sigma up (radius >= 2.8 px): beads, particles and wells,
#: not the pieces of a 1-px rim line.
REAL_MIN_SIGMA = 2.0
#: The figure shows the centre of each restored crop, this many px a side (a 1-px rim
#: line is lost when a 512-px crop is drawn 360 px wide).
FIGURE_SIDE = 256


def register(subparsers, parents):
    """Add the ``brightfield`` command to ``python -m benchmarks``."""
    p = subparsers.add_parser("brightfield", parents=parents,
                              help="brightfield: simulated photos against the peers, and the real phone photos")
    p.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    p.add_argument("--shape", type=int, nargs=2, default=list(SHAPE), metavar=("H", "W"))
    p.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    p.add_argument("--iterations", type=int, default=None, help="cap histdip's steps (default: its own 600)")
    p.add_argument("--no-real", dest="real", action="store_false", help="skip the real photos")
    p.add_argument("--crop", type=int, default=CROP, help="side of the real photos' centre crop (px)")
    p.add_argument("--figure", default=None, help="write the real photos' input beside output here (PNG)")
    p.add_argument("--threads", type=int, default=None, help="torch threads in this process")
    p.add_argument("--out", default=None, help="write the Markdown here")
    add_doc_arguments(p, "brightfield")
    p.set_defaults(func=_run)
    return p


def _run(args):
    parts = [simulated_table(args.seeds, tuple(args.shape), args.methods, iterations=args.iterations,
                             threads=args.threads)]
    if args.real:
        parts.append(real_table(data_root(args.data), crop=args.crop, figure=args.figure,
                                iterations=args.iterations))
    text = "\n\n".join(parts)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return text


# ------------------------------------------------------------------ simulated

def _objects(image, *, recording, threshold=None, min_sigma=1.0):
    """LoG detections of a signal (bright objects), or of a recording's dark objects."""
    from histdip.detect import detect_beads

    plane = -np.asarray(image, np.float64) if recording else np.asarray(image, np.float64)
    return detect_beads(plane, threshold=threshold, min_sigma=min_sigma)


def run_method(method, scene, *, iterations=None, threads=None):
    """``{layer kind: (H, W) array}`` of one method on one scene; kinds ``recording``
    and ``signal``, and the steps of a fit (0 otherwise)."""
    import histdip

    from . import peers

    green = scene.noisy.astype(np.float64)
    over = {} if iterations is None else {"iterations": iterations}
    if method == "input":
        return {"recording": green}, 0
    if method == "classical":
        return {"signal": np.asarray(peers.denoise_classical_pipeline(1.0 - green), np.float64)}, 0
    if method == "bm3d":
        return {"recording": np.asarray(peers.denoise_bm3d(green), np.float64)}, 0
    if method == "zsn2n":
        return {"recording": np.asarray(peers.denoise_zsn2n(green, iterations=ZSN2N_ITERATIONS, threads=threads),
                                        np.float64)}, 0
    if method == "dip":
        result = histdip.restore_detailed(np.round(green * 255).astype(np.uint8), method="dip", **over)
        return {"recording": np.asarray(result.image, np.float64)}, result.iterations
    result = histdip.restore_detailed(scene.noisy_rgb, **over)
    if result.primary_layer != "recording" or not result.is_dark:
        print(f"histdip: polarity {result.record()['polarity']}, output {result.primary_layer}", file=sys.stderr)
    layers = {"recording": np.asarray(result.image, np.float64)}
    if result.layers is not None:
        layers["signal"] = np.asarray(result.layers["signal"], np.float64)
    return layers, result.iterations


def score_layers(layers, scene):
    """Rows ``(kind, PSNR, SSIM, F1, PSNR in focus)`` of each layer against its reference;
    the last, for a recording, against the recording without the defocus halo (the
    objects' shadows alone; NaN for a signal, whose reference holds no halo)."""
    from histdip.metrics import psnr, ssim

    from .sweep_metrics import bead_f1

    rows = []
    for kind, image in layers.items():
        reference = scene.clean if kind == "recording" else scene.signal
        found = _objects(image, recording=kind == "recording")
        f1 = bead_f1(found, scene.beads, scene.shape)["f1"]
        focus = psnr(image, scene.clean - scene.halo, affine=True) if kind == "recording" else float("nan")
        rows.append((kind, psnr(image, reference, affine=True), ssim(image, reference, affine=True), f1, focus))
    return rows


def simulated_table(seeds, shape, methods, *, iterations=None, threads=None):
    """The simulated part: per method and layer, means over the seeds, and per seed."""
    from histdip.simulate import simulate_brightfield

    scores, seconds, steps = {}, {}, {}
    for seed in seeds:
        scene = simulate_brightfield(shape, seed=seed)
        for method in methods:
            start = time.perf_counter()
            layers, n = run_method(method, scene, iterations=iterations, threads=threads)
            seconds.setdefault(method, []).append(time.perf_counter() - start)
            steps.setdefault(method, []).append(n)
            for kind, p, s, f, focus in score_layers(layers, scene):
                scores.setdefault((method, kind), []).append((p, s, f, focus))
                print(f"seed {seed} {method} {kind}: {p:.2f} dB, SSIM {s:.3f}, F1 {f:.2f}", file=sys.stderr,
                      flush=True)
    rows = []
    for (method, kind), values in scores.items():
        v = np.array(values)
        per_seed = " ".join(f"{x:.1f}" for x in v[:, 0])
        fit = f"{np.mean(steps[method]):.0f}" if any(steps[method]) else ""
        focus = "" if kind == "signal" else f"{v[:, 3].mean():.2f}"
        rows.append([LABELS[method], kind, f"{v[:, 0].mean():.2f}", f"{v[:, 1].mean():.3f}", f"{v[:, 2].mean():.2f}",
                     per_seed, focus, fit, f"{np.mean(seconds[method]):.1f}"])
    head = (f"Simulated brightfield photos, {shape[0]} x {shape[1]} px, held-out seeds "
            f"{', '.join(str(s) for s in seeds)} (means; a recording is scored against the noise-free recording, "
            "a signal against the objects' contrast):")
    return head + "\n\n" + markdown_table(
        ["method", "layer", "PSNR (affine)", "SSIM (affine)", "object F1", "PSNR per seed",
         "PSNR without the halo", "steps", "s"], rows)


LABELS = {"input": "before (green plane)", "classical": "classical pipeline, polarity flipped",
          "bm3d": "BM3D", "zsn2n": "ZS-N2N (500 steps)", "dip": "DIP alone", "histdip": "histdip (no flags)"}


# ------------------------------------------------------------------ real photos

def centre_crop(image, side):
    """The centre ``side`` x ``side`` px of ``image`` (all of a side shorter than it)."""
    h, w = image.shape[:2]
    y, x = max(0, (h - side) // 2), max(0, (w - side) // 2)
    return image[y:y + side, x:x + side]


def noise_sigma(plane):
    """Robust noise sigma of a plane: the MAD of its first differences over sqrt 2."""
    d = np.diff(np.asarray(plane, np.float64), axis=1).ravel()
    return 1.4826 * float(np.median(np.abs(d - np.median(d)))) / np.sqrt(2.0)


def kept_objects(before, after, *, threshold):
    """(objects on ``before``, share found again on ``after``, found on ``after`` only):
    dark objects of two recordings, at one absolute LoG threshold."""
    from histdip.detect import match_beads

    a = _objects(before, recording=True, threshold=threshold, min_sigma=REAL_MIN_SIGMA)
    b = _objects(after, recording=True, threshold=threshold, min_sigma=REAL_MIN_SIGMA)
    if len(a) == 0:
        return 0, float("nan"), len(b)
    pairs, _, _, _ = match_beads(b, a)
    return len(a), len(pairs) / len(a), len(b) - len(pairs)


def real_table(root, *, crop=CROP, figure=None, iterations=None):
    """The real photos: polarity read, objects kept, the figure."""
    import histdip
    from histdip.colour import luma
    from histdip.io import read_image
    from histdip.prior.polarity import read_polarity

    folder = Path(root) / "cellphone-microbead-photos"
    rows, panels = [], []
    over = {} if iterations is None else {"iterations": iterations}
    for name in REAL:
        photo = read_image(folder / name)
        choice = read_polarity(luma(photo / 255.0))
        part = centre_crop(photo, crop)
        result = histdip.restore_detailed(part, **over)
        channel = ("red", "green", "blue").index(result.config.channel) if result.config.channel in (
            "red", "green", "blue") else 1
        plane = part[..., channel].astype(np.float64)
        threshold = REAL_SIGMA * noise_sigma(plane)
        n, kept, new = kept_objects(plane, result.image, threshold=threshold)
        rows.append([name, f"{photo.shape[0]} x {photo.shape[1]}",
                     f"{choice.polarity} ({100 * choice.dark_share:.0f}%)",
                     f"{part.shape[0]} x {part.shape[1]}",
                     result.primary_layer, result.iterations, n, f"{100 * kept:.0f}%", new,
                     f"{result.seconds:.1f}"])
        panels.append((name, part, result.image, channel))
        print(f"{name}: {result.summary(short=True)}", file=sys.stderr, flush=True)
    if figure:
        real_figure(panels, figure)
    head = ("Real brightfield phone photos (cellphone-microbead-photos, no reference), a centre crop restored with "
            f"no flags; objects: LoG on the negated green plane at {REAL_SIGMA:g} input noise sigma:")
    return head + "\n\n" + markdown_table(
        ["photo", "size", "polarity (auto; dark share)", "restored", "output", "steps", "objects on input",
         "found again on output", "output only", "s"], rows)


def real_figure(panels, path):
    """Input (RGB and the restored plane) beside output, one row per photo: the centre
    :data:`FIGURE_SIDE` px, the plane and the output in the same grey range."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(panels), 3, figsize=(10.5, 3.6 * len(panels)), squeeze=False)
    for row, (name, part, out, channel) in zip(axes, panels):
        part, out = centre_crop(part, FIGURE_SIDE), centre_crop(out, FIGURE_SIDE)
        plane = part[..., channel] if part.ndim == 3 else part
        lo, hi = np.percentile(plane, [0.5, 99.5])
        row[0].imshow(part)
        row[0].set_title(f"{name}: input (RGB)", fontsize=9)
        row[1].imshow(plane, cmap="gray", vmin=lo, vmax=hi)
        row[1].set_title(f"input, {('red', 'green', 'blue')[channel]} plane", fontsize=9)
        row[2].imshow(out, cmap="gray", vmin=lo, vmax=hi)
        row[2].set_title("histdip restore (no flags): output", fontsize=9)
        for ax in row:
            ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)

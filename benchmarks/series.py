"""``python -m benchmarks series``: a series of photos fitted from one, and a folder on Dask.

Two parts, each a table in ``--out`` (and ``--update-doc``):

Warm start (in this process, one torch thread setting for all)
    A simulated series: colour bead photos of one simulated device (the simulator's
    calibrated settings, :func:`histdip.simulate.simulate_scene`) at the held-out seeds
    (``--seeds``, default 1000-1005; nothing was tuned on them). Each photo is restored
    cold (the default settings) and, but the first, warm: started from the first photo's
    fitted network for :func:`histdip.series.warm_steps` steps (what ``histdip restore
    DIR --series first`` does). Reported per photo: seconds and affine PSNR / SSIM of the
    output's green plane against the scene's clean image, cold and warm; and the median
    of warm/cold seconds, the mean and worst PSNR change. With ``--phone``, the ten
    phone photos of ``smartphone-beads`` as a series (photo a first): seconds cold and
    warm, and the PSNR of the warm output against the cold one (agreement between the
    two, not quality: there is no clean image).
Throughput (``--throughput``)
    ``--count`` simulated photos (default 16) in a folder: ``histdip restore DIR
    --workers 2`` (one process, a local Dask cluster of two single-threaded workers)
    against one ``histdip restore PHOTO`` process per photo, run one after another (each
    with torch's default threads), both started as the user would, same photos, same
    settings; and the same folder as a series (``--series first``, every photo but the
    first warm-started: not the same fits). Reported: wall seconds of each and the
    throughput ratio to the sequential runs.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .datasets import data_root
from .doc import add_doc_arguments, markdown_table

#: The held-out seeds of the simulated series (the first is the series photo).
SERIES_SEEDS = (1000, 1001, 1002, 1003, 1004, 1005)
SHAPE = (300, 400)
PHONE = tuple("abcdefghij")


def register(subparsers, parents):
    """Add the ``series`` command to ``python -m benchmarks``."""
    p = subparsers.add_parser("series", parents=parents,
                              help="a series fitted from its first photo; a folder on a 2-worker Dask cluster")
    p.add_argument("--seeds", type=int, nargs="+", default=list(SERIES_SEEDS))
    p.add_argument("--shape", type=int, nargs=2, default=list(SHAPE), metavar=("H", "W"))
    p.add_argument("--phone", action="store_true", help="also the ten phone photos as a series")
    p.add_argument("--throughput", action="store_true", help="also a folder on Dask against sequential runs")
    p.add_argument("--count", type=int, default=16, help="photos in the throughput folder")
    p.add_argument("--throughput-shape", type=int, nargs=2, default=[192, 256], metavar=("H", "W"))
    p.add_argument("--no-warm", dest="warm", action="store_false", help="skip the warm-start part")
    p.add_argument("--threads", type=int, default=None, help="torch threads in this process")
    p.add_argument("--out", default=None, help="write the Markdown tables here")
    add_doc_arguments(p, "series")
    p.set_defaults(func=_run)
    return p


def _run(args):
    tables = []
    if args.warm:
        tables.append(warm_table(args.seeds, tuple(args.shape)))
        if args.phone:
            tables.append(phone_table(data_root(args.data)))
    if args.throughput:
        tables.append(throughput_table(args.count, tuple(args.throughput_shape)))
    text = "\n\n".join(tables)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return text


def _green(image):
    return image if image.ndim == 2 else image[..., 1]


def _scores(result, scene):
    from histdip.metrics import psnr, ssim

    out = _green(result.image)
    return psnr(out, scene.clean, affine=True), ssim(out, scene.clean, affine=True)


def warm_table(seeds, shape):
    """The simulated series: cold and warm, per photo and in summary (Markdown)."""
    from histdip import FittedModel, restore_detailed
    from histdip.series import warm_config
    from histdip.simulate import simulate_scene

    rows, ratios, changes = [], [], []
    model = None
    for i, seed in enumerate(seeds):
        scene = simulate_scene(seed=seed, shape=shape)
        cold = restore_detailed(scene.noisy_rgb)
        c_psnr, c_ssim = _scores(cold, scene)
        if model is None:
            model = FittedModel.from_result(cold, source=f"seed {seed}")
            rows.append([seed, "series photo", f"{cold.seconds:.1f}", cold.iterations, f"{c_psnr:.2f}", f"{c_ssim:.3f}",
                         "", "", "", ""])
            continue
        warm = restore_detailed(scene.noisy_rgb, warm_config(None), warm_start=model)
        w_psnr, w_ssim = _scores(warm, scene)
        ratios.append(warm.seconds / cold.seconds)
        changes.append(w_psnr - c_psnr)
        rows.append([seed, "", f"{cold.seconds:.1f}", cold.iterations, f"{c_psnr:.2f}", f"{c_ssim:.3f}",
                     f"{warm.seconds:.1f}", warm.iterations, f"{w_psnr:.2f}", f"{w_ssim:.3f}"])
        print(f"seed {seed}: cold {cold.seconds:.1f} s {c_psnr:.2f} dB, warm {warm.seconds:.1f} s {w_psnr:.2f} dB",
              file=sys.stderr, flush=True)
    table = markdown_table(["seed", "", "cold s", "cold steps", "cold PSNR", "cold SSIM", "warm s", "warm steps",
                            "warm PSNR", "warm SSIM"], rows)
    summary = (f"Simulated series of {len(seeds)} photos, {shape[0]} x {shape[1]} px: warm/cold seconds median "
               f"{statistics.median(ratios):.2f} (max {max(ratios):.2f}); PSNR change warm - cold mean "
               f"{np.mean(changes):+.2f} dB, worst {min(changes):+.2f} dB.")
    return table + "\n\n" + summary


def phone_table(root):
    """The ten phone photos as a series (photo a first): seconds cold and warm."""
    from histdip import FittedModel, restore_detailed
    from histdip.io import read_image
    from histdip.metrics import psnr
    from histdip.series import warm_config

    folder = Path(root) / "smartphone-beads"
    rows, ratios = [], []
    model = None
    for name in PHONE:
        image = read_image(folder / f"{name}.png")
        cold = restore_detailed(image)
        if model is None:
            model = FittedModel.from_result(cold, source=f"{name}.png")
            rows.append([name, f"{cold.seconds:.1f}", cold.iterations, "", "", ""])
            continue
        warm = restore_detailed(image, warm_config(None), warm_start=model)
        agree = psnr(_green(warm.image), _green(cold.image), data_range=255.0)
        ratios.append(warm.seconds / cold.seconds)
        rows.append([name, f"{cold.seconds:.1f}", cold.iterations, f"{warm.seconds:.1f}", warm.iterations,
                     f"{agree:.1f}"])
        print(f"photo {name}: cold {cold.seconds:.1f} s, warm {warm.seconds:.1f} s", file=sys.stderr, flush=True)
    table = markdown_table(["photo", "cold s", "cold steps", "warm s", "warm steps", "warm vs cold PSNR (agreement)"],
                           rows)
    return table + f"\n\nPhone photos as a series: warm/cold seconds median {statistics.median(ratios):.2f}."


def throughput_table(count, shape):
    """A folder on a 2-worker local cluster against one process per photo in turn."""
    import imageio.v3 as iio

    from histdip.simulate import simulate_scene

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        for i in range(count):
            iio.imwrite(folder / f"p{i:02d}.png", simulate_scene(seed=3000 + i, shape=shape).noisy_rgb)
        histdip = [sys.executable, "-m", "histdip.cli.main", "restore", "-q"]
        start = time.perf_counter()
        for photo in sorted(folder.iterdir()):
            subprocess.run([*histdip, str(photo), "--outdir", str(Path(tmp) / "one")], check=True)
        sequential = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run([*histdip, str(folder), "--outdir", str(Path(tmp) / "batch"), "--workers", "2"], check=True)
        batch = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run([*histdip, str(folder), "--outdir", str(Path(tmp) / "series"), "--workers", "2", "--series",
                        "first"], check=True)
        series = time.perf_counter() - start
    rows = [[f"{count} x `histdip restore PHOTO`, one after another", f"{sequential:.1f}", "1.00"],
            ["`histdip restore DIR --workers 2`", f"{batch:.1f}", f"{sequential / batch:.2f}"],
            ["`histdip restore DIR --workers 2 --series first`", f"{series:.1f}", f"{sequential / series:.2f}"]]
    return (markdown_table(["run", "wall s", "throughput vs sequential"], rows)
            + f"\n\n{count} simulated photos, {shape[0]} x {shape[1]} px, default settings.")

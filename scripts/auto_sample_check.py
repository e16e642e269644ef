"""What ``sample='auto'`` chooses, and from what, on every image at hand.

For each real image in ../shared/data (the ten phone photos, the 48 FMD frames, W2S,
Myxococcus, Convallaria, the BioPixR beads) and simulated scenes (beads at the
calibrated and twice the calibrated noise, filaments, cells, empty fields: the quality
benchmark's 128 px items of seeds 11-19, and 1200 x 900 scenes of seeds 11-13) it prints the statistic
(:func:`histdip.samples.foreground_snr`: the mean grey above Yen's T in noise sigma),
the choice and the seconds the choice took (the grey and T are the restore's own; the
noise estimate is the extra). No fitting: about a minute.

With ``--more`` each line also gives statistics that were tried in its place (session 9),
all in noise sigma: the mean of the brightest 1 % of the grey, its 99th and 99.9th
percentiles, Yen's T, and T above the grey's median.

Run: .venv/bin/python scripts/auto_sample_check.py [--more] [real|sim]...
Quoted in docs/results.md ("Session 8", "Session 9"); logs in docs/figures/data/sample-auto/.
"""

import sys
import time
from pathlib import Path

import imageio.v3 as iio
import numpy as np

from histdip.bench.quality import Settings, load_items
from histdip.config import RestoreConfig
from histdip.prior import threshold_value
from histdip.restoration import prepare
from histdip.samples import grey_noise_sigma
from histdip.simulate import simulate_scene

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FAST = RestoreConfig.from_preset("fast")


def show(group, name, image):
    t0 = time.perf_counter()
    _, config, why = prepare(image, FAST)
    seconds = time.perf_counter() - t0
    snr = why.split("average ", 1)[1].split(" ", 1)[0]
    extra = ""
    if MORE:
        # The grey and T of the beads settings, which the choice is made on.
        prep, _, _ = prepare(image, FAST.replace(sample="beads"), fit=False)
        g, sigma = prep.gray, grey_noise_sigma(image)
        t = threshold_value(g, "yen")
        top = np.sort(g.ravel())[-max(1, g.size // 100):].mean()
        q99, q999 = np.percentile(g, [99, 99.9])
        extra = (f"  top1% {top / sigma:6.1f} q99 {q99 / sigma:6.1f} q99.9 {q999 / sigma:6.1f} "
                 f"T {t / sigma:5.1f} T-median {(t - np.median(g)) / sigma:5.1f}")
    print(f"{group:12s} {name:34s} {snr:>6s} {config.sample:6s} {seconds:5.2f} s{extra}", flush=True)


def real():
    for k in "abcdefghij":
        show("phone", k, iio.imread(DATA / "smartphone-beads" / f"{k}.png")[..., :3])
    for f in sorted((DATA / "fmd-test-mix" / "raw").glob("*.png")):
        show("fmd", f.stem, iio.imread(f))
    for f in sorted((DATA / "w2s-8bit-subset" / "avg1").glob("*.tif")):
        show("w2s", f.stem, iio.imread(f))
    show("myxo", "Noisy_images_avg1_16bit", iio.imread(DATA / "nd-myxococcus-16bit" / "Noisy_images_avg1_16bit.png"))
    for f in sorted((DATA / "convallaria-pn2v-frame").glob("*.tif")):
        show("convallaria", f.stem[:34], iio.imread(f))
    for f in sorted((DATA / "biopixr-beads").glob("*.*[pg]")):
        im = iio.imread(f)
        show("biopixr", f.name, im[..., :3] if im.ndim == 3 else im)


def sim():
    settings = Settings(sim_seeds=tuple(range(11, 20)))
    for item in load_items(["sim-beads", "sim-filaments", "sim-cells", "sim-empty"], settings):
        show(item.dataset + " " + item.noise, f"128 px {item.name}", item.image)
    for kind, noise in [("beads", 1.0), ("beads", 2.0), ("filaments", 1.0), ("cells", 1.0), ("empty", 1.0)]:
        for seed in (11, 12, 13):
            # the quality benchmark's densities of cells and filaments, scaled to the frame
            n = None if kind in ("beads", "empty") else int(round((8 if kind == "cells" else 6) * 900 * 1200 / 128 ** 2))
            sc = simulate_scene(kind, shape=(900, 1200), seed=seed, n_beads=n, noise_level=noise)
            show(f"sim-{kind} x{noise:g}", f"1200x900 seed {seed}", sc.noisy.astype(np.float32))


MORE = "--more" in sys.argv[1:]
print(f"{'group':12s} {'image':34s} {'SNR':>6s} choice  time")
for what in [a for a in sys.argv[1:] if a != "--more"] or ["real", "sim"]:
    {"real": real, "sim": sim}[what]()

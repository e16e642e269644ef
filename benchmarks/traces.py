"""``python -m benchmarks traces``: 1-D sensor traces, histdip against classical peers.

Three parts, each a table in docs/results.md ("Sensor traces"):

Simulated events (:func:`histdip.simulate.traces.simulate_trace`)
    Steps and pulses of known time and amplitude on a drifting baseline with white and
    1/f noise, at each event SNR of :data:`SNRS` and each rate of :data:`RATES`, bright
    on even seeds and dark on odd ones. Every method hands back a trace and the same
    detector (:func:`histdip.trace.detect_events`: baseline subtracted, runs above
    ``k`` noise deviations of the raw trace) reads its events, with the polarity read
    from the raw trace (:func:`histdip.trace.read_polarity`). Each peer's setting
    (:data:`benchmarks.trace_peers.GRIDS`) and every method's ``k`` (:data:`K_GRID`)
    are chosen for the best mean F1 on the tuning seeds :data:`TUNING_SEEDS`; the table
    is on the held-out seeds :data:`HELD_OUT_SEEDS` alone. Reported per SNR: event F1
    (:func:`histdip.trace.match_events`), the mean relative amplitude error of the
    matched events, and the SNR gain (the mean squared error to the clean trace, raw
    over restored, in dB).
Real nanopore events (:mod:`benchmarks.nanopore`)
    The barcode read by one spike-counting reader on raw, restored and peer traces.
Speed
    One simulated trace of 1 000 000 samples restored, and the bundled 1200 x 900
    photo restored by the default, in the same process.

``--quick``: one seed each, two SNRs, 4000-sample traces, no speed or nanopore part.
``--figures DIR``: measure nothing, draw the before/after figures of docs/traces.md.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from scipy import ndimage
from scipy.signal import savgol_filter

from histdip.noise import estimate_noise
from histdip.simulate.traces import simulate_trace
from histdip.trace import detect_events, match_events, read_polarity, restore_trace, trace_baseline

from .doc import add_doc_arguments, markdown_table

# The peers: each takes the raw trace and a setting and returns a trace of the same
# length for the one detector; ``raw`` with the detector is the classical
# baseline-subtract-and-threshold event detector.

#: Settings tried per peer on the tuning seeds (window in samples; for the wavelet, the
#: multiple of the universal threshold).
GRIDS = {
    "raw": (None,),
    "median": (5, 9, 15, 25),
    "savgol": (7, 11, 21, 41),
    "wavelet": (0.5, 0.75, 1.0),
}


def median(x, window):
    """Running median of ``window`` samples."""
    return ndimage.median_filter(x, int(window), mode="nearest")


def savgol(x, window):
    """Savitzky-Golay filter of ``window`` samples, order 2."""
    return savgol_filter(x, int(window) | 1, 2, mode="interp")


def wavelet(x, factor, *, name="sym8"):
    """Wavelet shrinkage (soft, ``factor`` times the universal threshold sigma sqrt(2 ln N),
    sigma from the finest details' MAD); the coarsest level is kept."""
    import pywt

    level = max(1, min(6, pywt.dwt_max_level(x.size, pywt.Wavelet(name).dec_len)))
    coeffs = pywt.wavedec(x, name, mode="symmetric", level=level)
    sigma = 1.4826 * np.median(np.abs(coeffs[-1] - np.median(coeffs[-1])))
    t = factor * sigma * np.sqrt(2 * np.log(x.size))
    coeffs = [coeffs[0]] + [pywt.threshold(c, t, mode="soft") for c in coeffs[1:]]
    return pywt.waverec(coeffs, name, mode="symmetric")[: x.size]


#: Peer name -> function(trace, setting).
PEERS = {"raw": lambda x, _: x, "median": median, "savgol": savgol, "wavelet": wavelet}


SNRS = (2.0, 3.0, 4.0, 6.0, 10.0)
RATES = ("sparse", "moderate", "crowded")
TUNING_SEEDS = (0, 1)
HELD_OUT_SEEDS = (100, 101, 102)
LENGTH = 20000
#: Detection thresholds tried, in noise deviations of the raw trace.
K_GRID = (1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0)
#: A detected event may sit this many samples off a true one and still match it.
TOLERANCE = 5
METHODS = ("histdip", "raw", "median", "savgol", "wavelet")
SPEED_SAMPLES = 1_000_000


def scene(snr, rate, seed, length=LENGTH):
    """The simulated trace of one cell of the sweep."""
    s = 1000 * seed + 10 * SNRS.index(snr) + RATES.index(rate) if snr in SNRS else 1000 * seed
    return simulate_trace(length, snr=snr, rate=rate, polarity="bright" if seed % 2 == 0 else "dark", seed=s)


def candidates(sim):
    """(noise sigma, polarity, {(method, setting): trace}) of one simulated trace."""
    x = sim.trace
    sigma = estimate_noise(x).sigma
    polarity = read_polarity(x, sigma)
    out = {("histdip", None): restore_trace(x).restored}
    for name, grid in GRIDS.items():
        for setting in grid:
            out[(name, setting)] = PEERS[name](x, setting)
    return sigma, polarity, out


def scores(sim, sigma, polarity, traces):
    """{(method, setting, k): (f1, amplitude error, SNR gain)} of one simulated trace."""
    mse_raw = float(np.mean((sim.trace - sim.clean) ** 2))
    result = {}
    for (name, setting), y in traces.items():
        base = trace_baseline(y, sigma, polarity)
        gain = 10 * np.log10(mse_raw / max(float(np.mean((y - sim.clean) ** 2)), 1e-12))
        for k in K_GRID:
            found = detect_events(y, k * sigma, polarity=polarity, baseline=base)
            m = match_events(sim.events, found, TOLERANCE)
            errs = [abs(found["amplitude"][j] - sim.events["amplitude"][i]) / sim.events["amplitude"][i]
                    for i, j in m["pairs"]]
            result[(name, setting, k)] = (m["f1"], float(np.mean(errs)) if errs else float("nan"), gain)
    return result


def run_sweep(seeds, snrs, length, log=print):
    """[{snr, rate, seed, scores}] over the grid."""
    rows = []
    for seed in seeds:
        for snr in snrs:
            for rate in RATES:
                sim = scene(snr, rate, seed, length)
                t = time.perf_counter()
                sigma, polarity, traces = candidates(sim)
                rows.append({"snr": snr, "rate": rate, "seed": seed, "events": int(len(sim.events)),
                             "polarity_right": polarity == sim.polarity,
                             "scores": scores(sim, sigma, polarity, traces)})
                log(f"  seed {seed} SNR {snr:g} {rate}: {len(sim.events)} events, "
                    f"{time.perf_counter() - t:.1f} s")
    return rows


def tune(rows):
    """{method: (setting, k)} with the best mean F1 over ``rows``."""
    best = {}
    for name in METHODS:
        keys = {key for key in rows[0]["scores"] if key[0] == name}
        mean = {key: np.mean([r["scores"][key][0] for r in rows]) for key in keys}
        top = max(sorted(mean, key=str), key=mean.get)
        best[name] = (top[1], top[2])
    return best


def sweep_tables(rows, chosen):
    """(F1 table, amplitude/gain table) per SNR on the held-out ``rows``."""
    f1_rows, other_rows = [], []
    for snr in sorted({r["snr"] for r in rows}):
        cell = [r for r in rows if r["snr"] == snr]
        vals = {m: [r["scores"][(m, *chosen[m])] for r in cell] for m in METHODS}
        f1 = {m: float(np.mean([v[0] for v in vals[m]])) for m in METHODS}
        best_peer = max(f1[m] for m in METHODS if m != "histdip")
        f1_rows.append([f"{snr:g}", len(cell)] + [f"{f1[m]:.3f}" for m in METHODS]
                       + ["yes" if f1["histdip"] >= best_peer else "no"])
        other_rows.append([f"{snr:g}"] + [f"{np.nanmean([v[1] for v in vals[m]]):.3f}" for m in METHODS]
                          + [f"{np.mean([v[2] for v in vals[m]]):.1f}" for m in METHODS if m != "raw"])
    f1_table = markdown_table(["SNR", "traces"] + [f"F1 {m}" for m in METHODS] + ["histdip >= every peer"], f1_rows)
    other = markdown_table(["SNR"] + [f"amp. err. {m}" for m in METHODS]
                           + [f"gain dB {m}" for m in METHODS if m != "raw"], other_rows)
    return f1_table, other


def speed(samples=SPEED_SAMPLES):
    """(trace seconds, photo seconds): a simulated trace of ``samples`` and the bundled
    1200 x 900 photo, each restored by the default, one after the other."""
    import histdip
    from histdip.io import read_image

    sim = simulate_trace(samples, snr=4.0, rate="moderate", seed=7)
    t = time.perf_counter()
    r = restore_trace(sim.trace)
    trace_s = time.perf_counter() - t
    photo = read_image(Path(histdip.__file__).parent / "data" / "sample_beads.png")
    t = time.perf_counter()
    histdip.restore(photo)
    return trace_s, time.perf_counter() - t, r.summary()


def figures(folder, root=None):
    """Draw ``trace_simulated.png`` (a held-out simulated trace) and ``trace_nanopore.png``
    (three real events of the held-out pores) into ``folder``."""
    from histdip.trace.plot import trace_figure

    from .nanopore import load_events

    folder = Path(folder)
    sim = scene(4.0, "moderate", HELD_OUT_SEEDS[1])
    r = restore_trace(sim.trace)
    trace_figure(sim.trace[:, None], [r], folder / "trace_simulated.png", names=["simulated, SNR 4, dark"],
                 title="held-out simulated trace: raw (grey), restored (red), baseline (blue)")
    traces, codes, pores = load_events(root)
    picks = [int(np.flatnonzero(pores == p)[k]) for p, k in ((1159, 0), (1933, 0), (1933, 5))]
    raws = [traces[i] for i in picks]
    n = min(x.size for x in raws)
    results = [restore_trace(x) for x in raws]
    trimmed = [type(res)(**{**res.__dict__, **{k: getattr(res, k)[:n] for k in ("restored", "baseline", "events",
                                                                                  "noise")}}) for res in results]
    trace_figure(np.column_stack([x[:n] for x in raws]), trimmed, folder / "trace_nanopore.png",
                 names=[f"event {i}, pore {pores[i]}, barcode {codes[i]}" for i in picks],
                 title="real nanopore events (nA, first samples of each): raw (grey), restored (red), baseline (blue)")
    return folder


def _run(args):
    if args.figures:
        print(figures(args.figures, args.data))
        return None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    quick = args.quick
    snrs = (3.0, 6.0) if quick else SNRS
    length = 4000 if quick else LENGTH
    print("tuning seeds")
    tuning = run_sweep(TUNING_SEEDS[:1] if quick else TUNING_SEEDS, snrs, length)
    chosen = tune(tuning)
    print("held-out seeds")
    held = run_sweep(HELD_OUT_SEEDS[:1] if quick else HELD_OUT_SEEDS, snrs, length)
    f1_table, other = sweep_tables(held, chosen)
    right = sum(r["polarity_right"] for r in held)
    parts = ["**Simulated events** (held-out seeds " + ", ".join(map(str, HELD_OUT_SEEDS[:1] if quick else HELD_OUT_SEEDS))
             + f"; {length} samples; rates {', '.join(RATES)}; each method's setting and k chosen on the tuning "
             f"seeds: " + ", ".join(f"{m} {s if s is not None else '-'} / k {k:g}" for m, (s, k) in chosen.items())
             + f"; polarity read right on {right} of {len(held)} traces):", f1_table,
             "Amplitude error (mean relative, matched events) and SNR gain (dB, against the clean trace):", other]
    record = {"chosen": {m: list(v) for m, v in chosen.items()}, "held_out": [
        {**{k: v for k, v in r.items() if k != "scores"},
         "scores": {m: r["scores"][(m, *chosen[m])] for m in METHODS}} for r in held]}
    if not quick and not args.no_nanopore:
        from .nanopore import nanopore_part

        text, data = nanopore_part(args.data, limit=args.nanopore_limit)
        parts += [text]
        record["nanopore"] = data
    if not quick and not args.no_speed:
        trace_s, photo_s, summary = speed()
        parts += [markdown_table(["what", "seconds"], [[f"a trace of {SPEED_SAMPLES:,} samples ({summary})",
                                                         f"{trace_s:.1f}"],
                                                        ["the bundled 1200 x 900 photo (default restore)",
                                                         f"{photo_s:.1f}"]])]
        record["speed"] = {"trace_s": trace_s, "photo_s": photo_s}
    (out / "results.json").write_text(json.dumps(record, indent=1, default=str) + "\n")
    table = "\n\n".join(parts)
    (out / "results.md").write_text(table + "\n")
    print(table)
    return table


def register(subparsers, parents):
    """Add the ``traces`` command to ``python -m benchmarks``."""
    p = subparsers.add_parser("traces", parents=parents,
                              help="1-D sensor traces: event F1, amplitude and SNR gain against peers on simulated "
                                   "events, barcodes of real nanopore events, speed")
    p.add_argument("--quick", action="store_true", help="one seed, two SNRs, short traces: a smoke test")
    p.add_argument("--no-nanopore", action="store_true", help="skip the real nanopore events")
    p.add_argument("--no-speed", action="store_true", help="skip the speed part")
    p.add_argument("--nanopore-limit", type=int, default=None, help="restore only the first N events (default all)")
    p.add_argument("--figures", metavar="DIR", default=None,
                   help="measure nothing: draw trace_simulated.png and trace_nanopore.png into DIR")
    p.add_argument("--out", metavar="DIR", default="bench-results/traces", help="results.json and results.md go here")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    add_doc_arguments(p, "traces")
    p.set_defaults(func=_run)
    return p

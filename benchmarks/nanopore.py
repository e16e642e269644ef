"""The real nanopore events of ``python -m benchmarks traces``: is a barcode easier to
read after restoration, and are the events' timing and blockade level kept?

Data: ``quipunet-nanopore-barcodes/events.npz`` (935 translocations of DNA carriers with
a known 3-bit barcode, one barcode per pore; SOURCE.md there). No clean trace exists:
the reference is the label.

The reader (:func:`read_ones`) counts the spikes on the DNA level and reads from their
number how many of the three bits are set: a spike count cannot tell 001 from 010 from
100, so that is what it is scored on (right when it reads the label's number of ones).
It has three settings (the spike depth, and the two counts where one more bit is read),
chosen once, for every method together, on the pores other than the held-out 1159 and
1933 (as QuipuNet held them out); each peer's own setting is chosen there too. Per
method the table gives the share read right per barcode and on the held-out pores.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import numpy as np
from scipy import ndimage

from histdip.trace import restore_trace, runs

from .datasets import data_root
from .doc import markdown_table
from .traces import GRIDS, PEERS

HELD_OUT_PORES = (1159, 1933)
#: Samples of open pore at the start of every record (the events start about 50 in).
OPEN = 30
#: Width (samples) of the running median that is the DNA level under the spikes.
LEVEL_WIDTH = 41
DEPTHS = (0.02, 0.03, 0.04, 0.05, 0.06, 0.08)


def load_events(root=None):
    """(traces, barcodes, pores) of the 935 events."""
    z = np.load(Path(data_root(root)) / "quipunet-nanopore-barcodes" / "events.npz", allow_pickle=False)
    off, flat = z["offsets"], z["traces"]  # each z[...] reads the array again
    traces = [flat[off[i] : off[i + 1]] for i in range(len(off) - 1)]
    return traces, z["barcode"], z["nanopore"]


def event_span(x):
    """(start, end, level): the blockade's first and last sample below half its depth, and
    the DNA level (median of the samples between them), relative to the open pore."""
    open_level = float(np.median(x[:OPEN]))
    d = x - open_level
    deep = d[d < -0.04]
    level = float(np.median(deep)) if deep.size else float(d.min())
    below = np.flatnonzero(d < 0.5 * level)
    if below.size == 0:
        return 0, x.size - 1, level
    s, e = int(below[0]), int(below[-1])
    return s, e, float(np.median(d[s : e + 1]))


def spike_counts(x, depths):
    """Spikes at each of ``depths``: runs of two or more samples more than the depth
    below the running median of the DNA level, inside the event."""
    s, e, _ = event_span(x)
    seg = x[s : e + 1]
    if seg.size < 5:
        return [0] * len(depths)
    level = ndimage.median_filter(seg, min(LEVEL_WIDTH, seg.size), mode="nearest")
    return [int(runs(seg < level - depth, merge_gap=2, min_length=2)[0].size) for depth in depths]


def read_ones(count, low, high):
    """Bits set, read from a spike count: 0 up to ``low`` spikes, 1 up to ``high``, else 2."""
    return 0 if count <= low else 1 if count <= high else 2


def _accuracy(counts, ones, mask, low, high):
    per = [np.mean([read_ones(c, low, high) == o for c, o in zip(counts[m], ones[m])])
           for m in mask]
    return float(np.mean(per))


def nanopore_part(root=None, *, limit=None, log=print):
    """(Markdown text, record) of the nanopore part."""
    traces, codes, pores = load_events(root)
    index = np.arange(len(traces)) if limit is None else np.linspace(0, len(traces) - 1, limit).astype(int)
    ones = np.array([c.count("1") for c in codes])
    outputs = {"raw": [], "histdip": []}
    settings = [(n, s) for n, g in GRIDS.items() if n != "raw" for s in g]
    for key in settings:
        outputs[key] = []
    t0, seconds = time.perf_counter(), []
    for n, i in enumerate(index):
        x = traces[i]
        outputs["raw"].append(x)
        t = time.perf_counter()
        outputs["histdip"].append(restore_trace(x).restored)
        seconds.append(time.perf_counter() - t)
        for name, s in settings:
            outputs[(name, s)].append(PEERS[name](x, s))
        if n % 100 == 0:
            log(f"  nanopore event {n} of {len(index)}, {time.perf_counter() - t0:.0f} s")
    held = np.isin(pores[index], HELD_OUT_PORES)
    train = ~held
    groups = [train & (codes[index] == c) for c in sorted(set(codes[index][train]))]
    counts = {}
    for key, ys in outputs.items():
        table = np.array([spike_counts(y, DEPTHS) for y in ys])
        counts[key] = {depth: table[:, j] for j, depth in enumerate(DEPTHS)}
    # The reader's settings: the best mean (over every method) of the per-barcode accuracy
    # on the training pores; then each peer's setting for the best accuracy there.
    grid = [(d, lo, hi) for d in DEPTHS for lo, hi in itertools.combinations(range(8), 2)]

    def acc(key, d, lo, hi, mask):
        return _accuracy(counts[key][d], ones[index], mask, lo, hi)

    pooled = {g: np.mean([acc(k, *g, groups) for k in counts]) for g in grid}
    depth, low, high = max(grid, key=lambda g: (pooled[g], -g[0]))
    chosen = {"raw": "raw", "histdip": "histdip"}
    for name in GRIDS:
        if name != "raw":
            chosen[name] = max([(name, s) for s in GRIDS[name]], key=lambda k: acc(k, depth, low, high, groups))
    rows = []
    barcodes = sorted(set(codes[index]))
    for method, key in chosen.items():
        read = np.array([read_ones(c, low, high) for c in counts[key][depth]])
        right = read == ones[index]
        per = [f"{right[codes[index] == c].mean():.3f}" for c in barcodes]
        rows.append([method if key == method else f"{method} {key[1]}"] + per
                    + [f"{right[held].mean():.3f}" if held.any() else "-", f"{right[train].mean():.3f}"])
    table = markdown_table(["method"] + [f"{c} (n={int((codes[index] == c).sum())})" for c in barcodes]
                           + ["held-out pores 1159, 1933", "training pores"], rows)
    spans = [(event_span(x), event_span(y)) for x, y in zip(outputs["raw"], outputs["histdip"])]
    ds = np.array([abs(a[0] - b[0]) for a, b in spans])
    de = np.array([abs(a[1] - b[1]) for a, b in spans])
    dl = np.array([abs(a[2] - b[2]) for a, b in spans]) * 1000
    keep = markdown_table(["raw vs restored", "median", "90th percentile", "max"],
                          [["event start (samples)", f"{np.median(ds):g}", f"{np.percentile(ds, 90):g}", f"{ds.max():g}"],
                           ["event end (samples)", f"{np.median(de):g}", f"{np.percentile(de, 90):g}", f"{de.max():g}"],
                           ["DNA level (pA)", f"{np.median(dl):.2f}", f"{np.percentile(dl, 90):.2f}", f"{dl.max():.2f}"]])
    text = (f"**Real nanopore events** ({len(index)} of {len(traces)}; the reader's spike depth {depth * 1000:g} pA, "
            f"0 bits up to {low} spikes, 1 bit up to {high}, chosen with each peer's setting on the training pores; "
            f"histdip restored each event in a median {np.median(seconds):.2f} s). Share of events whose number of "
            f"set bits is read right:\n\n{table}\n\nEvent timing and blockade level, raw against restored:\n\n{keep}")
    record = {"events": int(len(index)), "reader": [depth, low, high], "rows": rows,
              "timing": {"start": ds.tolist(), "end": de.tolist(), "level_pA": dl.tolist()}}
    return text, record

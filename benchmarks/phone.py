"""``python -m benchmarks phone``: the ten smartphone bead photos restored by the default
and by the former default, the beads counted on each, and the pictures side by side.

There is no clean reference for these photos; what this measures is what the signal-model
issue asks of them: the bead count (:func:`histdip.detect.detect_beads`, the one detector,
on the output's signal) does not drop against the former default (the Yen prior with its
own choice between beads and cells, now ``--sample auto``), and a person can look at both.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from histdip.detect import detect_beads

from .datasets import data_root, phone_photos
from .doc import add_doc_arguments, markdown_table
from .flags import add_out_argument, emit

#: The runs compared: name -> RestoreConfig overrides.
RUNS = {"former default (--sample auto)": {"sample": "auto"}, "default": {}}

#: Where the side-by-side pictures go (relative to the checkout).
FIGURES = Path(__file__).resolve().parents[1] / "docs" / "figures" / "phone"


def _signal(result):
    # The count is of objects: on the signal layer where there is one, else the output.
    layers = getattr(result, "layers", None)
    image = layers["signal"] if layers is not None else result.image
    return np.asarray(image if image.ndim == 2 else image[..., 1], dtype=np.float64)


def _figure(name, photo, outputs, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from histdip.plotting import display_stretch

    fig, axes = plt.subplots(1, 1 + len(outputs), figsize=(4.2 * (1 + len(outputs)), 4.2))
    axes[0].imshow(display_stretch(photo))
    axes[0].set_title(f"{name}: input")
    for ax, (label, (image, count)) in zip(axes[1:], outputs.items()):
        ax.imshow(display_stretch(image), cmap="gray")
        ax.set_title(f"{label}: {count} beads", fontsize=9)
    for ax in axes:
        ax.axis("off")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=70)
    plt.close(fig)


def run_phone(root, *, figures=FIGURES, log=print, limit=None):
    """One row per photo: counts, primary layer and seconds of each run."""
    import histdip

    rows = []
    for name, photo in sorted(phone_photos(root).items())[:limit]:
        row, outputs = {"photo": name}, {}
        for label, overrides in RUNS.items():
            start = time.perf_counter()
            result = histdip.restore_detailed(photo, **overrides)
            seconds = time.perf_counter() - start
            signal = _signal(result)
            count = len(detect_beads(signal))
            row[label] = {"count": count, "seconds": seconds, "steps": int(result.iterations),
                          "summary": result.summary(short=True)}
            outputs[label] = (signal, count)
            log(f"{name}: {label}: {count} beads, {seconds:.1f} s ({result.summary(short=True)})")
        if figures is not None:
            _figure(name, photo, outputs, Path(figures) / f"{name}.png")
        rows.append(row)
    return rows


def phone_markdown(rows):
    labels = list(RUNS)
    table = [[r["photo"], *(str(r[k]["count"]) for k in labels), r["default"]["summary"].split(",")[0],
              *(str(r[k].get("steps", "")) for k in labels)] for r in rows]
    drops = sum(r["default"]["count"] < r[labels[0]]["count"] for r in rows)
    return (markdown_table(["photo", *(f"beads: {k}" for k in labels), "default's layer",
                            *(f"steps: {k}" for k in labels)], table)
            + f"\n\nThe count drops on {drops} of {len(rows)} photos. Pictures: docs/figures/phone/<photo>.png.")


def _run(args):
    rows = run_phone(data_root(args.data), limit=args.limit)
    return emit(phone_markdown(rows), rows, args.out)


def register(subparsers, parents):
    """Add the ``phone`` command to ``python -m benchmarks``."""
    p = subparsers.add_parser("phone", parents=parents,
                              help="the ten phone photos: bead counts, default against former default, pictures")
    add_out_argument(p, "the per-photo counts")
    p.add_argument("--limit", type=int, default=None, help="only the first N photos")
    # A fit's stop depends on the thread count: one default, so the table reproduces.
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    add_doc_arguments(p, "phone")
    p.set_defaults(func=_run)
    return p

"""The batch's table: one row per input, written as CSV beside the outputs."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..io import atomic_output

#: Columns of the summary, in order.
COLUMNS = ("file", "status", "threshold", "iterations", "seconds", "layer", "warm_start", "output", "error")

#: What ``status`` may say.
STATUSES = ("restored", "skipped", "left alone", "failed", "not run")


def write_summary(path, rows):
    """Write ``rows`` (dicts keyed by :data:`COLUMNS`) as CSV, atomically; the path."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row.get(k) for k in COLUMNS})
    with atomic_output(path, overwrite=True) as tmp:
        Path(tmp).write_text(buffer.getvalue(), encoding="utf-8")
    return Path(path)


def read_summary(path):
    """The rows of a summary written by :func:`write_summary` (all values as text)."""
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def tally(rows):
    """``{status: count}`` in the order of :data:`STATUSES`, zeros left out."""
    counts = {s: 0 for s in STATUSES}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return {s: n for s, n in counts.items() if n}

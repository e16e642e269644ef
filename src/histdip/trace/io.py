"""Reading and writing sensor traces: CSV (a header row, one column per channel, a time
column when present) and NPY (a 1-D array, or 2-D with samples along the first axis).

:func:`read_trace` gives a :class:`TraceFile` that remembers how the file was laid out
(header, delimiter, which column is time), and :func:`write_trace` writes restored
values in that same layout, so the output reads wherever the input did. Every problem a
user can fix (ragged rows, a word among the numbers, an empty column, NaN, too few
samples) is an :class:`~histdip.errors.InputError` of one line naming the file.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..errors import InputError

#: File extensions read as traces.
TRACE_EXTENSIONS = (".csv", ".npy")

#: Fewest samples a trace may have: the network halves it four times and the noise
#: estimate needs a few dozen second differences.
MIN_SAMPLES = 64

#: Header names (lower case) that mark a time column.
TIME_NAMES = ("t", "time", "times", "timestamp", "seconds", "sec", "s", "ms", "us", "time_s", "time (s)",
              "time_ms", "time (ms)", "t (s)", "t_s")


@dataclass(frozen=True)
class TraceFile:
    """A trace as read from a file.

    Attributes
    ----------
    values : ndarray, float64, (L, C)
        The data columns (every column but the time column).
    names : tuple of str
        The data columns' header names (``column_1``... when the file has none).
    time : ndarray or None, (L,)
        The time column, kept as it was.
    time_index : int or None
        Where the time column stood among the file's columns.
    header : bool
        Whether the file had a header row.
    delimiter : str
    kind : {'csv', 'npy'}
    one_d : bool
        Whether an NPY file held a 1-D array.
    time_name : str or None
        The time column's header.
    """

    values: np.ndarray
    names: tuple
    time: np.ndarray | None = None
    time_index: int | None = None
    header: bool = True
    delimiter: str = ","
    kind: str = "csv"
    one_d: bool = False
    time_name: str | None = None
    #: The time column as written in the file, so that it is written back unchanged.
    time_text: tuple | None = None

    def with_values(self, values):
        """The same layout holding ``values`` (L, C)."""
        return replace(self, values=np.asarray(values, dtype=np.float64))


def is_trace_path(path):
    """Whether ``path`` names a trace file (``.csv`` or ``.npy``)."""
    return Path(path).suffix.lower() in TRACE_EXTENSIONS


def read_trace(path):
    """The :class:`TraceFile` of a CSV or NPY file.

    A CSV's first row is a header when any of its fields is not a number; the first
    column is time when its header names time (``time``, ``t``, ``seconds``...) or,
    in a file of two or more columns, when it rises strictly and evenly (a sample
    clock). An NPY file holds the data alone: (L,) or (L, C).

    Raises
    ------
    InputError
        Missing or unreadable file, ragged rows, a field that is not a number, an empty
        column, NaN or infinity, or fewer than :data:`MIN_SAMPLES` samples.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    if path.suffix.lower() == ".npy":
        trace = _read_npy(path)
    else:
        trace = _read_csv(path)
    _check(path, trace)
    return trace


def _read_npy(path):
    try:
        a = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise InputError(f"{path}: not a readable NPY file ({str(err).splitlines()[0] if str(err) else err})") from None
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "biuf":
        raise InputError(f"{path}: an NPY trace must hold numbers, got dtype {getattr(a, 'dtype', type(a))}")
    if a.ndim not in (1, 2) or a.size == 0:
        raise InputError(f"{path}: an NPY trace must be 1-D (L,) or 2-D (L, C) with samples, got shape {a.shape}")
    values = a.astype(np.float64).reshape(a.shape[0], -1)
    names = tuple(f"column_{i + 1}" for i in range(values.shape[1]))
    return TraceFile(values, names, header=False, kind="npy", one_d=a.ndim == 1)


def _read_csv(path):
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text CSV file (it holds bytes that are not UTF-8 text)") from None
    except OSError as err:
        raise InputError(f"{path}: cannot read it ({err.strerror or err})") from None
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise InputError(f"{path}: the CSV file is empty")
    delimiter = _delimiter(lines[0])
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter, skipinitialspace=True))
    header = not all(_is_number(f) for f in rows[0])
    names = [f.strip() for f in rows[0]] if header else None
    body = rows[1:] if header else rows
    width = len(rows[0])
    if not body:
        raise InputError(f"{path}: the CSV file has a header but no samples")
    values = np.empty((len(body), width))
    for i, row in enumerate(body):
        line = i + (2 if header else 1)
        if len(row) != width:
            raise InputError(f"{path}: ragged CSV: line {line} has {len(row)} fields, the first row {width}")
        for j, field in enumerate(row):
            if not field.strip():
                raise InputError(f"{path}: empty field in column {j + 1} on line {line}")
            try:
                values[i, j] = float(field)
            except ValueError:
                raise InputError(f"{path}: line {line}, column {j + 1}: {field.strip()[:30]!r} is not a number") from None
    if names is None:
        names = [f"column_{j + 1}" for j in range(width)]
    for j, name in enumerate(names):
        if not name:
            raise InputError(f"{path}: column {j + 1} has no name in the header row")
    t = _time_column(names if header else None, values)
    if t is None:
        return TraceFile(values, tuple(names), header=header, delimiter=delimiter)
    if values.shape[1] == 1:
        raise InputError(f"{path}: the only column is time ({names[0]!r}); a trace needs a data column beside it")
    data = np.delete(values, t, axis=1)
    return TraceFile(data, tuple(n for j, n in enumerate(names) if j != t), values[:, t], t, header, delimiter,
                     time_name=names[t], time_text=tuple(row[t].strip() for row in body))


def _delimiter(line):
    counts = {d: line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _is_number(field):
    try:
        float(field)
    except ValueError:
        return False
    return True


def _time_column(names, values):
    """The index of the time column (only ever the first), or None."""
    if values.shape[1] < 1:
        return None
    if names is not None and names[0].strip().lower() in TIME_NAMES:
        return 0
    if names is None and values.shape[1] >= 2 and values.shape[0] >= 3:
        step = np.diff(values[:, 0])
        # A sample clock rises evenly; a measured signal never does exactly.
        if np.all(step > 0) and np.ptp(step) <= 1e-6 * abs(np.mean(step)) + 1e-12:
            return 0
    return None


def _check(path, trace):
    v = trace.values
    if v.shape[1] == 0:
        raise InputError(f"{path}: the trace has no data column")
    if v.shape[0] < MIN_SAMPLES:
        raise InputError(f"{path}: the trace has {v.shape[0]} samples; at least {MIN_SAMPLES} are needed")
    bad = ~np.isfinite(v)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise InputError(f"{path}: column {trace.names[j]!r} holds NaN or infinity (first at sample {i + 1})")
    if trace.time is not None and not np.all(np.isfinite(trace.time)):
        raise InputError(f"{path}: the time column holds NaN or infinity")


def write_trace(path, trace, values=None):
    """Write ``values`` (L, C) (default: ``trace.values``) to ``path`` in the layout of
    ``trace``: the same header, delimiter and time column for a CSV, the same shape for
    an NPY. Values are written in full precision (``repr`` of float64)."""
    path = Path(path)
    values = np.asarray(trace.values if values is None else values, dtype=np.float64)
    if path.suffix.lower() == ".npy":
        with open(path, "wb") as fh:
            np.save(fh, values[:, 0] if trace.one_d and values.shape[1] == 1 else values)
        return path
    columns = [values[:, j] for j in range(values.shape[1])]
    names = list(trace.names)
    text = [[repr(float(x)) for x in col] for col in columns]
    if trace.time is not None:
        text.insert(trace.time_index, trace.time_text or [repr(float(x)) for x in trace.time])
        names.insert(trace.time_index, trace.time_name)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=trace.delimiter, lineterminator="\n")
        if trace.header:
            writer.writerow(names)
        writer.writerows(zip(*text))
    return path

"""The index page of a batch: one self-contained HTML page over its summary.

``histdip restore FOLDER --outdir OUT --report`` (and ``histdip report OUT``) writes
``OUT/index.html``: a row per input of the batch's ``histdip_summary.csv``
(:mod:`histdip.batch.summary`) with a thumbnail of the input beside its result, the
status, T, the steps, the seconds, the layer written, the warm start, and links to the
output, its JSON and its report page where they exist. Columns sort on a click and a
status filter narrows the rows. Thumbnails are embedded (``data:`` URIs): the page opens
offline and fetches nothing; links are relative, so the folder can be moved whole.

A thumbnail that cannot be made (an input gone, a trace, an OME-Zarr store) leaves its
cell empty: the index never fails for a picture.
"""

from __future__ import annotations

import os
from html import escape
from importlib.resources import files
from pathlib import Path
from string import Template

import numpy as np

from .. import __version__
from ..batch.summary import COLUMNS, read_summary, tally
from ..errors import HistdipError, InputError, OutputError
from .images import display_size, jpeg_uri, to_display
from .page import default_report_path, write_report

#: Longest side of a thumbnail, in pixels.
THUMB_SIDE = 160

#: The summary's name in a batch's output folder (written by ``histdip restore FOLDER``).
SUMMARY_NAME = "histdip_summary.csv"

#: The index page's name in that folder.
INDEX_NAME = "index.html"

#: Columns of the page's table, as (summary column, heading, numeric).
TABLE = (("file", "file", False), ("status", "status", False), ("threshold", "T", True),
         ("iterations", "steps", True), ("seconds", "seconds", True), ("layer", "layer", False),
         ("warm_start", "warm start", False))


def find_summary(path):
    """The summary CSV of ``path``: the file itself, or ``SUMMARY_NAME`` in a folder;
    an :class:`InputError` of one line when there is none."""
    path = Path(path)
    if path.is_dir():
        path = path / SUMMARY_NAME
        if not path.is_file():
            raise InputError(f"{path.parent}: no {SUMMARY_NAME} here; give the --outdir of a batch "
                             "(histdip restore FOLDER --outdir DIR)")
        return path
    if not path.is_file():
        raise InputError(f"{path}: no such file or folder")
    if path.suffix.lower() != ".csv":
        raise InputError(f"{path}: not a batch summary; give the batch's folder or its {SUMMARY_NAME}")
    return path


def _picture(path):
    """A 2-D or colour plane of the image at ``path`` for a thumbnail (a stack's first
    plane), or None."""
    from ..io import probe_microscopy, read_image, read_microscopy

    path = Path(path)
    if not path.is_file():
        return None
    try:
        meta = probe_microscopy(path)
        if meta is None or not meta.is_stack:
            return read_image(path)
        array, meta = read_microscopy(path)
    except HistdipError:  # a thumbnail is never worth failing the index for
        return None
    return array[tuple(0 if axis not in "YXS" else slice(None) for axis in meta.axes)]


def thumbnail_uri(path, *, side=THUMB_SIDE):
    """A JPEG ``data:`` URI of the image at ``path``, at most ``side`` pixels a side,
    stretched as the report shows images; None when there is no image to show."""
    image = _picture(path)
    if image is None:
        return None
    h, w, _ = display_size(np.shape(image), side)
    return jpeg_uri(to_display(image, (h, w)), quality=80)


def _link(target, folder, label):
    if target is None or not Path(target).exists():
        return ""
    rel = os.path.relpath(Path(target).resolve(), Path(folder).resolve())
    return f'<a href="{escape(Path(rel).as_posix(), quote=True)}">{escape(label)}</a>'


def index_rows(summary, *, thumbnails=True):
    """The rows of the page: each summary row with its thumbnails and its files' paths.

    Parameters
    ----------
    summary : path
        The batch's ``histdip_summary.csv``.
    thumbnails : bool
        Make the input's and the output's thumbnails (reads every image once).

    Returns
    -------
    list of dict
        The summary's columns, plus ``input_thumb``, ``output_thumb`` (URIs or None),
        ``json`` and ``report`` (paths or None).
    """
    folder = Path(summary).parent
    rows = []
    for row in read_summary(summary):
        out = Path(row["output"]) if row.get("output") else None
        if out is not None and not out.is_absolute() and not out.exists():
            out = folder / out.name
        record = None if out is None else out.with_suffix(".json")
        if out is not None and out.name.endswith(".ome.tif"):  # a stack's record drops the .ome
            record = out.with_name(out.name[: -len(".ome.tif")] + ".json")
        report = None if out is None else default_report_path(out)
        rows.append({**{c: row.get(c, "") for c in COLUMNS},
                     "input_thumb": thumbnail_uri(row["file"]) if thumbnails else None,
                     "output_thumb": thumbnail_uri(out) if thumbnails and out is not None else None,
                     "json": record if record is not None and record.is_file() else None,
                     "report": report if report is not None and report.is_file() else None})
    return rows


def _cell(value, numeric):
    text = "" if value in (None, "") else str(value)
    if numeric and text:
        try:
            return f'<td data-sort="{float(text)!r}">{escape(text)}</td>'
        except ValueError:
            pass
    return f'<td data-sort="{escape(text.lower(), quote=True)}">{escape(text)}</td>'


def short_names(paths):
    """The input paths as the page shows them: relative to the folder they share.

    >>> short_names(["/data/run1/a.png", "/data/run1/sub/b.png"])
    ['a.png', 'sub/b.png']
    """
    paths = [Path(p) for p in paths]
    if not paths:
        return []
    try:
        common = Path(os.path.commonpath([str(p.parent) for p in paths]))
    except ValueError:  # relative and absolute paths mixed, or drives differ
        return [str(p) for p in paths]
    return [p.relative_to(common).as_posix() for p in paths]


def _thumbs(row):
    cells = []
    for key, what in (("input_thumb", "input"), ("output_thumb", "result")):
        uri = row[key]
        cells.append(f'<img src="{uri}" alt="{what}" title="{what}">' if uri else f'<span class="none">no {what}</span>')
    return '<td class="thumbs">' + "".join(cells) + "</td>"


def render_index(rows, *, folder, title="histdip batch"):
    """The index page of ``rows`` (:func:`index_rows`) kept in ``folder``, as a string."""
    counts = tally(rows)
    head = "<th>input / result</th>" + "".join(
        f'<th data-numeric="{int(n)}" tabindex="0" role="button" title="sort">{escape(h)}</th>' for _, h, n in TABLE)
    head += "<th>files</th><th>error</th>"
    body = []
    shown = short_names([row["file"] for row in rows])
    for row, name in zip(rows, shown):
        links = " ".join(x for x in (_link(row["output"] or None, folder, "output"),
                                     _link(row["json"], folder, "JSON"),
                                     _link(row["report"], folder, "report")) if x)
        cells = "".join(_cell(name if c == "file" else row[c], n) for c, _, n in TABLE)
        body.append(f'<tr data-status="{escape(row["status"], quote=True)}">{_thumbs(row)}{cells}'
                    f'<td class="links">{links}</td><td class="error">{escape(row["error"] or "")}</td></tr>')
    options = "".join(f'<option value="{escape(s, quote=True)}">{escape(s)} ({n})</option>' for s, n in counts.items())
    summary = ", ".join(f"{n} {s}" for s, n in counts.items()) or "no inputs"
    template = files(__package__).joinpath("index.html").read_text(encoding="utf-8")
    return Template(template).substitute(title=escape(title), summary=escape(f"{len(rows)} inputs: {summary}"),
                                         version=escape(__version__), head=head, body="".join(body),
                                         options=options)


def write_index(path, out=None, *, overwrite=True, thumbnails=True):
    """Write the index page of the batch at ``path`` (its folder or its summary CSV).

    Parameters
    ----------
    path : path
        The batch's ``--outdir``, or its ``histdip_summary.csv``.
    out : path, optional
        The page (default: ``index.html`` beside the summary).
    overwrite : bool
        Replace an existing page (the default: the index is the batch's own, rewritten
        on every run; a page histdip did not write is still refused by name).
    thumbnails : bool
        Embed thumbnails of the inputs and the results.

    Returns
    -------
    pathlib.Path
    """
    summary = find_summary(path)
    out = Path(out) if out is not None else summary.parent / INDEX_NAME
    rows = index_rows(summary, thumbnails=thumbnails)
    html = render_index(rows, folder=out.parent, title=f"histdip batch: {summary.parent.name}")
    if out.exists() and overwrite and "histdip-batch-index" not in out.read_text(encoding="utf-8", errors="replace"):
        raise OutputError(f"{out}: exists and is not a histdip batch index; give -o another name")
    return write_report(html, out, overwrite=overwrite, protect=[summary])

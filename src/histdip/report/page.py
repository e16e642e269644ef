"""The report as one self-contained HTML page: :func:`render_html` and :func:`write_report`.

The page is a template (``page.html``) with its style (``page.css``) and its script
(``page.js``) written inline, the charts as inline SVG and the images as data URIs in
one JSON block the script reads: it opens offline and fetches nothing.
"""

from __future__ import annotations

import json
from html import escape
from importlib.resources import files
from pathlib import Path
from string import Template

from .. import __version__
from ..io import atomic_output


SNAPSHOT_IMG = '<img id="snap-image" alt="the output at the step the slider shows">'


def _resource(name):
    return files(__package__).joinpath(name).read_text(encoding="utf-8")


def number(value, digits=4):
    """A figure for the page: ``n/a`` for None, ``inf`` kept, else ``digits`` significant.

    >>> number(None), number(3.14159), number(float("inf"))
    ('n/a', '3.142', 'inf')
    """
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    if value == float("inf"):
        return "inf"
    return f"{value:.{digits}g}"


def table(header, rows, *, cls="", attrs=""):
    """An HTML table; cells are escaped."""
    head = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}" {attrs}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _frame(data, keys, extra=""):
    """Stacked images (by key of ``data.images``) in a box with the display's aspect."""
    h, w, _ = data.display
    imgs = "".join(f'<img data-key="{k}" alt="{escape(k)}"' + (' class="overlay"' if i else "") + ">"
                   for i, k in enumerate(keys))
    style = f"aspect-ratio: {w} / {h}; --ar: {w / h:.5f}"
    return f'<div class="frame" style="{style}">{imgs}{extra}</div>'


def _layer_radios(data):
    items = []
    for layer in data.layers + [{"key": "step", "label": "fit step"}]:
        if layer["key"] == "step" and not data.snapshots:
            continue
        checked = " checked" if layer["key"] == data.primary else ""
        items.append(f'<label><input type="radio" name="layer" value="{layer["key"]}"{checked}> '
                     f'{escape(layer["label"])}</label>')
    return "".join(items)


def _fit(data):
    fit = data.fit
    text = "".join(f"<p>{escape(line)}</p>" for line in fit["text"])
    if not data.snapshots:
        return f'<p class="empty">No fit to show: {escape(data.record.get("stop_reason", "no snapshots"))}.</p>{text}'
    n = len(data.snapshots)
    view = (f'<div class="snapshot">{_frame(data, [], SNAPSHOT_IMG)}'
            f'<div class="slider-row"><button type="button" id="snap-play" title="play the fit">play</button>'
            f'<input type="range" id="snap-slider" min="0" max="{n - 1}" step="1" value="{n - 1}" '
            f'aria-label="snapshot of the fit"></div>'
            f'<p class="steplabel" id="snap-label"></p></div>')
    charts = "".join(fit["charts"]) or '<p class="empty">No curve recorded.</p>'
    return f'<div class="two">{view}<div class="charts">{charts}{text}</div></div>'


def _split(data):
    split = data.split
    what = ("The learned split: the grey's background class is read from its lower half; a level's probability "
            "of being signal (blue) reaches one half at T." if split["learned"] else
            "The threshold T on the grey; pixels above it are the foreground.")
    rows = table(("", "value"), split["rows"], cls="kv")
    return (f'<div class="two"><div>{split["chart"]}<p class="caption">{escape(what)}</p>{rows}</div>'
            f'<div>{_frame(data, ["input", "mask"])}<p class="caption">The mask over the input.</p></div></div>')


def _counts(data):
    counts = data.counts
    if counts is None:
        return '<p class="empty" id="count-value" data-count="">counting not available</p>'
    s = counts["summary"]
    base = "count_base"
    h, w, _ = data.display
    pick = (f'<svg class="pick" viewBox="0 0 {w} {h}" preserveAspectRatio="none">'
            f'<circle id="pick" cx="-50" cy="-50" r="8"/></svg>')
    density = ("density unknown (no pixel size)" if s["density_per_mm2"] is None else
               f"{s['density_per_mm2']:.4g} per mm² (pixel {s['pixel_size_um']:g} µm)")
    line = (f'<p class="count-line"><strong id="count-value" data-count="{s["count"]}">{s["count"]}</strong> '
            f'objects, {s["clipped"]} clipped (outlined red: intensities are lower bounds); {escape(density)}; '
            f'threshold: LoG &ge; {s["threshold"]:.4g} (noise sigma {s["noise_sigma"]:.4g})</p>')
    shown = ("The signal layer" if "signal" in data.images else "The output") + (
        " with gamma 0.5, so that faint objects show; outlines yellow, clipped objects red.")
    notes = "".join(f'<p class="caption">{escape(n)}</p>' for n in [shown, *counts["notes"]] if n)
    rows = table(counts["columns"], counts["rows"], cls="sortable", attrs='id="count-table"')
    return (f'{line}<div class="two"><div>{_frame(data, [base, "outlines"], pick)}{notes}</div>'
            f'<div class="scroll">{rows}</div></div>'
            '<p class="hint">Click a column to sort, a row to ring the object on the image.</p>'
            + (f'<div class="chart">{counts["chart"]}</div><p class="caption">Each counted object\'s peak in noise '
               'sigma of the photo. Beads of one kind form one group; a second, fainter group is usually light '
               'the signal layer keeps round them (flare, haze): <code>histdip count --min-snr K</code> raises '
               'the counter\'s floor to K.</p>' if counts.get("chart") else ""))


def _flatten(mapping, prefix=""):
    for key, value in mapping.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", json.dumps(value) if isinstance(value, (list, bool)) or value is None else value


def _numbers(data):
    rows = [(name, number(a), number(b), note) for name, a, b, note in data.numbers]
    parts = ["<h3>Without a reference</h3>", table(("figure", "input", "restored", "how"), rows, cls="numbers")]
    if data.reference:
        ref = [(name, number(a), number(b), note) for name, a, b, note in data.reference]
        parts += ["<h3>Against the clean image</h3>", table(("figure", "input", "restored", "how"), ref, cls="numbers")]
    settings = "".join(f"<div><span>{escape(k)}</span> {escape(str(v))}</div>" for k, v in _flatten(data.settings))
    parts += ["<h3>Settings</h3>", f'<div class="settings">{settings}</div>',
              "<details><summary>The run record (JSON)</summary><pre>"
              + escape(json.dumps(data.record, indent=1)) + "</pre></details>"]
    return "".join(parts)


def _script_json(value):
    # A JSON block inside <script>: "</" must not close it.
    return json.dumps(value, separators=(",", ":")).replace("</", "<\\/")


def render_html(data):
    """The page of a :class:`~histdip.report.ReportData`, as a string."""
    h, w, scale = data.display
    payload = {"images": data.images, "layers": data.layers, "primary": data.primary,
               "snapshots": data.snapshots, "display": {"width": w, "height": h, "scale": scale},
               "iterations": data.fit.get("iterations", 0)}
    notes = "".join(f"<p>{escape(n)}</p>" for n in data.notes)
    return Template(_resource("page.html")).substitute(
        version=escape(__version__), title=escape(data.title), summary=escape(data.summary),
        css=_resource("page.css"), js=_resource("page.js"), layer_radios=_layer_radios(data),
        width=w, height=h, ratio=f"{w / h:.5f}", orientation="portrait" if h > w else "landscape", fit=_fit(data), split=_split(data), counts=_counts(data), numbers=_numbers(data),
        notes=notes, data=_script_json(payload))


def default_report_path(out):
    """The page written beside output image ``out``: ``<output stem>_report.html``."""
    out = Path(out)
    return out.with_name(f"{out.stem}_report.html")


def write_report(data, path, *, overwrite=False, protect=()):
    """Write the page of ``data`` (a :class:`ReportData` or its HTML) to ``path``,
    atomically, refusing an existing file unless ``overwrite``.

    Returns
    -------
    pathlib.Path
    """
    html = data if isinstance(data, str) else render_html(data)
    with atomic_output(path, overwrite=overwrite, protect=protect) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return path

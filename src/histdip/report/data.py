"""The report's content, assembled from a :class:`~histdip.report.run.Run`: embedded
images, snapshots, charts, figures, counts and settings (:class:`ReportData`).

:func:`assemble` does it; :func:`build_report` and :func:`report_from_run` are its two
faces, from a result in memory and from a run's files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..planes import read_planes
from . import charts
from .images import (
    display_size,
    image_uri,
    mask_overlay_uri,
    outline_overlay_uri,
    percent,
    snapshot_uris,
    stretch_limits,
    thin_evenly,
)
from .numbers import against_reference, reference_free
from ..io import read_run_record
from .run import run_from_files, run_from_result

#: Most snapshots a report holds (evenly spaced over the fit; the output comes after them).
SNAPSHOT_LIMIT = 20

#: Characters a page may take; the snapshots are embedded smaller where they would pass it.
PAGE_LIMIT = 15_000_000

#: Characters kept for everything but the images (tables, charts, script, style).
PAGE_MARGIN = 1_500_000

#: Gamma of the image the counted objects are outlined on: their faint ones show.
COUNT_GAMMA = 0.5

LAYER_TEXT = {
    "signal": "the light of the objects, background and noise removed",
    "recording": "the photo's fitted plane, denoised: signal plus background",
    "background": "the smooth background the signal sits on",
    "output": "the restored image",
    "mask": "the foreground the prior drew on the input (where T falls), over the input",
}


@dataclass(frozen=True, eq=False)
class ReportData:
    """Everything one report page shows (:func:`histdip.report.render_html` writes it).

    Attributes
    ----------
    title, summary : str
    shape : (int, int)
        The input's height and width.
    display : (int, int, float)
        The embedded images' height, width and scale.
    images : dict of str to str
        Data URIs: ``input``, the layers (or ``output``), ``mask`` (a transparent
        overlay) and, with counts, ``outlines``.
    layers : list of dict
        The viewer's choices: ``key``, ``label``, ``image``, ``overlay``, ``text``.
    primary : str
        The key of the layer shown first.
    snapshots : list of dict
        ``step``, ``label`` and ``uri`` of each slider position, the output last.
    fit : dict
        ``charts`` (SVG), ``text`` (lines), ``iterations``; empty without a fit.
    split : dict
        ``chart`` (SVG) and ``rows`` of (name, value).
    counts : dict or None
        ``summary``, ``rows``, ``columns``, ``notes``; None where counting is not available.
    numbers, reference : list of tuple
        Rows (figure, input, restored, note); ``reference`` empty without one.
    settings, record : dict
    notes : list of str
    """

    title: str
    summary: str
    shape: tuple
    display: tuple
    images: dict
    layers: list
    primary: str
    snapshots: list
    fit: dict
    split: dict
    counts: dict | None
    numbers: list
    reference: list = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    record: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)


def summary_line(record):
    """One line from a run record: the primary layer, T, steps, why the fit stopped."""
    parts = []
    if record.get("primary"):
        parts.append(f"primary {record['primary']}")
    split = record.get("split_on_input")
    if split:
        parts.append(f"learned T = {split['threshold']:.3g}, signal {100 * split['signal_share']:.1f} % of pixels")
    elif record.get("threshold") is not None:
        parts.append(f"T = {record['threshold']:.4g}")
    if record.get("iterations"):
        parts.append(f"{record['iterations']} iterations")
    if record.get("stop_reason"):
        parts.append(str(record["stop_reason"]).split(":", 1)[0])
    return ", ".join(parts)


def _loss_curves(label, cls, loss):
    """The raw loss (faint) and its running mean over about a fortieth of the fit."""
    steps = list(range(1, len(loss) + 1))
    window = max(5, len(loss) // 40)
    return [(f"{label} loss", f"{cls} raw", steps, loss),
            (f"{label}, mean of {window} steps", cls, steps, charts.running_mean(loss, window))]


def _check_curve(label, cls, curve):
    return (label, cls, [s for s, _ in curve["check"]], [v for _, v in curve["check"]])


def _fit_section(record, check_every=None, dip_record=None):
    curve = record.get("curve")
    iterations = int(record.get("iterations") or 0)
    text = [f"Why it stopped: {record.get('stop_reason', 'not recorded')}"]
    if not iterations:
        return {"charts": [], "text": text, "iterations": 0}
    if not curve:
        text.append("The loss was not recorded by the histdip that made this run: no curve.")
        return {"charts": [], "text": text, "iterations": iterations}
    dip_curve = (dip_record or {}).get("curve") or {}
    last = max(iterations, len(dip_curve.get("loss", ())))
    best = record.get("best_step")
    markers = [(iterations, f"stopped at {iterations}", "stop")]
    if best:
        markers.append((best, f"output from {best}", "best"))
        text.append(f"The output carries the weights of step {best}, the check closest to the noise level.")
    for step, back in record.get("rewinds") or ():
        markers.append((step, f"back to {back}", "rewind"))
        text.append(f"At step {step} the output had collapsed to zero for two checks; the fit went back to its "
                    f"best check, step {back}, and on (the checks between are left out of the chart).")
    losses = _loss_curves("HIST-DIP", "curve-main", curve["loss"])
    if dip_curve.get("loss"):
        losses += _loss_curves("DIP alone", "curve-dip", dip_curve["loss"])
        text.append(f"DIP alone (the paper's ablation, no threshold): {dip_record.get('stop_reason', '')}")
    svgs = [charts.curve_chart(losses, last_step=last, y_label="loss", title="Loss against the step",
                               markers=markers, chart_id="chart-loss")]
    if curve.get("check"):
        checks = [_check_curve("HIST-DIP", "curve-main", curve)]
        if dip_curve.get("check"):
            checks.append(_check_curve("DIP alone", "curve-dip", dip_curve))
        level = curve.get("check_level")
        signal = curve.get("check_signal") or "the stopping rule's signal"
        svgs.append(charts.curve_chart(checks, last_step=last, y_label=signal.split(" of ")[0],
                                       title=f"The stopping rule: {signal}", markers=markers,
                                       level=None if level is None else (level, f"stop level {level:g}"),
                                       chart_id="chart-check"))
        every = f"every {check_every} steps" if check_every else "at each check"
        text.append(f"The stopping rule's {signal}, {every}.")
        zero = curve.get("check_zero")
        if zero is not None:
            text.append(f"An all-zero output scores {zero:.4g} on it: a fit still near that has not started, "
                        "and is not taken as levelled off.")
    return {"charts": svgs, "text": text, "iterations": iterations}


def _split_section(run):
    prior, record = run.prior, run.record
    split = getattr(prior, "split", None)
    rows = [("T", f"{prior.threshold:.4g}"), ("grey", record.get("threshold_on", prior.describe_grey())),
            ("mask share", f"{100 * float(np.mean(prior.mask)):.2f} % of pixels (grey > T, cleaned and grown)")]
    if split is not None:
        rows += [("softness tau", f"{split.softness:.3g}"),
                 ("background class", f"centre {split.centre:.3g}, width {split.width:.3g}, "
                                      f"{100 * split.background_share:.1f} % of pixels"),
                 ("signal share", f"{100 * split.signal_share:.1f} % of pixels")]
    if prior.background_radius:
        rows.append(("background scale", f"{prior.background_radius:.3g} px ({prior.background})"))
    chart = charts.histogram_chart(prior.grey, prior.threshold, split=split, low=prior.threshold_low,
                                   grey_label=prior.describe_grey())
    return {"chart": chart, "rows": rows, "learned": split is not None}


def _counts_section(counts, notes):
    if counts is None:
        return None
    from ..count import COLUMNS

    summary = counts.summary()
    rows = [[_cell(row[c]) for c in COLUMNS] for row in counts.rows()]
    chart = None
    if counts.count and counts.noise_sigma:
        chart = charts.brightness_chart(counts.table["peak_intensity"], counts.noise_sigma,
                                 min_snr=float(summary.get("settings", {}).get("min_snr", 3.0)))
    return {"summary": summary, "columns": list(COLUMNS), "rows": rows, "notes": list(notes), "chart": chart}


def _cell(value):
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:.0f}" if abs(value) >= 1e5 else f"{value:.5g}"
    return value


def _plane(image, config):
    # The polarity picks the colour plane of a brightfield photo (histdip.colour).
    planes = read_planes(image, channel=config.get("channel", "auto"), polarity=config.get("polarity", "bright"))
    return planes.from_unit(planes.recorded, offset=True)


def _images(run, size):
    """The embedded images (data URIs by key), the viewer's layers, the primary key and
    the output's display limits (which the snapshots share)."""
    images = {"input": image_uri(run.image, size), "mask": mask_overlay_uri(run.prior.mask, size)}
    primary = run.record.get("primary") if run.layers else "output"
    arrays = run.layers if run.layers else {"output": run.output}
    limits = stretch_limits(run.output)
    for name, array in arrays.items():
        images[name] = image_uri(array, size, limits if name == primary else None)
    layers = [{"key": name, "label": name + (" (output)" if name == primary and run.layers else ""),
               "image": name, "overlay": None, "text": LAYER_TEXT[name]} for name in arrays]
    layers.append({"key": "mask", "label": "mask", "image": "input", "overlay": "mask", "text": LAYER_TEXT["mask"]})
    if run.counts is not None:
        clipped = run.counts.table["clipped"] if run.counts.count else None
        images["outlines"] = outline_overlay_uri(run.counts.labels, size, clipped)
        images["count_base"] = image_uri(arrays.get("signal", run.output), size, gamma=COUNT_GAMMA)
    return images, layers, primary, limits


def _snapshots(run, images, primary, size, limits):
    """The slider's positions (``step``, ``label``, ``uri``), the output last, and the
    scale the snapshots were embedded at."""
    kept = thin_evenly(run.snapshots, SNAPSHOT_LIMIT)
    budget = PAGE_LIMIT - PAGE_MARGIN - sum(len(u) for u in images.values())
    uris, scale = snapshot_uris(kept, size, limits, budget)
    snaps = [{"step": int(k), "label": f"step {int(k)}", "uri": u} for (k, _), u in zip(kept, uris)]
    iterations = int(run.record.get("iterations") or 0)
    if iterations:
        best = run.record.get("best_step") or iterations
        snaps.append({"step": int(best), "label": f"output (weights of step {best}, fit stopped at {iterations})",
                      "uri": images[primary]})
    return snaps, scale


def assemble(run, *, reference=None, reference_name="reference", dip=None):
    """The :class:`ReportData` of ``run``.

    Parameters
    ----------
    run : histdip.report.Run
    reference : ndarray, optional
        A clean image of the same scene: PSNR and SSIM against it.
    reference_name : str
        What the reference is called on the page (its file name).
    dip : dict, optional
        The run record of the same photo restored with ``method='dip'`` (the paper's
        DIP alone): its curves are drawn beside this run's.
    """
    h, w, scale = display_size(run.image.shape)
    images, layers, primary, limits = _images(run, (h, w))
    snaps, snap_scale = _snapshots(run, images, primary, (h, w), limits)
    plane = _plane(run.image, run.config)
    recording = run.layers["recording"] if run.layers else None
    numbers = reference_free(plane, run.output, run.prior.mask, recording=recording)
    ref_rows = [] if reference is None else against_reference(plane, run.output, reference, reference_name)
    notes = list(run.notes)
    notes.append(f"images shown at {percent(scale)} ({w} x {h} of {run.image.shape[1]} x {run.image.shape[0]} px)")
    if snaps and snap_scale < 1:
        notes.append(f"the fit's snapshots embedded at {percent(snap_scale)} of that, to keep the page under "
                     f"{PAGE_LIMIT / 1e6:.0f} MB")
    fit = _fit_section(run.record, run.config.get("stopping", {}).get("check_every"), dip)
    if fit["iterations"] and not run.snapshots:
        fit["text"].append("No snapshots were kept with this run, so the slider holds the output alone: "
                           "histdip restore --report (or --snapshots K) keeps them.")
    return ReportData(
        title=f"histdip report: {run.name}", summary=summary_line(run.record),
        shape=tuple(run.image.shape[:2]), display=(h, w, scale), images=images, layers=layers,
        primary=primary, snapshots=snaps, fit=fit,
        split=_split_section(run), counts=_counts_section(run.counts, run.notes), numbers=numbers,
        reference=ref_rows, settings=dict(run.config), record={k: v for k, v in run.record.items() if k != "curve"},
        notes=notes)


def _dip_record(dip):
    """The run record of a DIP-alone comparison: from a Result, a record, or a run's JSON."""
    if dip is None or isinstance(dip, dict):
        return dip.get("run", dip) if isinstance(dip, dict) else None
    if hasattr(dip, "record"):
        return dip.record()
    return read_run_record(dip)["run"]


def build_report(result, image, *, name="image", reference=None, reference_name="reference", dip=None,
                 pixel_size=None, count=True):
    """The :class:`ReportData` of a restoration held in memory.

    Parameters
    ----------
    result : histdip.Result
        From :func:`histdip.restore_detailed`; pass ``snapshots=histdip.fit.SnapshotPlan(...)``
        there for the iteration slider.
    image : ndarray
        The input that was restored.
    name : str
        The input's file name, for the title.
    reference : ndarray, optional
        A clean image of the scene: PSNR and SSIM against it.
    reference_name : str
    dip : histdip.Result, dict or path, optional
        The same photo restored with ``method='dip'``: its curves beside this run's.
    pixel_size : float, optional
        Micrometres per pixel (the counted objects' density).
    count : bool
        Count the objects (when :mod:`histdip.count` is there).

    Returns
    -------
    ReportData
    """
    run = run_from_result(result, image, name=name, pixel_size=pixel_size, count=count)
    return assemble(run, reference=reference, reference_name=reference_name, dip=_dip_record(dip))


def report_from_run(path, *, reference=None, reference_name="reference", dip=None, pixel_size=None, count=True):
    """The :class:`ReportData` of a run saved by ``histdip restore``, from its JSON.

    The photo, the output, the layers and the snapshots folder are read from where the
    record says and from beside it (:func:`histdip.report.run.run_from_files`).
    """
    run = run_from_files(path, pixel_size=pixel_size, count=count)
    return assemble(run, reference=reference, reference_name=reference_name, dip=_dip_record(dip))

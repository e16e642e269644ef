"""The interactive report: one self-contained HTML page per restored image.

It shows the input and the restored layers with a divider to drag, zoom and pan; the
fit's snapshots on a slider beside its loss and its stopping rule; the histogram with T
and the mask; the objects counted (:mod:`histdip.count`) outlined with their table; and
reference-free figures with the settings and the run record. Images are embedded: the
page opens offline and fetches nothing (docs/report.md).

* :mod:`.run` -- :class:`Run`, what a report is made from, in memory
  (:func:`run_from_result`) or read back from a run's files (:func:`run_from_files`);
* :mod:`.data` -- :class:`ReportData` and :func:`build_report`, :func:`report_from_run`;
* :mod:`.images`, :mod:`.charts`, :mod:`.numbers` -- the embedded images, the SVG
  charts and the figures;
* :mod:`.page` -- :func:`render_html`, :func:`write_report`;
* :mod:`.index` -- :func:`write_index`, the index page of a batch (thumbnails and a
  sortable table over its ``histdip_summary.csv``).

From Python::

    import histdip, histdip.report as report
    from histdip.fit import SnapshotPlan

    plan = SnapshotPlan(every=10, limit=20, max_side=1200)     # the slider's snapshots, bounded
    result = histdip.restore_detailed(photo, snapshots=plan)
    report.write_report(report.build_report(result, photo, name="photo.png"), "photo_report.html")
"""

from .data import PAGE_LIMIT, SNAPSHOT_LIMIT, ReportData, assemble, build_report, report_from_run
from .index import find_summary, index_rows, render_index, write_index
from .page import default_report_path, render_html, write_report
from ..io import read_run_record
from .run import Run, run_from_files, run_from_result

__all__ = ["PAGE_LIMIT", "SNAPSHOT_LIMIT", "ReportData", "Run", "assemble", "build_report", "default_report_path",
           "find_summary", "index_rows", "read_run_record", "render_html", "render_index", "report_from_run",
           "run_from_files", "run_from_result", "write_index", "write_report"]

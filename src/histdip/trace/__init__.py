"""1-D sensor traces: a drifting baseline, sparse events and noise, restored with the
stages of the image path (docs/traces.md).

* :mod:`.io` -- :func:`read_trace`, :func:`write_trace` (CSV with header and time
  column, NPY), :class:`TraceFile`;
* :mod:`.polarity` -- :func:`read_polarity`: which side of the baseline the events are;
* :mod:`.restore` -- :func:`restore_trace` -> :class:`TraceResult` (baseline, events,
  noise), :func:`trace_baseline`, :func:`event_gate`;
* :mod:`.events` -- :func:`detect_events` (the one detector), :func:`match_events`.
"""

from .events import DETECTED_DTYPE, detect_events, match_events, runs
from .io import MIN_SAMPLES, TRACE_EXTENSIONS, TraceFile, is_trace_path, read_trace, write_trace
from .polarity import read_polarity
from .restore import BASELINE_SCALE, TraceResult, check_trace, event_gate, restore_trace, trace_baseline

__all__ = ["BASELINE_SCALE", "DETECTED_DTYPE", "MIN_SAMPLES", "TRACE_EXTENSIONS", "TraceFile", "TraceResult",
           "check_trace", "detect_events", "event_gate", "is_trace_path", "match_events", "read_polarity",
           "read_trace", "restore_trace", "runs", "trace_baseline", "write_trace"]

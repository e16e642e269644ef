"""Progress a person can read, on a terminal and in a log file.

On a terminal, a tqdm bar redrawn in place. Anywhere else (a pipe, a file, a
scheduler's or a container's log) a bar is a stream of carriage-return redraws that the
log keeps as one ever longer line, so there a task prints a few plain lines instead: its
start, one each quarter of the way or each :data:`INTERVAL` seconds (whichever comes
first), and its end with the reason it ended.

``HISTDIP_PROGRESS`` overrides the choice: ``bar``, ``lines``, ``off`` or ``auto`` (the
default). ``lines`` is for a terminal whose output is recorded anyway (``docker run -t``,
``script``, a CI runner with a pseudo-terminal): it reads as a terminal, and only its
user knows that a log is kept.

>>> import io
>>> out = io.StringIO()
>>> bar = open_progress(8, "fitting", "it", items="steps", file=out, mode="lines", clock=lambda: 0.0)
>>> for step in range(5):
...     bar.update(1, loss="0.1")
>>> bar.close("fixed: ran all 5 iterations")
>>> print(out.getvalue(), end="")
fitting: 0/8 steps
fitting: 2/8 steps, 0.0 s, loss 0.1
fitting: 4/8 steps, 0.0 s, loss 0.1
fitting: 5/8 steps, 0.0 s, loss 0.1: fixed: ran all 5 iterations
"""

from __future__ import annotations

import os
import sys
import time

from .errors import ConfigError

#: The environment variable that picks how progress is shown.
ENV = "HISTDIP_PROGRESS"
MODES = ("auto", "bar", "lines", "off")

#: Longest wait, in seconds, between two lines of a task in a log (a long fit still says
#: that it is alive).
INTERVAL = 60.0


def progress_mode(file=None):
    """How progress is shown on ``file`` (default stderr): ``'bar'``, ``'lines'`` or
    ``'off'``, as ``HISTDIP_PROGRESS`` asks, else a bar on a terminal and lines elsewhere."""
    asked = os.environ.get(ENV, "").strip().lower() or "auto"
    if asked not in MODES:
        raise ConfigError(f"{ENV}={os.environ[ENV]!r}: give one of {', '.join(MODES)}")
    if asked != "auto":
        return asked
    return "bar" if _interactive(sys.stderr if file is None else file) else "lines"


def _interactive(file):
    # A Jupyter kernel's stream says it is no terminal, yet tqdm draws a widget there.
    if type(file).__module__.startswith("ipykernel"):
        return True
    try:
        return bool(file.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


def open_progress(total, desc, unit, *, items=None, leave=False, file=None, mode=None, interval=INTERVAL,
                  clock=time.monotonic):
    """A :class:`Progress` over ``total`` units of work; None where progress is ``off``.

    ``unit`` names one unit on the bar (tqdm's), ``items`` the units in a line (default
    ``unit + 's'``); ``leave`` keeps the bar on the terminal when done.
    """
    mode = progress_mode(file) if mode is None else mode
    if mode == "off":
        return None
    return Progress(total, desc, unit, items=items, leave=leave, file=file, mode=mode, interval=interval, clock=clock)


class Progress:
    """A task's progress, as a bar or as lines (:func:`open_progress` picks which).

    Parameters
    ----------
    total : int
    desc : str
        What the task is, the start of every line (``fitting``, ``tiles``).
    unit, items : str
        One unit on the bar; the units in a line.
    mode : {'bar', 'lines', 'off'}
        ``off`` shows nothing but what :meth:`write` is given.
    """

    def __init__(self, total, desc, unit, *, items=None, leave=False, file=None, mode="lines", interval=INTERVAL,
                 clock=time.monotonic):
        self.total, self.desc, self.items = int(total), desc, items or f"{unit}s"
        self.mode, self.interval, self.clock = mode, float(interval), clock
        self.file = file
        self.count = 0
        self.postfix = {}
        self.closed = False
        self._bar = None
        self._start = self._last = clock()
        self._quarter = 0
        if mode == "bar":
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=True, leave=leave, disable=False,
                             file=file)
        elif mode == "lines":
            self._line(f"{self.desc}: 0/{self.total} {self.items}")

    def update(self, n=1, *, note=None, **postfix):
        """``n`` more units done; ``postfix`` (``loss='0.01'``) is shown beside the count,
        ``note`` (what just finished) gives a line of its own in a log."""
        self.count += n
        if postfix:
            self.postfix = postfix
        if self._bar is not None:
            self._bar.update(n)
            if postfix:
                self._bar.set_postfix(**postfix)
            return
        if self.mode != "lines" or self.closed:
            return
        quarter = 4 * self.count // self.total if self.total > 0 else 0
        now = self.clock()
        due = quarter > self._quarter and self.count < self.total
        if note is not None or due or now - self._last >= self.interval:
            self._quarter = max(self._quarter, quarter)
            self._line(self._status(now) + (f": {note}" if note is not None else ""))

    def write(self, message):
        """``message`` on a line of its own, whatever the mode (without breaking a bar)."""
        if self._bar is not None:
            self._bar.write(message, file=self._stream())
        else:
            print(message, file=self._stream(), flush=True)

    def close(self, reason=None, *, count=None):
        """End the task; in a log, its last line says how far it got (``count``, when the
        last unit ended the task before it was counted) and ``reason``."""
        if self.closed:
            return
        self.closed = True
        if count is not None and self.mode == "lines":
            self.count = count
        if self._bar is not None:
            self._bar.close()
        elif self.mode == "lines":
            self._line(self._status(self.clock()) + (f": {reason}" if reason else ": done"))

    def _status(self, now):
        extra = "".join(f", {k} {v}" for k, v in self.postfix.items())
        return f"{self.desc}: {self.count}/{self.total} {self.items}, {now - self._start:.1f} s{extra}"

    def _line(self, text):
        self._last = self.clock()
        print(text, file=self._stream(), flush=True)

    def _stream(self):
        # Looked up at each line: a caller (or pytest) may swap stderr after the start.
        return sys.stderr if self.file is None else self.file

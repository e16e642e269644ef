"""Command-line flags that several commands share, read the same way everywhere, and
the one way a command hands back its result (:func:`emit`)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from histdip.config import parse_assignments, resolve_config
from histdip.errors import HistdipError


def add_set_argument(parser, what):
    """Add the repeatable ``--set FIELD=VALUE`` (a RestoreConfig override) to a command."""
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help=f"RestoreConfig override (JSON value, e.g. lr=0.006) of {what}; repeatable")


def config_overrides(assignments, command):
    """The ``--set`` assignments as RestoreConfig overrides, checked before any run.

    Parameters
    ----------
    assignments : list of str
        ``FIELD=VALUE`` strings (:func:`histdip.config.parse_assignments`).
    command : str
        The command's name, for the message.

    Returns
    -------
    dict

    Raises
    ------
    SystemExit
        With a one-line message, for an unknown field or a value it cannot take: a bad
        flag fails at once, not on every item of a long run.
    """
    try:
        overrides = parse_assignments(assignments)
        resolve_config(**overrides)
    except HistdipError as err:
        raise SystemExit(f"benchmarks {command}: --set: {err}") from None
    return overrides


def int_list(text):
    """An argparse type: comma-separated integers, e.g. ``11,12,13``.

    >>> int_list("11,12")
    (11, 12)
    """
    try:
        return tuple(int(s) for s in text.split(","))
    except ValueError:
        raise ValueError(f"expected comma-separated integers, got {text!r}") from None


int_list.__name__ = "comma-separated integers"


def add_out_argument(parser, what):
    """Add ``--out PATH``: where a command writes ``what`` as JSON."""
    parser.add_argument("--out", metavar="PATH", default=None, help=f"write {what} here (JSON)")


def add_limit_argument(parser, what):
    """Add the hidden ``--limit N``: only the first N ``what`` (so tests run in seconds)."""
    parser.add_argument("--limit", type=int, default=None, help=argparse.SUPPRESS)


def emit(table, result, out):
    """Print a command's Markdown ``table``, write its ``result`` to ``out`` (JSON) when
    given, and return the table (for ``--update-doc``)."""
    print("\n" + table)
    if out:
        Path(out).write_text(json.dumps(result, indent=1))
    return table

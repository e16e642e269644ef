"""``histdip restore`` of a 1-D sensor trace (being written)."""

from __future__ import annotations


def is_trace(path):
    """Whether ``path`` is a trace file (not yet: none is)."""
    return False


def restore_trace_one(path, out, config, args, protect):
    raise NotImplementedError

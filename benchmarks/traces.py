"""``python -m benchmarks traces``: not built yet (being written)."""

from __future__ import annotations


def register(subparsers, parents):
    """Add the ``traces`` command to ``python -m benchmarks``."""
    p = subparsers.add_parser("traces", parents=parents, help="(not built yet)")
    p.set_defaults(func=lambda args: (_ for _ in ()).throw(SystemExit("traces: not built yet")))

"""``python -m benchmarks volumes``: not built yet (being written)."""

from __future__ import annotations


def register(subparsers, parents):
    """Add the ``volumes`` command to ``python -m benchmarks``."""
    p = subparsers.add_parser("volumes", parents=parents, help="(not built yet)")
    p.set_defaults(func=lambda args: (_ for _ in ()).throw(SystemExit("volumes: not built yet")))

"""``python -m benchmarks brightfield``: not built yet (being written)."""

from __future__ import annotations


def register(subparsers, parents):
    """Add the ``brightfield`` command to ``python -m benchmarks``."""
    p = subparsers.add_parser("brightfield", parents=parents, help="(not built yet)")
    p.set_defaults(func=lambda args: (_ for _ in ()).throw(SystemExit("brightfield: not built yet")))

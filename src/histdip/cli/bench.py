"""`histdip bench quality|curve|speed`: the benchmarks, each a thin layer over
:mod:`histdip.bench`."""

from __future__ import annotations

import importlib

# (module, function that registers its sub-commands)
_PARTS = (
    ("histdip.bench.quality", "register_quality"),
    ("histdip.bench.quality", "register_curve"),
    ("histdip.bench.speed", "register_speed"),
)


def register(sub):
    parser = sub.add_parser("bench", help="benchmarks: quality against independent references, speed")
    inner = parser.add_subparsers(dest="bench_command", metavar="BENCHMARK")
    inner.required = True
    for module_name, function in _PARTS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name != module_name:
                raise
            continue
        if hasattr(module, function):
            getattr(module, function)(inner)

"""`histdip bench quality|curve|speed`: the benchmarks, each a thin layer over
:mod:`histdip.bench`."""

from __future__ import annotations

from ..bench import curve, quality, speed


def register(sub):
    parser = sub.add_parser("bench", help="benchmarks: quality against independent references, iteration curve, speed")
    inner = parser.add_subparsers(dest="bench_command", metavar="BENCHMARK")
    inner.required = True
    quality.register_quality(inner)
    curve.register_curve(inner)
    speed.register_speed(inner)

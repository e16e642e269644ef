"""``python -m benchmarks COMMAND ...``: the benchmarks of histdip, run from a checkout.

Every command takes ``--data DIR`` (:func:`benchmarks.datasets.data_root`); those that
produce a results table also ``--update-doc PATH`` (:mod:`benchmarks.doc`). See
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import sys

from . import (brightfield, counting, curve, fmd, invented, noise, paper, phone, primary, quality, series, simulator,
               speed, stop_replay, stopping, sweep, traces, volumes)
from .doc import check_doc, update_doc

#: The commands' modules, in the order ``--help`` lists them.
COMMANDS = (quality, curve, speed, fmd, noise, stopping, stop_replay, simulator, paper, primary, sweep, phone,
            counting, series, invented, brightfield, traces, volumes)


def build_parser():
    """The argument parser of ``python -m benchmarks`` with every command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", metavar="DIR", default=None,
                        help="the real data's folder (default: $HISTDIP_DATA, else ../shared/data beside the checkout)")
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description="The benchmarks of histdip, run from a checkout "
                                                 "(see benchmarks/README.md).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.register(sub, [common])
    return parser


def main(argv=None):
    """Run one command; its exit status.

    A command's function returns its Markdown table (or None); with ``--update-doc`` that
    table goes into the document, whose markers are checked before the run starts.
    """
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    args = build_parser().parse_args(argv)
    doc = getattr(args, "update_doc", None)
    if doc:
        check_doc(doc, args.doc_section)
    if getattr(args, "threads", None):
        import torch

        torch.set_num_threads(args.threads)
    table = args.func(args)
    if doc:
        update_doc(doc, args.doc_section, table, argv)
        print(f"updated <!-- results:{args.doc_section} --> in {doc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

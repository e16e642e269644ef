"""Entry point of the ``histdip`` command.

Each sub-command lives in its own module of this package and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a handler taking
the parsed arguments and returning an exit code. User errors (:class:`HistdipError`)
become one line on stderr and exit code 2; anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__
from ..errors import HistdipError

# Order is the order shown in --help.
SUBCOMMANDS = ("restore", "threshold", "fit", "apply", "score", "simulate", "count", "report")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="histdip",
        description="Restore dim, noisy fluorescence images with a histogram threshold prior "
        "and a Deep Image Prior (HIST-DIP), without training data.",
    )
    parser.add_argument("--version", action="version", version=f"histdip {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"histdip.cli.{name}")
        module.register(sub)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except HistdipError as err:
        print(f"histdip {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("histdip: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

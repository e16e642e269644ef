"""Results into Markdown: tables, and the ``--update-doc`` block of a document.

A command given ``--update-doc PATH`` replaces, in the Markdown file PATH, everything
between the markers

    <!-- results:NAME -->
    <!-- /results:NAME -->

(NAME: the command's name, or ``--doc-section NAME``) with its Markdown table, after a
line saying the command line that made it and the commit it ran on, so that a figure in
the docs can always be traced to its run. Markers that are missing, repeated or out of
order stop the command with a one-line message, before any measuring starts
(:func:`check_doc`).
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

#: The checkout the benchmarks run from: its commit is the one a result was measured on.
REPO_ROOT = Path(__file__).resolve().parents[1]

#: Folders whose uncommitted changes make a result differ from its commit.
CODE_PATHS = ("src", "benchmarks")

__all__ = ["add_doc_arguments", "check_doc", "command_line", "git_commit", "markdown_table",
           "replace_section", "update_doc"]


def markdown_table(header, rows):
    """A Markdown table.

    Parameters
    ----------
    header : sequence of str
    rows : sequence of sequences
        Cells, written with ``str``.

    Returns
    -------
    str

    Examples
    --------
    >>> print(markdown_table(["a", "b"], [[1, 2]]))
    | a | b |
    |---|---|
    | 1 | 2 |
    """
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _markers(name):
    return f"<!-- results:{name} -->", f"<!-- /results:{name} -->"


def replace_section(text, name, body):
    """``text`` with the block between the ``results:NAME`` markers replaced by ``body``.

    The markers stay; ``body`` goes on the lines between them.

    Raises
    ------
    ValueError
        With a one-line message, when the markers are not there exactly once each, in
        order.

    Examples
    --------
    >>> replace_section("x\\n<!-- results:a -->\\nold\\n<!-- /results:a -->\\n", "a", "new")
    'x\\n<!-- results:a -->\\nnew\\n<!-- /results:a -->\\n'
    """
    start, end = _markers(name)
    found = (text.count(start), text.count(end))
    if found != (1, 1) or text.index(start) > text.index(end):
        raise ValueError(f"needs the markers {start} and {end} once each, in that order "
                         f"(found {found[0]} and {found[1]})")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body.strip()}\n{end}{tail}"


def check_doc(path, name):
    """Stop with a one-line message (SystemExit) unless ``path`` holds the markers of
    ``name``; called before a run, so that a long measurement is not lost to a typo."""
    try:
        replace_section(Path(path).read_text(), name, "")
    except OSError as err:
        raise SystemExit(f"benchmarks: cannot read {path}: {err.strerror}") from None
    except ValueError as err:
        raise SystemExit(f"benchmarks: {path} {err}") from None


def git_commit(root=REPO_ROOT):
    """The checkout's short commit, with ``+ uncommitted changes`` when :data:`CODE_PATHS`
    differ from it; ``unknown commit`` outside a git checkout."""

    def git(*args):
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)

    head = git("rev-parse", "--short", "HEAD")
    if head.returncode != 0:
        return "unknown commit (not a git checkout)"
    dirty = git("status", "--porcelain", "--", *CODE_PATHS).stdout.strip()
    return head.stdout.strip() + (" + uncommitted changes" if dirty else "")


#: Flags that say where results go, not what is measured: left out of the recorded command.
OUTPUT_FLAGS = ("--update-doc", "--doc-section", "--out", "--outdir", "--data")


def command_line(argv):
    """The command that measures, as a user types it: ``python -m benchmarks`` and
    ``argv`` quoted, less the flags of :data:`OUTPUT_FLAGS` (and their values), which
    depend on the machine and not the result.

    >>> command_line(["fmd", "--threads", "2", "--out", "/tmp/x.json", "--update-doc=docs/results.md"])
    'python -m benchmarks fmd --threads 2'
    """
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in OUTPUT_FLAGS:
            skip = "=" not in arg
            continue
        kept.append(arg)
    return "python -m benchmarks " + shlex.join(kept)


def update_doc(path, name, table, argv):
    """Write ``table`` into the ``results:NAME`` block of the Markdown file ``path``,
    after a line giving the command line (from ``argv``) and the commit.

    Raises
    ------
    SystemExit
        With a one-line message, when the file or its markers are missing.
    """
    check_doc(path, name)
    path = Path(path)
    body = f"`{command_line(argv)}` (commit {git_commit()}):\n\n{table.strip()}"
    path.write_text(replace_section(path.read_text(), name, body))
    return path


def add_doc_arguments(parser, name):
    """Add ``--update-doc PATH`` and ``--doc-section NAME`` (default ``name``) to a command."""
    parser.add_argument("--update-doc", metavar="PATH", default=None,
                        help=f"write the result table into PATH between <!-- results:{name} --> and "
                             f"<!-- /results:{name} -->")
    parser.add_argument("--doc-section", metavar="NAME", default=name,
                        help=f"the NAME of those markers (default {name})")


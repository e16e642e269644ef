"""Exceptions that histdip raises for problems the user can fix.

The command-line layer turns any :class:`HistdipError` into one line on stderr and a
non-zero exit; everything else is a bug and keeps its traceback.
"""


class HistdipError(Exception):
    """Base class of user-facing errors (bad input, bad settings)."""


class InputError(HistdipError):
    """An input image or file cannot be used (corrupt, empty, wrong shape, NaN...)."""


class OutputError(InputError):
    """An output cannot be written: it exists (without ``overwrite``), it would replace an
    input, its folder is missing or read-only, or the disk is full.

    A subclass of :class:`InputError`, so code that catches that still catches it; catch
    this one to tell a problem with where results go (the same for every input: stop,
    free space, choose another folder) from a problem with one input (skip it).
    """


class ConfigError(HistdipError):
    """A setting is invalid or settings contradict each other."""


class NoSignalError(HistdipError):
    """The histogram threshold leaves no foreground pixel: nothing to restore."""


class MemoryBudgetError(ConfigError):
    """A restoration would need more memory than its budget (``max_memory``, or what the
    machine and the process's limits leave), even in the smallest tiles and crops."""

"""Exceptions that histdip raises for problems the user can fix.

The command-line layer turns any :class:`HistdipError` into one line on stderr and a
non-zero exit; everything else is a bug and keeps its traceback.
"""


class HistdipError(Exception):
    """Base class of user-facing errors (bad input, bad settings)."""


class InputError(HistdipError):
    """An input image or file cannot be used (corrupt, empty, wrong shape, NaN...)."""


class ConfigError(HistdipError):
    """A setting is invalid or settings contradict each other."""


class NoSignalError(HistdipError):
    """The histogram threshold leaves no foreground pixel: nothing to restore."""

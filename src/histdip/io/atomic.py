"""Atomic, no-clobber output files: :func:`check_output_path`, :func:`atomic_output`
and :class:`OutputBatch`.

Every write goes to a temporary file in the destination folder which is renamed over
the destination only once complete, so a failure or an interrupt never leaves a partial
file. An existing destination is refused unless ``overwrite=True``, and a path listed
in ``protect`` (the inputs) is refused even with ``overwrite=True``.
:class:`OutputBatch` does the same for several files at once: all are put in place, or
none.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from ..errors import HistdipError, OutputError


def check_output_path(path, *, overwrite=False, protect=(), folder_may_be_missing=False):
    """Refuse a destination that would clobber a file, an input or a folder.

    Parameters
    ----------
    path : path-like
    overwrite : bool
        Allow replacing an existing file.
    protect : iterable of path-like
        Paths that must never be written (the inputs), even with ``overwrite``.
    folder_may_be_missing : bool
        Accept a destination whose folder does not exist yet (it will be created).

    Raises
    ------
    OutputError
        One line: the destination is an input, a folder, an existing file (without
        ``overwrite``), or lies in a folder that is missing or not writable.
    """
    path = Path(path)
    for other in protect:
        if _same_file(path, Path(other)):
            raise OutputError(f"{path}: output would overwrite the input {other}; choose another output path")
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; give a file name for the output")
    if (path.exists() or path.is_symlink()) and not overwrite:
        raise OutputError(f"{path}: already exists; refusing to overwrite it (pass --overwrite to replace it)")
    parent = path.parent
    if parent.exists() and not parent.is_dir():
        raise OutputError(f"{path}: {parent} is not a folder")
    if not parent.is_dir() and not folder_may_be_missing:
        raise OutputError(f"{path}: output folder {parent} does not exist")
    if parent.is_dir() and not os.access(parent, os.W_OK | os.X_OK):  # refused now, before any work is spent
        raise OutputError(f"{path}: cannot write in {parent} (the folder is read-only)")
    return path


def _same_file(a, b):
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.abspath(a) == os.path.abspath(b)


@contextlib.contextmanager
def atomic_output(path, *, overwrite=False, protect=()):
    """Context manager yielding a temporary path to write; renamed onto ``path`` on success.

    The temporary file lives in the destination's folder (same file system, so the rename
    is atomic) and keeps the destination's extension, so writers that pick the format
    from the name still work. On any exception, including KeyboardInterrupt, the
    temporary file is removed and ``path`` is left as it was. Without ``overwrite`` the
    final step refuses to replace a file that appeared in the meantime. An
    :class:`OSError` of the writer (a full disk) propagates as it is, the temporary file
    removed; the command line reports it in one line naming the output.
    """
    path = Path(path)
    check_output_path(path, overwrite=overwrite, protect=protect)
    fd, tmp = _mkstemp(path, path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise HistdipError(f"{path}: nothing was written")
        _commit(tmp, path, overwrite)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


class OutputBatch:
    """Stage several output files, then put them all in place, or none.

    Use as a context manager: :meth:`stage` returns a temporary path to write each
    output to (it keeps the destination's extension); when the block ends normally every
    staged file is renamed onto its destination, and when it raises, every temporary file
    is removed and no destination is touched. Should one rename fail (a full disk: an
    :class:`~histdip.errors.OutputError` naming the destination), the outputs already put
    in place by this batch are removed again.

    Destinations may lie in a folder that does not exist yet (e.g. a snapshots folder);
    it is created at commit time and removed again on failure if it stays empty.

    Examples
    --------
    >>> with OutputBatch(overwrite=False) as batch:          # doctest: +SKIP
    ...     write_image(batch.stage("out.tif"), result, overwrite=True)
    ...     config.save(batch.stage("out.json"))
    """

    def __init__(self, *, overwrite=False, protect=()):
        self.overwrite = overwrite
        self.protect = [Path(p) for p in protect]
        self._staged = []  # (tmp, final)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.commit()
        else:
            self.discard()
        return False

    def check(self, path):
        """Check a destination now (before any work is spent on it)."""
        return check_output_path(path, overwrite=self.overwrite, protect=self.protect, folder_may_be_missing=True)

    def stage(self, path):
        """A temporary path to write ``path``'s content to."""
        path = Path(path)
        self.check(path)
        if any(_same_file(path, final) for _, final in self._staged):
            raise OutputError(f"{path}: written twice in one run")
        folder = path.parent
        while not folder.is_dir():
            folder = folder.parent
        fd, tmp = _mkstemp(path, folder)
        os.close(fd)
        self._staged.append((Path(tmp), path))
        return Path(tmp)

    @property
    def destinations(self):
        return [final for _, final in self._staged]

    def discard(self):
        """Remove every staged temporary file; destinations are left alone."""
        for tmp, _ in self._staged:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        self._staged = []

    def commit(self):
        """Rename every staged file onto its destination (all or none)."""
        done, made_dirs = [], []
        try:
            for tmp, final in self._staged:
                if not tmp.exists() or tmp.stat().st_size == 0:
                    raise HistdipError(f"{final}: nothing was written")
            for tmp, final in self._staged:
                if not final.parent.is_dir():
                    missing = []
                    folder = final.parent
                    while not folder.exists():
                        missing.append(folder)
                        folder = folder.parent
                    final.parent.mkdir(parents=True, exist_ok=True)
                    made_dirs.extend(reversed(missing))
                try:
                    _commit(tmp, final, self.overwrite)
                except OSError as err:  # disk full while renaming: about the destination, in one line
                    raise OutputError(f"{final}: cannot write output ({err.strerror or err})") from None
                done.append(final)
        except BaseException:
            for final in done:
                with contextlib.suppress(OSError):
                    final.unlink()
            for folder in reversed(made_dirs):
                with contextlib.suppress(OSError):
                    folder.rmdir()
            raise
        finally:
            self.discard()
        return done


def _mkstemp(path, folder):
    try:
        return tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".partial{path.suffix}", dir=folder)
    except OSError as err:
        raise OutputError(f"{path}: cannot write in {folder} ({err.strerror or err})") from None


def _commit(tmp, path, overwrite):
    # mkstemp creates files readable by the owner only; give the result the usual mode.
    umask = os.umask(0)
    os.umask(umask)
    with contextlib.suppress(OSError):
        os.chmod(tmp, 0o666 & ~umask)
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails if path exists: no clobbering, even in a race
    except FileExistsError:
        raise OutputError(f"{path}: already exists; refusing to overwrite it (pass --overwrite to replace it)") from None
    except OSError:
        if path.exists():
            raise OutputError(f"{path}: already exists; refusing to overwrite it (pass --overwrite to replace it)") from None
        os.replace(tmp, path)  # file system without hard links

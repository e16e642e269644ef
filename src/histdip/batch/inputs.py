"""The files a batch restores: folders and glob patterns expanded, sorted, checked."""

from __future__ import annotations

import glob
from pathlib import Path

from ..errors import InputError
from ..io import READ_EXTENSIONS, is_omezarr_path

_GLOB_CHARS = set("*?[")


def is_pattern(item):
    """Whether ``item`` is a glob pattern rather than a path (a path that exists is not)."""
    item = str(item)
    return bool(_GLOB_CHARS & set(item)) and not Path(item).exists()


def expand_inputs(items, *, exclude=(), skip_names=()):
    """The image files that ``items`` (files, folders, glob patterns) name.

    A file (or an OME-Zarr folder) is taken as it is. A folder gives the files directly
    in it whose extension histdip reads, and the OME-Zarr images in it; a pattern gives
    its matches of those kinds (``**`` recurses).
    Hidden files, files under a folder in ``exclude`` (the output folder) and names
    ending in one of ``skip_names`` (earlier outputs) are left out. The list is sorted
    by path and each file appears once, so the order never depends on the file system.

    Parameters
    ----------
    items : iterable of str or path-like
    exclude : iterable of path-like
        Folders whose files are never inputs.
    skip_names : iterable of str
        Stem endings of files that are never inputs (``'_histdip'``...).

    Returns
    -------
    list of pathlib.Path

    Raises
    ------
    InputError
        An item that is missing, a pattern or folder with no image in it, or nothing at all.
    """
    excluded = [Path(e).resolve() for e in exclude]
    found = {}
    for item in items:
        text = str(item)
        if is_pattern(text):
            candidates = [Path(p) for p in glob.glob(text, recursive=True)]
            what = f"{text}: the pattern matches"
        elif Path(text).is_dir() and not is_omezarr_path(text):
            candidates = list(Path(text).iterdir())
            what = f"{text}: is a folder that holds"
        elif Path(text).exists():
            if not Path(text).is_file() and not is_omezarr_path(text):
                # A named pipe or a device would hang the digest that follows.
                raise InputError(f"{text}: is not a regular file")
            candidates = [Path(text)]
            what = None
        else:
            raise InputError(f"{text}: no such file, folder or pattern")
        # A file named on its own is restored (or refused by the reader) as it is.
        kept = candidates if what is None else [p for p in candidates if _is_input(p, excluded, skip_names)]
        if not kept:
            raise InputError(f"{what} no image histdip reads ({', '.join(READ_EXTENSIONS)})")
        for path in kept:
            found.setdefault(str(path.resolve()), path)
    return sorted(found.values(), key=lambda p: str(p))


def _is_input(path, excluded, skip_names):
    zarr = is_omezarr_path(path) and path.is_dir()  # an image larger than memory is a folder
    if not (path.is_file() or zarr) or path.name.startswith("."):
        return False
    if (path.suffix.lower() not in READ_EXTENSIONS and not zarr) or any(path.stem.endswith(s) or f"{s}_" in path.stem
                                                          for s in skip_names):
        return False
    where = path.resolve()
    return not any(where.is_relative_to(folder) for folder in excluded)

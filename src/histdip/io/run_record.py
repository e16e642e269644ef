"""A run's JSON (``<stem>_histdip.json``) read back, and the files it names found.

``histdip restore`` writes the record beside its output: the settings
(``histdip_config``), the run's numbers (``run``), and the ``input`` and ``output``
paths. :func:`read_run_record` reads it with one-line errors; :func:`named_file` finds a
file it names, as written or beside the record (a run folder moved as a whole).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError

#: The keys every run record has.
RUN_RECORD_KEYS = ("histdip_config", "run", "input", "output")


def read_run_record(path):
    """The mapping of a run's JSON; an :class:`~histdip.errors.InputError` of one line
    for anything that is not one."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: is not a file; give the <stem>_histdip.json written beside a restored image")
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: cannot read ({getattr(err, 'strerror', None) or err})") from None
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: not a JSON file ({err.msg}, line {err.lineno})") from None
    missing = [k for k in RUN_RECORD_KEYS if not isinstance(data, dict) or k not in data]
    if missing:
        raise InputError(f"{path}: not a histdip run record (no {', '.join(missing)}); give the "
                         "<stem>_histdip.json that histdip restore writes beside a restored image")
    return data


def named_file(named, record_path):
    """The file a record at ``record_path`` names: the path as written, relative to the
    record's folder, or its name in that folder; None when none exists."""
    folder = Path(record_path).parent
    for candidate in (Path(named), folder / named, folder / Path(named).name):
        if candidate.is_file():
            return candidate
    return None

"""Folders of photos: what a batch restores, what it may skip, and where it runs.

* :mod:`.inputs` -- :func:`expand_inputs`: folders and glob patterns into image files.
* :mod:`.ledger` -- :class:`Ledger`: each input's state in the output folder (done with
  these settings, made with other settings, left by an interrupted batch, to do), from
  a fingerprint of the settings and the input's bytes and a claim file per running job.
* :mod:`.cluster` -- :func:`open_client`: a local Dask cluster sized to the machine (one
  worker per core, one torch thread each) or an existing scheduler.
* :mod:`.summary` -- :data:`COLUMNS` and :func:`write_summary`: the batch's table.

The command (``histdip restore DIR_OR_GLOB --outdir OUTDIR``, :mod:`histdip.cli.batch`)
puts them together; each job is the same restoration as ``histdip restore PHOTO``.
"""

from .cluster import open_client, worker_count
from .inputs import expand_inputs, is_pattern
from .ledger import Ledger, fingerprint, input_digest
from .summary import COLUMNS, read_summary, write_summary

__all__ = ["COLUMNS", "Ledger", "expand_inputs", "fingerprint", "input_digest", "is_pattern", "open_client",
           "read_summary", "worker_count", "write_summary"]

"""`histdip restore DIR_OR_GLOB --outdir OUTDIR`: a folder of photos, on Dask."""

from __future__ import annotations


def add_batch_options(parser):
    """The batch's own options (a folder or glob, a cluster, a series)."""
    return None


def wants_batch(args):
    """Whether ``args`` ask for a batch: a folder or glob among the inputs, or a cluster."""
    return False


def run(args):
    raise NotImplementedError

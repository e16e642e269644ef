"""Where a batch runs: a local Dask cluster sized to the machine, or an existing one."""

from __future__ import annotations

import contextlib
import logging
import os

from ..errors import ConfigError, InputError


def worker_count():
    """Cores this process may use (its CPU affinity where the system tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def open_client(*, scheduler=None, workers=None):
    """A :class:`distributed.Client`, closed (with its cluster) on exit.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``): an HPC or cloud
        deployment; its workers are used as they are.
    workers : int, optional
        Workers of the local cluster made when no scheduler is given (default: one per
        core). Each is a process with one thread and one torch thread: a fit of a photo
        gains less from a second thread than a second photo fitted beside it.

    Yields
    ------
    distributed.Client
    """
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - a dependency; a broken install
        raise ConfigError("a batch runs on dask.distributed, which is not installed: pip install 'dask[distributed]'") from None
    if scheduler is not None and workers is not None:
        raise ConfigError("--workers sizes the local cluster; with --scheduler the cluster's own workers are used")
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as err:
            raise InputError(f"{scheduler}: cannot reach the Dask scheduler ({err})") from None
        try:
            yield client
        finally:
            client.close()
        return
    n = worker_count() if workers is None else int(workers)
    if n < 1:
        raise ConfigError(f"--workers must be at least 1 (got {n})")
    # One thread per worker for torch and the BLAS it calls, set in the environment each
    # worker process starts with (the nanny's pre-spawn environment). Dask also sets
    # MALLOC_TRIM_THRESHOLD_=65536 there, so that workers hand memory back; with a fit's
    # allocations that made glibc trim and fault pages all the time: a fit took 1.4 times
    # as long in a worker as in a plain process (8.2 s against 11.0 s for 100 steps of a
    # 192 x 256 photo), most of it system time. Unset, a worker fits as fast as a process.
    environ = {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1, "MALLOC_TRIM_THRESHOLD_": None}
    with dask.config.set({f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in environ.items()}):
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR)
    client = Client(cluster)
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.close(timeout=10)
        with contextlib.suppress(Exception):
            cluster.close(timeout=10)

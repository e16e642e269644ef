"""Shared pytest fixtures, and the markers every test gets.

Markers (``pytest -m unit``, ``-m data``, ``-m "not slow"``): a test that reads
``../shared/data`` (through the ``shared_data`` fixture) is ``data``; one that takes more
than ~20 s on 2 cores is marked ``slow`` by hand; every other test is ``unit``.
"""

import os
from pathlib import Path

import pytest
import torch

# One intra-op thread: on a busy 2-core machine torch's spinning OpenMP workers slow
# small fits down ten-fold, and a fixed thread count keeps float results repeatable.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Every test starts at one torch thread: a test that set another (a benchmark's
    ``--threads``) would otherwise change the floats of every fit after it."""
    torch.set_num_threads(1)
    yield


@pytest.fixture(scope="session")
def shared_data():
    """The shared data folder (``../shared/data`` beside the repo, or $HISTDIP_DATA, as the
    benchmarks read it).

    Tests that need it are skipped, with the reason, where it does not exist.
    """
    env = os.environ.get("HISTDIP_DATA")
    path = Path(env) if env else Path(__file__).parents[2] / "shared" / "data"
    if not path.is_dir():
        pytest.skip(f"shared data folder not found: {path} (set HISTDIP_DATA to its location)")
    return path


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        if "shared_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.data)
        if not any(item.get_closest_marker(name) for name in ("data", "slow")):
            item.add_marker(pytest.mark.unit)

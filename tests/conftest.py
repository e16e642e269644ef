"""Shared pytest fixtures."""

import os
from pathlib import Path

import pytest
import torch

# One intra-op thread: on a busy 2-core machine torch's spinning OpenMP workers slow
# small fits down ten-fold, and a fixed thread count keeps float results repeatable.
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def shared_data():
    """The shared data folder (``../shared/data`` beside the repo, or $HISTDIP_SHARED_DATA).

    Tests that need it are skipped, with the reason, where it does not exist.
    """
    env = os.environ.get("HISTDIP_SHARED_DATA")
    path = Path(env) if env else Path(__file__).parents[2] / "shared" / "data"
    if not path.is_dir():
        pytest.skip(f"shared data folder not found: {path} (set HISTDIP_SHARED_DATA to its location)")
    return path

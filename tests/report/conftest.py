"""What the report's tests share: one real, short restoration of a small bead photo."""

import pytest

import histdip
from histdip.fit import SnapshotPlan
from tests.report.scenes import bead_photo


@pytest.fixture(scope="session")
def small_run():
    """(photo, result): 60 steps of the default with 20 snapshots, about 2 s."""
    photo = bead_photo()
    result = histdip.restore_detailed(photo, iterations=60, snapshots=SnapshotPlan(every=3, limit=20))
    return photo, result

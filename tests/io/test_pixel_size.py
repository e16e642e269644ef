"""histdip.io.read_pixel_size: a TIFF's pixel size from its metadata, and None where it
says nothing (or only a print resolution)."""

import numpy as np
import pytest
import tifffile

from histdip.io import read_pixel_size
from tests.helpers import save_png

IMAGE = np.zeros((16, 16), np.uint8)


@pytest.mark.parametrize("kwargs, expected", [
    (dict(imagej=True, resolution=(4.0, 4.0), metadata={"unit": "um"}), 0.25),
    (dict(imagej=True, resolution=(2.0, 2.0), metadata={"unit": "nm"}), 0.0005),
    (dict(resolution=(2e4, 2e4), resolutionunit="CENTIMETER"), 0.5),
    (dict(resolution=(50800, 50800), resolutionunit="INCH"), 0.5),
    (dict(ome=True, metadata={"PhysicalSizeX": 0.65, "PhysicalSizeXUnit": "µm"}), 0.65),
    (dict(ome=True, metadata={"PhysicalSizeX": 650, "PhysicalSizeXUnit": "nm"}), 0.65),
])
def test_pixel_size_from_the_metadata(tmp_path, kwargs, expected):
    path = tmp_path / "a.tif"
    tifffile.imwrite(path, IMAGE, **kwargs)
    assert read_pixel_size(path) == pytest.approx(expected)


@pytest.mark.parametrize("kwargs", [dict(), dict(resolution=(72, 72), resolutionunit="INCH"),
                                    dict(resolution=(300, 300), resolutionunit="INCH")])
def test_no_pixel_size_or_a_print_resolution_gives_none(tmp_path, kwargs):
    path = tmp_path / "a.tif"
    tifffile.imwrite(path, IMAGE, **kwargs)
    assert read_pixel_size(path) is None


def test_other_files_give_none(tmp_path):
    assert read_pixel_size(save_png(tmp_path / "a.png", IMAGE)) is None
    assert read_pixel_size(tmp_path / "missing.tif") is None
    (tmp_path / "bad.tif").write_bytes(b"II*\x00garbage")
    assert read_pixel_size(tmp_path / "bad.tif") is None

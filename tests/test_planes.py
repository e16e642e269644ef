"""histdip.planes: the plane fitted and the grey T is chosen on, read once."""

import numpy as np
import pytest

from histdip.errors import ConfigError, InputError
from histdip.planes import read_planes
from histdip.validate import validate_image


def test_a_grey_image_is_its_own_luma():
    img = np.arange(64, dtype=np.uint8).reshape(8, 8)
    planes = read_planes(img)
    assert planes.recorded is planes.luma and planes.channel == "grey" and planes.is_grey
    np.testing.assert_allclose(planes.luma, img / 255.0)


def test_a_colour_image_fits_its_signal_channel_and_thresholds_its_luma():
    rgb = np.zeros((16, 16, 3), np.uint8)
    rgb[..., 0] = 3
    rgb[..., 1] = 10
    rgb[4:12, 4:12, 1] = 200
    planes = read_planes(rgb)
    assert planes.channel == "green" and planes.recorded.shape == (16, 16)
    np.testing.assert_allclose(planes.recorded, rgb[..., 1] / 255.0)
    np.testing.assert_allclose(planes.luma[0, 0], (0.299 * 3 + 0.587 * 10) / 255.0)
    assert read_planes(rgb, channel="rgb").recorded.shape == (16, 16, 3)
    assert read_planes(rgb, channel="2").channel == "2"
    with pytest.raises(ConfigError):
        read_planes(rgb, channel="purple")


def test_validation_comes_first_and_once():
    with pytest.raises(InputError):
        read_planes(np.zeros((4, 4)))
    image = validate_image(np.zeros((8, 8), np.uint16))
    assert read_planes(image).image is image

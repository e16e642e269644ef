"""histdip.validate: the one check of every input array, and the Image it returns."""

import numpy as np
import pytest

from histdip.errors import InputError
from histdip.validate import MIN_SIDE, Image, check_array, intensity_range, validate_image


@pytest.mark.parametrize("array, needle", [
    (np.array([["a", "b"]] * 8), "unsupported data type <U1"),
    (np.array([[object()] * 8] * 8), "unsupported data type object"),
    (np.zeros((8, 8), complex), "unsupported data type complex128"),
    (np.zeros(8), "must be (H, W) or (H, W, C<=4), got shape (8,)"),
    (np.zeros((2, 8, 8, 3)), "got shape (2, 8, 8, 3)"),
    (np.zeros((8, 8, 5)), "(H, W, C<=4), got shape (8, 8, 5)"),
    (np.zeros((0, 8)), "is empty (shape (0, 8))"),
    (np.zeros((8, 8, 0)), "got shape (8, 8, 0)"),
    (np.full((8, 8), np.nan), "contains NaN or infinite values"),
    (np.full((8, 8), -np.inf, np.float32), "contains NaN or infinite values"),
])
def test_check_array_says_what_is_wrong_in_one_line(array, needle):
    with pytest.raises(InputError) as info:
        check_array(array, name="photo")
    message = str(info.value)
    assert message.startswith("photo ") and needle in message and "\n" not in message


def test_check_array_limits_and_what_passes():
    assert check_array(np.zeros((3, 5)), ndim=(2,)).shape == (3, 5)
    assert check_array([[1, 2], [3, 4]]).dtype.kind == "i"  # array_like becomes an ndarray
    assert check_array(np.zeros((8, 8), bool)).dtype == bool
    assert check_array(np.zeros((8, 8, 7)), max_channels=8).shape == (8, 8, 7)
    with pytest.raises(InputError, match=r"must be \(H, W\), got shape \(8, 8, 3\)"):
        check_array(np.zeros((8, 8, 3)), ndim=(2,))
    with pytest.raises(InputError, match="is 4x9 pixels; at least 5x5 are needed"):
        check_array(np.zeros((4, 9)), min_side=5)


def test_validate_image_refuses_below_min_side():
    with pytest.raises(InputError, match=f"at least {MIN_SIDE}x{MIN_SIDE}"):
        validate_image(np.zeros((MIN_SIDE - 1, 64)))
    assert validate_image(np.zeros((MIN_SIDE, MIN_SIDE))).shape == (MIN_SIDE, MIN_SIDE)


@pytest.mark.parametrize("array, lo, hi", [
    (np.zeros((8, 8), np.uint8), 0.0, 255.0),
    (np.zeros((8, 8, 3), np.uint16), 0.0, 65535.0),
    (np.zeros((8, 8), np.int16), -32768.0, 32767.0),
    (np.zeros((8, 8), bool), 0.0, 1.0),
    (np.full((8, 8), 0.5), 0.0, 1.0),
    (np.linspace(0, 300, 64).reshape(8, 8), 0.0, 300.0),
    (np.linspace(2, 300, 64).reshape(8, 8), 0.0, 300.0),  # a float image keeps its zero
    (np.linspace(-5, 10, 64).reshape(8, 8), -5.0, 10.0),
    (np.full((8, 8), -2.0), -2.0, -1.0),  # constant: a span of 1, never 0
])
def test_validate_image_returns_an_image_with_its_range(array, lo, hi):
    image = validate_image(array)
    assert isinstance(image, Image)
    assert image.array is array and (image.lo, image.hi) == (lo, hi) == intensity_range(array)
    assert image.shape == array.shape and image.is_grey == (array.ndim == 2)


def test_an_image_passes_through_unchanged():
    image = validate_image(np.zeros((8, 8), np.uint8))
    assert validate_image(image) is image
    odd = Image(np.zeros((8, 8)), 3.0, 7.0)  # its range is kept, not recomputed
    assert validate_image(odd) is odd


def test_to_unit_and_from_unit_round_trip():
    array = np.linspace(-5, 10, 64, dtype=np.float32).reshape(8, 8)
    image = validate_image(array)
    unit = image.to_unit()
    assert unit.dtype == np.float64 and unit.min() == 0.0 and unit.max() == 1.0
    back = image.from_unit(unit)
    assert back.dtype == np.float32
    np.testing.assert_allclose(back, array, atol=1e-5)
    # A difference keeps no offset: 0 stays 0, a unit step is the full span.
    np.testing.assert_allclose(image.from_unit(np.array([0.0, 1.0]), offset=False), [0.0, 15.0])
    np.testing.assert_allclose(image.from_unit(np.array([0.0, 1.0])), [-5.0, 10.0])
    grey8 = validate_image(np.tile(np.array([0, 51, 255, 0], np.uint8), (8, 2)))
    np.testing.assert_allclose(grey8.to_unit()[0, :3], [0.0, 0.2, 1.0])
    np.testing.assert_allclose(grey8.from_unit(grey8.to_unit()), grey8.array, atol=1e-4)

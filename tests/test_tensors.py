"""histdip.tensors: mirror padding to the network's multiple, and arrays to tensors and back."""

import numpy as np
import torch

from histdip.tensors import pad, pad_amounts, to_array, to_tensor, unpad


def test_pad_unpad_round_trip():
    a = np.random.default_rng(0).random((37, 53, 3))
    amounts = pad_amounts(a.shape, 32)
    padded = pad(a, amounts)
    assert padded.shape[:2] == (64, 64)
    np.testing.assert_array_equal(unpad(padded, amounts), a)


def test_pad_margin_keeps_every_side_at_least_the_margin_and_the_multiple():
    for shape in [(37, 53), (64, 64), (48, 80)]:
        t, b, l, r = pad_amounts(shape, 16, margin=16)
        assert min(t, b, l, r) >= 16
        assert (shape[0] + t + b) % 16 == 0 and (shape[1] + l + r) % 16 == 0
        assert max(t, b, l, r) < 16 + 16
    assert pad_amounts((64, 64), 16, margin=0) == (0, 0, 0, 0)


def test_arrays_and_tensors_round_trip_channels_last_to_first():
    grey, rgb = np.random.default_rng(1).random((5, 7)), np.random.default_rng(2).random((5, 7, 3))
    assert to_tensor(grey, "cpu").shape == (1, 1, 5, 7) and to_tensor(rgb, "cpu").shape == (1, 3, 5, 7)
    np.testing.assert_allclose(to_array(to_tensor(rgb, "cpu")), rgb.astype(np.float32))
    assert to_array(torch.zeros(1, 1, 5, 7)).shape == (5, 7)

"""histdip.prior.choice: sample='auto' keeps the prior where objects stand clear of the noise."""

import numpy as np
import pytest

from histdip.prior import MIN_SNR, MIN_SNR_PHOTO, SampleChoice, choose_sample, foreground_snr


def test_foreground_snr_is_the_mean_above_t_in_noise_sigma():
    grey = np.zeros((8, 8))
    grey[:2, :2] = 51.0
    assert foreground_snr(grey, 20.0, 2.55) == pytest.approx(20.0)
    assert foreground_snr(grey, 60.0, 2.55) == 0.0  # nothing above T
    assert foreground_snr(grey, 20.0, 0.0) == float("inf")  # no noise at all


def _photo(planes_of_their_own):
    rng = np.random.default_rng(0)
    green = rng.random((48, 48))
    if planes_of_their_own:
        return np.stack([rng.random((48, 48)), green, rng.random((48, 48))], -1)
    return np.stack([green] * 3, -1)


@pytest.mark.parametrize("statistic, photo, sample, says", [
    (MIN_SNR + 1, False, "beads", f">= {MIN_SNR:g}"),
    (MIN_SNR - 1, False, "cells", f"< {MIN_SNR:g})"),
    (MIN_SNR - 1, True, "beads", f">= {MIN_SNR_PHOTO:g} for a colour photo"),
    (MIN_SNR_PHOTO - 1, True, "cells", f"< {MIN_SNR_PHOTO:g} for a colour photo"),
])
def test_the_cut_depends_on_whether_the_image_is_a_colour_photo(statistic, photo, sample, says):
    grey = np.zeros((48, 48))
    grey[:4, :4] = statistic  # mean above T = statistic x sigma 1
    choice = choose_sample(_photo(photo), grey, 0.5, 1.0)
    assert isinstance(choice, SampleChoice)
    assert choice.sample == sample and says in choice.reason and choice.reason.startswith("auto: ")
    assert choice.statistic == pytest.approx(statistic)


def test_a_bright_image_is_not_asked_whether_it_is_a_colour_photo(monkeypatch):
    import histdip.prior.choice as choice_module

    monkeypatch.setattr(choice_module, "is_colour_photo", lambda image: pytest.fail("asked"))
    grey = np.zeros((16, 16))
    grey[:4, :4] = 100.0
    assert choose_sample(grey, grey, 1.0, 1.0).colour_photo is None

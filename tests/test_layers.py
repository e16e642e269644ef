import numpy as np

from histdip.layers import LAYER_NAMES, layers_from_recording, layers_from_signal
from histdip.prior import learn_split


def test_layers_from_signal_add_up():
    rng = np.random.default_rng(0)
    sig = np.zeros((64, 64), np.float32)
    sig[20:30, 20:30] = 0.5
    bg = np.full((64, 64), 0.2, np.float32)
    split = learn_split(255 * (sig + 0.01 * rng.standard_normal(sig.shape)))
    layers = layers_from_signal(sig, bg, split)
    assert np.allclose(layers.recording, layers.signal + layers.background)
    assert all(layers[name].shape == (64, 64) for name in LAYER_NAMES)


def test_layers_from_recording_separate_beads_from_haze():
    yy, xx = np.mgrid[:128, :160]
    haze = 0.2 + 0.1 * xx / 160.0
    beads = 0.4 * ((np.hypot(yy - 40, xx - 50) < 5) | (np.hypot(yy - 90, xx - 120) < 5))
    rec = haze + beads + 0.002 * np.random.default_rng(1).standard_normal(haze.shape)
    layers = layers_from_recording(rec, 10.0)
    assert np.abs(layers.background - haze).max() < 0.03
    assert layers.signal[beads > 0].mean() > 0.3
    assert layers.signal[beads == 0].mean() < 0.005
    rgb = layers_from_recording(np.stack([rec] * 3, -1), 10.0)
    assert rgb.signal.shape == (128, 160, 3)

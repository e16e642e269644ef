"""Simulated sensor traces with known events: a drifting baseline, steps and pulses of
known shape, amplitude and time, and white plus 1/f noise.

A magnetic or electrical biosensor records a particle passing as an event on a
baseline that drifts: a step (a blockade: the level drops or rises for the particle's
dwell time, with edges as steep as the sensor's bandwidth) or a pulse (a short
bell-shaped bump). :func:`simulate_trace` draws such a trace with every event listed,
so restorations and detectors can be scored against the truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

#: One row per event: first and last sample at half its amplitude or more, the sample
#: of its peak, its amplitude (positive, in the trace's units) and its shape.
EVENT_DTYPE = np.dtype([("start", "i8"), ("end", "i8"), ("peak", "i8"), ("amplitude", "f8"), ("shape", "U5")])

#: Event rates (events per 1000 samples) from sparse to crowded.
RATES = {"sparse": 0.5, "moderate": 2.0, "crowded": 6.0}


@dataclass(frozen=True, eq=False)
class SimulatedTrace:
    """A simulated trace and its truth.

    Attributes
    ----------
    trace : ndarray, (L,)
        What the sensor records: baseline + signal + noise.
    clean : ndarray, (L,)
        baseline + signal.
    baseline, signal : ndarray, (L,)
    events : ndarray of EVENT_DTYPE
    sigma : float
        The white noise's standard deviation.
    polarity : {'bright', 'dark'}
    """

    trace: np.ndarray
    clean: np.ndarray
    baseline: np.ndarray
    signal: np.ndarray
    events: np.ndarray
    sigma: float
    polarity: str


def pink_noise(length, rng):
    """Unit-variance 1/f noise of ``length`` samples (power falling as 1/f)."""
    spectrum = np.fft.rfft(rng.standard_normal(length))
    f = np.fft.rfftfreq(length)
    f[0] = f[1] if f.size > 1 else 1.0
    noise = np.fft.irfft(spectrum / np.sqrt(f), n=length)
    return (noise - noise.mean()) / max(noise.std(), 1e-12)


def _drift(length, amplitude, rng):
    """A smooth wandering baseline: a few slow sines and a ramp, ``amplitude`` peak to peak."""
    t = np.linspace(0.0, 1.0, length)
    b = rng.uniform(-1, 1) * t
    for _ in range(3):
        b += rng.uniform(0.2, 1.0) * np.sin(2 * np.pi * (rng.uniform(0.3, 3.0) * t + rng.uniform()))
    return amplitude * (b - b.min()) / max(np.ptp(b), 1e-12)


def _shape(kind, duration, rng):
    """Unit-height profile of one event and its (start, end, peak) offsets."""
    if kind == "step":
        edge = rng.uniform(0.8, 2.0)  # the sensor's bandwidth: edges a sample or two wide
        pad = int(np.ceil(4 * edge))
        box = np.zeros(duration + 2 * pad)
        box[pad : pad + duration] = 1.0
        profile = ndimage.gaussian_filter1d(box, edge)
    else:
        width = duration / 2.355  # duration: the full width at half maximum
        pad = int(np.ceil(4 * width))
        u = np.arange(-pad, pad + 1)
        profile = np.exp(-0.5 * (u / width) ** 2)
    high = np.flatnonzero(profile >= 0.5)
    return profile / profile.max(), int(high[0]), int(high[-1]), int(np.argmax(profile))


def simulate_trace(length=20000, *, snr=5.0, rate="moderate", shapes=("step", "pulse"), polarity="bright",
                   step_duration=(15, 150), pulse_duration=(3, 12), drift=8.0, pink=0.5, gap=10, seed=0):
    """A simulated sensor trace with known events.

    Parameters
    ----------
    length : int
        Samples.
    snr : float
        Event amplitude over the white noise's standard deviation (each event's
        amplitude is drawn within +-25 % of ``snr``; the white noise has sigma 1).
    rate : str or float
        Events per 1000 samples, or a name of :data:`RATES`.
    shapes : tuple of {'step', 'pulse'}
        The kinds of events drawn, equally often.
    polarity : {'bright', 'dark'}
        Events above the baseline, or below it (a nanopore's blockades).
    step_duration, pulse_duration : (int, int)
        Ranges of a step's dwell and a pulse's full width at half maximum (samples).
    drift : float
        The baseline's wander, peak to peak, in white-noise deviations.
    pink : float
        The 1/f noise's standard deviation, in white-noise deviations.
    gap : int
        Fewest baseline samples between two events.
    seed : int

    Returns
    -------
    SimulatedTrace
    """
    rng = np.random.default_rng(seed)
    rate = RATES[rate] if isinstance(rate, str) else float(rate)
    count = rng.poisson(rate * length / 1000.0)
    signal = np.zeros(length)
    taken = np.zeros(length, bool)
    rows = []
    for _ in range(count):
        kind = shapes[rng.integers(len(shapes))]
        lo, hi = step_duration if kind == "step" else pulse_duration
        profile, s, e, p = _shape(kind, int(rng.integers(lo, hi + 1)), rng)
        amplitude = snr * rng.uniform(0.75, 1.25)
        for _ in range(20):  # a free place, else the event is left out
            at = int(rng.integers(0, length - profile.size))
            if not taken[max(0, at - gap) : at + profile.size + gap].any():
                break
        else:
            continue
        taken[at : at + profile.size] = True
        signal[at : at + profile.size] += amplitude * profile
        rows.append((at + s, at + e, at + p, amplitude, kind))
    events = np.sort(np.array(rows, dtype=EVENT_DTYPE), order="start")
    sign = 1.0 if polarity == "bright" else -1.0
    baseline = _drift(length, drift, rng)
    noise = rng.standard_normal(length) + pink * pink_noise(length, rng)
    clean = baseline + sign * signal
    return SimulatedTrace(clean + noise, clean, baseline, sign * signal, events, 1.0, polarity)

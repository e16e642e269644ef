"""The generalised Anscombe transform (GAT) and its exact unbiased inverse.

Poisson-Gaussian data ``z = gain * Poisson(y / gain) + offset + N(0, sigma^2)`` become
approximately unit-variance Gaussian data under :func:`gat` (Starck, Murtagh & Bijaoui
1998); :func:`gat_inverse` is Makitalo & Foi's (2013) closed-form approximation of the
exact unbiased inverse. Both take NumPy arrays; :func:`gat` also torch tensors.
"""

from __future__ import annotations

import math

import numpy as np

_SQRT_3_2 = float(np.sqrt(1.5))


def gat(x, gain, sigma, offset=0.0):
    """Generalised Anscombe transform of ``x`` (NumPy array, torch tensor or float).

    ``x`` is modelled as ``gain * Poisson(lambda) + offset + N(0, sigma^2)``; the result
    ``(2 / gain) * sqrt(gain * (x - offset) + 3/8 gain^2 + sigma^2)`` has approximately
    unit noise variance (exactly the classical Anscombe transform for gain 1, sigma 0).
    A tiny ``gain`` (pure Gaussian noise) degenerates gracefully: the transform tends
    to ``(x - offset) / sigma + const``.
    """
    gain = max(float(gain), 1e-12)
    inner = gain * (x - offset) + 0.375 * gain**2 + float(sigma) ** 2
    if not isinstance(inner, (np.ndarray, float, int, np.floating)):  # a torch tensor
        import torch

        # Below a small floor the square root continues as its tangent line: a network
        # output that starts under the offset (all-dark at initialisation) must still
        # get a gradient, which a clamp would take away.
        floor = 0.1 * (0.375 * gain**2 + float(sigma) ** 2)
        root = torch.sqrt(inner.clamp_min(floor))
        linear = (inner - floor) / (2.0 * math.sqrt(floor)) + math.sqrt(floor)
        return (2.0 / gain) * torch.where(inner >= floor, root, linear)
    return (2.0 / gain) * np.sqrt(np.maximum(inner, 1e-12))


def gat_inverse(d, gain, sigma, offset=0.0):
    """Closed-form approximation of the exact unbiased inverse of :func:`gat`.

    ``d`` is a denoised transformed value (an estimate of ``E[gat(x)]``); the result
    estimates ``E[x]``, not the biased algebraic inverse. In units normalised by
    ``gain`` (``s = sigma / gain``): ``I(D) = D^2/4 + sqrt(3/2)/4 D^-1 - 11/8 D^-2 +
    5/8 sqrt(3/2) D^-3 - 1/8 - s^2``, clipped at 0, then ``x = gain * I + offset``.
    """
    gain = max(float(gain), 1e-12)
    d = np.maximum(np.asarray(d, dtype=np.float64), 2.0 * np.sqrt(0.375))
    s2 = (float(sigma) / gain) ** 2
    inv = 0.25 * d * d + 0.25 * _SQRT_3_2 / d - 1.375 / (d * d) + 0.625 * _SQRT_3_2 / d**3 - 0.125 - s2
    return gain * np.maximum(inv, 0.0) + offset


def gat_centred(x, gain, sigma, offset=0.0):
    """:func:`gat` less its value at ``offset``: the same differences, without cancellation.

    ``2 (x - offset) / (sqrt(s^2 + gain (x - offset)) + s)`` with ``s^2 = 3/8 gain^2 +
    sigma^2``, which is ``gat(x) - gat(offset)`` rearranged. For a small gain, :func:`gat`
    subtracts two numbers near ``2 sigma / gain``: in float32 it loses every digit of
    ``x`` once the gain falls under about 1e-7 sigma (the gain of pure Gaussian noise, as
    estimated, is 0), and a loss built on it has no gradient. This form tends to
    ``(x - offset) / sigma``. Torch tensors continue below a small floor of the root's
    argument as their tangent line, as :func:`gat` does, so a gradient survives there.
    """
    gain = max(float(gain), 0.0)
    s2 = 0.375 * gain**2 + float(sigma) ** 2
    s = math.sqrt(s2)
    d = x - offset
    if isinstance(d, (np.ndarray, float, int, np.floating)):
        return 2.0 * d / (np.sqrt(np.maximum(s2 + gain * d, 1e-24)) + s)
    import torch

    floor = 0.1 * s2
    inner = s2 + gain * d
    centred = 2.0 * d / (torch.sqrt(inner.clamp_min(floor)) + s)
    if gain == 0.0:
        return centred
    # Below the floor: the tangent line at the floor, where d = (floor - s^2) / gain.
    d_floor = (floor - s2) / gain
    linear = 2.0 * d_floor / (math.sqrt(floor) + s) + (d - d_floor) / math.sqrt(floor)
    return torch.where(inner >= floor, centred, linear)

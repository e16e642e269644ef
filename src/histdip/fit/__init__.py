"""Fitting: the optimiser loop, its samplers, stopping rules and optimiser.

* :mod:`.loop` -- :func:`fit` -> :class:`Fit`, the weight average, :class:`SnapshotPlan`;
* :mod:`.samplers` -- :class:`WholeImage`, :class:`RandomCrops`, :class:`TraceCrops` (1-D);
* :mod:`.stoppers` -- :class:`NoiseLevelStopper`, :class:`PlateauStopper`,
  :func:`probe_window`;
* :mod:`.optim` -- :class:`Adam`;
* :mod:`.leash` -- :class:`Leash`, the penalty that keeps a clipped output within reach.
"""

from .leash import Leash
from .loop import Fit, SnapshotPlan, WeightAverage, fit
from .optim import Adam
from .samplers import RandomCrops, TraceCrops, WholeImage
from .stoppers import NoiseLevelStopper, PlateauStopper, probe_window

__all__ = ["Adam", "Fit", "Leash", "NoiseLevelStopper", "PlateauStopper", "RandomCrops", "SnapshotPlan", "TraceCrops",
           "WeightAverage", "WholeImage", "fit", "probe_window"]

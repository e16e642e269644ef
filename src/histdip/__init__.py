"""histdip: HIST-DIP restoration of dim, noisy fluorescence images without training data.

The heart is plain functions on NumPy arrays::

    import histdip
    restored = histdip.restore(image, threshold=125)              # fast default preset
    restored = histdip.restore(image, preset="paper", threshold=125)

Modules: :mod:`histdip.prior` (histogram threshold), :mod:`histdip.networks`,
:mod:`histdip.physics` (forward models), :mod:`histdip.losses`, :mod:`histdip.fitting`
(optimiser loop), :mod:`histdip.restoration` (the pipeline), :mod:`histdip.metrics`,
:mod:`histdip.io`, :mod:`histdip.simulate`.
"""

__version__ = "0.1.0"

from .config import RestoreConfig  # noqa: E402
from .errors import ConfigError, HistdipError, InputError, NoSignalError  # noqa: E402
from .restoration import Restoration, restore, restore_detailed  # noqa: E402
from .fitted import FittedModel, apply_model, fit_model  # noqa: E402

__all__ = [
    "RestoreConfig",
    "Restoration",
    "restore",
    "restore_detailed",
    "fit_model",
    "FittedModel",
    "apply_model",
    "HistdipError",
    "InputError",
    "ConfigError",
    "NoSignalError",
    "__version__",
]

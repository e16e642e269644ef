"""histdip: HIST-DIP restoration of dim, noisy fluorescence images without training data.

The core is plain functions on NumPy arrays::

    import histdip
    restored = histdip.restore(image)                                # the default (fast) preset
    restored = histdip.restore(image, preset="paper", threshold=143) # the paper's configuration
    result = histdip.restore_detailed(image)                         # with T, mask, steps, record

The pipeline (:mod:`histdip.pipeline`) runs the stages in order: :mod:`histdip.validate`,
:mod:`histdip.planes`, :mod:`histdip.prior` (threshold, background, the automatic
choice), :mod:`histdip.noise`, :mod:`histdip.problem` (network from
:mod:`histdip.networks`, forward model from :mod:`histdip.physics`), :mod:`histdip.fit`
and :mod:`histdip.predict`, into a :class:`~histdip.result.Result`. Settings:
:mod:`histdip.config`. Files: :mod:`histdip.io`. Scores: :mod:`histdip.metrics` and
:mod:`histdip.protocol`. Test scenes: :mod:`histdip.simulate`.
"""

__version__ = "0.2.0"

from .config import RestoreConfig  # noqa: E402
from .errors import ConfigError, HistdipError, InputError, NoSignalError  # noqa: E402
from .pipeline import HistDip, restore, restore_detailed  # noqa: E402
from .result import Result  # noqa: E402
from .fitted_model import FittedModel, apply_model, fit_model  # noqa: E402
from .stack import StackResult, restore_stack  # noqa: E402

__all__ = [
    "ConfigError",
    "FittedModel",
    "HistDip",
    "HistdipError",
    "InputError",
    "NoSignalError",
    "RestoreConfig",
    "Result",
    "StackResult",
    "__version__",
    "apply_model",
    "fit_model",
    "restore",
    "restore_detailed",
    "restore_stack",
]

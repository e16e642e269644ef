"""Simulated fluorescence photos with a known clean image (:func:`simulate_scene`).

Smartphone photos of green fluorescent beads, calibrated on the HIST-DIP paper's own
photos (flare, haze, uneven background, Poisson-Gaussian noise, green-dominant colour,
JPEG), plus grey 'cells' and 'filaments' scenes and an 'empty' scene with no signal for
hallucination checks. See ``docs/simulator.md``. Brightfield phone photos (dark absorbing
objects on an uneven bright field): :func:`simulate_brightfield` (:mod:`.brightfield`,
docs/brightfield.md).

Modules: :mod:`.scene` (assembly, :class:`Scene`), :mod:`.objects` (beads, cells,
filaments), :mod:`.optics` (blur, flare, background), :mod:`.camera` (noise, colour,
JPEG), :mod:`.volume` (3-D bead z-stacks, :func:`simulate_volume`), :mod:`.dim` (the dim regime's settings, :func:`bead_peaks`, :func:`bead_discs`), :mod:`.stats` (the
statistics used for calibration), :mod:`.traces` (1-D sensor traces with known events,
:func:`simulate_trace`, docs/traces.md).
"""

from .brightfield import BrightfieldScene, simulate_brightfield
from .dim import bead_discs, bead_peaks
from .objects import OBJECT_DTYPE
from .volume import Volume, simulate_volume
from .scene import BEAD_CLASSES, DEFAULTS, FRAME, SCENE_KINDS, Scene, simulate_scene
from .traces import SimulatedTrace, simulate_trace

__all__ = ["simulate_scene", "simulate_trace", "SimulatedTrace", "simulate_volume", "Volume", "simulate_brightfield", "BrightfieldScene", "bead_peaks", "bead_discs", "Scene", "SCENE_KINDS", "BEAD_CLASSES", "DEFAULTS", "FRAME", "OBJECT_DTYPE"]

"""A z-stack restored by one 3-D network (``volume='3d'``).

* :mod:`.restore` -- :func:`restore_volume` -> :class:`VolumeResult`: the 2-D stages per
  plane, one 3-D fit over the volume;
* :mod:`.grid` -- anisotropy (:func:`plan_geometry`, :data:`ANISOTROPY_LIMIT`), padding,
  3-D crops (:class:`VolumeCrops`) and slab-wise prediction.

Why and when: docs/volumes.md.
"""

from .grid import ANISOTROPY_LIMIT, Geometry, VolumeCrops, plan_geometry
from .restore import VolumeResult, check_volume, restore_volume

__all__ = ["ANISOTROPY_LIMIT", "Geometry", "VolumeCrops", "VolumeResult", "check_volume", "plan_geometry",
           "restore_volume"]

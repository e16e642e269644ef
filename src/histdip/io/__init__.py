"""Reading and writing images, with one-line errors and atomic, no-clobber writes.

* :mod:`.read` -- :func:`read_image`: PNG, JPEG, BMP and TIFF into an array in the
  file's own dtype, normalised to ``(H, W)`` or ``(H, W, C)``; anything it cannot use
  (missing, corrupt, text, too small, a stack, NaN/Inf...) is refused with an
  :class:`~histdip.errors.InputError` of one line. :data:`MIN_SIDE` is the smallest
  side accepted.
* :mod:`.write` -- :func:`write_image`: ``.tif`` (float32, or the input's integer dtype)
  or ``.png`` (8-bit through :func:`display_range`, or 16-bit); JPEG is refused.
  :func:`encode_for_file` is the array exactly as it would be stored.
* :mod:`.atomic` -- :func:`atomic_output`, :class:`OutputBatch` and
  :func:`check_output_path`: every output goes to a temporary file renamed into place
  only once complete; an existing file is refused unless ``overwrite=True``, and an
  input listed in ``protect`` is refused even then.
* :mod:`.run_record` -- :func:`read_run_record`: a run's JSON read back, and
  :func:`named_file`, the files it names.
* :mod:`.pixel_size` -- :func:`read_pixel_size`: a TIFF's pixel size in µm (OME,
  ImageJ or resolution tags), None where the file does not say.
* :mod:`.microscopy` -- :func:`read_microscopy`, :func:`probe_microscopy` and
  :func:`write_microscopy`: OME-TIFF, ImageJ and shaped TIFFs, stacks included, with
  their axes, pixel sizes and channel names (:class:`MicroscopyMeta`).
* :mod:`.omezarr` -- :func:`open_omezarr`: an OME-Zarr image read lazily (level 0, axes,
  pixel size, channel names); :class:`OmeZarrWriter`: one written tile by tile, renamed
  into place whole; :func:`is_omezarr_path`, :func:`check_zarr_output`.

Every public name is importable from ``histdip.io`` itself.
"""

from .atomic import OutputBatch, atomic_output, check_output_path
from .microscopy import MicroscopyMeta, probe_microscopy, read_microscopy, write_microscopy
from .omezarr import OmeZarrImage, OmeZarrWriter, check_zarr_output, is_omezarr_path, open_omezarr
from .pixel_size import read_pixel_size
from .read import MIN_SIDE, READ_EXTENSIONS, read_image
from .run_record import named_file, read_run_record
from .write import WRITE_EXTENSIONS, display_range, encode_for_file, write_image

__all__ = [
    "MIN_SIDE",
    "READ_EXTENSIONS",
    "WRITE_EXTENSIONS",
    "MicroscopyMeta",
    "OmeZarrImage",
    "OmeZarrWriter",
    "OutputBatch",
    "atomic_output",
    "check_output_path",
    "check_zarr_output",
    "display_range",
    "encode_for_file",
    "is_omezarr_path",
    "named_file",
    "open_omezarr",
    "probe_microscopy",
    "read_image",
    "read_microscopy",
    "read_pixel_size",
    "read_run_record",
    "write_image",
    "write_microscopy",
]

"""histdip in napari: a dock widget, a sample, and a reader and writer of histdip's files.

Installed with the ``napari`` extra (``pip install -e '.[napari]'``); napari finds it
through the ``napari.manifest`` entry point, whose manifest is :file:`napari.yaml`.
One concept a module:

* :mod:`.preview` -- the threshold mask of an image, as ``histdip threshold`` makes it
  (:func:`mask_preview`); no Qt, no napari.
* :mod:`.run` -- one restoration with per-step progress and cancellation
  (:func:`restore_with_progress`), and its :class:`~histdip.Result` turned into napari
  layer data (:func:`result_layers`).
* :mod:`.widget` -- the dock widget (:class:`RestoreWidget`): layer, channel and T with
  the mask live, and the run in a worker thread.
* :mod:`.files` -- the reader of a run's ``*_histdip.json`` and the writer of a layer
  that carries a run record.
* :mod:`.sample` -- the bundled bead photo as napari sample data.

Nothing here is imported by histdip itself: the core never needs napari or Qt.
"""

"""pytest collects the package's docstring examples (``--doctest-modules``); without the
``napari`` extra the plugin's Qt widget cannot be imported, so it is left out there (the
plugin's tests, tests/napari, skip with the reason)."""

import importlib.util

collect_ignore = [] if importlib.util.find_spec("napari") else ["src/histdip/napari/widget.py"]

"""Make docs/figures/napari.png: the histdip widget docked in napari beside the bundled
bead photo and its restored signal.

Needs a display with OpenGL (napari draws its canvas with it); on a headless machine::

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/napari_screenshot.py

It restores the whole sample with the default settings (about 15 s on 2 CPU cores).
"""

import os
import sys
import tempfile
import time
from pathlib import Path

# napari's settings in a throwaway file: only errors pop up here (its notice about its
# future Qt versions would cover the canvas's corner), and the user's stay as they are.
os.environ["NAPARI_CONFIG"] = str(Path(tempfile.mkdtemp()) / "settings.yaml")

import imageio.v3 as iio
import napari
from qtpy.QtWidgets import QApplication

OUT = Path(__file__).parent / "figures" / "napari.png"


def wait(widget, timeout=600):
    """Run Qt's event loop until the widget's workers are done."""
    start = time.monotonic()
    while widget.busy:
        QApplication.processEvents()
        time.sleep(0.02)
        if time.monotonic() - start > timeout:
            sys.exit("the restoration took too long")
    for _ in range(20):  # let the layers added last be drawn
        QApplication.processEvents()
        time.sleep(0.02)


def main():
    from napari.settings import get_settings

    get_settings().application.gui_notification_level = "error"
    viewer = napari.Viewer(title="histdip in napari")
    viewer.window.resize(1500, 900)
    viewer.open_sample("histdip", "beads")
    _, widget = viewer.window.add_plugin_dock_widget("histdip", "Restore")
    widget.update_preview()
    wait(widget)
    widget.start()
    wait(widget)
    # The restored signal alone, as the run leaves it selected (the photo is under it).
    for layer in viewer.layers:
        layer.visible = layer.name == "sample_beads histdip signal"
    viewer.layers.selection.active = viewer.layers["sample_beads histdip signal"]
    viewer.reset_view()
    wait(widget)
    iio.imwrite(OUT, viewer.screenshot(canvas_only=False, flash=False))
    print(f"wrote {OUT}")
    viewer.close()


if __name__ == "__main__":
    main()

"""The napari plugin's tests run without a display: Qt's offscreen platform.

Set before Qt is imported (pytest imports this file before any test of the folder).
Qt 5's offscreen platform gives no OpenGL context without an X server, where napari's
vispy canvas asks OpenGL for its extensions and texture sizes when a layer is added
and fails; those two queries then answer as a plain OpenGL 2 machine would. The canvas
draws nothing there, and nothing here looks at it: the tests check layers, widgets and
files. With a display (xvfb-run, a desktop) the real answers are used.
"""

import os
import sys

if sys.platform.startswith("linux"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

#: What the GL queries answer where there is no context: sizes every GL 2 machine has.
FALLBACK_TEXTURE_SIZES = (2048, 2048)


def _answer_without_gl():
    try:
        import napari._vispy.canvas
        import napari._vispy.layers.base
        import napari._vispy.layers.image
        import napari._vispy.layers.labels
        import napari._vispy.utils.gl as gl
    except ImportError:  # no napari: its tests skip themselves
        return
    real_extensions, real_sizes = gl.get_gl_extensions, gl.get_max_texture_sizes

    def extensions():
        try:
            return real_extensions()
        except AttributeError:  # vispy decodes the None of a missing context
            return ""

    def sizes():
        try:
            got = real_sizes()
        except (AttributeError, TypeError):
            return FALLBACK_TEXTURE_SIZES
        return got if all(got) else FALLBACK_TEXTURE_SIZES

    # Each module imported the functions by name: replace them where they are used.
    for module in (gl, napari._vispy.canvas, napari._vispy.layers.base, napari._vispy.layers.image,
                   napari._vispy.layers.labels):
        for name, fake in (("get_gl_extensions", extensions), ("get_max_texture_sizes", sizes)):
            if hasattr(module, name):
                setattr(module, name, fake)


if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
    _answer_without_gl()

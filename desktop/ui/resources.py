"""The app's own images, shipped inside the package (so an installed wheel has them too)."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from desktop.desktop_entry import ICON_SIZES, icon_png


def app_icon() -> QIcon:
    """The app icon from its PNG sizes: the window and the taskbar need no SVG plugin to show it."""
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addFile(str(icon_png(size)))
    return icon

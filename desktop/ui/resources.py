"""The app's own images, shipped inside the package (so an installed wheel has them too)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QIcon

ICONS = Path(__file__).resolve().parent / "icons"


def app_icon() -> QIcon:
    return QIcon(str(ICONS / "chartkeeper.svg"))

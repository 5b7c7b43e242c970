"""Render the app icon's PNG sizes from resources/io.chartkeeper.Chartkeeper.svg (rerun after editing the SVG).

  .venv/bin/python packaging/render_icons.py

The PNGs are committed in the hicolor theme's layout under resources/icons/, so the window, the
Debian package and `install-desktop-entry` use them as they are, with no SVG renderer needed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
APP_ID = "io.chartkeeper.Chartkeeper"
SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(svg: Path, size: int, target: Path) -> None:
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        sys.exit(f"{svg} is not an SVG Qt can render")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    target.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(target), "PNG"):
        sys.exit(f"could not write {target}")


def main() -> None:
    QGuiApplication([sys.argv[0]])
    svg = ROOT / "resources" / f"{APP_ID}.svg"
    for size in SIZES:
        target = ROOT / "resources" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        render(svg, size, target)
        print(target.relative_to(ROOT))


if __name__ == "__main__":
    main()

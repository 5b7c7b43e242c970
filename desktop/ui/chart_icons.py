"""Chart icons for the window: decoded from the catalog with Qt (dimensions checked before any
pixel is read), cached per size, and a neutral placeholder when a chart has none."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QImageReader, QPainter, QPainterPath, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

from desktop.catalog.icons import chart_icon

MAX_DIMENSION = 4096  # a raster icon claiming more is refused before it is decoded
_FORMATS = {
    "image/png": b"png",
    "image/jpeg": b"jpeg",
    "image/gif": b"gif",
    "image/webp": b"webp",
    "image/svg+xml": b"svg",
}


def decode_icon(data: bytes, media_type: str, size: int) -> QImage | None:
    """The icon drawn at `size`×`size` (aspect kept), or None when Qt cannot read it safely."""
    image_format = _FORMATS.get(media_type)
    if image_format is None:
        return None
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer, QByteArray(image_format))
    reader.setDecideFormatFromContent(False)
    natural = reader.size()
    if image_format != b"svg" and (
        not natural.isValid() or natural.width() > MAX_DIMENSION or natural.height() > MAX_DIMENSION
    ):
        return None
    if natural.isValid() and natural.width() > 0 and natural.height() > 0:
        reader.setScaledSize(natural.scaled(QSize(size, size), Qt.AspectRatioMode.KeepAspectRatio))
    else:
        reader.setScaledSize(QSize(size, size))
    image = reader.read()
    return None if image.isNull() else image


def placeholder(name: str, size: int, palette: QPalette | None = None) -> QPixmap:
    """A neutral tile with the chart's first letter, in the palette's tones."""
    palette = palette or QApplication.palette()
    ratio = QApplication.instance().devicePixelRatio() if QApplication.instance() else 1.0  # type: ignore[union-attr]
    pixmap = QPixmap(round(size * ratio), round(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    path = QPainterPath()
    path.addRoundedRect(QRectF(1, 1, size - 2, size - 2), size / 5, size / 5)
    base = palette.color(QPalette.ColorRole.Button)
    text = palette.color(QPalette.ColorRole.ButtonText)
    tile = QColor(base)
    tile.setAlpha(255)
    painter.fillPath(path, tile)
    border = QColor(text)
    border.setAlpha(60)
    painter.setPen(border)
    painter.drawPath(path)
    font = QFont(QApplication.font())
    font.setPixelSize(max(8, int(size * 0.5)))
    font.setBold(True)
    painter.setFont(font)
    faded = QColor(text)
    faded.setAlpha(170)
    painter.setPen(faded)
    painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, (name[:1] or "?").upper())
    painter.end()
    return pixmap


class ChartIconCache:
    """Pixmaps by (registry id, chart, size); `clear()` after a sync brought new icons."""

    def __init__(self, reader: sqlite3.Connection) -> None:
        self._reader = reader
        self._pixmaps: dict[tuple[int, str, int], QPixmap] = {}
        self._known: dict[tuple[int, str], bool] = {}

    def clear(self) -> None:
        self._pixmaps.clear()
        self._known.clear()

    def has_icon(self, registry_id: int, chart: str) -> bool:
        key = (registry_id, chart)
        if key not in self._known:
            self.pixmap(registry_id, chart, 32)
        return self._known.get(key, False)

    def pixmap(self, registry_id: int, chart: str, size: int) -> QPixmap:
        key = (registry_id, chart, size)
        cached = self._pixmaps.get(key)
        if cached is not None:
            return cached
        stored = chart_icon(self._reader, registry_id, chart)
        ratio = QApplication.instance().devicePixelRatio() if QApplication.instance() else 1.0  # type: ignore[union-attr]
        image = decode_icon(stored.data, stored.media_type, round(size * ratio)) if stored is not None else None
        self._known[(registry_id, chart)] = image is not None
        if image is None:
            pixmap = placeholder(chart, size)
        else:
            pixmap = QPixmap.fromImage(image)
            pixmap.setDevicePixelRatio(ratio)
        self._pixmaps[key] = pixmap
        return pixmap

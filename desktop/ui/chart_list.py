"""The chart picker's rows, as a Helm user knows them from Artifact Hub and Rancher's Apps: icon,
name, registry, latest version, app version, description, and deprecated / available offline /
registry offline badges."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from desktop.catalog.archives import charts_with_offline_copies
from desktop.catalog.charts import SearchHit
from desktop.catalog.registries import summaries
from desktop.registry import Registry
from desktop.ui.chart_icons import ChartIconCache
from desktop.ui.style import accent_colors
from desktop.ui.table_model import ModelIndex, RowsTableModel

NAME, REGISTRY, VERSION, APP_VERSION, DESCRIPTION, BADGES = range(6)
HEADERS = ("Chart", "Registry", "Version", "App version", "Description", "")
HIT_ROLE = Qt.ItemDataRole.UserRole + 1
ICON_SIZE = 40


@dataclass(frozen=True)
class RegistryFacts:
    registry: Registry
    offline: bool


def registry_facts(reader: sqlite3.Connection) -> dict[str, RegistryFacts]:
    """Registry name → the registry and whether its last sync could not reach it."""
    return {s.registry.name: RegistryFacts(s.registry, s.state.offline) for s in summaries(reader)}


class ChartListModel(RowsTableModel[SearchHit]):
    """Search hits with what a row shows; a list view draws them with `ChartRowDelegate`."""

    def __init__(self, reader: sqlite3.Connection, icons: ChartIconCache, parent: QObject | None = None) -> None:
        super().__init__(HEADERS, parent)
        self._reader = reader
        self._icons = icons
        self._registries: dict[str, RegistryFacts] = {}
        self._offline: set[tuple[str, str]] = set()

    def set_hits(self, hits: list[SearchHit]) -> None:
        self.beginResetModel()
        self.rows = hits
        self._registries = registry_facts(self._reader)
        self._offline = charts_with_offline_copies(self._reader)
        self.endResetModel()

    def registry_of(self, hit: SearchHit) -> Registry | None:
        facts = self._registries.get(hit.registry)
        return facts.registry if facts is not None else None

    def badges(self, hit: SearchHit) -> list[str]:
        facts = self._registries.get(hit.registry)
        found = []
        if hit.deprecated:
            found.append("Deprecated")
        if facts is not None and (facts.registry.uid, hit.chart) in self._offline:
            found.append("Available offline")
        if facts is not None and facts.offline:
            found.append("Registry offline")
        return found

    # --- Qt model -------------------------------------------------------------------------

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        hit = self.row_at(index)
        if hit is None:
            return None
        column = index.column()
        if role == HIT_ROLE:
            return hit
        if role == Qt.ItemDataRole.DisplayRole:
            shown = " · ".join(self.badges(hit))
            return (hit.chart, hit.registry, hit.version, hit.app_version, hit.description, shown)[column]
        if role == Qt.ItemDataRole.DecorationRole and column == NAME:
            registry = self.registry_of(hit)
            return self._icons.pixmap(registry.id, hit.chart, ICON_SIZE) if registry is not None else None
        if role == Qt.ItemDataRole.ToolTipRole:
            badges = self.badges(hit)
            return f"{hit.name} {hit.version}\n{hit.description}" + (f"\n{', '.join(badges)}" if badges else "")
        if role == Qt.ItemDataRole.AccessibleTextRole and column == NAME:
            extra = ", ".join(self.badges(hit))
            return f"{hit.chart} from {hit.registry}, version {hit.version}" + (f", {extra}" if extra else "")
        return None


class ChartRowDelegate(QStyledItemDelegate):
    """Three lines beside the icon: name · registry and badges; versions; the description."""

    PADDING = 6

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        line = QFontMetrics(option.font).height()
        return QSize(200, max(ICON_SIZE, line * 3 + 4) + 2 * self.PADDING)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        hit: SearchHit | None = index.data(HIT_ROLE)
        if hit is None:
            return
        model = index.model()
        badges: list[str] = model.badges(hit) if isinstance(model, ChartListModel) else []
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        widget: QWidget | None = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        opt.text = ""
        opt.icon = opt.icon.__class__()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, opt, painter, widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette: QPalette = option.palette
        text_color = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        colors = accent_colors(palette)
        muted = text_color if selected else colors["muted"]
        rect: QRect = option.rect.adjusted(self.PADDING, self.PADDING, -self.PADDING, -self.PADDING)
        painter.save()
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        if pixmap is not None:
            top = rect.top() + (rect.height() - ICON_SIZE) // 2
            target = QRect(rect.left(), top, ICON_SIZE, ICON_SIZE)
            size = pixmap.deviceIndependentSize().toSize()
            target = QRect(
                target.left() + (ICON_SIZE - size.width()) // 2,
                target.top() + (ICON_SIZE - size.height()) // 2,
                size.width(),
                size.height(),
            )
            painter.drawPixmap(target, pixmap)
        text = rect.adjusted(ICON_SIZE + 10, 0, 0, 0)
        metrics = QFontMetrics(option.font)
        line = metrics.height()
        bold = QFont(option.font)
        bold.setBold(True)
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, option.font.pointSizeF() * 0.85))
        # Badges first, right-aligned on the first line, so the name gets what is left.
        right = text.right()
        painter.setFont(small)
        small_metrics = QFontMetrics(small)
        for badge in reversed(badges):
            width = small_metrics.horizontalAdvance(badge) + 10
            pill = QRect(right - width + 1, text.top() + 1, width, line - 2)
            color = colors["warning"] if badge in ("Deprecated", "Registry offline") else colors["ok"]
            fill = QColor(color)
            fill.setAlpha(40)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill)
            painter.drawRoundedRect(pill, 4, 4)
            painter.setPen(text_color if selected else color)
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, badge)
            right -= width + 4
        first = QRect(text.left(), text.top(), max(0, right - text.left() - 4), line)
        painter.setFont(bold)
        painter.setPen(text_color)
        name = QFontMetrics(bold).elidedText(hit.chart, Qt.TextElideMode.ElideRight, first.width())
        painter.drawText(first, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        used = QFontMetrics(bold).horizontalAdvance(name) + 8
        painter.setFont(option.font)
        painter.setPen(muted)
        registry = metrics.elidedText(hit.registry, Qt.TextElideMode.ElideRight, max(0, first.width() - used))
        painter.drawText(
            first.adjusted(used, 0, 0, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, registry
        )
        second = QRect(text.left(), text.top() + line + 2, text.width(), line)
        painter.drawText(
            second,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            version_line(hit, metrics, second.width()),
        )
        third = QRect(text.left(), second.bottom() + 2, text.width(), line)
        painter.setPen(text_color)
        painter.drawText(
            third,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            metrics.elidedText(hit.description or "No description", Qt.TextElideMode.ElideRight, third.width()),
        )
        painter.restore()


def version_line(hit: SearchHit, metrics: QFontMetrics, width: int) -> str:
    """ "Chart 1.0.0-20231006.132342.ab12cd3  ·  App 2.1", cut at its end when narrow: a long version
    (IBM's builds) keeps its start and its build stamp, never loses its middle."""
    versions = f"Chart {hit.version}" + (f"  ·  App {hit.app_version}" if hit.app_version else "")
    return metrics.elidedText(versions, Qt.TextElideMode.ElideRight, width)

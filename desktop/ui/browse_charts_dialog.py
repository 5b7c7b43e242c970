"""Browse charts: one registry's charts (whatever its synchronization) with the details pane —
versions, README, values, schema — and Keep offline / Remove offline copy for any version."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListView,
    QVBoxLayout,
    QWidget,
)

from desktop.catalog.browse import registry_charts
from desktop.registry import Registry
from desktop.ui.chart_details import ChartDetails, list_beside_details
from desktop.ui.chart_icons import ChartIconCache
from desktop.ui.chart_list import HIT_ROLE, NAME, ChartListModel, ChartRowDelegate
from desktop.ui.context import AppContext
from desktop.ui.forms import escape_clears
from desktop.ui.geometry import fit_to_screen
from desktop.wording import plural

CHOOSE_DELAY_MS = 250


class BrowseChartsDialog(QDialog):
    status_message = Signal(str)

    def __init__(self, context: AppContext, registry: Registry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.registry = registry
        self.icons = ChartIconCache(context.reader)
        self.model = ChartListModel(context.reader, self.icons, self)
        self._choose_timer = QTimer(self)
        self._choose_timer.setSingleShot(True)
        self._choose_timer.setInterval(CHOOSE_DELAY_MS)
        self._build_ui()
        self._connect()
        self._load()

    def _build_ui(self) -> None:
        self.setWindowTitle(f"Charts of {self.registry.name}")
        fit_to_screen(self, 1100, 720)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by name, description or keyword")
        self.filter_edit.setClearButtonEnabled(True)
        escape_clears(self.filter_edit)
        filter_label = QLabel("&Filter:")
        filter_label.setBuddy(self.filter_edit)
        self.charts = QListView()
        self.charts.setModel(self.model)
        self.charts.setModelColumn(NAME)
        self.charts.setItemDelegate(ChartRowDelegate(self.charts))
        self.charts.setUniformItemSizes(True)
        self.charts.setAccessibleName(f"Charts of {self.registry.name}")
        self.charts.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.charts.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.count_label = QLabel()
        self.count_label.setObjectName("formHint")
        self.count_label.setWordWrap(True)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(filter_label)
        left_layout.addWidget(self.filter_edit)
        left_layout.addWidget(self.charts, 1)
        left_layout.addWidget(self.count_label)
        left.setMinimumWidth(260)
        self.details = ChartDetails(self.context, self.icons)
        self.details.hide()
        self.no_selection = QLabel("Choose a chart to see its versions, README, values and schema.")
        splitter = list_beside_details(left, self.details, self.no_selection)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.buttons)

    def _connect(self) -> None:
        self.filter_edit.textChanged.connect(lambda _text: self.reload())
        self.filter_edit.installEventFilter(self)
        self.charts.selectionModel().currentChanged.connect(lambda *_: self._choose_timer.start())
        self._choose_timer.timeout.connect(self.choose_current)
        self.charts.activated.connect(lambda _index: self.choose_current())
        self.buttons.rejected.connect(self.reject)
        self.details.status_message.connect(self.status_message)
        self.context.bridge.catalog_changed.connect(self._on_catalog_changed)

    def _load(self) -> None:
        self.reload()
        self.filter_edit.setFocus()

    def reload(self) -> None:
        hits = registry_charts(self.context.reader, self.registry, self.filter_edit.text())
        self.model.set_hits(hits)
        text = self.filter_edit.text().strip()
        if hits:
            self.count_label.setText(plural(len(hits), "chart") + (f" matching “{text}”" if text else ""))
        elif text:
            self.count_label.setText(f"No charts match “{text}”. Escape clears the filter.")
        else:
            self.count_label.setText(f"{self.registry.name}'s snapshot holds no charts.")

    def show_chart_named(self, chart: str) -> bool:
        """Filter to `chart` and show it (opened from Search All Charts); False when it is not here."""
        self.filter_edit.setText(chart)
        rows = [r for r in range(self.model.rowCount()) if self.model.index(r, NAME).data(HIT_ROLE).chart == chart]
        if not rows:
            return False
        self.charts.setCurrentIndex(self.model.index(rows[0], NAME))
        self.choose_current()
        self.charts.setFocus()
        return True

    def choose_current(self) -> None:
        self._choose_timer.stop()
        hit = self.charts.currentIndex().data(HIT_ROLE)
        if hit is None:
            return
        if self.details.isVisibleTo(self) and self.details.chart == hit.chart:
            return
        self.no_selection.hide()
        self.details.show()
        self.details.show_chart(self.registry, hit.chart, hit.version)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Down in the filter goes to the list; Enter there shows the first chart."""
        keys = (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if (
            watched is self.filter_edit
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in keys
            and self.model.rowCount()
        ):
            if not self.charts.currentIndex().isValid():
                self.charts.setCurrentIndex(self.model.index(0, NAME))
            if event.key() == Qt.Key.Key_Down:
                self.charts.setFocus()
            else:
                self.choose_current()
            return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter on a chart shows it (the Close button must not take it and lose the search); the
        first Escape clears a non-empty filter, the next one closes."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.focusWidget() is self.charts:
            self.choose_current()
            return
        if event.key() == Qt.Key.Key_Escape and self.filter_edit.text():
            self.filter_edit.clear()
            self.filter_edit.setFocus()
            return
        super().keyPressEvent(event)

    def _on_catalog_changed(self) -> None:
        self.icons.clear()
        self.charts.viewport().update()
        if self.details.isVisibleTo(self):
            self.details.refresh_offline()

    def done(self, result: int) -> None:
        self._choose_timer.stop()
        super().done(result)

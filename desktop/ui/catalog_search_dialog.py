"""Search every registry's charts from the main window (Ctrl+K): which registry holds "db2"; Enter opens
the chart in its registry's browser. The query runs on its own thread with its own catalog reader."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListView,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from desktop.catalog.charts import SearchHit, search_charts
from desktop.catalog.db import open_reader
from desktop.registry import Registry
from desktop.ui.chart_icons import ChartIconCache
from desktop.ui.chart_list import HIT_ROLE, NAME, ChartListModel, ChartRowDelegate, registry_facts
from desktop.ui.context import AppContext
from desktop.ui.failure_text import failure_text
from desktop.ui.geometry import fit_to_screen
from desktop.wording import plural

log = logging.getLogger(__name__)
MAX_RESULTS = 500
SEARCH_DELAY_MS = 150


class CatalogSearcher:
    """`search_charts` on one thread of its own, with a read-only connection opened there: a search of
    a large catalog never holds up the window (the UI's reader stays on the UI thread)."""

    def __init__(self, catalog: Path) -> None:
        self._catalog = catalog
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="catalog-search")
        self._local = threading.local()

    def _reader(self) -> sqlite3.Connection:
        reader: sqlite3.Connection | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = open_reader(self._catalog)
            self._local.reader = reader
        return reader

    def search(self, text: str, *, devel: bool = False) -> Future[list[SearchHit]]:
        return self._pool.submit(
            lambda: search_charts(self._reader(), text, devel=devel, limit=MAX_RESULTS, by_chart_name=True)
        )

    def close(self) -> None:
        def close_reader() -> None:
            reader = getattr(self._local, "reader", None)
            if reader is not None:
                reader.close()

        self._pool.submit(close_reader)
        self._pool.shutdown(wait=False)


class CatalogSearchDialog(QDialog):
    """One field and the charts of every searchable registry matching it, each with its registry."""

    chart_chosen = Signal(object, str)  # Registry, chart name

    def __init__(self, context: AppContext, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.icons = ChartIconCache(context.reader)
        self.model = ChartListModel(context.reader, self.icons, self)
        self.searcher = CatalogSearcher(context.paths.catalog)
        self._generation = 0
        self._closed = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._build_ui()
        self._timer.timeout.connect(self.run_search)
        self.search_edit.textChanged.connect(lambda _text: self._timer.start())
        self.prerelease_check.toggled.connect(lambda _on: self.run_search())
        self.search_edit.installEventFilter(self)
        self.results.activated.connect(lambda _index: self.open_current())
        self.buttons.rejected.connect(self.reject)
        self.search_edit.setText(text)
        self.search_edit.selectAll()
        self.run_search()

    def _build_ui(self) -> None:
        self.setWindowTitle("Search All Charts")
        fit_to_screen(self, 760, 620)
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Chart name, description or keyword, in every searchable registry")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setAccessibleName("Search every registry's charts")
        label = QLabel("&Search:")
        label.setBuddy(self.search_edit)
        self.results = QListView()
        self.results.setModel(self.model)
        self.results.setModelColumn(NAME)
        self.results.setItemDelegate(ChartRowDelegate(self.results))
        self.results.setUniformItemSizes(True)
        self.results.setAccessibleName("Matching charts, each with its registry")
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.count_label = QLabel()
        self.count_label.setObjectName("formHint")
        self.count_label.setWordWrap(True)
        # A chart whose every version is a prerelease (IBM's 1.0.0-20231006.132342.ab12cd3) shows only
        # with this, as `helm search repo --devel` (and `chartkeeper search --devel`) show it.
        self.prerelease_check = QCheckBox("Include p&rereleases")
        hint = QLabel("Enter opens the chart in its registry's browser; Escape closes.")
        hint.setObjectName("formHint")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.search_edit)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.prerelease_check)
        layout.addWidget(self.count_label)
        layout.addWidget(hint)
        layout.addWidget(self.buttons)

    @asyncSlot()
    async def run_search(self) -> None:
        """Query off the UI thread; a result that a later keystroke overtook is dropped."""
        self._timer.stop()
        if self._closed:
            return
        self._generation += 1
        generation, text = self._generation, self.search_edit.text()
        self.count_label.setText("Searching…")
        try:
            hits = await asyncio.wrap_future(self.searcher.search(text, devel=self.prerelease_check.isChecked()))
        except Exception as error:  # shown in the dialog, in the one way failures read
            if not self.context.outlived(self):
                self.count_label.setText(failure_text(self.context, error, "The search"))
            return
        if self.context.outlived(self) or generation != self._generation:
            return
        self.show_hits(text, hits)

    def show_hits(self, text: str, hits: list[SearchHit]) -> None:
        self.model.set_hits(hits)
        if hits:
            self.results.setCurrentIndex(self.model.index(0, NAME))
        registries = len({hit.registry for hit in hits})
        searchable = sum(1 for f in registry_facts(self.context.reader).values() if f.registry.sync_enabled)
        term = text.strip()
        if not searchable:
            self.count_label.setText("No registry is searchable: only registries with synchronization on are.")
        elif not hits:
            self.count_label.setText(
                f"No chart matches “{term}” in {plural(searchable, 'searchable registry', 'searchable registries')}."
            )
        else:
            shown = plural(len(hits), "chart") if len(hits) < MAX_RESULTS else f"the best {MAX_RESULTS} charts"
            where = plural(registries, "registry", "registries")
            self.count_label.setText(f"{shown} in {where}" + (f" matching “{term}”" if term else ""))

    def current_hit(self) -> SearchHit | None:
        hit = self.results.currentIndex().data(HIT_ROLE)
        return hit if isinstance(hit, SearchHit) else None

    def open_current(self) -> Registry | None:
        hit = self.current_hit()
        registry = self.model.registry_of(hit) if hit is not None else None
        if hit is None or registry is None:
            return None
        self.accept()
        self.chart_chosen.emit(registry, hit.chart)
        return registry

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Down and Up in the field move in the list; Enter there opens the current chart."""
        if watched is self.search_edit and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self._timer.isActive() or self.searching_now():
                    return True  # the results are not those of the text yet
                self.open_current()
                return True
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.model.rowCount():
                row = max(
                    0,
                    min(
                        self.model.rowCount() - 1,
                        self.results.currentIndex().row() + (1 if key == Qt.Key.Key_Down else -1),
                    ),
                )
                self.results.setCurrentIndex(self.model.index(row, NAME))
                return True
        return super().eventFilter(watched, event)

    def searching_now(self) -> bool:
        return self.count_label.text() == "Searching…"

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.focusWidget() is self.results:
            self.open_current()
            return
        super().keyPressEvent(event)

    def done(self, result: int) -> None:
        self._timer.stop()
        self._generation += 1
        if not self._closed:
            self._closed = True
            self.searcher.close()
        super().done(result)

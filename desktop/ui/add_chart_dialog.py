"""Add Helm Chart (Palette's flow): Public searches registries that have synchronization on, as you
type, in rows with icons and badges; nothing is fetched until a chart is chosen. Private takes a
registry, a chart name and a version, checked against that registry's snapshot."""

from __future__ import annotations

import asyncio
import difflib
import sqlite3
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QModelIndex, QObject, QStringListModel, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from desktop.catalog.charts import SearchHit, chart_names, chart_versions, get_chart_version, search_charts
from desktop.catalog.registries import find_registry, list_registries
from desktop.errors import UserError
from desktop.helm.chart_archive import ChartFiles
from desktop.helm.versions import nearest_versions, pick_version
from desktop.profiles.namespaces import suggested_namespace
from desktop.registry import Registry
from desktop.ui.chart_details import ChartDetails, list_beside_details
from desktop.ui.chart_icons import ChartIconCache
from desktop.ui.chart_list import HIT_ROLE, NAME, ChartListModel, ChartRowDelegate, registry_facts
from desktop.ui.completer_focus import close_suggestions_on_focus_out
from desktop.ui.context import AppContext
from desktop.ui.failure_text import failure_text
from desktop.ui.forms import add_row, error_label, escape_clears, stacked
from desktop.ui.geometry import fit_to_screen
from desktop.wording import plural

SEARCH_DELAY_MS = 0  # coalesces the keystrokes of one event-loop pass; the search itself is fast
CHOOSE_DELAY_MS = 250  # arrowing through the list shows a chart only where the user stops
MAX_RESULTS = 500


@dataclass(frozen=True)
class ChosenChart:
    registry: Registry
    chart: str
    version: str
    files: ChartFiles | None  # None when its files could not be had (offline, not cached)
    namespace: str = "default"  # the one the chart declares, else its name


class AddChartDialog(QDialog):
    """Opened with `open()`; after `accepted`, `chosen` holds the chart to add."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.chosen: ChosenChart | None = None
        self.icons = ChartIconCache(context.reader)
        self.results_model = ChartListModel(context.reader, self.icons, self)
        self._choose_timer = QTimer(self)
        self._choose_timer.setSingleShot(True)
        self._choose_timer.setInterval(CHOOSE_DELAY_MS)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._searches = 0  # the newest search's number: an older one's late answer is dropped
        self._build_ui()
        self._connect()
        self._load()

    def _build_ui(self) -> None:
        self.setWindowTitle("Add Helm Chart")
        fit_to_screen(self, 1100, 720)
        self.tabs = QTabWidget()

        public = QWidget()
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search charts by name, description or keyword")
        self.search_edit.setClearButtonEnabled(True)
        escape_clears(self.search_edit)
        self.results = QListView()
        self.results.setModel(self.results_model)
        self.results.setModelColumn(NAME)
        self.results.setItemDelegate(ChartRowDelegate(self.results))
        self.results.setUniformItemSizes(True)
        self.results.setAccessibleName("Matching charts")
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.result_count = QLabel()
        self.result_count.setObjectName("formHint")
        self.result_count.setWordWrap(True)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        search_label = QLabel("&Search:")
        search_label.setBuddy(self.search_edit)
        left_layout.addWidget(search_label)
        left_layout.addWidget(self.search_edit)
        left_layout.addWidget(self.results, 1)
        left_layout.addWidget(self.result_count)
        left.setMinimumWidth(260)
        self.details = ChartDetails(self.context, self.icons)
        self.details.hide()
        self.no_selection = QLabel(
            "Choose a chart to see its versions, README and values.\n"
            "Its files are fetched only then (or read from this computer when kept offline)."
        )
        splitter = list_beside_details(left, self.details, self.no_selection)
        public_layout = QVBoxLayout(public)
        public_layout.addWidget(splitter)
        self.tabs.addTab(public, "&Public")

        private = QWidget()
        self.registry_combo = QComboBox()
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("chart name, exactly as the registry has it")
        self.version_edit = QLineEdit()
        self.version_edit.setPlaceholderText("exact version, such as 1.4.2")
        self.private_error = error_label()
        self.private_ok = QLabel()
        self.private_ok.setObjectName("savedIndicator")
        self._name_completer = QCompleter(QStringListModel(self), self)
        self._version_completer = QCompleter(QStringListModel(self), self)
        for completer in (self._name_completer, self._version_completer):
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.name_edit.setCompleter(self._name_completer)
        self.version_edit.setCompleter(self._version_completer)
        for field in (self.name_edit, self.version_edit):
            close_suggestions_on_focus_out(field)
        hint = QLabel(
            "For registries with synchronization off, or any registry: the chart is checked against the "
            "registry's snapshot, so it works without the network."
        )
        hint.setObjectName("formHint")
        hint.setWordWrap(True)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        add_row(form, "&Registry:", self.registry_combo)
        add_row(form, "Chart &name:", self.name_edit)
        add_row(form, "&Version:", stacked(self.version_edit, self.private_error, self.private_ok), self.version_edit)
        private_layout = QVBoxLayout(private)
        private_layout.addWidget(hint)
        private_layout.addLayout(form)
        private_layout.addStretch(1)
        self.tabs.addTab(private, "Pr&ivate")

        self.add_button = QPushButton("&Add Layer")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.addButton(self.add_button, QDialogButtonBox.ButtonRole.AcceptRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.buttons)
        self.add_button.setDefault(True)  # once it is in the dialog, so that it is the dialog's default
        self.setTabOrder(self.search_edit, self.results)

    def _connect(self) -> None:
        self.search_edit.textChanged.connect(lambda _text: self._search_timer.start())
        self.search_edit.installEventFilter(self)
        self._search_timer.timeout.connect(self._search_off_thread)
        self.results.selectionModel().currentChanged.connect(lambda *_: self._choose_timer.start())
        self._choose_timer.timeout.connect(self.choose_current)
        self.results.activated.connect(self._on_result_activated)
        self.registry_combo.currentIndexChanged.connect(self._on_private_changed)
        self.name_edit.textChanged.connect(self._on_private_changed)
        self.version_edit.textChanged.connect(self._on_private_changed)
        self.tabs.currentChanged.connect(lambda _index: self._update_add_button())
        self.details.version_changed.connect(lambda _v: self._update_add_button())
        self.add_button.clicked.connect(self._on_add_clicked)
        self.buttons.rejected.connect(self.reject)
        self.context.bridge.catalog_changed.connect(self._on_catalog_changed)

    def _load(self) -> None:
        for facts in registry_facts(self.context.reader).values():
            registry = facts.registry
            notes = [
                note
                for note, applies in (("synchronization off", not registry.sync_enabled), ("offline", facts.offline))
                if applies
            ]
            self.registry_combo.addItem(registry.name + (f"  ({', '.join(notes)})" if notes else ""), registry.name)
        chosen_before = self.registry_combo.findData(self.context.private_registry)
        if chosen_before >= 0:  # the registry chosen before in this session, not the first by name
            self.registry_combo.setCurrentIndex(chosen_before)
        self.registry_combo.currentIndexChanged.connect(self._remember_registry)
        self.run_search()
        self._on_private_changed()
        self.search_edit.setFocus()

    # --- public -------------------------------------------------------------------------

    def run_search(self) -> None:
        """The results of what is typed, read here and now (the dialog opens with its list, a key that
        needs the results has them); as the user types, `_search_off_thread` reads them."""
        self._searches += 1
        self._show_hits(*picker_search(self.context.reader, self.search_edit.text()))

    @asyncSlot()
    async def _search_off_thread(self) -> None:
        """As the user types: the catalog read off the UI thread; only the newest search's answer is shown."""
        self._searches += 1
        asked = self._searches
        try:
            found = await asyncio.wrap_future(self.context.worker.read(picker_search, self.search_edit.text()))
        except Exception as exc:
            if not self.context.outlived(self) and asked == self._searches:
                self.result_count.setText(failure_text(self.context, exc, "The search"))
            return
        if not self.context.outlived(self) and asked == self._searches:
            self._show_hits(*found)

    def _show_hits(self, hits: list[SearchHit], searchable: int) -> None:
        self.results_model.set_hits(hits)  # nothing selected: nothing is fetched until a chart is chosen
        shown = plural(len(hits), "chart") if len(hits) < MAX_RESULTS else f"the best {MAX_RESULTS} charts"
        self.result_count.setText(f"{shown} from {_registries_read(len({hit.registry for hit in hits}), searchable)}")
        self._update_add_button()

    def choose_current(self) -> None:
        """Show the chart at the list's current row (the user chose it): its details and files."""
        self._choose_timer.stop()
        hit = self.results.currentIndex().data(HIT_ROLE)
        if hit is None:
            return
        registry = find_registry(self.context.reader, hit.registry)
        if registry is None:
            return
        if self.details.isVisibleTo(self) and self.details.registry == registry and self.details.chart == hit.chart:
            return  # the same chart: keep its details as they are
        self.no_selection.hide()
        self.details.show()
        self.details.show_chart(registry, hit.chart, hit.version)

    def _on_result_activated(self, _index: QModelIndex) -> None:
        self.choose_current()
        self.add_button.click()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Down in the search field goes to the results; Enter there chooses the first one."""
        if watched is self.search_edit and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if self._search_timer.isActive() and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._search_timer.stop()
                self.run_search()  # the keystrokes typed just before count
            if event.key() == Qt.Key.Key_Down and self.results_model.rowCount():
                self.results.setFocus()
                if not self.results.currentIndex().isValid():
                    self.results.setCurrentIndex(self.results_model.index(0, NAME))
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not self._chosen_is_listed():
                if self.results_model.rowCount():
                    self.results.setCurrentIndex(self.results_model.index(0, NAME))
                    self.choose_current()
                return True
        return super().eventFilter(watched, event)

    def _chosen_is_listed(self) -> bool:
        """The chart whose details show is among the results (so Enter adds it)."""
        registry = self.details.registry
        if not self.add_button.isEnabled() or registry is None:
            return False
        return any(hit.registry == registry.name and hit.chart == self.details.chart for hit in self.results_model.rows)

    def _on_catalog_changed(self) -> None:
        self.icons.clear()  # a sync may have brought icons
        self.results.viewport().update()
        if self.details.isVisibleTo(self):
            self.details.refresh_offline()

    # --- private ------------------------------------------------------------------------

    def _private_registry(self) -> Registry | None:
        name = self.registry_combo.currentData()
        return find_registry(self.context.reader, name) if name else None

    def private_problem(self) -> str | None:
        registry = self._private_registry()
        if registry is None:
            return "Register a Helm registry first."
        chart = self.name_edit.text().strip()
        version = self.version_edit.text().strip()
        names = chart_names(self.context.reader, registry)
        self._name_completer.model().setStringList(names)  # type: ignore[attr-defined]
        if not chart:
            return "Type the chart's name."
        if chart not in names:
            close = difflib.get_close_matches(chart, names, n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            return f"'{registry.name}' has no chart named '{chart}' in its snapshot.{hint}"
        versions = chart_versions(self.context.reader, registry, chart)
        self._version_completer.model().setStringList(versions)  # type: ignore[attr-defined]
        if not version:
            return f"Type the version ({', '.join(versions[:3])}{'…' if len(versions) > 3 else ''})."
        if version not in versions:
            picked = pick_version(version, versions)  # the version Helm's `--version` takes, by Helm's rules
            if picked is not None:
                return f"'{chart}' has no version '{version}' in the snapshot; closest: {picked} (what Helm takes)."
            close = nearest_versions(version, versions) or versions[:3]
            return f"'{chart}' has no version '{version}' in the snapshot; closest: {', '.join(close)}."
        return None

    def _remember_registry(self) -> None:
        name = self.registry_combo.currentData()
        if name:
            self.context.private_registry = str(name)

    def _on_private_changed(self) -> None:
        problem = self.private_problem()
        typed = bool(self.name_edit.text().strip() or self.version_edit.text().strip())
        self.private_error.setText(problem or "")
        self.private_error.setVisible(bool(problem) and typed)
        self.private_ok.setText("" if problem else "✓ Found in the snapshot")
        self._update_add_button()

    # --- result -------------------------------------------------------------------------

    def _update_add_button(self) -> None:
        if self.tabs.currentIndex() == 0:
            enabled = self.details.isVisibleTo(self) and self.details.version() is not None
        else:
            enabled = self.private_problem() is None
        self.add_button.setEnabled(enabled)

    def done(self, result: int) -> None:
        self._search_timer.stop()
        self._choose_timer.stop()
        super().done(result)

    def _on_add_clicked(self) -> None:
        if self.tabs.currentIndex() == 0:
            registry, version = self.details.registry, self.details.version()
            if registry is None or version is None:
                return
            chart, files = self.details.chart, self.details.files
        else:
            if self.private_problem() is not None:
                return
            registry = self._private_registry()
            assert registry is not None
            chart, version, files = self.name_edit.text().strip(), self.version_edit.text().strip(), None
        self.chosen = ChosenChart(registry, chart, version, files, self._namespace_for(registry, chart, version))
        self.accept()

    def _namespace_for(self, registry: Registry, chart: str, version: str) -> str:
        try:
            meta = get_chart_version(self.context.reader, registry, chart, version).meta
        except UserError:
            meta = None
        return suggested_namespace(chart, meta)


def picker_search(db: sqlite3.Connection, text: str) -> tuple[list[SearchHit], int]:
    """The picker's best charts for `text`, and how many registries search reads."""
    hits = search_charts(db, text, limit=MAX_RESULTS, by_chart_name=True)
    return hits, sum(1 for registry in list_registries(db) if registry.sync_enabled)


def _registries_read(matched: int, searchable: int) -> str:
    """`2 searchable registries` when each gave charts, `1 of 2 searchable registries` when one did."""
    every = plural(searchable, "searchable registry", "searchable registries")
    return every if not matched or matched >= searchable else f"{matched:,} of {every}"

"""Add Helm Chart (Palette's flow): Public searches registries that have synchronization on, as you
type; Private takes a registry, a chart name and a version, checked against that registry's snapshot."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QStringListModel,
    Qt,
    QTimer,
)
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.catalog.charts import SearchHit, chart_names, chart_versions, search_charts
from desktop.catalog.registries import find_registry, list_registries
from desktop.helm.chart_archive import ChartFiles
from desktop.helm.versions import pick_version
from desktop.registry import Registry
from desktop.ui.chart_details import ChartDetails
from desktop.ui.context import AppContext
from desktop.ui.forms import add_row, error_label, stacked

SEARCH_DELAY_MS = 0  # coalesces the keystrokes of one event-loop pass; the search itself is fast
MAX_RESULTS = 500


class SearchResultsModel(QAbstractListModel):
    """The hits of the last search (a plain list: only the visible rows are ever asked for)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.hits: list[SearchHit] = []

    def set_hits(self, hits: list[SearchHit]) -> None:
        self.beginResetModel()
        self.hits = hits
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.hits)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.hits):
            return None
        hit = self.hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{hit.name}  {hit.version}" + ("  (deprecated)" if hit.deprecated else "")
        if role == Qt.ItemDataRole.ToolTipRole:
            return hit.description
        return None


@dataclass(frozen=True)
class ChosenChart:
    registry: Registry
    chart: str
    version: str
    files: ChartFiles | None  # None when its files could not be had (offline, not cached)


class AddChartDialog(QDialog):
    """Opened with `open()`; after `accepted`, `chosen` holds the chart to add."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.chosen: ChosenChart | None = None
        self.results_model = SearchResultsModel(self)
        self._details_timer = QTimer(self)
        self._details_timer.setSingleShot(True)
        self._details_timer.setInterval(0)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._build_ui()
        self._connect()
        self._load()

    def _build_ui(self) -> None:
        self.setWindowTitle("Add Helm Chart")
        self.resize(1100, 720)
        self.tabs = QTabWidget()

        public = QWidget()
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search charts by name, description or keyword")
        self.search_edit.setClearButtonEnabled(True)
        self.results = QListView()
        self.results.setModel(self.results_model)
        self.results.setUniformItemSizes(True)
        self.results.setAccessibleName("Matching charts")
        self.result_count = QLabel()
        self.result_count.setObjectName("formHint")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        search_label = QLabel("&Search:")
        search_label.setBuddy(self.search_edit)
        left_layout.addWidget(search_label)
        left_layout.addWidget(self.search_edit)
        left_layout.addWidget(self.results, 1)
        left_layout.addWidget(self.result_count)
        self.details = ChartDetails(self.context)
        self.details.hide()
        self.no_selection = QLabel("Select a chart to see its versions, values and README.")
        self.no_selection.setObjectName("emptyText")
        self.no_selection.setAlignment(Qt.AlignmentFlag.AlignCenter)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.no_selection, 1)
        right_layout.addWidget(self.details, 1)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([340, 760])
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
        hint = QLabel(
            "For registries with synchronization off, or any registry: the chart is checked against the\n"
            "registry's snapshot, so it works without the network."
        )
        hint.setObjectName("formHint")
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        add_row(form, "&Registry:", self.registry_combo)
        add_row(form, "Chart &name:", self.name_edit)
        add_row(form, "&Version:", stacked(self.version_edit, self.private_error, self.private_ok), self.version_edit)
        private_layout = QVBoxLayout(private)
        private_layout.addWidget(hint)
        private_layout.addLayout(form)
        private_layout.addStretch(1)
        self.tabs.addTab(private, "P&rivate")

        self.add_button = QPushButton("&Add Layer")
        self.add_button.setDefault(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.addButton(self.add_button, QDialogButtonBox.ButtonRole.AcceptRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.buttons)

    def _connect(self) -> None:
        self.search_edit.textChanged.connect(lambda _text: self._search_timer.start())
        self._search_timer.timeout.connect(self.run_search)
        self.results.selectionModel().currentChanged.connect(lambda *_: self._details_timer.start())
        self._details_timer.timeout.connect(self._on_result_changed)
        self.results.activated.connect(lambda _index: self.add_button.click())
        self.registry_combo.currentIndexChanged.connect(self._on_private_changed)
        self.name_edit.textChanged.connect(self._on_private_changed)
        self.version_edit.textChanged.connect(self._on_private_changed)
        self.tabs.currentChanged.connect(lambda _index: self._update_add_button())
        self.details.version_changed.connect(lambda _v: self._update_add_button())
        self.add_button.clicked.connect(self._on_add_clicked)
        self.buttons.rejected.connect(self.reject)

    def _load(self) -> None:
        for registry in list_registries(self.context.reader):
            label = registry.name + ("" if registry.sync_enabled else "  (synchronization off)")
            self.registry_combo.addItem(label, registry.name)
        self.run_search()
        self._on_private_changed()
        self.search_edit.setFocus()

    # --- public -------------------------------------------------------------------------

    def run_search(self) -> None:
        hits = search_charts(self.context.reader, self.search_edit.text(), limit=MAX_RESULTS)
        self.results_model.set_hits(hits)
        searchable = sum(1 for r in list_registries(self.context.reader) if r.sync_enabled)
        shown = f"{len(hits)} charts" if len(hits) < MAX_RESULTS else f"the best {MAX_RESULTS} charts"
        self.result_count.setText(f"{shown} from {searchable} searchable registries (synchronization on)")
        if hits:
            self.results.setCurrentIndex(self.results_model.index(0))  # details follow once the list is shown
        else:
            self.details.hide()
            self.no_selection.show()
            self._update_add_button()

    def _on_result_changed(self) -> None:
        row = self.results.currentIndex().row()
        hits = self.results_model.hits
        if not 0 <= row < len(hits):
            return
        hit = hits[row]
        if self.details.isVisibleTo(self) and (self.details.registry, self.details.chart) == (
            find_registry(self.context.reader, hit.registry),
            hit.chart,
        ):
            return  # the same chart: keep its details as they are
        registry = find_registry(self.context.reader, hit.registry)
        if registry is None:
            return
        self.no_selection.hide()
        self.details.show()
        self.details.show_chart(registry, hit.chart, hit.version)

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
            close = difflib.get_close_matches(version, versions, n=3, cutoff=0.5) or versions[:3]
            return f"'{chart}' has no version '{version}' in the snapshot; closest: {', '.join(close)}."
        return None

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
        self._details_timer.stop()
        super().done(result)

    def _on_add_clicked(self) -> None:
        if self.tabs.currentIndex() == 0:
            registry, version = self.details.registry, self.details.version()
            if registry is None or version is None:
                return
            self.chosen = ChosenChart(registry, self.details.chart, version, self.details.files)
        else:
            if self.private_problem() is not None:
                return
            registry = self._private_registry()
            assert registry is not None
            self.chosen = ChosenChart(registry, self.name_edit.text().strip(), self.version_edit.text().strip(), None)
        self.accept()

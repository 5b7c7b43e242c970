"""Sync history of one registry: each run's time, outcome, size and what it changed."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.catalog.sync_records import SyncRun, list_runs, run_changes
from desktop.registry import Registry
from desktop.timefmt import local_time
from desktop.ui.forms import home_end_rows
from desktop.ui.geometry import fit_to_screen
from desktop.ui.style import accent_colors
from desktop.wording import human_size, plural

COLUMNS = ("When", "Trigger", "Outcome", "Size", "Added", "Removed", "Changed", "Details")
_TRIGGERS = {"register": "Registration", "manual": "Manual", "schedule": "Schedule"}
_OUTCOMES = {
    "updated": "Updated",
    "unchanged": "No change",
    "held": "Held",
    "failed": "Failed",
    "cancelled": "Cancelled",
    "interrupted": "Interrupted",
    "running": "Running",
}
_NOT_APPLIED = ("held", "failed", "cancelled", "interrupted")


class SyncHistoryDialog(QDialog):
    def __init__(
        self,
        reader: sqlite3.Connection,
        registry: Registry,
        parent: QWidget | None = None,
        accept_removals: Callable[[], object] | None = None,
    ) -> None:
        super().__init__(parent)
        self.reader = reader
        self.registry = registry
        self._accept_removals = accept_removals
        self.runs: list[SyncRun] = []
        self._build_ui()
        self._connect()
        self._load()

    def _build_ui(self) -> None:
        self.setWindowTitle(f"Sync history — {self.registry.name}")
        fit_to_screen(self, 900, 560)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setTabKeyNavigation(False)
        home_end_rows(self.table)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.changes_label = QLabel("Select a run to see the chart versions it changed.")
        self.changes_label.setWordWrap(True)
        self.changes_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.changes_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.changes = QListWidget()
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.changes_label)
        lower_layout.addWidget(self.changes)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(lower)
        splitter.setSizes([300, 180])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.accept_button = buttons.addButton("&Accept Removals…", QDialogButtonBox.ButtonRole.ActionRole)
        self.accept_button.setAutoDefault(False)
        self.accept_button.setToolTip("Apply the held sync: what the index lacks is marked removed upstream, kept.")
        self.accept_button.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        layout.addWidget(buttons)

    def _connect(self) -> None:
        self.table.itemSelectionChanged.connect(self._on_table_selection_changed)
        self.accept_button.clicked.connect(self._on_accept_clicked)

    def _load(self) -> None:
        self.runs = list_runs(self.reader, self.registry.id, limit=200)
        self.table.setRowCount(len(self.runs))
        for row, run in enumerate(self.runs):
            values = (
                local_time(run.started_at),
                _TRIGGERS.get(run.trigger, run.trigger),
                _OUTCOMES.get(run.status, run.status) + (f" ({run.http_status})" if run.http_status else ""),
                human_size(run.bytes),
                str(run.added),
                str(run.removed),
                str(run.changed),
                run.error or (f"{run.skipped} invalid versions skipped" if run.skipped else ""),
            )
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column in (3, 4, 5, 6):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if column == len(values) - 1 and value:
                    item.setToolTip(value)
                self.table.setItem(row, column, item)
        if self.runs:
            self.table.selectRow(0)
        held = bool(self.runs) and self.runs[0].status == "held"
        self.accept_button.setVisible(held and self._accept_removals is not None)

    def _on_accept_clicked(self) -> None:
        if self._accept_removals is not None:
            self.accept()
            self._accept_removals()

    def _on_table_selection_changed(self) -> None:
        rows = {index.row() for index in self.table.selectedIndexes()}
        self.changes.clear()
        if not rows:
            return
        run = self.runs[min(rows)]
        changes = run_changes(self.reader, run.id)
        if run.trigger == "register" and run.status not in _NOT_APPLIED:
            self.changes_label.setText(f"Registration: {plural(run.added, 'version')} in the first snapshot.")
            self.changes.setVisible(False)
            return
        if run.status in _NOT_APPLIED:
            reason = f"\n\n{run.error}" if run.error else ""
            verb = {"held": "was held", "interrupted": "was interrupted"}.get(run.status, run.status)
            self.changes_label.setText(f"This run {verb}: the snapshot stayed as it was.{reason}")
        else:
            changed = f"{plural(len(changes), 'chart version')} changed in this run."
            self.changes_label.setText(changed if changes else "This run changed nothing.")
        self.changes.setVisible(bool(changes))
        symbols = {"added": "+ added", "removed": "− removed upstream (kept)", "changed": "~ changed"}
        colors = accent_colors(self.palette())
        tones = {"added": colors["ok"], "removed": colors["error"], "changed": colors["warning"]}
        for change, chart, version in changes:
            item = QListWidgetItem(f"{symbols[change]}   {chart} {version}")
            item.setForeground(tones[change])
            self.changes.addItem(item)

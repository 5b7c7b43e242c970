"""Progress and summary of an Import from Helm: what was imported, skipped or failed, and why."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.cancellation import CancelToken
from desktop.operations.helm_import import ImportOutcome
from desktop.ui.geometry import fit_to_screen
from desktop.wording import plural

_RESULTS = {"imported": "✓ Imported", "skipped": "– Skipped", "failed": "✗ Failed"}


class HelmImportDialog(QDialog):
    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self.token = CancelToken()
        self.outcomes: list[ImportOutcome] = []
        self._build_ui()

    def _build_ui(self) -> None:
        self.setWindowTitle("Import from Helm")
        fit_to_screen(self, 780, 420)
        self.heading = QLabel(f"Reading {self.path} …")
        self.heading.setWordWrap(True)
        self.progress = QProgressBar()
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Repository", "Result", "Details"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.setTabKeyNavigation(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.progress)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled

    def start(self, count: int) -> None:
        self.progress.setRange(0, max(count, 1))
        self.heading.setText(f"Importing {plural(count, 'repository', 'repositories')} from {self.path} …")

    def working_on(self, name: str) -> None:
        self.heading.setText(f"Checking “{name}” and taking its first snapshot …")

    def add_outcome(self, outcome: ImportOutcome) -> None:
        self.outcomes.append(outcome)
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column, text in enumerate((outcome.name, _RESULTS.get(outcome.status, outcome.status), outcome.detail)):
            item = QTableWidgetItem(text)
            item.setToolTip(f"{outcome.url}\n{outcome.detail}" if column == 2 else outcome.url)
            self.table.setItem(row, column, item)
        self.table.resizeRowToContents(row)
        self.progress.setValue(len(self.outcomes))

    def fail(self, message: str) -> None:
        self.heading.setText(message)
        self.progress.hide()
        self._closeable()

    def finish(self) -> None:
        counts = {status: sum(1 for o in self.outcomes if o.status == status) for status in _RESULTS}
        summary = ", ".join(f"{counts[s]} {s}" for s in _RESULTS if counts[s]) or "nothing to import"
        self.heading.setText(("Stopped: " if self.cancelled else "Done: ") + summary + ".")
        self.progress.setValue(self.progress.maximum())
        self._closeable()

    def _closeable(self) -> None:
        self.buttons.clear()
        close = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setFocus(Qt.FocusReason.OtherFocusReason)
        self.buttons.rejected.connect(self.reject)

    def reject(self) -> None:
        self.token.cancel()
        super().reject()

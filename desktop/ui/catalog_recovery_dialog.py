"""When the window cannot open its catalog because the file is damaged: check it, recover what can be
read into a new catalog (the damaged file kept beside it), or quit — from the keyboard too."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.catalog.maintenance import CheckReport, RecoveryReport, check_catalog, describe_check, recover_catalog
from desktop.ui.failure_text import failure_line
from desktop.wording import plural


class CatalogRecoveryDialog(QDialog):
    """Check and Recover run off the UI thread (a large catalog takes seconds); their results come
    back through signals. Accepted means "open Chartkeeper again": only after a recovery."""

    work_finished = Signal(object, object)  # (what to do with the result, the result or the error)

    def __init__(
        self, catalog: Path, message: str, parent: QWidget | None = None, *, log_file: Path | None = None
    ) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.log_file = log_file
        self.message = message
        self.check_report: CheckReport | None = None
        self.recovery: RecoveryReport | None = None
        self._working = False
        self._build_ui()
        self._connect()

    def _build_ui(self) -> None:
        self.setWindowTitle("Chartkeeper: the catalog is damaged")
        self.resize(720, 420)
        self.heading = QLabel(
            f"<b>Chartkeeper cannot open its catalog.</b><br>{_escape(self.message)}<br><br>"
            "<b>Check</b> runs SQLite's integrity check and changes nothing. <b>Recover</b> copies everything "
            "that can still be read into a new catalog and keeps the damaged file beside it: nothing is deleted. "
            "Chart snapshots that lost rows are downloaded again at their registry's next sync."
        )
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: SQLite does not say how far it is
        self.progress.hide()
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setPlaceholderText("What the check or the recovery finds appears here.")
        self.buttons = QDialogButtonBox()
        self.check_button = self._button("&Check", QDialogButtonBox.ButtonRole.ActionRole)
        self.recover_button = self._button("&Recover", QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button = self._button("&Open Chartkeeper", QDialogButtonBox.ButtonRole.AcceptRole)
        self.quit_button = self._button("&Quit", QDialogButtonBox.ButtonRole.RejectRole)
        self.open_button.hide()
        self.check_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.progress)
        layout.addWidget(self.details, 1)
        layout.addWidget(self.buttons)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._working and self.recovery is None and self.check_report is None:
            self.check_button.setFocus(Qt.FocusReason.OtherFocusReason)  # the harmless action first

    def _button(self, text: str, role: QDialogButtonBox.ButtonRole) -> QPushButton:
        button = QPushButton(text)
        button.setAutoDefault(True)  # Enter presses the button that has the focus
        self.buttons.addButton(button, role)
        return button

    def _connect(self) -> None:
        self.check_button.clicked.connect(self._on_check_button_clicked)
        self.recover_button.clicked.connect(self._on_recover_button_clicked)
        self.open_button.clicked.connect(self.accept)
        self.quit_button.clicked.connect(self.reject)
        self.work_finished.connect(self._on_work_finished)

    # --- actions ------------------------------------------------------------------------------

    def _on_check_button_clicked(self) -> None:
        self._run("check", "Checking every page of the catalog …", lambda: check_catalog(self.catalog))

    def _on_recover_button_clicked(self) -> None:
        self._run("recover", "Copying what can be read into a new catalog …", lambda: recover_catalog(self.catalog))

    def _run(self, kind: str, what: str, work: Callable[[], object]) -> None:
        self._set_working(True, what)

        def run() -> None:
            try:
                result: object = work()
            except Exception as exc:  # handed to the UI thread, which says what it was
                result = exc
            self.work_finished.emit(kind, result)

        threading.Thread(target=run, name=f"catalog-{kind}", daemon=True).start()

    def _on_work_finished(self, kind: str, result: object) -> None:
        self._set_working(False, "")
        if isinstance(result, BaseException):
            self._show_failure(result)
        elif isinstance(result, CheckReport):
            self._show_check(result)
        elif isinstance(result, RecoveryReport):
            self._show_recovery(result)

    def _show_check(self, report: CheckReport) -> None:
        self.check_report = report
        lines = [describe_check(report)]
        if report.problems:
            # The command line's line names `chartkeeper catalog recover`; here the button does it.
            lines = [
                f"The catalog {report.path} is damaged ({plural(len(report.problems), 'problem')} found). Recover "
                "copies what can still be read into a new catalog and keeps the damaged file beside it; or Quit "
                "and restore a backup of it.",
                "",
                "SQLite's integrity check found:",
                *(f"  {problem}" for problem in report.problems),
            ]
            self.recover_button.setDefault(True)
            self.recover_button.setFocus(Qt.FocusReason.OtherFocusReason)
        self.details.setPlainText("\n".join(lines))

    def _show_recovery(self, report: RecoveryReport) -> None:
        self.recovery = report
        self.details.setPlainText(report.summary())
        self.check_button.hide()
        self.recover_button.hide()
        self.open_button.show()
        self.open_button.setDefault(True)
        self.open_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_failure(self, error: BaseException) -> None:
        self.details.setPlainText(
            failure_line(error, "The catalog's repair", catalog=self.catalog, log_file=self.log_file)
        )

    def _set_working(self, working: bool, what: str) -> None:
        self._working = working
        self.progress.setVisible(working)
        for button in (self.check_button, self.recover_button, self.quit_button):
            button.setEnabled(not working)
        if working:
            self.details.setPlainText(what)

    @property
    def working(self) -> bool:
        return self._working

    def reject(self) -> None:
        if self._working:  # a recovery half-done is left to finish: Escape waits
            return
        super().reject()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

"""Small helpers for the app's forms: labelled rows with mnemonics, a field with a note under it, empty
states, search fields that Escape empties, tables of rows where Home and End go to the first and last,
and waiting for a dialog's answer without blocking the loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


def add_row(form: QFormLayout, text: str, field: QWidget, buddy: QWidget | None = None) -> QLabel:
    """A row whose label's mnemonic (the `&` letter) focuses `buddy`, or the field itself."""
    label = QLabel(text)
    label.setBuddy(buddy or field)
    form.addRow(label, field)
    return label


def stacked(main: QWidget, *below: QWidget) -> QWidget:
    """`main` with notes or error labels under it, focusing `main`."""
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(main)
    for widget in below:
        layout.addWidget(widget)
    holder.setFocusProxy(main)
    return holder


def error_label() -> QLabel:
    label = QLabel()
    label.setObjectName("fieldError")
    label.setWordWrap(True)
    label.hide()
    return label


def empty_state(title: str, text: str, action: QPushButton) -> QWidget:
    """What a list shows while it has nothing: a title, a line of guidance, the action that fills it."""
    page = QWidget()
    title_label = QLabel(title)
    title_label.setObjectName("emptyTitle")
    text_label = QLabel(text)
    text_label.setObjectName("emptyText")
    text_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    action.setMinimumHeight(36)
    layout = QVBoxLayout(page)
    layout.addStretch(1)
    for widget in (title_label, text_label, action):
        layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
    layout.addStretch(2)
    return page


class EscapeClears(QObject):
    """On a filter or search field: Escape empties it when it holds text (and only then, so a
    second Escape still closes the dialog)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            isinstance(watched, QLineEdit)
            and event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress)
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
            and watched.text()
        ):
            if event.type() == QEvent.Type.KeyPress:
                watched.clear()
            event.accept()
            return True
        return False


def escape_clears(edit: QLineEdit) -> None:
    helper = EscapeClears(edit)
    edit.installEventFilter(helper)


class RowHomeEnd(QObject):
    """On a table whose rows are its items: Home and End go to the first and last row (Qt's table
    goes to the first and last column of the row, which a row-selecting table does not show)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        keys = (Qt.Key.Key_Home, Qt.Key.Key_End)
        if (
            isinstance(watched, QAbstractItemView)
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in keys
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
        ):
            model = watched.model()
            rows = model.rowCount() if model is not None else 0
            if rows:
                column = max(0, watched.currentIndex().column())
                index = model.index(0 if event.key() == Qt.Key.Key_Home else rows - 1, column)
                watched.setCurrentIndex(index)
                watched.scrollTo(index)
            return True
        return False


def home_end_rows(view: QAbstractItemView) -> None:
    view.installEventFilter(RowHomeEnd(view))


def confirm_box(
    parent: QWidget,
    title: str,
    question: str,
    details: str,
    action: str,
    on_confirm: Callable[[], object],
    *,
    destructive: bool = True,
) -> QMessageBox:
    """A warning that asks before acting: Cancel is the default (Enter changes nothing) and `action`
    runs `on_confirm`. Not opened: the caller opens it, and keeps it while it is shown."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, question, QMessageBox.StandardButton.Cancel, parent)
    box.setInformativeText(details)
    role = QMessageBox.ButtonRole.DestructiveRole if destructive else QMessageBox.ButtonRole.AcceptRole
    button = box.addButton(action, role)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.buttonClicked.connect(lambda clicked: on_confirm() if clicked is button else None)
    return box


async def finished(dialog: QDialog) -> int:
    """Open `dialog` without blocking the loop and wait for its answer (never `exec()` from a coroutine)."""
    answer: asyncio.Future[int] = asyncio.get_event_loop().create_future()

    def settle(code: int) -> None:
        if not answer.done():
            answer.set_result(code)

    dialog.finished.connect(settle)
    dialog.open()
    return await answer

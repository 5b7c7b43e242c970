"""A form field holding a list of short values, as Palette's: type one, Enter adds it; Delete removes one."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QListWidget, QPushButton, QVBoxLayout, QWidget

from desktop.errors import ValidationError

Check = Callable[[str], str]  # a typed value → the value kept (trimmed); raises ValidationError


class ListField(QWidget):
    """An entry with Add, the values under it with Remove. Enter in a non-empty entry adds its value
    (an empty one lets Enter reach the dialog); Delete or Backspace removes the selected value.
    `problem` carries why a value was refused ("" when the last one was taken)."""

    changed = Signal()
    problem = Signal(str)

    def __init__(self, check: Check, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._check = check
        self.entry = QLineEdit()
        self.entry.setPlaceholderText(placeholder)
        self.add_button = QPushButton("A&dd")
        self.add_button.setAutoDefault(False)  # Enter in the dialog confirms it, not this
        self.values_list = QListWidget()
        self.values_list.setAccessibleName("Values")
        self.values_list.setMaximumHeight(self.fontMetrics().lineSpacing() * 5)
        self.remove_button = QPushButton("Remo&ve")
        self.remove_button.setAutoDefault(False)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.entry, 1)
        top.addWidget(self.add_button)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.addWidget(self.values_list, 1)
        bottom.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addLayout(bottom)
        self.setFocusProxy(self.entry)
        self.entry.installEventFilter(self)
        self.values_list.installEventFilter(self)
        self.add_button.clicked.connect(self.add_entry)
        self.remove_button.clicked.connect(self.remove_selected)
        self.values_list.currentRowChanged.connect(self._update_buttons)
        self.entry.textChanged.connect(self._update_buttons)
        self._update_buttons()

    def values(self) -> list[str]:
        return [self.values_list.item(row).text() for row in range(self.values_list.count())]

    def pending(self) -> str:
        """What is typed in the entry and not added yet."""
        return self.entry.text().strip()

    def set_values(self, values: tuple[str, ...] | list[str]) -> None:
        self.values_list.clear()
        self.values_list.addItems(list(values))
        self._update_buttons()

    def add_entry(self) -> bool:
        """Add the entry's value (once); False, with `problem` said, when it is refused."""
        text = self.pending()
        if not text:
            return False
        try:
            value = self._check(text)
        except ValidationError as exc:
            self.problem.emit(exc.message)
            return False
        if value not in self.values():
            self.values_list.addItem(value)
        self.values_list.setCurrentRow(self.values().index(value))
        self.entry.clear()
        self.problem.emit("")
        self.changed.emit()
        return True

    def remove_selected(self) -> None:
        row = self.values_list.currentRow()
        if row < 0:
            return
        self.values_list.takeItem(row)
        if self.values_list.count():
            self.values_list.setCurrentRow(min(row, self.values_list.count() - 1))
        else:
            self.entry.setFocus()  # nothing left to select: back where values are typed
        self.changed.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if watched is self.entry and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.pending():
                self.add_entry()
                return True  # not the dialog's default button
            if watched is self.values_list and key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                self.remove_selected()
                return True
        return super().eventFilter(watched, event)

    def _update_buttons(self) -> None:
        self.add_button.setEnabled(bool(self.pending()))
        self.remove_button.setEnabled(self.values_list.currentRow() >= 0)

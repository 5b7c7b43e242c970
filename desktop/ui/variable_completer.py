"""In a values editor, after `{{.spectro.var.` is typed: the names of the profile's variables to pick
from, the pick finishing the reference with `}}`."""

from __future__ import annotations

import re

from PySide6.QtCore import QObject, QStringListModel, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QCompleter

from desktop.ui.code_editor import CodeEditor

_TYPED = re.compile(r"\{\{-?\s*\.spectro\.var\.([A-Za-z0-9_]*)$")


class VariableCompleter(QObject):
    """Suggests the names set with `set_names` in `editor` (Enter or a click picks one)."""

    def __init__(self, editor: CodeEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.model = QStringListModel(self)
        self.completer = QCompleter(self.model, self)
        self.completer.setWidget(editor)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer.activated.connect(self._insert)
        editor.suggestions = self.completer
        editor.typed.connect(self._on_typed)

    def set_names(self, names: list[str]) -> None:
        self.model.setStringList(sorted(names))

    def names(self) -> list[str]:
        return list(self.model.stringList())

    def typed_prefix(self) -> str | None:
        """The part of a name typed after `{{.spectro.var.` before the cursor; None when not there."""
        cursor = self.editor.textCursor()
        before = cursor.block().text()[: cursor.positionInBlock()]
        found = _TYPED.search(before)
        return found.group(1) if found else None

    def _on_typed(self) -> None:
        popup = self.completer.popup()
        assert popup is not None  # QCompleter makes its list at once
        prefix = self.typed_prefix()
        if prefix is None or not self.model.stringList():
            popup.hide()
            return
        self.completer.setCompletionPrefix(prefix)
        if self.completer.completionCount() == 0:
            popup.hide()
            return
        popup.setCurrentIndex(self.completer.completionModel().index(0, 0))
        rect = self.editor.cursorRect()
        rect.setWidth(max(200, popup.sizeHintForColumn(0) + popup.verticalScrollBar().sizeHint().width()))
        self.completer.complete(rect)

    def _insert(self, name: str) -> None:
        cursor = self.editor.textCursor()
        prefix = self.typed_prefix() or ""
        cursor.movePosition(QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, len(prefix))
        after = cursor.block().text()[cursor.positionInBlock() + len(prefix) :]
        cursor.insertText(name if after.lstrip().startswith("}}") else f"{name}}}}}")
        self.editor.setTextCursor(cursor)

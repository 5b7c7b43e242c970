"""A monospace text editor with numbered lines and marked problem lines (the values editors)."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import QCompleter, QPlainTextEdit, QTextEdit, QWidget

from desktop.ui.style import accent_colors


class _LineNumbers(QWidget):
    def __init__(self, editor: CodeEditor) -> None:
        super().__init__(editor)
        self._editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self._editor.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        self._editor.paint_gutter(self, event)


class CodeEditor(QPlainTextEdit):
    """`mark_lines` underlines problem lines and flags them in the gutter; numbers are 1-based.
    `typed` after each key typed; while `suggestions`' list is open, Enter and Escape are its own."""

    typed = Signal()

    def __init__(self, parent: QWidget | None = None, *, line_numbers: bool = True) -> None:
        super().__init__(parent)
        self.suggestions: QCompleter | None = None
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.TypeWriter)
        self.setFont(font)
        self._marked: set[int] = set()
        self._gutter = _LineNumbers(self) if line_numbers else None
        if self._gutter is not None:
            self.blockCountChanged.connect(lambda _count: self._update_margin())
            self.updateRequest.connect(self._on_update_request)
            self._update_margin()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        popup = self.suggestions.popup() if self.suggestions is not None else None
        keys = (Qt.Key.Key_Enter, Qt.Key.Key_Return, Qt.Key.Key_Escape)
        if popup is not None and popup.isVisible() and event.key() in keys:
            event.ignore()  # the completer takes it: Enter picks the suggestion, Escape closes the list
            return
        super().keyPressEvent(event)
        if event.text() or event.key() == Qt.Key.Key_Backspace:
            self.typed.emit()

    # --- the gutter -----------------------------------------------------------------------

    def gutter_width(self) -> int:
        if self._gutter is None:
            return 0
        digits = max(3, len(str(max(1, self.blockCount()))))
        return 12 + self.fontMetrics().horizontalAdvance("9") * digits

    def _update_margin(self) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _on_update_request(self, rect: QRect, dy: int) -> None:
        if self._gutter is None:
            return
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._gutter is not None:
            contents = self.contentsRect()
            self._gutter.setGeometry(QRect(contents.left(), contents.top(), self.gutter_width(), contents.height()))

    def paint_gutter(self, gutter: QWidget, event: QPaintEvent) -> None:
        painter = QPainter(gutter)
        palette = self.palette()
        painter.fillRect(event.rect(), palette.color(QPalette.ColorRole.AlternateBase))
        colors = accent_colors(palette)
        block = self.firstVisibleBlock()
        number = block.blockNumber() + 1
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        current = self.textCursor().blockNumber() + 1
        while block.isValid() and top <= event.rect().bottom():
            bottom = top + round(self.blockBoundingRect(block).height())
            if block.isVisible() and bottom >= event.rect().top():
                if number in self._marked:
                    painter.setPen(colors["error"])
                    painter.drawText(QRect(2, top, 10, height), Qt.AlignmentFlag.AlignCenter, "●")
                elif number == current:
                    painter.setPen(palette.color(QPalette.ColorRole.Text))
                else:
                    painter.setPen(colors["muted"])
                painter.drawText(QRect(0, top, gutter.width() - 4, height), Qt.AlignmentFlag.AlignRight, str(number))
            block = block.next()
            top = bottom
            number += 1
        painter.end()

    # --- marked lines ---------------------------------------------------------------------

    def marked_lines(self) -> list[int]:
        return sorted(self._marked)

    def mark_lines(self, lines: list[int]) -> None:
        """Underline these lines (1-based) and flag them in the gutter; [] clears the marks."""
        self._marked = {line for line in lines if line > 0}
        error = QColor(accent_colors(self.palette())["error"])
        background = QColor(error)
        background.setAlpha(40)
        selections = []
        document = self.document()
        for line in sorted(self._marked):
            block = document.findBlockByNumber(line - 1)
            if not block.isValid():
                continue
            selection = QTextEdit.ExtraSelection()
            selection.format.setBackground(background)
            selection.format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            selection.format.setUnderlineColor(error)
            selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            cursor = QTextCursor(block)
            cursor.clearSelection()
            selection.cursor = cursor
            selections.append(selection)
        self.setExtraSelections(selections)
        if self._gutter is not None:
            self._gutter.update()

    def go_to_line(self, line: int) -> None:
        block = self.document().findBlockByNumber(max(0, line - 1))
        if block.isValid():
            self.setTextCursor(QTextCursor(block))
            self.centerCursor()
            self.setFocus()

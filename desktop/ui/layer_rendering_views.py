"""A layer's Manifests tab (the rendered objects, read-only, with a find field) and its Images tab
(each image with why it is there and where it was named)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.helm.container_images import FoundImage, ImageSource
from desktop.operations.chart_render import LayerOutput
from desktop.ui.chart_details import monospace_editor
from desktop.ui.yaml_highlighter import YamlHighlighter
from desktop.wording import plural

RENDERING_SHOWN_AFTER_MS = 300  # most renders take less: no flicker
RENDERING = "Rendering the chart with these values…"
IMAGE_COLUMN_MIN = 320


class _FindEdit(QLineEdit):
    """Enter finds the next match, Shift+Enter the one before, Escape goes back to the text."""

    def __init__(self, view: ManifestsView) -> None:
        super().__init__()
        self._view = view

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._view.find_text(backward=bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
            return
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            return
        super().keyPressEvent(event)


class _RenderingNote(QLabel):
    """'Rendering…', once a render has taken a moment."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("formHint")
        self.setWordWrap(True)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(RENDERING_SHOWN_AFTER_MS)
        self._timer.timeout.connect(lambda: self.setText(RENDERING))

    def set_rendering(self, rendering: bool) -> None:
        if not rendering:
            self._timer.stop()
            if self.text() == RENDERING:
                self.setText("")
        elif not self._timer.isActive() and self.text() != RENDERING:
            self._timer.start()

    def show_text(self, text: str) -> None:
        self._timer.stop()
        self.setText(text)


class ManifestsView(QWidget):
    """The layer's manifests as `helm template` prints them; Ctrl+F finds in them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._output: LayerOutput | None = None
        self.find_edit = _FindEdit(self)
        self.find_edit.setPlaceholderText("Find in the manifests (Ctrl+F; Enter: next, Shift+Enter: previous)")
        self.find_edit.setAccessibleName("Find in the manifests")
        self.find_edit.setClearButtonEnabled(True)
        self.matches = QLabel()
        self.matches.setObjectName("formHint")
        self.editor = monospace_editor(read_only=True, line_numbers=True)
        self.editor.setAccessibleName("Rendered manifests (read-only)")
        self.editor.setTabChangesFocus(True)
        self.editor.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self._highlighter = YamlHighlighter(self.editor.document())
        self.status = _RenderingNote()
        find_row = QHBoxLayout()
        find_row.addWidget(self.find_edit, 1)
        find_row.addWidget(self.matches)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(find_row)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.status)
        find = QShortcut(QKeySequence.StandardKey.Find, self, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(self.focus_find)
        self.find_edit.textChanged.connect(lambda _text: self.find_text(again=True))

    def text(self) -> str:
        return self.editor.toPlainText()

    def clear(self) -> None:
        self._output = None
        self.editor.setPlainText("")
        self.editor.setPlaceholderText("")
        self.matches.setText("")
        self.status.show_text("")
        self.status.set_rendering(True)

    def set_rendering(self, rendering: bool) -> None:
        self.status.set_rendering(rendering)

    def show_output(self, output: LayerOutput) -> None:
        if output is self._output:
            self.status.set_rendering(False)
            return
        self._output = output
        if output.error is not None:
            self.editor.setPlainText("")
            self.editor.setPlaceholderText("No manifests: the chart did not render with these values (see above).")
        elif output.manifests != self.editor.toPlainText():
            scrolled = self.editor.verticalScrollBar().value()  # a new rendering keeps the place being read
            self.editor.setPlainText(output.manifests)
            self.editor.verticalScrollBar().setValue(scrolled)
        count = sum(1 for line in output.manifests.splitlines() if line.startswith("# Source: "))
        self.status.show_text(plural(count, "manifest") if output.error is None else "")
        if self.find_edit.text():
            self.find_text(again=True)

    def focus_find(self) -> None:
        self.find_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.find_edit.selectAll()

    def find_text(self, *, backward: bool = False, again: bool = False) -> bool:
        """Select the next match (`again`: the one at the selection, the text to find having
        changed), wrapping around at the end; says how many there are."""
        wanted = self.find_edit.text()
        if not wanted:
            self.matches.setText("")
            cursor = self.editor.textCursor()
            cursor.clearSelection()
            self.editor.setTextCursor(cursor)
            return False
        found = self.text().lower().count(wanted.lower())
        self.matches.setText(plural(found, "match", "matches") if found else "Not found")
        if not found:
            return False
        flags = QTextDocument.FindFlag.FindBackward if backward else QTextDocument.FindFlag(0)
        if again:
            cursor = self.editor.textCursor()
            cursor.setPosition(cursor.selectionStart())
            self.editor.setTextCursor(cursor)
        if not self.editor.find(wanted, flags):
            cursor = self.editor.textCursor()
            cursor.movePosition(QTextCursor.MoveOperation.End if backward else QTextCursor.MoveOperation.Start)
            self.editor.setTextCursor(cursor)
            self.editor.find(wanted, flags)
        self.editor.centerCursor()
        return True


class ImagesView(QWidget):
    """Every image the layer needs: why (the kinds of reasons) and where each reason was found."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._output: LayerOutput | None = None
        self.summary = QLabel()
        self.summary.setObjectName("formHint")
        self.summary.setWordWrap(True)
        self.table = QTreeWidget()
        self.table.setAccessibleName("Images the layer needs")
        self.table.setHeaderLabels(["Image", "Why", "Where"])
        self.table.setRootIsDecorated(True)
        self.table.setUniformRowHeights(True)
        self.table.setAlternatingRowColors(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.table.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.status = _RenderingNote()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)

    def clear(self) -> None:
        self._output = None
        self.table.clear()
        self.summary.setText("")
        self.status.show_text("")
        self.status.set_rendering(True)

    def set_rendering(self, rendering: bool) -> None:
        self.status.set_rendering(rendering)

    def show_output(self, output: LayerOutput) -> None:
        self.status.set_rendering(False)
        if output is self._output:
            return
        self._output = output
        self.table.clear()
        if output.error is not None:
            self.summary.setText("No images: the chart did not render with these values (see above).")
            return
        found = list(output.images)
        self.summary.setText(
            f"{plural(len(found), 'image')} that {output.render.label} needs with these values"
            if found
            else "The chart names no container image with these values."
        )
        rows = [_image_row(image) for image in found]
        self.table.addTopLevelItems(rows)
        for row in rows:  # spanned once in the table (an item not yet in one ignores it)
            for index in range(row.childCount()):
                child = row.child(index)
                if child is not None:
                    child.setFirstColumnSpanned(True)
        self.table.expandAll()
        # The image as long as it is, up to half the table: where it was named needs the room too.
        wanted = self.table.sizeHintForColumn(0) + self.table.indentation() + 8
        self.table.setColumnWidth(0, min(wanted, max(IMAGE_COLUMN_MIN, self.table.viewport().width() // 2)))

    def rows(self) -> list[tuple[str, str, str]]:
        """The table's top rows as shown: image, why, where (for tests and screen readers)."""
        rows = []
        for index in range(self.table.topLevelItemCount()):
            item = self.table.topLevelItem(index)
            if item is not None:
                rows.append((item.text(0), item.text(1), item.text(2)))
        return rows


def _image_row(image: FoundImage) -> QTreeWidgetItem:
    """The image, its kinds of reasons and how many; under it, each reason across the whole row
    (a template's path and object are long, and are what is read)."""
    row = QTreeWidgetItem([image.image, image.why(), plural(len(image.sources), "place")])
    row.setToolTip(0, f"As written: {image.as_written}" if image.as_written != image.image else image.image)
    for source in image.sources:
        text = f"{source.kind}: {_where(source)}"
        child = QTreeWidgetItem([text])
        child.setToolTip(0, text)
        row.addChild(child)
    return row


def _where(source: ImageSource) -> str:
    """A subchart's annotation names the subchart (a template's path and a values path already do)."""
    if source.kind in ("rendered", "values") or "/charts/" not in source.chart:
        return source.where
    return f"{source.chart}: {source.where}"

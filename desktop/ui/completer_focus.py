"""A field's completer suggestions close when the field loses the focus, to a mnemonic say."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QLineEdit


class _CloseOnFocusOut(QObject):
    """Alt+V in Add Helm Chart's name suggestions moved the focus to Version but left the list open,
    and the list sends every key it gets to its own field: the "0" typed next went into the name."""

    def __init__(self, field: QLineEdit) -> None:
        super().__init__(field)
        self._field = field

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QFocusEvent) and event.type() == QEvent.Type.FocusOut:
            completer = self._field.completer()
            popup = completer.popup() if completer is not None else None
            if popup is not None and event.reason() != Qt.FocusReason.PopupFocusReason:
                popup.hide()
        return False


def close_suggestions_on_focus_out(field: QLineEdit) -> None:
    """`field`'s completer list closes whenever the focus leaves `field` for another control."""
    field.installEventFilter(_CloseOnFocusOut(field))

"""Small helpers for the app's forms: labelled rows with mnemonics, a field with a note under it."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget


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

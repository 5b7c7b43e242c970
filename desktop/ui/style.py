"""The app's few style rules, derived from the system palette so light and dark themes both work."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def accent_colors(palette: QPalette) -> dict[str, QColor]:
    dark = is_dark(palette)
    return {
        "error": QColor("#ff7b72" if dark else "#b3261e"),
        "warning": QColor("#e3b341" if dark else "#8a5a00"),
        "ok": QColor("#56d364" if dark else "#1a7f37"),
        "muted": _blend(palette.color(QPalette.ColorRole.WindowText), palette.color(QPalette.ColorRole.Window), 0.55),
    }


def _blend(front: QColor, back: QColor, weight: float) -> QColor:
    return QColor(
        round(front.red() * weight + back.red() * (1 - weight)),
        round(front.green() * weight + back.green() * (1 - weight)),
        round(front.blue() * weight + back.blue() * (1 - weight)),
    )


def style_sheet(palette: QPalette) -> str:
    colors = accent_colors(palette)
    dark = is_dark(palette)
    highlight = palette.color(QPalette.ColorRole.Highlight)
    banner = "rgba(227, 179, 65, 0.18)" if dark else "rgba(255, 193, 7, 0.22)"
    error_box = "rgba(255, 123, 114, 0.15)" if dark else "rgba(179, 38, 30, 0.08)"
    return f"""
QFrame#certificateDropZone {{
    border: 2px dashed {colors["muted"].name()};
    border-radius: 8px;
}}
QFrame#certificateDropZone[dropActive="true"] {{
    border: 2px solid {highlight.name()};
    background: {highlight.name()}22;
}}
QLabel#certificateError, QLabel#fieldError {{ color: {colors["error"].name()}; }}
QLabel#certificateWarning {{ color: {colors["warning"].name()}; }}
QLabel#formHint {{ color: {colors["muted"].name()}; }}
QLineEdit[invalid="true"], QSpinBox[invalid="true"], QDoubleSpinBox[invalid="true"], QComboBox[invalid="true"] {{
    border: 1px solid {colors["error"].name()};
}}
QCheckBox[invalid="true"] {{ color: {colors["error"].name()}; }}
QFrame#errorBox {{
    background: {error_box};
    border: 1px solid {colors["error"].name()};
    border-radius: 6px;
}}
QLabel#errorBoxText {{ color: {colors["error"].name()}; }}
QFrame#offlineBanner {{
    background: {banner};
    border: 1px solid {colors["warning"].name()};
    border-radius: 6px;
}}
QLabel#emptyTitle {{ font-size: 16pt; font-weight: 600; }}
QLabel#sectionHeading {{ font-weight: 600; font-size: 11pt; }}
QLabel#emptyText {{ color: {colors["muted"].name()}; }}
QLabel#savedIndicator {{ color: {colors["ok"].name()}; }}
QAbstractItemView, QPlainTextEdit, QTextBrowser {{
    border: 1px solid {colors["muted"].name()};
    padding: 1px;
}}
QAbstractItemView:focus, QPlainTextEdit:focus, QTextBrowser:focus {{
    border: 2px solid {highlight.name()};
    padding: 0px;
}}
"""

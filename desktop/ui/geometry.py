"""Windows that fit the screen they open on: a preferred size cut to the available area, so every
dialog fits a 1280x720 screen (and stays usable at 1024x700) and opens centred on its parent."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

# Room for the window manager's title bar and borders, and for panels it does not report.
FRAME_ALLOWANCE = QSize(24, 64)


def available_area(widget: QWidget) -> QRect:
    """The part of the screen the widget (or its parent window) is on that windows may use."""
    parent = widget.parentWidget()
    anchor = parent.window() if parent is not None else widget
    screen: QScreen | None = anchor.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1280, 720)


def fitted_size(widget: QWidget, preferred: QSize) -> QSize:
    area = available_area(widget)
    return QSize(
        max(200, min(preferred.width(), area.width() - FRAME_ALLOWANCE.width())),
        max(150, min(preferred.height(), area.height() - FRAME_ALLOWANCE.height())),
    )


def fit_to_screen(widget: QWidget, width: int, height: int) -> None:
    """Resize to (width, height), or less where the screen is smaller. A dialog then opens centred
    on its parent (Qt places it, within the screen, when it is shown)."""
    widget.resize(fitted_size(widget, QSize(width, height)))


def keep_on_screen(window: QWidget) -> None:
    """After restoring a saved geometry (from a larger screen, say): shrink and move it back in."""
    area = available_area(window)
    size = fitted_size(window, window.size())
    if size != window.size():
        window.resize(size)
    frame = window.frameGeometry()
    x = min(max(frame.x(), area.left()), area.right() - frame.width() + 1)
    y = min(max(frame.y(), area.top()), area.bottom() - frame.height() + 1)
    if (x, y) != (frame.x(), frame.y()):
        window.move(max(x, area.left()), max(y, area.top()))


def needed_height(widget: QWidget, width: int) -> int:
    """The height the widget's layout needs at `width`, wrapped labels included (Qt's minimum size
    for a window leaves them out, so a wrapped error or hint would be cut)."""
    layout = widget.layout()
    if layout is None:
        return widget.minimumSizeHint().height()
    wanted = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else -1
    return max(wanted, layout.totalMinimumSize().height())


def fit_height_to_content(widget: QWidget) -> None:
    """Keep a dialog at least as tall as its content needs at its width (growing it when an error
    or a hint appears), within the screen."""
    area = available_area(widget)
    limit = area.height() - FRAME_ALLOWANCE.height()
    wanted = min(needed_height(widget, widget.width()), limit)
    if widget.minimumHeight() != wanted:
        widget.setMinimumHeight(wanted)
    if widget.height() < wanted:
        widget.resize(widget.width(), wanted)

"""A focus outline people can see: the app's style, with a 2 px outline in the highlight colour
around the focused button, check box or item instead of the faint one most styles draw."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QProxyStyle, QStyle, QStyleOption, QWidget

OUTLINE = 2.0


class FocusStyle(QProxyStyle):
    def drawPrimitive(
        self, element: QStyle.PrimitiveElement, option: QStyleOption, painter: QPainter, widget: QWidget | None = None
    ) -> None:
        if element == QStyle.PrimitiveElement.PE_FrameFocusRect:
            self._outline(option, painter, inset=0.0)
            return
        super().drawPrimitive(element, option, painter, widget)

    def drawControl(
        self, element: QStyle.ControlElement, option: QStyleOption, painter: QPainter, widget: QWidget | None = None
    ) -> None:
        super().drawControl(element, option, painter, widget)
        if element == QStyle.ControlElement.CE_PushButtonBevel and option.state & QStyle.StateFlag.State_HasFocus:
            self._outline(option, painter, inset=1.0)

    @staticmethod
    def _outline(option: QStyleOption, painter: QPainter, inset: float) -> None:
        color = QColor(option.palette.color(QPalette.ColorRole.Highlight))
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(color, OUTLINE))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        half = OUTLINE / 2 + inset
        painter.drawRoundedRect(QRectF(option.rect).adjusted(half, half, -half, -half), 3, 3)
        painter.restore()

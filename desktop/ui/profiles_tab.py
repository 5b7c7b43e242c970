"""The Profile editor tab (its own issue): until then it says what it will hold."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop.ui.context import AppContext


class ProfilesTab(QWidget):
    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        title = QLabel("Profile editor")
        title.setObjectName("emptyTitle")
        text = QLabel(
            "Build add-on cluster profiles here: layers of Helm charts from your registries, each with its\n"
            "version, namespace and values overrides, exported as Palette JSON or helmfile.yaml.\n"
            "This part of Chartkeeper is being built; registries and their snapshots work today."
        )
        text.setObjectName("emptyText")
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(title, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(text, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)

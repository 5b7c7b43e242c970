"""The dialog's Certificate field: a drop zone for a file from the file manager, Browse…, Paste."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDropEvent, QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop.certificates import CertificateBundle, parse_certificates, read_certificate_file
from desktop.errors import ValidationError
from desktop.ui.file_dialogs import file_dialog

CERTIFICATE_FILTER = "Certificates (*.crt *.pem *.cer *.der *.p7b *.p7c);;All files (*)"


class CertificateField(QFrame):
    """Holds at most one certificate bundle (one certificate or a chain). Anything refused leaves
    the current certificate in place and says why."""

    certificate_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bundle: CertificateBundle | None = None
        self._build_ui()
        self._connect()
        self._load()

    # --- building -----------------------------------------------------------------------

    def _build_ui(self) -> None:
        self.setObjectName("certificateDropZone")
        self.setAcceptDrops(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.prompt = QLabel("Drop the registry's X509 certificate here (PEM or DER, one certificate or a chain)")
        self.prompt.setWordWrap(True)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warning = QLabel()
        self.warning.setObjectName("certificateWarning")
        self.warning.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("certificateError")
        self.error.setWordWrap(True)
        self.browse_button = QPushButton("&Browse…")
        self.paste_button = QPushButton("Paste &PEM")
        self.remove_button = QPushButton("Re&move")
        for button in (self.browse_button, self.paste_button, self.remove_button):
            button.setAutoDefault(False)  # Enter in the dialog confirms; it never opens the file browser
        buttons = QHBoxLayout()
        buttons.addWidget(self.browse_button)
        buttons.addWidget(self.paste_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(self.prompt)
        layout.addWidget(self.details)
        layout.addWidget(self.warning)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self._set_highlight(False)

    def _connect(self) -> None:
        self.browse_button.clicked.connect(self._on_browse_clicked)
        self.paste_button.clicked.connect(self._on_paste_clicked)
        self.remove_button.clicked.connect(self.clear)

    def _load(self) -> None:
        bundle = self._bundle
        self.remove_button.setVisible(bundle is not None)
        self.browse_button.setText("Re&place…" if bundle is not None else "&Browse…")
        self.prompt.setVisible(bundle is None)
        self.details.setVisible(bundle is not None)
        problem = bundle.leaf.validity_problem() if bundle is not None else None
        self.warning.setVisible(problem is not None)
        if bundle is None:
            self._fit_height()
            return
        leaf = bundle.leaf
        chain = f" (+ {len(bundle.certificates) - 1} more in the chain)" if len(bundle.certificates) > 1 else ""
        self.details.setText(
            f"<b>Subject:</b> {_escape(leaf.subject)}{chain}<br>"
            f"<b>Issuer:</b> {_escape(leaf.issuer)}<br>"
            f"<b>Valid:</b> {_day(leaf.not_before)} to {_day(leaf.not_after)}<br>"
            f"<b>SHA-256:</b> <span style='font-family: monospace'>{grouped(leaf.sha256_fingerprint)}</span>"
        )
        if problem:
            self.warning.setText(f"⚠ This certificate is {problem}: TLS checks against it will fail.")
        self._fit_height()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_height()

    def _fit_height(self) -> None:
        """As tall as its wrapped text needs at this width: a form gives a nested frame only its
        minimum height when room runs short, which would cut the prompt, the details or an error."""
        layout = self.layout()
        needed = layout.totalHeightForWidth(self.width()) if layout is not None and self.width() > 0 else -1
        if needed > 0 and self.minimumHeight() != needed:
            self.setMinimumHeight(needed)

    # --- the value ----------------------------------------------------------------------

    @property
    def bundle(self) -> CertificateBundle | None:
        return self._bundle

    @property
    def pem(self) -> str | None:
        return self._bundle.pem if self._bundle is not None else None

    def set_pem(self, pem: str | None) -> None:
        """Show a stored certificate (when editing a registry)."""
        self._bundle = parse_certificates(pem.encode(), source="The stored certificate") if pem else None
        self._show_error(None)
        self._load()

    def clear(self) -> None:
        self._bundle = None
        self._show_error(None)
        self._load()
        self.certificate_changed.emit()

    def take_file(self, path: Path) -> bool:
        """Use the certificate in `path`; on refusal keep the current one and show why."""
        try:
            bundle = read_certificate_file(path)
        except ValidationError as exc:
            self._show_error(exc.message)
            return False
        self._accept(bundle)
        return True

    def take_text(self, text: str) -> bool:
        try:
            bundle = parse_certificates(text.encode(), source="The pasted text")
        except ValidationError as exc:
            self._show_error(exc.message)
            return False
        self._accept(bundle)
        return True

    def _accept(self, bundle: CertificateBundle) -> None:
        self._bundle = bundle
        self._show_error(None)
        self._load()
        self.certificate_changed.emit()

    def _show_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))
        self._fit_height()

    # --- drag and drop ------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
            self._set_highlight(True)
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._set_highlight(False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_highlight(False)
        urls: list[QUrl] = event.mimeData().urls()
        event.acceptProposedAction()
        if len(urls) != 1:
            self._show_error(f"{len(urls)} files were dropped: drop one certificate file (a chain goes in one file).")
            return
        if not urls[0].isLocalFile():
            self._show_error("Only files on this computer can be dropped: download the certificate first.")
            return
        self.take_file(Path(urls[0].toLocalFile()))

    def _set_highlight(self, active: bool) -> None:
        self.setProperty("dropActive", active)
        self.style().unpolish(self)
        self.style().polish(self)

    # --- buttons ------------------------------------------------------------------------

    def _on_browse_clicked(self) -> None:
        dialog = file_dialog(self, "Choose the registry's certificate", "certificate", name_filter=CERTIFICATE_FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda name: self.take_file(Path(name)))
        dialog.open()

    def _on_paste_clicked(self) -> None:
        text = QGuiApplication.clipboard().text()
        if not text.strip():
            self._show_error("The clipboard holds no text: copy the certificate's PEM text first.")
            return
        self.take_text(text)


def grouped(fingerprint: str, pairs: int = 8) -> str:
    """A fingerprint in groups of `pairs` bytes with spaces between, so it wraps at any width."""
    parts = fingerprint.split(":")
    return " ".join(":".join(parts[i : i + pairs]) for i in range(0, len(parts), pairs))


def _day(moment: dt.datetime) -> str:
    return moment.strftime("%d %b %Y")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

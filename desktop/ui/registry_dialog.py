"""Add / Edit Helm Registry: Palette's fields, checked as typed; Confirm validates against the server."""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeyEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.cancellation import CancelToken
from desktop.catalog.origins import is_subscription
from desktop.catalog.registries import find_registry
from desktop.errors import AuthError, OperationCancelled, TLSError, UserError, ValidationError
from desktop.jobs.job import JobEvent, Progress
from desktop.operations.bundle_import import ImportSummary
from desktop.operations.sync_run import SyncResult
from desktop.registry import (
    AuthKind,
    Registry,
    RegistryDraft,
    RegistryKind,
    validate_base_paths,
    validate_chart_names,
    validate_endpoint,
    validate_name,
    validate_oci_endpoint,
    validate_token,
)
from desktop.ui.certificate_field import CertificateField
from desktop.ui.context import AppContext
from desktop.ui.failure_text import failure_text
from desktop.ui.forms import add_row, error_label, stacked
from desktop.ui.geometry import fit_height_to_content, fit_to_screen, needed_height
from desktop.ui.list_field import ListField

log = logging.getLogger(__name__)
_RESERVED_ERROR_LINES = 3  # room kept for a message under the fields: most wrap to two or three lines
_PHASES = {"download": "Downloading the index", "parse": "Reading the index", "write": "Saving the snapshot"}


class RegistryDialog(QDialog):
    """Opened with `open()`; after `accepted`, `result_registry` holds the saved registry and, for a
    new one, `sync_result` its first snapshot (and `import_summary` what a subscription imported)."""

    def __init__(self, context: AppContext, registry: Registry | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.registry = registry
        self.result_registry: Registry | None = None
        self.sync_result: SyncResult | None = None
        self.import_summary: ImportSummary | None = None
        self._token: CancelToken | None = None
        self._pending: asyncio.Future[None] | None = None
        self._job_id: int | None = None
        self._touched: set[str] = set()
        self._build_ui()
        self._connect()
        self._load()
        fit_to_screen(self, self.width(), needed_height(self, self.width()))  # as tall as its content, no gap

    # --- building -----------------------------------------------------------------------

    def _build_ui(self) -> None:
        editing = self.registry is not None
        self.setWindowTitle("Edit Helm Registry" if editing else "Add Helm Registry")
        self.setMinimumWidth(520)
        fit_to_screen(self, 600, 480)
        self.kind_combo = QComboBox()
        self.kind_combo.addItem("Helm repository (index.yaml)", "helm")
        self.kind_combo.addItem("OCI registry (helm push oci://…)", "oci")
        # A site registry holding the catalog `bundle push` published: its registries become searchable here.
        self.kind_combo.addItem("Published Chartkeeper catalog (bundle push)", "subscription")
        self.kind_combo.setEnabled(not editing)  # a registry keeps its kind; add another for the other
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. bitnami")
        self.endpoint_edit = QLineEdit()
        self.endpoint_edit.setPlaceholderText("https://charts.example.com/stable")
        hours = self.context.worker.settings.sync_interval_hours
        every = "every 24 hours" if hours == 24 else f"every {hours:g} hours (Tenant settings)"
        self.sync_check = QCheckBox(f"Keep this registry's charts in sync ({every})")
        self.sync_hint = QLabel(
            "Off: only the snapshot taken now is kept; its charts are referenced by exact name and version."
        )
        self.sync_hint.setObjectName("formHint")
        self.sync_hint.setWordWrap(True)
        # Palette's credential types: noAuth, basic, token.
        self.auth_combo = QComboBox()
        self.auth_combo.addItem("None", "none")
        self.auth_combo.addItem("Username and password", "basic")
        self.auth_combo.addItem("Token (sent as Authorization: Bearer)", "token")
        self.username_edit = QLineEdit()
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)  # never shown, like a password
        self.token_edit.setPlaceholderText("the registry's access token")
        if editing:
            self.password_edit.setPlaceholderText("Unchanged: type a new password to replace it")
            if self.registry is not None and self.registry.token_auth:
                self.token_edit.setPlaceholderText("Unchanged: type a new token to replace it")
        self.certificate = CertificateField()
        self.insecure_check = QCheckBox("Skip the server certificate check (not recommended)")
        self.plain_http_check = QCheckBox("Plain HTTP, without TLS (like helm --plain-http)")
        self.charts_edit = QLineEdit()
        self.charts_edit.setPlaceholderText("web, database (only when the registry does not list its charts)")
        # Palette's Base Content Path, several: each one's charts are read, named with their path.
        self.paths_field = ListField(_checked_path, "team-a/charts, then Enter (the endpoint is then oci://HOST)")
        self.field_errors = {
            key: error_label() for key in ("name", "endpoint", "username", "password", "token", "charts", "paths")
        }

        self.form = form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        add_row(form, "&Type:", self.kind_combo)
        add_row(form, "&Name:", stacked(self.name_edit, self.field_errors["name"]), self.name_edit)
        add_row(form, "&Endpoint:", stacked(self.endpoint_edit, self.field_errors["endpoint"]), self.endpoint_edit)
        add_row(form, "&Synchronization:", stacked(self.sync_check, self.sync_hint), self.sync_check)
        add_row(form, "&Authentication:", self.auth_combo)
        self.username_row = stacked(self.username_edit, self.field_errors["username"])
        self.password_row = stacked(self.password_edit, self.field_errors["password"])
        self.token_row = stacked(self.token_edit, self.field_errors["token"])
        add_row(form, "&Username:", self.username_row, self.username_edit)
        add_row(form, "Pass&word:", self.password_row, self.password_edit)
        add_row(form, "To&ken:", self.token_row, self.token_edit)
        add_row(form, "&Certificate:", self.certificate, self.certificate.browse_button)
        add_row(form, "&Insecure Skip TLS Verify:", self.insecure_check)
        add_row(form, "Plain &HTTP:", self.plain_http_check)
        self.charts_row = stacked(self.charts_edit, self.field_errors["charts"])
        add_row(form, "Chart na&mes:", self.charts_row, self.charts_edit)
        self.paths_hint = QLabel(
            "Each path's charts are read; they are then named with their path, such as team-a/charts/web."
        )
        self.paths_hint.setObjectName("formHint")
        self.paths_hint.setWordWrap(True)
        self.paths_row = stacked(self.paths_field, self.field_errors["paths"], self.paths_hint)
        add_row(form, "Base c&ontent paths:", self.paths_row, self.paths_field.entry)

        self.error_box = QFrame()
        self.error_box.setObjectName("errorBox")
        self.error_text = QLabel()
        self.error_text.setObjectName("errorBoxText")
        self.error_text.setWordWrap(True)
        self.error_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        error_layout = QHBoxLayout(self.error_box)
        error_layout.addWidget(self.error_text)
        self.error_box.hide()

        self.busy_bar = QProgressBar()
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setMaximumHeight(6)
        self.busy_label = QLabel()
        self.busy_label.setObjectName("formHint")
        busy = QVBoxLayout()
        busy.addWidget(self.busy_label)
        busy.addWidget(self.busy_bar)
        self.busy_widget = QWidget()
        self.busy_widget.setLayout(busy)
        self.busy_widget.hide()

        self.buttons = QDialogButtonBox()
        self.confirm_button = QPushButton("Confirm")
        self.cancel_button = QPushButton("Cancel")
        self.buttons.addButton(self.confirm_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)

        # Progress and the error take turns in one area kept from the start, so that an error does not
        # push Confirm down under the mouse (the dialog grew with each error).
        self.status_area = QWidget()
        status = QVBoxLayout(self.status_area)
        status.setContentsMargins(0, 0, 0, 0)
        status.addWidget(self.error_box)
        status.addWidget(self.busy_widget)
        lines = self.fontMetrics().lineSpacing() * _RESERVED_ERROR_LINES
        self.status_area.setMinimumHeight(lines + 2 * error_layout.contentsMargins().top() + 4)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status_area)
        layout.addStretch(1)  # a taller dialog gives its room to nothing in particular
        layout.addWidget(self.buttons)
        # Set once the button is in the dialog: only then is it the dialog's default (Enter), rather
        # than the first button in the tab order (the certificate's Browse…).
        self.confirm_button.setDefault(True)

    def _connect(self) -> None:
        for key, edit in (
            ("name", self.name_edit),
            ("endpoint", self.endpoint_edit),
            ("username", self.username_edit),
            ("password", self.password_edit),
            ("token", self.token_edit),
        ):
            edit.textEdited.connect(lambda _text, key=key: self._on_field_edited(key))
        self.auth_combo.currentIndexChanged.connect(self._on_auth_changed)
        self.kind_combo.currentIndexChanged.connect(self._on_kind_changed)
        self.plain_http_check.toggled.connect(self._validate)
        self.charts_edit.textEdited.connect(lambda _text: self._on_field_edited("charts"))
        self.paths_field.entry.textEdited.connect(lambda _text: self._on_field_edited("paths"))
        self.paths_field.changed.connect(lambda: self._on_field_edited("paths"))
        self.paths_field.problem.connect(self._on_path_refused)
        self.certificate.certificate_changed.connect(self._on_certificate_changed)
        self.insecure_check.toggled.connect(lambda _on: self.error_box.hide())
        self.confirm_button.clicked.connect(self._on_confirm_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.context.bridge.job_event.connect(self._on_job_event)

    def _load(self) -> None:
        registry = self.registry
        if registry is None:
            self.sync_check.setChecked(True)
            self.set_auth("none")
        else:
            kind = "subscription" if is_subscription(self.context.reader, registry.id) else registry.kind
            self.kind_combo.setCurrentIndex(self.kind_combo.findData(kind))
            self.plain_http_check.setChecked(registry.plain_http)
            self.charts_edit.setText(", ".join(registry.chart_names))
            self.paths_field.set_values(registry.base_paths)
            self.name_edit.setText(registry.name)
            self.endpoint_edit.setText(registry.endpoint)
            self.sync_check.setChecked(registry.sync_enabled)
            self.set_auth(registry.auth)
            self.username_edit.setText(registry.username or "")
            self.certificate.set_pem(registry.ca_pem)
            self.insecure_check.setChecked(registry.insecure_skip_tls_verify)
        self._on_auth_changed()
        self._on_kind_changed()
        self.name_edit.setFocus()  # typing at once goes into the first field a user fills

    # --- validation ---------------------------------------------------------------------

    def _on_path_refused(self, message: str) -> None:
        """Enter on a base path it cannot take: why, under the field, until the entry changes."""
        self._touched.add("paths")
        label = self.field_errors["paths"]
        label.setText(message)
        label.setVisible(bool(message))
        self._refit()

    def _on_field_edited(self, key: str) -> None:
        self._touched.add(key)
        self.error_box.hide()
        self._validate()

    def auth(self) -> AuthKind:
        kind = self.auth_combo.currentData()
        return "token" if kind == "token" else "basic" if kind == "basic" else "none"

    def set_auth(self, kind: AuthKind) -> None:
        """Choose None, Username and password, or Token (as the user does with the combo box)."""
        self.auth_combo.setCurrentIndex(self.auth_combo.findData(kind))

    def _on_auth_changed(self) -> None:
        kind = self.auth()
        for row, shown in (
            (self.username_row, kind == "basic"),
            (self.password_row, kind == "basic"),
            (self.token_row, kind == "token"),
        ):
            self.form.setRowVisible(row, shown)  # the whole row: no gap is left behind
        self.error_box.hide()
        self._validate()

    def _on_certificate_changed(self) -> None:
        self.error_box.hide()  # "signed by an unknown authority" no longer applies: Confirm checks again
        self._validate()

    def kind(self) -> RegistryKind:
        return "oci" if self.kind_combo.currentData() in ("oci", "subscription") else "helm"

    def subscribing(self) -> bool:
        """The registry is a subscription to a published Chartkeeper catalog (an OCI registry)."""
        return bool(self.kind_combo.currentData() == "subscription")

    def _on_kind_changed(self) -> None:
        oci = self.kind() == "oci"
        self.form.setRowVisible(self.plain_http_check, oci)
        self.form.setRowVisible(self.charts_row, oci and not self.subscribing())  # the catalog lists them
        self.form.setRowVisible(self.paths_row, oci and not self.subscribing())  # a catalog is in one place
        placeholder = "https://charts.example.com/stable"
        if oci:
            placeholder = "oci://registry.example.com/" + ("site/charts" if self.subscribing() else "charts")
        self.endpoint_edit.setPlaceholderText(placeholder)
        self._validate()

    def errors(self) -> dict[str, str]:
        """Field → what is wrong with it, as the user would read it."""
        problems: dict[str, str] = {}
        try:
            name = validate_name(self.name_edit.text())
            existing = find_registry(self.context.reader, name)
            if existing is not None and (self.registry is None or existing.id != self.registry.id):
                problems["name"] = f"A registry named '{existing.name}' already exists."
        except ValidationError as exc:
            problems["name"] = exc.message
        oci = self.kind() == "oci"
        try:
            (validate_oci_endpoint if oci else validate_endpoint)(self.endpoint_edit.text())
        except ValidationError as exc:
            problems["endpoint"] = exc.message
        if oci and not self.subscribing():
            try:
                validate_chart_names(self.charts_edit.text().split(","))
            except ValidationError as exc:
                problems["charts"] = exc.message
            try:
                validate_base_paths([self.paths_field.pending()])
            except ValidationError as exc:
                problems["paths"] = exc.message
        auth = self.auth()
        if auth == "basic":
            if not self.username_edit.text().strip():
                problems["username"] = "Give the username, or choose another authentication."
            keeps = (
                self.registry is not None
                and self.registry.auth == "basic"
                and self.registry.username == self.username_edit.text().strip()
            )
            if not self.password_edit.text() and not keeps:
                problems["password"] = "Give the password."
        elif auth == "token":
            keeps = self.registry is not None and self.registry.token_auth
            try:
                if not validate_token(self.token_edit.text()) and not keeps:
                    problems["token"] = "Give the token."
            except ValidationError as exc:
                problems["token"] = exc.message
        return problems

    def _validate(self) -> None:
        problems = self.errors()
        for key, label in self.field_errors.items():
            shown = problems.get(key) if key in self._touched else None
            label.setText(shown or "")
            label.setVisible(bool(shown))
        self.confirm_button.setEnabled(not problems and self._token is None)
        self._refit()

    def _refit(self) -> None:
        """Once the layout has taken in what appeared or went: keep everything readable."""
        QTimer.singleShot(0, self, lambda: fit_height_to_content(self))

    def show_missing(self) -> None:
        """Enter on an incomplete form: every field's problem shown, the first one focused."""
        self._touched.update(self.field_errors)
        self._validate()
        problems = self.errors()
        fields = {
            "name": self.name_edit,
            "endpoint": self.endpoint_edit,
            "username": self.username_edit,
            "password": self.password_edit,
            "token": self.token_edit,
            "charts": self.charts_edit,
            "paths": self.paths_field.entry,
        }
        first = next((fields[key] for key in fields if key in problems), None)
        if first is not None:
            first.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and self._token is None and self.errors():
            self.show_missing()  # rather than nothing (Confirm is disabled) or another button
            return
        super().keyPressEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        fit_height_to_content(self)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._refit()  # wrapped text needs another height at another width

    def draft(self) -> RegistryDraft:
        auth = self.auth()
        subscribing = self.subscribing()
        secret = {"basic": self.password_edit.text(), "token": self.token_edit.text().strip()}.get(auth, "")
        return RegistryDraft(
            name=self.name_edit.text(),
            endpoint=self.endpoint_edit.text(),
            sync_enabled=self.sync_check.isChecked(),
            username=self.username_edit.text() if auth == "basic" else None,
            password=secret or None,
            token_auth=auth == "token",
            ca_pem=self.certificate.pem,
            insecure_skip_tls_verify=self.insecure_check.isChecked(),
            keep_password=self.registry is not None and auth != "none" and not secret,
            kind=self.kind(),
            plain_http=self.kind() == "oci" and self.plain_http_check.isChecked(),
            chart_names=tuple(self.charts_edit.text().split(",")) if self.kind() == "oci" and not subscribing else (),
            base_paths=self.base_paths() if self.kind() == "oci" and not subscribing else (),
        )

    def base_paths(self) -> tuple[str, ...]:
        """The listed base paths, and the one typed but not added yet (Confirm takes it too)."""
        pending = self.paths_field.pending()
        return (*self.paths_field.values(), *((pending,) if pending else ()))

    # --- confirming ---------------------------------------------------------------------

    def _on_confirm_clicked(self) -> None:
        self._touched.update(self.field_errors)
        self._validate()
        if self.errors() or self._token is not None:
            return
        token = CancelToken()
        self._set_busy(token, "Connecting to the registry…")
        self._pending = asyncio.ensure_future(self._confirm(token))

    async def _confirm(self, token: CancelToken) -> None:
        """Runs on the asyncio loop (qasync's, on Qt's event loop): the window stays responsive."""
        try:
            if self.registry is None and self.subscribing():
                subscription = self.context.worker.subscribe(self.draft(), token)
                self._job_id = subscription.id
                result, summary = await asyncio.wrap_future(subscription.future)
                self.sync_result, self.result_registry, self.import_summary = result, result.registry, summary
            elif self.registry is None:
                job = self.context.worker.register(self.draft(), token)
                self._job_id = job.id
                result = await asyncio.wrap_future(job.future)
                self.sync_result, self.result_registry = result, result.registry
            else:
                edit = self.context.worker.edit(self.registry.id, self.draft(), token)
                self._job_id = edit.id
                self.result_registry = await asyncio.wrap_future(edit.future)
        except Exception as exc:
            shown = "Cancelled: nothing was saved. Your entries are still here."
            known = exc if isinstance(exc, UserError) and not isinstance(exc, OperationCancelled) else None
            self._fail(failure_text(self.context, exc, "Saving the registry", cancelled=shown), known)
        else:
            self._set_busy(None)
            self.accept()

    def _fail(self, message: str, error: UserError | None) -> None:
        """The check failed: fields enabled again, the message shown, the focus in the field to correct
        and Confirm the default again (the disabled fields had sent the focus to Cancel, drawn as default)."""
        self._set_busy(None)
        self._show_error(message)
        field = self._field_to_correct(error)
        field.setFocus(Qt.FocusReason.OtherFocusReason)
        if isinstance(field, QLineEdit):
            field.selectAll()  # typing replaces the refused entry
        self.confirm_button.setDefault(True)

    def _field_to_correct(self, error: UserError | None) -> QWidget:
        if isinstance(error, AuthError):
            return {"basic": self.password_edit, "token": self.token_edit}.get(self.auth(), self.auth_combo)
        if isinstance(error, TLSError):
            return self.certificate.browse_button
        return self.endpoint_edit  # unreachable, not a repository, cancelled: the address is the usual suspect

    def _set_busy(self, token: CancelToken | None, message: str = "") -> None:
        self._token = token
        busy = token is not None
        for widget in (
            self.name_edit,
            self.endpoint_edit,
            self.sync_check,
            self.auth_combo,
            self.username_edit,
            self.password_edit,
            self.token_edit,
            self.certificate,
            self.insecure_check,
            self.plain_http_check,
            self.charts_edit,
            self.paths_field,
        ):
            widget.setEnabled(not busy)
        self.kind_combo.setEnabled(not busy and self.registry is None)  # a registry keeps its kind
        self.busy_widget.setVisible(busy)
        self.busy_label.setText(message)
        self.busy_bar.setRange(0, 0)
        if busy:
            self.error_box.hide()
        self._validate()

    def _on_job_event(self, job_id: int, event: JobEvent) -> None:
        if job_id != self._job_id or not isinstance(event, Progress) or self._token is None:
            return
        phase, done, total = event.phase, event.done, event.total
        label = _PHASES.get(phase, phase)
        if phase == "download" and self.subscribing():  # the published catalog's parts this catalog lacks
            label = f"Downloading the published catalog… part {done + 1:,} of {total:,}" if total else label
            if total:
                self.busy_bar.setRange(0, total)
                self.busy_bar.setValue(min(done, total))
        elif phase == "download":
            amount = f"{done / 1048576:.1f} MB" + (f" of {total / 1048576:.1f} MB" if total else "")
            label = f"{label}… {amount}"
            if total:
                self.busy_bar.setRange(0, total)
                self.busy_bar.setValue(min(done, total))
        else:
            label += "…"
            self.busy_bar.setRange(0, 0)
        self.busy_label.setText(label)

    def _show_error(self, message: str) -> None:
        self.error_text.setText(message)
        self.error_box.show()
        self._refit()

    def _on_cancel_clicked(self) -> None:
        if self._token is not None:
            self._token.cancel()
            self.busy_label.setText("Cancelling…")
            return
        self.reject()

    def reject(self) -> None:
        if self._token is not None:  # Escape or the window's close button while checking
            self._token.cancel()
        super().reject()


def _checked_path(text: str) -> str:
    """One base path as the list keeps it (slashes trimmed), or why it cannot be one."""
    paths = validate_base_paths([text])
    if not paths:
        raise ValidationError("Give a repository path on the host, such as team-a/charts.")
    return paths[0]

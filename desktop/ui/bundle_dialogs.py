"""The window's air-gap bundles: File → Export Bundle… (choose registries, profiles and charts; the size
estimated before anything is written; progress with Cancel), File → Import Bundle… and a bundle dropped
on the window (verified, and what the import would do shown, before anything changes; then what it did),
and File → Publish Bundle to Registry… (push). Each runs the same operation as the CLI on the worker."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QMimeData, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from desktop.bundle.parts import parse_size
from desktop.cancellation import CancelToken
from desktop.catalog.profiles import list_profiles
from desktop.catalog.registries import list_registries
from desktop.errors import UserError
from desktop.jobs.job import Job, JobEvent, Progress
from desktop.operations.bundle_export import LARGE_BUNDLE, ExportPlan, ExportResult, ExportSelection, IncompleteBundle
from desktop.operations.bundle_import import ImportSummary, summary_lines
from desktop.operations.bundle_publish import OciTarget, split_reference
from desktop.ui.context import AppContext
from desktop.ui.failure_text import failure_text
from desktop.ui.file_dialogs import file_dialog
from desktop.ui.forms import add_row, finished
from desktop.wording import human_size, plural

log = logging.getLogger(__name__)
T = TypeVar("T")
BUNDLE_FILTER = "Chartkeeper bundles (*.tar *.tar.001);;All files (*)"
CHART_CHOICES = (
    ("pinned", "Pinned versions and those the profiles use"),
    ("profiles", "Only the versions the profiles use"),
    ("latest", "Also the newest stable version of every chart"),
    ("all", "Every version (large)"),
    ("none", "No chart archives (the catalog only)"),
)
PHASES = {
    "verify": "Verifying every blob",
    "archives": "Reading chart archives",
    "catalog": "Snapshots",
    "write": "Writing",
    "push": "Pushing",
}


def bundle_path(mime: QMimeData) -> Path | None:
    """The bundle among dropped files: one local `.tar` file, or the first part of a split one."""
    paths = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
    if len(paths) != 1:
        return None
    name = paths[0].name
    return paths[0] if name.endswith(".tar") or name.endswith(".tar.001") else None


class _JobPanel(QWidget):
    """A job's progress: what it does now, a bar, and the way to cancel it."""

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        self.job_id: int | None = None
        self.hide()

    async def run(self, job: Job[T]) -> T:
        """Show `job`'s progress until it ends; its result, or its error raised."""
        self.job_id = job.id
        self.bar.setRange(0, 0)
        self.label.setText("Starting…")
        self.show()
        self.context.bridge.job_event.connect(self._on_job_event)
        try:
            return await asyncio.wrap_future(job.future)
        finally:
            self.context.bridge.job_event.disconnect(self._on_job_event)
            self.job_id = None

    def _on_job_event(self, job_id: int, event: JobEvent) -> None:
        if job_id != self.job_id or not isinstance(event, Progress):
            return
        phase, done, total = event.phase, event.done, event.total
        label = PHASES.get(phase, phase)
        if phase in ("verify", "write"):
            amount = human_size(done) + (f" of {human_size(total)}" if total else "")
        else:
            amount = f"{done:,}" + (f" of {total:,}" if total else "")
        self.label.setText(f"{label}… {amount}")
        if total:
            scale = max(1, total // 1_000_000)  # a progress bar holds an int
            self.bar.setRange(0, total // scale)
            self.bar.setValue(min(done, total) // scale)
        else:
            self.bar.setRange(0, 0)


def _action_buttons(box: QDialogButtonBox, action: QPushButton, cancel: QPushButton) -> None:
    """The dialog's action beside Close, and its Cancel, shown only while a job runs (the button box
    shows what it is given). The caller makes `action` the default once the box is in the dialog."""
    box.addButton(action, QDialogButtonBox.ButtonRole.ActionRole)
    box.addButton(cancel, QDialogButtonBox.ButtonRole.ActionRole)
    cancel.setAutoDefault(False)
    cancel.hide()


# --- Export ------------------------------------------------------------------------------------------


class ExportBundleDialog(QDialog):
    status_message = Signal(str)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.token: CancelToken | None = None
        self.plan: ExportPlan | None = None
        self.written: ExportResult | None = None
        self._estimate_timer = QTimer(self)
        self._estimate_timer.setSingleShot(True)
        self._estimate_timer.setInterval(150)
        self._build_ui()
        self._connect()
        self._load()

    def _build_ui(self) -> None:
        self.setWindowTitle("Export Bundle")
        self.resize(620, 560)
        intro = QLabel(
            "A bundle carries registries (without credentials), their snapshots, profiles and chart archives "
            "to an air-gapped site, as one verified file. Nothing checked: every registry and profile."
        )
        intro.setWordWrap(True)
        self.registry_list = QListWidget()
        self.registry_list.setAccessibleName("Registries to carry")
        self.profile_list = QListWidget()
        self.profile_list.setAccessibleName("Profiles to carry")
        self.charts_combo = QComboBox()
        for mode, text in CHART_CHOICES:
            self.charts_combo.addItem(text, mode)
        self.have_edit = QLineEdit()
        self.have_edit.setPlaceholderText("none: a full bundle")
        self.have_button = QPushButton("Browse…")
        have_row = QWidget()
        have_layout = QHBoxLayout(have_row)
        have_layout.setContentsMargins(0, 0, 0, 0)
        have_layout.addWidget(self.have_edit, 1)
        have_layout.addWidget(self.have_button)
        self.split_edit = QLineEdit()
        self.split_edit.setPlaceholderText("one file (or a size such as 4G)")
        form = QFormLayout()
        add_row(form, "&Registries:", self.registry_list)
        add_row(form, "&Profiles:", self.profile_list)
        add_row(form, "&Chart archives:", self.charts_combo)
        add_row(form, "&Have file (delta):", have_row, self.have_edit)
        add_row(form, "&Split into parts of:", self.split_edit)
        self.estimate_label = QLabel("Estimating…")
        self.estimate_label.setWordWrap(True)
        self.panel = _JobPanel(self.context)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = QPushButton("&Export…")
        self.cancel_button = QPushButton("Cancel")
        _action_buttons(self.buttons, self.export_button, self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form, 1)
        layout.addWidget(self.estimate_label)
        layout.addWidget(self.panel)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.export_button.setDefault(True)  # in the dialog: only then is it what Enter presses

    def _connect(self) -> None:
        self.buttons.rejected.connect(self.reject)
        self.export_button.clicked.connect(self._on_export_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.have_button.clicked.connect(self._on_have_clicked)
        self.registry_list.itemChanged.connect(self._estimate_timer.start)
        self.profile_list.itemChanged.connect(self._estimate_timer.start)
        self.charts_combo.currentIndexChanged.connect(self._estimate_timer.start)
        self._estimate_timer.timeout.connect(self.estimate)

    def _load(self) -> None:
        for list_widget, names in (
            (self.registry_list, [r.name for r in list_registries(self.context.reader)]),
            (self.profile_list, [p.name for p in list_profiles(self.context.reader)]),
        ):
            for name in names:
                item = QListWidgetItem(name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Unchecked)
                list_widget.addItem(item)
        self._estimate_timer.start()

    def _checked(self, list_widget: QListWidget) -> tuple[str, ...]:
        items = (list_widget.item(row) for row in range(list_widget.count()))
        return tuple(item.text() for item in items if item.checkState() == Qt.CheckState.Checked)

    def selection(self) -> ExportSelection:
        """What the form chooses; raises UserError for a split size or have file that makes no sense."""
        split = self.split_edit.text().strip()
        have = self.have_edit.text().strip()
        return ExportSelection(
            registries=self._checked(self.registry_list),
            profiles=self._checked(self.profile_list),
            charts=str(self.charts_combo.currentData()),
            have=Path(have) if have else None,
            split_size=parse_size(split) if split else None,
        )

    @asyncSlot()
    async def estimate(self) -> None:
        """The size the bundle would have, before anything is written."""
        try:
            plan = await asyncio.wrap_future(self.context.worker.plan_bundle_export(self.selection()))
        except Exception as error:  # shown, never raised into Qt
            self.plan = None
            self.estimate_label.setText(failure_text(self.context, error, "The estimate"))
            return
        self.plan = plan
        unknown = f", {plan.unknown_archives:,} of them to download" if plan.unknown_archives else ""
        left = f"; {plural(len(plan.skipped), 'version')} cannot be carried" if plan.skipped else ""
        registries = plural(len(plan.registries), "registry", "registries")
        self.estimate_label.setText(
            f"About {human_size(plan.estimated_bytes)}: {registries}, {plural(len(plan.profiles), 'profile')}, "
            f"{plural(len(plan.archives), 'chart archive')}{unknown}{left}."
        )

    def _on_have_clicked(self) -> None:
        dialog = file_dialog(self, "The have file the target site wrote (chartkeeper bundle have)", "have")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.have_edit.setText)
        dialog.open()

    def _on_export_clicked(self) -> None:
        dialog = file_dialog(self, "Export Bundle", "bundle", file_name="bundle.tar")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(BUNDLE_FILTER)
        dialog.setDefaultSuffix("tar")
        dialog.fileSelected.connect(lambda name: self.export_to(Path(name)))
        dialog.open()

    def _on_cancel_clicked(self) -> None:
        if self.token is not None:
            self.token.cancel()
            self.panel.label.setText("Cancelling…")

    async def _write_without(self, incomplete: IncompleteBundle) -> bool:
        """Ask before writing a bundle that leaves out archives it should carry."""
        missing = incomplete.missing
        needing = sorted({name for item in missing for name in item.profiles})
        lines = "\n".join(f"• {item}" for item in missing[:8])
        more = f"\n… and {len(missing) - 8:,} more" if len(missing) > 8 else ""
        who = f"\n\nProfiles that need them: {', '.join(needing)}." if needing else ""
        question = QMessageBox(
            QMessageBox.Icon.Warning,
            "Export Bundle",
            f"{plural(len(missing), 'chart archive')} cannot be carried:\n{lines}{more}{who}\n\n"
            "Write the bundle without them? It records what it leaves out, and importing it names the profiles.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        question.setDefaultButton(QMessageBox.StandardButton.No)
        return bool(await finished(question) == QMessageBox.StandardButton.Yes.value)

    @asyncSlot(object)
    async def export_to(self, path: Path) -> ExportResult | None:
        """Write the bundle at `path`, asking first about an `all` bundle over 2 GB."""
        try:
            selection = self.selection()
        except UserError as error:
            self.message.setText(error.message)
            return None
        plan = self.plan
        confirmed = False
        if selection.charts == "all" and plan is not None and plan.estimated_bytes > LARGE_BUNDLE:
            question = QMessageBox(
                QMessageBox.Icon.Question,
                "Export Bundle",
                f"This bundle would be about {human_size(plan.estimated_bytes)}. Write it?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                self,
            )
            if await finished(question) != QMessageBox.StandardButton.Yes.value:
                return None
            confirmed = True
        allow_missing = False
        while True:
            self.token = CancelToken()
            self._running(True)
            try:
                job = self.context.worker.export_bundle(
                    path, selection, confirmed=confirmed, allow_missing=allow_missing, cancel=self.token
                )
                result = await self.panel.run(job)
            except IncompleteBundle as incomplete:
                self._running(False)
                self.token = None
                if not await self._write_without(incomplete):
                    self.message.setText("Nothing was written.")
                    return None
                allow_missing = True
                continue
            except Exception as error:  # shown in the dialog
                self.message.setText(failure_text(self.context, error, "The export"))
                return None
            finally:
                self._running(False)
                self.token = None
            break
        self.written = result
        files = ", ".join(str(part) for part in result.parts)
        shown = "; ".join(str(item) for item in result.skipped[:5])
        left = f"\nNot carried: {plural(len(result.skipped), 'version')} — {shown}" if result.skipped else ""
        self.message.setText(
            f"Wrote {files} ({human_size(result.written.size)}): {plural(result.archives, 'chart archive')}"
            f"{', a delta' if result.left_out else ''}.\nsha256 {result.written.sha256}{left}"
        )
        self.status_message.emit(f"Bundle written: {files}")
        return result

    def _running(self, running: bool) -> None:
        self.export_button.setEnabled(not running)
        self.cancel_button.setVisible(running)
        self.panel.setVisible(running)
        if running:
            self.message.setText("")


# --- Import ------------------------------------------------------------------------------------------


class ImportBundleDialog(QDialog):
    """Verify the bundle and show what importing it would do (a dry run), then import it."""

    status_message = Signal(str)

    def __init__(self, context: AppContext, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.path = path
        self.token: CancelToken | None = None
        self.preview: ImportSummary | None = None
        self.summary: ImportSummary | None = None
        self._build_ui()

    def _build_ui(self) -> None:
        self.setWindowTitle("Import Bundle")
        self.resize(640, 460)
        self.heading = QLabel(f"{self.path}")
        self.heading.setWordWrap(True)
        self.panel = _JobPanel(self.context)
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setAccessibleName("What the import does")
        self.accept_removals = QCheckBox("Apply snapshots that remove many versions at once")
        self.accept_removals.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.import_button = QPushButton("&Import")
        self.import_button.setEnabled(False)
        self.cancel_button = QPushButton("Cancel")
        _action_buttons(self.buttons, self.import_button, self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.panel)
        layout.addWidget(self.report, 1)
        layout.addWidget(self.accept_removals)
        layout.addWidget(self.buttons)
        self.import_button.setDefault(True)
        self.buttons.rejected.connect(self.reject)
        self.import_button.clicked.connect(self._on_import_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.accept_removals.toggled.connect(lambda _on: self.review())

    def _on_cancel_clicked(self) -> None:
        if self.token is not None:
            self.token.cancel()
            self.panel.label.setText("Cancelling…")

    def _on_import_clicked(self) -> None:
        self.run_import()

    async def _job(self, dry_run: bool) -> ImportSummary | None:
        self.token = CancelToken()
        self.import_button.setEnabled(False)
        self.cancel_button.show()
        try:
            job = self.context.worker.import_bundle(
                self.path, dry_run=dry_run, accept_removals=self.accept_removals.isChecked(), cancel=self.token
            )
            return await self.panel.run(job)
        except Exception as error:  # shown in the dialog
            self.report.setPlainText(failure_text(self.context, error, "The import"))
            return None
        finally:
            self.token = None
            self.cancel_button.hide()
            self.panel.hide()

    @asyncSlot()
    async def review(self) -> ImportSummary | None:
        """Verify the bundle and show what the import would do; nothing changes yet."""
        self.heading.setText(f"{self.path}: verifying, and working out what the import would do…")
        preview = await self._job(dry_run=True)
        self.preview = preview
        if preview is None:
            self.heading.setText(f"{self.path} cannot be imported:")
            return None
        self.heading.setText(f"{self.path} is verified. Importing it would do this:")
        self.report.setPlainText("\n".join(summary_lines(preview)))
        self.accept_removals.setVisible(any(r.action == "held" for r in preview.registries))
        self.import_button.setEnabled(True)
        return preview

    @asyncSlot()
    async def run_import(self) -> ImportSummary | None:
        self.heading.setText(f"Importing {self.path}…")
        summary = await self._job(dry_run=False)
        if summary is None:
            self.heading.setText(f"{self.path} was not imported; the catalog is as it was:")
            self.import_button.setEnabled(self.preview is not None)
            return None
        self.summary = summary
        self.heading.setText(f"{self.path} is imported:")
        self.report.setPlainText("\n".join(summary_lines(summary)))
        self.status_message.emit(f"Bundle imported: {self.path.name}")
        return summary


# --- Publish -----------------------------------------------------------------------------------------


class PublishBundleDialog(QDialog):
    """Push a bundle into the site's OCI registry: charts for the clusters, the catalog for workstations."""

    status_message = Signal(str)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.token: CancelToken | None = None
        self._build_ui()

    def _build_ui(self) -> None:
        self.setWindowTitle("Publish Bundle to Registry")
        self.resize(600, 380)
        self.file_edit = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._on_browse_clicked)
        file_row = QWidget()
        file_layout = QHBoxLayout(file_row)
        file_layout.setContentsMargins(0, 0, 0, 0)
        file_layout.addWidget(self.file_edit, 1)
        file_layout.addWidget(browse)
        self.target_edit = QLineEdit()
        self.target_edit.setPlaceholderText("oci://registry.site.example/charts")
        self.username_edit = QLineEdit()
        self.username_edit.setPlaceholderText("none, or a registered registry's login")
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.ca_edit = QLineEdit()
        self.ca_edit.setPlaceholderText("the registry's certificate file (PEM or DER), if self-signed")
        self.insecure_check = QCheckBox("Insecure Skip TLS Verify")
        self.plain_check = QCheckBox("Plain HTTP (no TLS)")
        form = QFormLayout()
        add_row(form, "&Bundle:", file_row, self.file_edit)
        add_row(form, "&Registry:", self.target_edit)
        add_row(form, "&Username:", self.username_edit)
        add_row(form, "&Password:", self.password_edit)
        add_row(form, "&Certificate file:", self.ca_edit)
        form.addRow("", self.insecure_check)
        form.addRow("", self.plain_check)
        self.panel = _JobPanel(self.context)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.publish_button = QPushButton("Publis&h")
        self.cancel_button = QPushButton("Cancel")
        _action_buttons(self.buttons, self.publish_button, self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.panel)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.buttons)
        self.publish_button.setDefault(True)
        self.buttons.rejected.connect(self.reject)
        self.publish_button.clicked.connect(self._on_publish_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)

    def _on_browse_clicked(self) -> None:
        dialog = file_dialog(self, "Bundle to publish", "bundle")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter(BUNDLE_FILTER)
        dialog.fileSelected.connect(self.file_edit.setText)
        dialog.open()

    def _on_cancel_clicked(self) -> None:
        if self.token is not None:
            self.token.cancel()

    def _on_publish_clicked(self) -> None:
        self.publish()

    def target(self) -> OciTarget:
        from desktop.certificates import read_certificate_file

        endpoint, tag = split_reference(self.target_edit.text())
        if tag is not None:
            raise UserError("Give the registry without a tag: the catalog is tagged with its date and latest.")
        username = self.username_edit.text().strip() or None
        ca_file = self.ca_edit.text().strip()
        return OciTarget(
            endpoint,
            username,
            self.password_edit.text() or None,
            read_certificate_file(Path(ca_file)).pem if ca_file else None,
            self.insecure_check.isChecked(),
            self.plain_check.isChecked(),
        )

    @asyncSlot()
    async def publish(self) -> Any:
        try:
            target = self.target()
        except UserError as error:
            self.message.setText(error.message)
            return None
        self.token = CancelToken()
        self.publish_button.setEnabled(False)
        self.cancel_button.show()
        self.message.setText("")
        try:
            job = self.context.worker.push_bundle(Path(self.file_edit.text().strip()), target, self.token)
            summary = await self.panel.run(job)
        except Exception as error:  # shown in the dialog
            self.message.setText(failure_text(self.context, error, "Publishing"))
            return None
        finally:
            self.token = None
            self.publish_button.setEnabled(True)
            self.cancel_button.hide()
            self.panel.hide()
        self.message.setText(
            f"Pushed {len(summary.pushed):,} tags ({summary.blobs_uploaded:,} blobs, "
            f"{human_size(summary.bytes_uploaded)}; {summary.blobs_present:,} already there). Clusters pull from "
            f"{target.endpoint}/<chart>; workstations subscribe with Add New Helm Registry (Type: Published "
            "Chartkeeper catalog) or "
            f"`chartkeeper registry add NAME {target.endpoint} --bundle`."
        )
        self.status_message.emit(f"Bundle published to {target.endpoint}")
        return summary


# --- the window's hooks ---------------------------------------------------------------------------------


class BundleActions(QObject):
    """The File menu's bundle actions, and bundles dropped on the window."""

    status_message = Signal(str)

    def __init__(self, context: AppContext, window: QWidget) -> None:
        super().__init__(window)
        self.context = context
        self.window = window
        self.export_action = QAction("&Export Bundle…", window)
        self.import_action = QAction("&Import Bundle…", window)
        self.publish_action = QAction("&Publish Bundle to Registry…", window)
        self.actions = [self.export_action, self.import_action, self.publish_action]
        self.export_action.triggered.connect(self.open_export)
        self.import_action.triggered.connect(self._on_import_triggered)
        self.publish_action.triggered.connect(self.open_publish)

    def _show(self, dialog: QDialog) -> QDialog:
        dialog.status_message.connect(self.status_message)  # type: ignore[attr-defined]
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def open_export(self) -> ExportBundleDialog:
        dialog = ExportBundleDialog(self.context, self.window)
        self._show(dialog)
        return dialog

    def open_publish(self) -> PublishBundleDialog:
        dialog = PublishBundleDialog(self.context, self.window)
        self._show(dialog)
        return dialog

    def open_import(self, path: Path) -> ImportBundleDialog:
        dialog = ImportBundleDialog(self.context, path, self.window)
        self._show(dialog)
        dialog.review()
        return dialog

    def _on_import_triggered(self) -> None:
        dialog = file_dialog(self.window, "Import Bundle", "bundle")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter(BUNDLE_FILTER)
        dialog.fileSelected.connect(lambda name: self.open_import(Path(name)))
        dialog.open()

    def drag_enter(self, event: QDragEnterEvent) -> None:
        if bundle_path(event.mimeData()) is not None:
            event.acceptProposedAction()

    def drop(self, event: QDropEvent) -> ImportBundleDialog | None:
        path = bundle_path(event.mimeData())
        if path is None:
            return None
        event.acceptProposedAction()
        return self.open_import(path)

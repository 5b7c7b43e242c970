"""Tenant settings: name, sync interval, network rules, where data lives; Import from Helm."""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from desktop.bundle.tar_format import looks_like_tar
from desktop.catalog.archives import cache_usage
from desktop.catalog.icons import icons_size
from desktop.errors import UserError
from desktop.helm.repositories_file import default_repositories_file
from desktop.jobs.job import ImportDone, ImportStarted, ImportWorking, JobEvent
from desktop.net.settings import environment_proxy
from desktop.operations.helm_import import ImportOutcome
from desktop.settings import SETTING_RULES, TenantSettings, proxy_problem
from desktop.ui.context import AppContext
from desktop.ui.failure_text import failure_text
from desktop.ui.file_dialogs import file_dialog
from desktop.ui.forms import add_row, confirm_box, error_label, finished, stacked
from desktop.ui.helm_import_dialog import HelmImportDialog
from desktop.wording import human_size, plural

log = logging.getLogger(__name__)
SAVE_DELAY_MS = 400


class TenantSettingsTab(QWidget):
    status_message = Signal(str)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DELAY_MS)
        self._import_dialog: HelmImportDialog | None = None
        self._build_ui()
        self._connect()
        self._load()

    # --- building -----------------------------------------------------------------------

    def _build_ui(self) -> None:
        shown_proxy, environment_no_proxy = environment_proxy()
        self.tenant_edit = QLineEdit()
        self.tenant_edit.setPlaceholderText("e.g. platform-team")
        self.interval_spin = _spin("sync_interval_hours", " hours")
        self.timeout_spin = _spin("request_timeout_seconds", " s")
        self.min_rate_spin = _spin("min_download_rate_kib", " KiB/s", decimals=1)
        self.min_rate_spin.setToolTip(SETTING_RULES["min_download_rate_kib"].help)
        self.max_index_spin = _spin("max_index_mb", " MB")
        self.shrink_spin = _spin("shrink_threshold_percent", " %")
        self.shrink_spin.setToolTip(
            "A sync that would mark more than this share of a snapshot's versions removed upstream (a download "
            "cut short?) is held, the snapshot unchanged, until you accept it from the registry's ⋮ menu."
        )
        self.proxy_edit = QLineEdit()
        self.proxy_edit.setPlaceholderText(f"from the environment: {shown_proxy or 'none'}")
        self.no_proxy_edit = QLineEdit()
        self.no_proxy_edit.setPlaceholderText(f"from the environment: {environment_no_proxy or 'none'}")
        self.proxy_error = error_label()
        self.credentials_check = QCheckBox("Send a registry's credentials to chart hosts other than its own")
        credentials_hint = QLabel(
            "Off (recommended): chart URLs on other hosts get no password, as in Helm 3.6.1+. A token never goes there."
        )
        credentials_hint.setObjectName("formHint")
        credentials_hint.setWordWrap(True)  # at 1024 px it ran past the form's edge
        self.data_path = QLabel(str(self.context.paths.data_dir))
        self.data_path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_folder_button = QPushButton("Open Folde&r")
        data_row = QWidget()
        data_layout = QHBoxLayout(data_row)
        data_layout.setContentsMargins(0, 0, 0, 0)
        data_layout.addWidget(self.data_path)
        data_layout.addWidget(self.open_folder_button)
        data_layout.addStretch(1)
        self.keyring_label = QLabel("…")
        self.size_label = QLabel()
        self.cache_label = QLabel()
        self.cache_label.setWordWrap(True)
        self.clear_cache_button = QPushButton("Cl&ear Unused…")
        self.clear_cache_button.setToolTip("Delete the cached chart files that no profile uses and nobody kept offline")
        cache_row = QWidget()
        cache_layout = QHBoxLayout(cache_row)
        cache_layout.setContentsMargins(0, 0, 0, 0)
        cache_layout.addWidget(self.cache_label, 1)
        cache_layout.addWidget(self.clear_cache_button, 0, Qt.AlignmentFlag.AlignTop)
        self._dialogs: list[QWidget] = []
        # Rendering and trust (issues 18 and 20): the same settings `chartkeeper settings set` takes.
        self.kube_edit = QLineEdit()
        self.kube_edit.setPlaceholderText("e.g. 1.31.0")
        self.kube_edit.setToolTip(SETTING_RULES["kube_version"].help)
        self.kube_error = error_label()
        self.render_time_spin = _spin("render_timeout_seconds", " s")
        self.render_memory_spin = _spin("render_memory_mb", " MB")
        self.signatures_combo = _choices(
            ("report", "Say who signed a bundle (report)"),
            ("require", "Import only bundles a trusted key signed (require)"),
            ("off", "Do not check (off)"),
        )
        self.provenance_combo = _choices(
            ("report", "Say who signed a chart (report)"),
            ("require", "Use only charts a trusted key signed (require)"),
            ("off", "Do not check (off)"),
        )
        self._keys_listed = False
        self.keys_list = QListWidget()
        self.keys_list.setAccessibleName("Trusted keys")
        self.keys_list.setMaximumHeight(110)
        self.add_key_button = QPushButton("&Add Key…")
        self.add_key_button.setToolTip(
            "Trust the public keys of a file: gpg --export --armor KEY > key.asc, or a keyring"
        )
        self.remove_key_button = QPushButton("&Stop Trusting")
        self.remove_key_button.setEnabled(False)
        self.keys_status = QLabel()
        self.keys_status.setObjectName("formHint")
        self.keys_status.setWordWrap(True)
        keys_buttons = QWidget()
        keys_buttons_layout = QHBoxLayout(keys_buttons)
        keys_buttons_layout.setContentsMargins(0, 0, 0, 0)
        keys_buttons_layout.addWidget(self.add_key_button)
        keys_buttons_layout.addWidget(self.remove_key_button)
        keys_buttons_layout.addStretch(1)
        helm_text = QLabel(
            "Add the repositories Helm already knows (its repositories.yaml): names, URLs, CA files,\n"
            "skip-verify and credentials, each checked like a new registry."
        )
        helm_text.setObjectName("formHint")
        self.import_button = QPushButton("Import fro&m Helm…")
        helm_row = QWidget()
        helm_layout = QHBoxLayout(helm_row)
        helm_layout.setContentsMargins(0, 0, 0, 0)
        helm_layout.addWidget(self.import_button)
        helm_layout.addStretch(1)

        # One form for every section, so that all labels share one column.
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setVerticalSpacing(8)
        _section(form, "Tenant", first=True)
        add_row(form, "Tenant &name:", self.tenant_edit)
        add_row(form, "Default synchronization &interval:", self.interval_spin)
        _section(form, "Network")
        add_row(form, "HTTP(S) &proxy:", stacked(self.proxy_edit, self.proxy_error), self.proxy_edit)
        add_row(form, "N&o proxy for:", self.no_proxy_edit)
        add_row(form, "Request &timeout:", self.timeout_spin)
        add_row(form, "Slowest &download accepted:", self.min_rate_spin)
        add_row(form, "&Largest index accepted:", self.max_index_spin)
        add_row(form, "Hold s&yncs that remove more than:", self.shrink_spin)
        add_row(form, "&Credentials:", stacked(self.credentials_check, credentials_hint), self.credentials_check)
        _section(form, "Rendering")
        add_row(form, "&Kubernetes version:", stacked(self.kube_edit, self.kube_error), self.kube_edit)
        add_row(form, "&Wait for a render at most:", self.render_time_spin)
        add_row(form, "Render memory &budget:", self.render_memory_spin)
        _section(form, "Trust")
        add_row(form, "Bundle si&gnatures:", self.signatures_combo)
        add_row(form, "Chart signat&ures (provenance):", self.provenance_combo)
        add_row(form, "Trusted keys:", stacked(self.keys_list, keys_buttons, self.keys_status), self.keys_list)
        _section(form, "Storage")
        add_row(form, "Data folder:", data_row, self.open_folder_button)
        add_row(form, "Passwords kept in:", self.keyring_label)
        add_row(form, "Catalog size:", self.size_label)
        add_row(form, "Cached charts:", cache_row, self.clear_cache_button)
        _section(form, "Import from Helm")
        add_row(form, "", stacked(helm_text, helm_row), self.import_button)

        self.saved_label = QLabel()
        self.saved_label.setObjectName("savedIndicator")
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(16, 8, 16, 16)
        column.addLayout(form)
        column.addWidget(self.saved_label)
        column.addStretch(1)
        content.setMaximumWidth(900)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

    def _connect(self) -> None:
        for edit in (self.tenant_edit, self.proxy_edit, self.no_proxy_edit):
            edit.textEdited.connect(self._on_setting_edited)
        for spin in (self.interval_spin, self.timeout_spin, self.min_rate_spin, self.max_index_spin, self.shrink_spin):
            spin.valueChanged.connect(self._on_setting_edited)
        self.credentials_check.toggled.connect(self._on_setting_edited)
        self.kube_edit.textEdited.connect(self._on_setting_edited)
        for spin in (self.render_time_spin, self.render_memory_spin):
            spin.valueChanged.connect(self._on_setting_edited)
        for combo in (self.signatures_combo, self.provenance_combo):
            combo.currentIndexChanged.connect(self._on_setting_edited)
        self.add_key_button.clicked.connect(self._on_add_key_clicked)
        self.remove_key_button.clicked.connect(self.stop_trusting_selected)
        self.keys_list.currentRowChanged.connect(lambda row: self.remove_key_button.setEnabled(row >= 0))
        self._save_timer.timeout.connect(self._save)
        self.open_folder_button.clicked.connect(self._on_open_folder_clicked)
        self.import_button.clicked.connect(self._on_import_clicked)
        self.clear_cache_button.clicked.connect(self.confirm_clear_cache)
        self.context.bridge.catalog_changed.connect(self._update_size)

    def _load(self) -> None:
        settings = self.context.worker.settings
        self.tenant_edit.setText(settings.tenant_name)
        for spin, value in self._numbers(settings):
            if isinstance(spin, QDoubleSpinBox):
                spin.setValue(_shown(spin, value))
            else:
                spin.setValue(round(value))
        self.proxy_edit.setText(settings.proxy)
        self.no_proxy_edit.setText(settings.no_proxy)
        self.credentials_check.setChecked(settings.credentials_to_other_hosts)
        self.kube_edit.setText(settings.kube_version)
        self.render_time_spin.setValue(round(settings.render_timeout_seconds))
        self.render_memory_spin.setValue(settings.render_memory_mb)
        self.signatures_combo.setCurrentIndex(self.signatures_combo.findData(settings.bundle_signatures))
        self.provenance_combo.setCurrentIndex(self.provenance_combo.findData(settings.chart_provenance))
        if self.isVisible():  # else when first shown: reading keys loads OpenPGP, not worth a launch's time
            self.show_keys()
        self._save_timer.stop()  # loading is not editing
        self._update_size()
        self._show_keyring_name()

    @asyncSlot()
    async def _show_keyring_name(self) -> None:
        try:
            name = await asyncio.wrap_future(self.context.worker.keyring_name())
        except Exception as exc:  # the label is informative only
            name = f"unknown ({type(exc).__name__})"
        if not self.context.outlived(self):
            self.keyring_label.setText(name)

    def _update_size(self) -> None:
        catalog = self.context.paths.catalog
        total = sum(p.stat().st_size for p in catalog.parent.glob(catalog.name + "*") if p.is_file())
        self.size_label.setText(human_size(total))
        usage = cache_usage(self.context.reader)
        icon_count, icon_bytes = icons_size(self.context.reader)
        parts = [
            f"{human_size(usage.size)} in {plural(usage.count, 'chart version')}",
            f"{usage.profile_count} used by profiles",
            f"{usage.pinned_count} kept offline by hand",
            f"{human_size(usage.unused_size)} used by nothing",
        ]
        self.cache_label.setText(", ".join(parts) + f". Icons: {human_size(icon_bytes)} ({icon_count}).")
        self.clear_cache_button.setEnabled(usage.unused_count > 0)

    def confirm_clear_cache(self) -> QMessageBox:
        usage = cache_usage(self.context.reader)
        box = confirm_box(
            self,
            "Clear Cached Charts",
            f"Delete {plural(usage.unused_count, 'cached chart version')} ({human_size(usage.unused_size)})?",
            "No profile uses them and nobody kept them offline; their files are downloaded again when "
            f"needed. The {plural(usage.profile_count + usage.pinned_count, 'version')} that profiles use or "
            "that were kept offline stay.",
            "&Delete",
            self._clear_cache,
        )
        self._dialogs.append(box)
        box.finished.connect(lambda _code: self._dialogs.remove(box))
        box.open()
        return box

    @asyncSlot()
    async def _clear_cache(self) -> None:
        try:
            count, size = await asyncio.wrap_future(self.context.worker.clear_unused_cache())
        except Exception as exc:
            self.status_message.emit(
                f"The cache was not cleared: {failure_text(self.context, exc, 'Clearing the cache')}"
            )
            return
        if self.context.outlived(self):
            return
        self._update_size()
        self.status_message.emit(f"Deleted {plural(count, 'cached chart version')} ({human_size(size)}).")

    # --- editing ------------------------------------------------------------------------

    def _numbers(self, settings: TenantSettings) -> list[tuple[QSpinBox | QDoubleSpinBox, float]]:
        return [
            (self.interval_spin, settings.sync_interval_hours),
            (self.timeout_spin, settings.request_timeout_seconds),
            (self.max_index_spin, settings.max_index_mb),
            (self.min_rate_spin, settings.min_download_rate_kib),
            (self.shrink_spin, settings.shrink_threshold_percent),
        ]

    def settings(self) -> TenantSettings:
        """The settings as the tab shows them. A number set finer than its field shows (`settings set
        request_timeout_seconds 2.5`) stays as it is until that field is changed."""
        current = self.context.worker.settings
        interval, timeout, max_index, min_rate, shrink = (
            value if spin.value() == _shown(spin, value) else float(spin.value())
            for spin, value in self._numbers(current)
        )
        return replace(
            current,
            tenant_name=self.tenant_edit.text().strip(),
            sync_interval_hours=interval,
            request_timeout_seconds=timeout,
            max_index_mb=max_index,
            min_download_rate_kib=min_rate,
            shrink_threshold_percent=shrink,
            proxy=self.proxy_edit.text().strip(),
            no_proxy=self.no_proxy_edit.text().strip(),
            credentials_to_other_hosts=self.credentials_check.isChecked(),
            kube_version=self.kube_edit.text().strip().removeprefix("v") or current.kube_version,
            render_timeout_seconds=float(self.render_time_spin.value()),
            render_memory_mb=int(self.render_memory_spin.value()),
            bundle_signatures=str(self.signatures_combo.currentData()),
            chart_provenance=str(self.provenance_combo.currentData()),
        )

    def kube_problem(self) -> str | None:
        """The same check `chartkeeper settings set kube_version` makes."""
        text = self.kube_edit.text().strip()
        if not text:
            return None
        try:
            TenantSettings().with_value("kube_version", text)
        except UserError as exc:
            return exc.message
        return None

    # --- trusted keys ----------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._keys_listed:
            self.show_keys()

    def show_keys(self) -> None:
        from desktop.trust.keys import trusted_keys

        self._keys_listed = True
        self.keys_list.clear()
        keys = trusted_keys(self.context.paths.trusted_keys)
        for key in keys:
            expiry = (
                "revoked"
                if key.revoked
                else ("never expires" if key.expires is None else "expires " + key.expires.date().isoformat())
            )
            if key.expired():
                expiry = "expired " + key.expires.date().isoformat() if key.expires else expiry
            item = QListWidgetItem(f"{key.name} · {key.fingerprint} · {expiry}")
            item.setData(Qt.ItemDataRole.UserRole, key.fingerprint)
            self.keys_list.addItem(item)
        self.keys_status.setText(
            "No trusted keys yet: signed bundles and charts read as signed by an unknown key." if not keys else ""
        )

    def _on_add_key_clicked(self) -> None:
        dialog = file_dialog(
            self,
            "A public key to trust",
            "keys",
            name_filter="OpenPGP keys (*.asc *.gpg *.pgp *.kbx *.pub);;All files (*)",
        )
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda name: self.add_key(Path(name)))
        self._dialogs.append(dialog)
        dialog.open()

    @asyncSlot(object)
    async def add_key(self, path: Path) -> None:
        """Trust the keys of `path` (read off the UI thread: a keyring can be large)."""
        from desktop.trust.keys import import_keys

        # A daemon thread of its own, not the loop's executor: qasync's runs on QThreads that, still
        # running at exit, abort the process.
        outcome: Future[list[Any]] = Future()

        def run() -> None:
            try:
                outcome.set_result(import_keys(self.context.paths.trusted_keys, path))
            except BaseException as exc:  # delivered to the await below
                outcome.set_exception(exc)

        threading.Thread(target=run, name="import-keys", daemon=True).start()
        try:
            keys = await asyncio.wrap_future(outcome)
        except UserError as exc:
            self.show_keys()
            self.keys_status.setText(f"Not imported: {exc.message}")
            return
        self.show_keys()
        self.keys_status.setText(f"Trusted {plural(len(keys), 'key')}: " + ", ".join(key.name for key in keys) + ".")

    def stop_trusting_selected(self) -> None:
        from desktop.trust.keys import remove_key

        item = self.keys_list.currentItem()
        if item is None:
            return
        try:
            key = remove_key(self.context.paths.trusted_keys, str(item.data(Qt.ItemDataRole.UserRole)))
        except UserError as exc:
            self.keys_status.setText(exc.message)
            return
        self.show_keys()
        self.keys_status.setText(f"No longer trusted: {key.name}.")

    def proxy_problem(self) -> str | None:
        """The same check `chartkeeper settings set proxy` makes."""
        proxy = self.proxy_edit.text().strip()
        return proxy_problem(proxy) if proxy else None

    def _on_setting_edited(self) -> None:
        problem = self.proxy_problem()
        self.proxy_error.setText(problem or "")
        self.proxy_error.setVisible(problem is not None)
        kube = self.kube_problem()
        self.kube_error.setText(kube or "")
        self.kube_error.setVisible(kube is not None)
        if problem is not None:
            self.saved_label.setText("Not saved: fix the proxy first.")
        elif kube is not None:
            self.saved_label.setText("Not saved: fix the Kubernetes version first.")
        else:
            self.saved_label.setText("")
            self._save_timer.start()

    @asyncSlot()
    async def _save(self) -> None:
        if self.proxy_problem() is not None or self.kube_problem() is not None:
            return
        try:
            await asyncio.wrap_future(self.context.worker.save_settings(self.settings()))
        except Exception as exc:
            self.saved_label.setText(f"Not saved: {failure_text(self.context, exc, 'Saving the settings')}")
            return
        self.saved_label.setText("✓ Saved")

    def _on_open_folder_clicked(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.context.paths.data_dir)))

    # --- Import from Helm ----------------------------------------------------------------

    async def _offer_bundle_import(self, path: Path) -> None:
        question = QMessageBox(
            QMessageBox.Icon.Question,
            "Import from Helm",
            f"{path.name} is a bundle (a tar archive), not Helm's repositories.yaml. Import it as a bundle?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        question.setDefaultButton(QMessageBox.StandardButton.Yes)
        self._bundle_question = question
        if await finished(question) == QMessageBox.StandardButton.Yes.value:
            window = self.window()
            bundle_actions = getattr(window, "bundle_actions", None)
            if bundle_actions is not None:
                bundle_actions.open_import(path)

    def _on_import_clicked(self) -> None:
        start = default_repositories_file()
        dialog = QFileDialog(
            self, "Helm's repositories.yaml", str(start.parent if start.parent.exists() else Path.home())
        )
        dialog.setNameFilter("Helm repositories (repositories.yaml *.yaml *.yml);;All files (*)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        if start.exists():
            dialog.selectFile(str(start))
        dialog.fileSelected.connect(lambda name: self.import_from(Path(name)))
        dialog.open()

    @asyncSlot(object)
    async def import_from(self, path: Path) -> list[ImportOutcome]:
        """Run the Import from Helm operation in the background, its progress in a dialog; a bundle
        given here (a tar, not Helm's YAML) is offered to Import Bundle instead."""
        if looks_like_tar(path):
            await self._offer_bundle_import(path)
            return []
        dialog = HelmImportDialog(path, self)
        self._import_dialog = dialog
        dialog.open()
        job = self.context.worker.import_from_helm(path, dialog.token)

        def on_event(job_id: int, event: JobEvent) -> None:
            if job_id != job.id:
                return
            if isinstance(event, ImportStarted):
                dialog.start(event.count)
            elif isinstance(event, ImportWorking):
                dialog.working_on(event.name)
            elif isinstance(event, ImportDone):
                dialog.add_outcome(event.outcome)

        self.context.bridge.job_event.connect(on_event)
        try:
            outcomes = await asyncio.wrap_future(job.future)
        except Exception as exc:
            dialog.fail(failure_text(self.context, exc, "Importing from Helm"))
            return []
        finally:
            self.context.bridge.flush()  # outcomes still queued reach the dialog before its summary
            self.context.bridge.job_event.disconnect(on_event)
        dialog.finish()
        imported = sum(1 for o in outcomes if o.status == "imported")
        self.status_message.emit(f"Imported {imported} of {len(outcomes)} Helm repositories.")
        return outcomes


def _choices(*options: tuple[str, str]) -> QComboBox:
    combo = QComboBox()
    for value, text in options:
        combo.addItem(text, value)
    return combo


def _spin(key: str, suffix: str, *, decimals: int = 0) -> QSpinBox | QDoubleSpinBox:
    """A number field that takes what the setting's rule takes (the CLI checks the same rule)."""
    rule = SETTING_RULES[key]
    spin: QSpinBox | QDoubleSpinBox
    if decimals:
        spin = QDoubleSpinBox()
        spin.setDecimals(decimals)
        spin.setSingleStep(0.5)
        spin.setRange(float(rule.low or 0), float(rule.high or 0))
    else:
        spin = QSpinBox()
        spin.setRange(int(rule.low or 0), int(rule.high or 0))
    spin.setSuffix(suffix)
    spin.setMinimumWidth(120)
    return spin


def _shown(spin: QSpinBox | QDoubleSpinBox, value: float) -> float:
    """What the field shows for a stored value (the nearest it can)."""
    return round(value, spin.decimals()) if isinstance(spin, QDoubleSpinBox) else round(value)


def _section(form: QFormLayout, title: str, *, first: bool = False) -> None:
    heading = QLabel(title)
    heading.setObjectName("sectionHeading")
    if not first:
        heading.setContentsMargins(0, 14, 0, 0)
    form.addRow(heading)

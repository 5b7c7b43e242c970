"""The Profile editor tab: the profiles (with their health), and the profile being edited.

Every edit is saved by itself a moment later, through the background worker; quitting saves what is
pending first, so nothing typed is lost."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from desktop.catalog.profiles import free_copy_name, layer_sources, list_profiles
from desktop.errors import UserError
from desktop.operations.profiles import (
    ProfileExport,
)
from desktop.profiles.health import problems
from desktop.profiles.model import Profile
from desktop.profiles.palette_import import ImportPlan
from desktop.ui.context import AppContext
from desktop.ui.failure_text import failure_text
from desktop.ui.file_dialogs import file_dialog
from desktop.ui.forms import confirm_box, empty_state
from desktop.ui.layer_checks import LayerChecker
from desktop.ui.layer_renders import LayerRenderer
from desktop.ui.profile_import_dialog import ProfileImportDialog
from desktop.ui.profile_pane import ProfilePane
from desktop.wording import plural

log = logging.getLogger(__name__)
SAVE_DELAY_MS = 300
PROFILE_ID = Qt.ItemDataRole.UserRole + 1


class ProfileEditorTab(QWidget):
    status_message = Signal(str)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._pending: Profile | None = None
        self._saving: Future[Profile] | None = None
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DELAY_MS)
        self._dialogs: list[QWidget] = []
        self.import_dialog: ProfileImportDialog | None = None
        self._tasks: set[asyncio.Future[None]] = set()
        # profile id → the updated_at this window last showed or wrote: a stored profile newer than
        # that was changed elsewhere (a bundle import, the CLI in another process) and is shown afresh
        self._seen: dict[int, float] = {}
        self.checker = LayerChecker(context, self)
        self.renderer = LayerRenderer(context, self)
        self._build_ui()
        self._connect()
        self._load()

    # --- building -----------------------------------------------------------------------

    def _build_ui(self) -> None:
        self.profile_list = QListWidget()
        self.profile_list.setAccessibleName("Cluster profiles")
        self.new_button = QPushButton("&New Profile")
        self.duplicate_button = QPushButton("D&uplicate")
        self.delete_button = QPushButton("De&lete…")
        self.import_button = QPushButton("&Import…")
        self.export_button = QPushButton("E&xport")
        export_menu = QMenu(self.export_button)
        export_menu.addAction("As Palette &JSON…", lambda: self.export_current("palette"))
        export_menu.addAction("As &helmfile.yaml…", lambda: self.export_current("helmfile"))
        self.export_button.setMenu(export_menu)
        buttons = QVBoxLayout()
        row_one, row_two = QHBoxLayout(), QHBoxLayout()
        for button in (self.new_button, self.duplicate_button, self.delete_button):
            row_one.addWidget(button)
        for button in (self.import_button, self.export_button):
            row_two.addWidget(button)
        buttons.addLayout(row_one)
        buttons.addLayout(row_two)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        heading = QLabel("Add-on cluster profiles")
        heading.setObjectName("sectionHeading")
        left_layout.addWidget(heading)
        left_layout.addWidget(self.profile_list, 1)
        left_layout.addLayout(buttons)

        self.pane = ProfilePane(self.context, self.checker, self.renderer)
        self.empty_new_button = QPushButton("New Profile")
        empty = empty_state(
            "No profile selected",
            "Create an add-on cluster profile, then add Helm charts from your registries as its layers.\n"
            "Profiles export as Palette JSON or helmfile.yaml.",
            self.empty_new_button,
        )
        self.stack = QStackedWidget()
        self.stack.addWidget(empty)
        self.stack.addWidget(self.pane)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.stack)
        splitter.setSizes([280, 1000])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        delete = QShortcut(
            QKeySequence.StandardKey.Delete, self.profile_list, context=Qt.ShortcutContext.WidgetShortcut
        )
        delete.activated.connect(self.confirm_delete)

    def _connect(self) -> None:
        self.new_button.clicked.connect(self.new_profile)
        self.empty_new_button.clicked.connect(self.new_profile)
        self.duplicate_button.clicked.connect(self.duplicate_current)
        self.delete_button.clicked.connect(self.confirm_delete)
        self.import_button.clicked.connect(self._on_import_clicked)
        self.profile_list.currentItemChanged.connect(self._on_profile_selected)
        self.pane.profile_edited.connect(self._on_profile_edited)
        self.pane.test_values_changed.connect(self._refresh_health)
        self._save_timer.timeout.connect(self._save_pending)
        self.context.bridge.catalog_changed.connect(self._on_catalog_changed)
        self.checker.files_arrived.connect(self._refresh_health)
        self.checker.checked.connect(self._refresh_health)
        self.renderer.rendered.connect(self._refresh_health)

    def _load(self, select_id: int | None = None) -> None:
        profiles = list_profiles(self.context.reader)
        self._seen = {p.id: p.updated_at for p in profiles if p.id is not None}
        current = select_id if select_id is not None else self.current_id()
        self.profile_list.blockSignals(True)
        self.profile_list.clear()
        for profile in profiles:
            self.profile_list.addItem(self._item(profile))
        self.profile_list.blockSignals(False)
        rows = [i for i in range(self.profile_list.count()) if self.profile_list.item(i).data(PROFILE_ID) == current]
        if rows:
            self.profile_list.setCurrentRow(rows[0])
        elif profiles:
            self.profile_list.setCurrentRow(0)
        else:
            self._on_profile_selected()
        has = bool(profiles)
        for button in (self.duplicate_button, self.delete_button, self.export_button):
            button.setEnabled(has)

    def _item(self, profile: Profile) -> QListWidgetItem:
        issues = problems(profile, layer_sources(self.context.reader, profile))
        failing = self.renderer.profile_errors(profile)  # known for the profile being edited
        errors = self.checker.profile_problems(profile) + failing
        broken = sum(
            1
            for row, layer in enumerate(profile.layers)
            if self.checker.problems(layer, profile) or self._does_not_render(profile, row)
        )
        mark = "✗ " if errors else ("⚠ " if issues else "")
        second = plural(len(profile.layers), "layer") + (f" · {broken} with errors" if broken else "")
        item = QListWidgetItem(f"{mark}{profile.name}  {profile.version}\n   {second}")
        item.setData(PROFILE_ID, profile.id)
        tips = errors[:8] + issues
        item.setToolTip("\n".join(tips) if tips else profile.description or profile.name)
        return item

    def _does_not_render(self, profile: Profile, row: int) -> bool:
        output = self.renderer.output(profile, row)
        return output is not None and output.error is not None

    def current_id(self) -> int | None:
        item = self.profile_list.currentItem()
        return int(item.data(PROFILE_ID)) if item is not None else None

    def _on_profile_selected(self) -> None:
        self.flush()
        profile_id = self.current_id()
        profile = next((p for p in list_profiles(self.context.reader) if p.id == profile_id), None)
        if profile is None:
            self.stack.setCurrentIndex(0)
            return
        self.stack.setCurrentWidget(self.pane)
        self.pane.edit(profile)

    def _on_catalog_changed(self) -> None:
        """After any change to the catalog: profiles added, removed or changed elsewhere (a bundle
        import, `chartkeeper profile …` in another process) are shown now; otherwise only the flags."""
        if self._pending is not None or (self._saving is not None and not self._saving.done()):
            self._refresh_health()  # the user's edit is on its way: it is not replaced under them
            return
        stored = {p.id: p.updated_at for p in list_profiles(self.context.reader) if p.id is not None}
        if stored.keys() != self._seen.keys() or any(at > self._seen[i] for i, at in stored.items()):
            self._load()  # re-selecting the current profile shows its layers afresh too
            return
        self._refresh_health()

    def _refresh_health(self) -> None:
        """After syncs: flags on profiles whose layers went away upstream or were deprecated."""
        by_id = {p.id: p for p in list_profiles(self.context.reader)}
        for row in range(self.profile_list.count()):
            item = self.profile_list.item(row)
            profile = by_id.get(item.data(PROFILE_ID))
            if profile is not None and self._pending is None:
                fresh = self._item(profile)
                item.setText(fresh.text())
                item.setToolTip(fresh.toolTip())

    # --- saving -------------------------------------------------------------------------

    def _on_profile_edited(self, profile: Profile) -> None:
        self._pending = profile
        self._save_timer.start()

    def _save_pending(self) -> Future[Profile] | None:
        profile, self._pending = self._pending, None
        if profile is None:
            return None
        future = self.context.worker.save_profile(profile)
        self._saving = future
        # Known before the worker says the catalog changed (done callbacks run as the save resolves):
        # the window's own save is not mistaken for a change made elsewhere.
        future.add_done_callback(self._note_saved)
        task = asyncio.ensure_future(self._after_save(future))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return future

    def _note_saved(self, future: Future[Profile]) -> None:
        if not future.cancelled() and future.exception() is None and future.result().id is not None:
            saved = future.result()
            self._seen[saved.id or 0] = saved.updated_at

    async def _after_save(self, future: Future[Profile]) -> None:
        try:
            saved = await asyncio.wrap_future(future)
        except Exception as exc:
            self.status_message.emit(f"Not saved: {failure_text(self.context, exc, 'Saving the profile')}")
            return
        row = self.profile_list.currentRow()
        item = self.profile_list.item(row) if row >= 0 else None
        if item is not None and item.data(PROFILE_ID) == saved.id:
            fresh = self._item(saved)
            item.setText(fresh.text())
            item.setToolTip(fresh.toolTip())

    def flush(self) -> Future[Profile] | None:
        """Start saving what is pending now (quitting, switching profiles); never waits. The worker
        finishes queued writes before it stops, so a save started at quitting still lands."""
        self._save_timer.stop()
        return self._save_pending() or self._saving

    def stop_waiting(self) -> None:
        """When the window closes: saves already started still land; nothing waits to show them."""
        for task in list(self._tasks):
            task.cancel()
        self.pane.layer_editor.stop_waiting()
        self.checker.stop_waiting()
        self.renderer.stop_waiting()

    async def _flushed(self) -> None:
        future = self.flush()
        if future is not None:
            with contextlib.suppress(Exception):  # _after_save reports it
                await asyncio.wrap_future(future)

    # --- actions ------------------------------------------------------------------------

    @asyncSlot()
    async def new_profile(self) -> None:
        await self._flushed()
        names = {p.name for p in list_profiles(self.context.reader)}
        name = "new-profile"
        number = 2
        while name in names:
            name, number = f"new-profile-{number}", number + 1
        saved = await self._save_now(Profile(uid="", name=name))
        if saved is not None:
            self._load(saved.id)
            self.pane.name_edit.setFocus()
            self.pane.name_edit.selectAll()

    @asyncSlot()
    async def duplicate_current(self) -> None:
        await self._flushed()
        profile = self.pane.profile
        if profile is None:
            return
        copy = Profile(
            uid="",
            name=free_copy_name(self.context.reader, profile.name),
            version=profile.version,
            description=profile.description,
            tags=profile.tags,
            layers=profile.layers,
            variables=profile.variables,
        )
        saved = await self._save_now(copy)
        if saved is not None:
            self._load(saved.id)

    async def _save_now(self, profile: Profile) -> Profile | None:
        future = self.context.worker.save_profile(profile)
        future.add_done_callback(self._note_saved)  # its own _load shows it: not a change made elsewhere
        try:
            return await asyncio.wrap_future(future)
        except UserError as exc:
            self.status_message.emit(exc.message)
            return None

    def confirm_delete(self) -> QMessageBox | None:
        profile = self.pane.profile
        if profile is None:
            return None
        box = confirm_box(
            self,
            "Delete Profile",
            f"Delete “{profile.name}”?",
            f"Its {plural(len(profile.layers), 'layer')} and their values overrides are deleted. "
            "Export it first if you may want it back.",
            "&Delete",
            lambda: self._delete(profile),
        )
        self._dialogs.append(box)
        box.open()
        return box

    @asyncSlot()
    async def _delete(self, profile: Profile) -> None:
        self._save_timer.stop()
        self._pending = None
        profile_id = profile.id or 0
        future = self.context.worker.delete_profile(profile_id)
        future.add_done_callback(lambda _future: self._seen.pop(profile_id, None))
        await asyncio.wrap_future(future)
        self._load()
        self.status_message.emit(f"Profile “{profile.name}” deleted.")

    def export_current(self, kind: str) -> QMessageBox | None:
        """Export the profile being edited; one with errors in its values, or a layer whose chart
        does not render with them, asks first."""
        self.flush()
        profile = self.pane.profile
        if profile is None:
            return None
        errors = self.checker.profile_problems(profile)
        checking = [
            f"{layer.chart} {layer.version}: still being checked against the chart's schema"
            for layer in profile.layers
            if self.checker.checking(layer, profile)
        ]
        failing = self.renderer.profile_errors(profile)
        if errors or checking or failing:
            box = ask_export_with_errors(
                self,
                profile,
                errors + failing + checking,
                lambda: self._choose_export_file(profile, kind),
                still_checking=not errors and not failing,
                not_rendering=bool(failing),
            )
            self._dialogs.append(box)
            return box
        self._choose_export_file(profile, kind)
        return None

    def _choose_export_file(self, profile: Profile, kind: str) -> None:
        suffix = "json" if kind == "palette" else "yaml"
        stem = "".join(ch if ch.isalnum() or ch in "._-" else "-" for ch in profile.name)
        default = f"{stem}-{profile.version}.{suffix}" if kind == "palette" else "helmfile.yaml"
        dialog = file_dialog(self, "Export profile", "profile", file_name=default)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        kind_filter = "Palette JSON (*.json)" if kind == "palette" else "helmfile (*.yaml *.yml)"
        dialog.setNameFilter(f"{kind_filter};;All files (*)")
        dialog.setDefaultSuffix(suffix)
        dialog.fileSelected.connect(lambda name: self.export_to(profile, kind, Path(name)))
        self._dialogs.append(dialog)
        dialog.open()

    @asyncSlot(object, str, object)
    async def export_to(self, profile: Profile, kind: str, path: Path) -> bool:
        """Write the export (and, for helmfile, its certificate files beside it) on the worker."""
        name = profile.name
        try:
            export: ProfileExport = await asyncio.wrap_future(self.context.worker.export_profile(name, kind, path))
        except UserError as exc:
            self.status_message.emit(f"Not exported: {exc.message}")
            return False
        beside = f" and {len(export.written) - 1} certificate file(s) beside it" if len(export.written) > 1 else ""
        notes = "".join(f" {note}" for note in export.notes)
        self.status_message.emit(f"Exported “{profile.name}” to {path}{beside}.{notes}")
        return True

    def _on_import_clicked(self) -> None:
        dialog = file_dialog(
            self, "Import a Palette profile export", "profile", name_filter="Profile exports (*.json);;All files (*)"
        )
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda name: self.import_from(Path(name)))
        self._dialogs.append(dialog)
        dialog.open()

    @asyncSlot(object)
    async def import_from(self, path: Path) -> list[str]:
        """Read the file, let the user review it (and choose registries where the file's match none
        here, or several), then import; nothing half-imported is left behind."""
        try:
            plan: ImportPlan = await asyncio.wrap_future(self.context.worker.plan_profile_import(path))
        except UserError as exc:
            self._show_import_problems([exc.message])
            return [exc.message]
        dialog = ProfileImportDialog(plan, {p.name for p in list_profiles(self.context.reader)}, self)
        self._dialogs.append(dialog)
        self.import_dialog = dialog
        choices = await dialog.ask()
        if choices is None:
            return []
        try:
            result = await asyncio.wrap_future(self.context.worker.apply_profile_import(plan, choices))
        except UserError as exc:
            self._show_import_problems([exc.message])
            return [exc.message]
        self._load(result.profile.id)
        saved = result.profile
        left_out = f"; {len(result.skipped)} pack(s) left out" if result.skipped else ""
        self.status_message.emit(f"Imported “{saved.name}” with {len(saved.layers)} layers{left_out}.")
        return []

    def _show_import_problems(self, found: list[str]) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Warning, "Import Profile", "Nothing was imported.", QMessageBox.StandardButton.Ok, self
        )
        box.setInformativeText("\n".join(f"• {problem}" for problem in found))
        self._dialogs.append(box)
        box.open()


def ask_export_with_errors(
    parent: QWidget,
    profile: Profile,
    errors: list[str],
    export_anyway: Callable[[], None],
    *,
    still_checking: bool = False,
    not_rendering: bool = False,
) -> QMessageBox:
    """Before exporting a profile whose values have errors, whose charts do not render with them (or
    whose values are still being checked against a schema): say which, and export only if asked to.
    Cancel is the default, so Enter does not write a broken file."""
    shown = "\n".join(f"• {line}" for line in errors[:8])
    if len(errors) > 8:
        shown += f"\n• … and {len(errors) - 8} more"
    if still_checking:
        heading, question = f"“{profile.name}”'s values are still being checked.", "Wait for the check, then export?"
    elif not_rendering:
        heading = f"“{profile.name}” has layers whose charts do not render with their values."
        question = "Helm would refuse to install them as they are. Fix the values first?"
    else:
        heading = f"“{profile.name}” has errors in its values."
        question = "The exported file would carry them to the cluster. Fix them first?"
    box = confirm_box(
        parent,
        "Export Profile",
        heading,
        f"{shown}\n\n{question}",
        "Export &Anyway",
        export_anyway,
        destructive=False,
    )
    box.open()
    return box

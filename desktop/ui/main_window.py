"""The main window: Tenant settings · Helm registries · Profile editor, a menu, and a status bar
that tells what the background worker is doing and which registries are offline."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QTabWidget,
    QToolButton,
    QWidget,
)

from desktop import __version__
from desktop.catalog.registries import summaries
from desktop.operations.sync_run import SyncResult
from desktop.ui.bundle_dialogs import BundleActions
from desktop.ui.catalog_search_dialog import CatalogSearchDialog
from desktop.ui.catalog_watch import CatalogWatch
from desktop.ui.context import AppContext
from desktop.ui.geometry import fit_to_screen, keep_on_screen
from desktop.ui.profile_editor_tab import ProfileEditorTab
from desktop.ui.registries_tab import RegistriesTab
from desktop.ui.resources import app_icon
from desktop.ui.settings_tab import TenantSettingsTab

SETTINGS_TAB, REGISTRIES_TAB, PROFILES_TAB = range(3)


class MainWindow(QMainWindow):
    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self._state = QSettings(str(context.paths.config_dir / "window.ini"), QSettings.Format.IniFormat)
        self.catalog_watch = CatalogWatch(context.reader, context.bridge, self)  # the CLI's changes, seen here
        self._build_ui()
        self._connect()
        self._load()

    # --- building -----------------------------------------------------------------------

    def _build_ui(self) -> None:
        self.setWindowTitle("Chartkeeper")
        self.setWindowIcon(app_icon())
        self.settings_tab = TenantSettingsTab(self.context)
        self.registries_tab = RegistriesTab(self.context)
        self.profile_editor_tab = ProfileEditorTab(self.context)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.settings_tab, "Tenant settings")
        self.tabs.addTab(self.registries_tab, "Helm registries")
        self.tabs.addTab(self.profile_editor_tab, "Profile editor")
        # Ctrl+1/2/3 switch tabs (View menu): Alt+letters belong to each tab's own fields and buttons.
        for index in range(self.tabs.count()):
            self.tabs.setTabToolTip(index, f"Ctrl+{index + 1}")
        self.setCentralWidget(self.tabs)

        file_menu = self.menuBar().addMenu("&File")
        self.add_action = QAction("&Add Helm Registry…", self, shortcut=QKeySequence(QKeySequence.StandardKey.New))
        self.sync_all_action = QAction("&Synchronize All", self, shortcut=QKeySequence("Ctrl+Shift+R"))
        self.import_action = QAction("Import fro&m Helm…", self)  # as on the Tenant settings tab
        self.quit_action = QAction("&Quit", self, shortcut=QKeySequence(QKeySequence.StandardKey.Quit))
        for action in (self.add_action, self.sync_all_action, self.import_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        self.bundle_actions = BundleActions(self.context, self)  # issue 10: export, import, publish bundles
        file_menu.addActions(self.bundle_actions.actions)
        self.setAcceptDrops(True)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        view_menu = self.menuBar().addMenu("&View")
        for index, name in enumerate(("Tenant settings", "Helm registries", "Profile editor")):
            action = QAction(name, self, shortcut=QKeySequence(f"Ctrl+{index + 1}"))
            action.triggered.connect(lambda _checked=False, index=index: self.tabs.setCurrentIndex(index))
            view_menu.addAction(action)
        view_menu.addSeparator()
        self.search_action = QAction("Search A&ll Charts…", self, shortcut=QKeySequence("Ctrl+K"))
        self.search_action.setToolTip("Which registry holds a chart: search every registry's charts")
        view_menu.addAction(self.search_action)
        help_menu = self.menuBar().addMenu("&Help")
        self.about_action = QAction("&About Chartkeeper", self)
        help_menu.addAction(self.about_action)

        self.sync_label = QLabel()
        self.sync_progress = QProgressBar()
        self.sync_progress.setMaximumWidth(160)
        self.sync_progress.setMaximumHeight(14)
        self.sync_progress.setTextVisible(False)
        self.cancel_sync_button = QToolButton()
        self.cancel_sync_button.setText("Cancel")
        self.cancel_sync_button.setToolTip("Cancel the running syncs")
        activity = QWidget()
        activity_layout = QHBoxLayout(activity)
        activity_layout.setContentsMargins(0, 0, 6, 0)
        activity_layout.addWidget(self.sync_label)
        activity_layout.addWidget(self.sync_progress)
        activity_layout.addWidget(self.cancel_sync_button)
        self.network_label = QLabel()
        self.network_label.setObjectName("certificateWarning")
        self.network_label.setContentsMargins(6, 0, 6, 0)
        # A rule between the network state and the sync activity, so the two never read as one.
        self.status_separator = QFrame()
        self.status_separator.setFrameShape(QFrame.Shape.VLine)
        self.status_separator.setFrameShadow(QFrame.Shadow.Sunken)
        self.statusBar().addPermanentWidget(self.network_label)
        self.statusBar().addPermanentWidget(self.status_separator)
        self.statusBar().addPermanentWidget(activity)

    def _connect(self) -> None:
        self.add_action.triggered.connect(self._on_add_triggered)
        self.sync_all_action.triggered.connect(self._on_sync_all_triggered)
        self.import_action.triggered.connect(self._on_import_triggered)
        self.quit_action.triggered.connect(self.close)
        self.about_action.triggered.connect(self._on_about_triggered)
        self.search_action.triggered.connect(self.open_catalog_search)
        self.cancel_sync_button.clicked.connect(self._on_cancel_sync_clicked)
        self.registries_tab.status_message.connect(self.show_message)
        self.settings_tab.status_message.connect(self.show_message)
        self.profile_editor_tab.status_message.connect(self.show_message)
        self.bundle_actions.status_message.connect(self.show_message)
        bridge = self.context.bridge
        bridge.sync_started.connect(self._update_activity)
        bridge.sync_progress.connect(self._on_sync_progress)
        bridge.sync_finished.connect(self._on_sync_finished)
        bridge.catalog_changed.connect(self._update_network_state)

    def _load(self) -> None:
        geometry = self._state.value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
            keep_on_screen(self)  # saved on a larger screen, say
        else:
            fit_to_screen(self, 1180, 740)
        self.tabs.setCurrentIndex(_int(self._state.value("tab", REGISTRIES_TAB), REGISTRIES_TAB))
        self._update_activity()
        self._update_network_state()

    # --- status -------------------------------------------------------------------------

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _update_activity(self) -> None:
        running = self.context.worker.running()
        busy = bool(running)
        self.sync_progress.setVisible(busy)
        self.cancel_sync_button.setVisible(busy)
        self._update_separator()
        if not busy:
            self.sync_label.setText("")
            return
        # Names come from the table's rows: no catalog query here, as this runs on every progress
        # event while the background worker is busiest.
        model = self.registries_tab.model
        names = [s.registry.name for s in model.summaries() if s.registry.id in running]
        shown = ", ".join(names[:2]) + (f" and {len(names) - 2} more" if len(names) > 2 else "")
        self.sync_label.setText(f"Syncing {shown}…" if shown else "Syncing…")
        if self.sync_progress.maximum() != 0:
            self.sync_progress.setRange(0, 0)

    def _on_sync_progress(self, _registry_id: int, phase: str, done: int, total: int | None) -> None:
        self._update_activity()
        if phase == "download" and total and len(self.context.worker.running()) == 1:
            self.sync_progress.setRange(0, total)
            self.sync_progress.setValue(min(done, total))
        elif self.sync_progress.maximum() != 0:
            self.sync_progress.setRange(0, 0)

    def _on_sync_finished(self, result: SyncResult) -> None:
        self._update_activity()
        self._update_network_state()
        name = result.registry.name
        if result.status == "updated":
            d = result.diff
            removed = f"{len(d.removed)} marked removed upstream (kept until pruned)" if d.removed else "0 removed"
            self.show_message(f"“{name}” synchronized: {len(d.added)} added, {removed}, {len(d.changed)} changed.")
        elif result.status == "unchanged":
            self.show_message(f"“{name}” is up to date.")
        elif result.status == "cancelled":
            self.show_message(f"Sync of “{name}” cancelled; its snapshot is unchanged.")
        elif result.status == "held":
            self.show_message(f"Sync of “{name}” held: {result.error} (⋮ → Accept Removals…)")
        else:
            self.show_message(f"Sync of “{name}” failed: {result.error}")

    def _update_network_state(self) -> None:
        offline = [s.registry.name for s in summaries(self.context.reader) if s.state.offline]
        if offline:
            shown = ", ".join(offline[:3]) + (f" and {len(offline) - 3} more" if len(offline) > 3 else "")
            self.network_label.setText(f"⚠ Offline: {shown} — using snapshots")
            self.network_label.setToolTip(
                "These registries could not be reached; their snapshots still work:\n" + "\n".join(offline)
            )
        else:
            self.network_label.setText("")
        self.network_label.setVisible(bool(offline))
        self._update_separator()

    def _update_separator(self) -> None:
        self.status_separator.setVisible(bool(self.network_label.text()) and bool(self.context.worker.running()))

    # --- actions ------------------------------------------------------------------------

    def _on_add_triggered(self) -> None:
        self.tabs.setCurrentIndex(REGISTRIES_TAB)
        self.registries_tab.open_add_dialog()

    def open_catalog_search(self) -> CatalogSearchDialog:
        self.tabs.setCurrentIndex(REGISTRIES_TAB)  # where the registry's browser it opens belongs
        return self.registries_tab.open_catalog_search()

    def _on_sync_all_triggered(self) -> None:
        from desktop.catalog.origins import synchronized_registries

        for registry in synchronized_registries(self.context.reader):  # the rule `registry sync` follows
            self.context.worker.sync(registry.id, "manual")

    def _on_import_triggered(self) -> None:
        self.tabs.setCurrentIndex(SETTINGS_TAB)
        self.settings_tab.import_button.click()

    def _on_cancel_sync_clicked(self) -> None:
        for registry_id in self.context.worker.running():
            self.context.worker.cancel_sync(registry_id)

    def _on_about_triggered(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "About Chartkeeper",
            f"Chartkeeper {__version__}",
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setIconPixmap(app_icon().pixmap(64, 64))
        box.setInformativeText(
            "An offline-first catalog of Helm chart registries and cluster profiles.\n\n"
            f"Data: {self.context.paths.data_dir}\nLog: {self.context.paths.log_file}"
        )
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.open()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.ActivationChange and self.isActiveWindow():
            self.catalog_watch.check()  # back from a terminal: what `chartkeeper` changed shows at once

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self.bundle_actions.drag_enter(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self.bundle_actions.drop(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.profile_editor_tab.flush()  # the last edit is saved before the worker stops
        self.profile_editor_tab.stop_waiting()
        self.catalog_watch.stop()
        self._state.setValue("geometry", self.saveGeometry())
        self._state.setValue("tab", self.tabs.currentIndex())
        self._state.sync()
        super().closeEvent(event)


def _int(value: object, default: int) -> int:
    """A stored setting read back as a whole number (QSettings may hand back text)."""
    try:
        return int(str(value))
    except ValueError:
        return default

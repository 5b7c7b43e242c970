"""The Helm registries tab: the table with its ⋮ menus, the filter (and what it found nothing for), the
empty state, the banner for registries whose snapshot stands in for them."""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QContextMenuEvent, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from desktop.catalog.browse import removed_count
from desktop.catalog.profiles import layer_source, list_profiles
from desktop.catalog.sync_records import sync_state
from desktop.errors import UserError
from desktop.operations.sync_run import SyncResult
from desktop.profiles.health import HealthState, layer_health
from desktop.registry import Registry
from desktop.timefmt import short_date
from desktop.ui.browse_charts_dialog import BrowseChartsDialog
from desktop.ui.catalog_search_dialog import CatalogSearchDialog
from desktop.ui.context import AppContext
from desktop.ui.forms import confirm_box, empty_state, escape_clears, home_end_rows
from desktop.ui.registry_dialog import RegistryDialog
from desktop.ui.registry_model import (
    ACCESS,
    ACTIONS,
    CHARTS,
    ENDPOINT,
    LAST_SYNC,
    NAME,
    REGISTRY_ROLE,
    SORT_ROLE,
    STATUS,
    SYNC,
    LiveSync,
    RegistryTableModel,
)
from desktop.ui.sync_history_dialog import SyncHistoryDialog
from desktop.wording import plural

log = logging.getLogger(__name__)


class ActionsDelegate(QStyledItemDelegate):
    """Draws the ⋮ cell as a button-like glyph and reports clicks on it."""

    clicked = Signal(QModelIndex)

    def editorEvent(
        self,
        event: QEvent,
        model: QAbstractItemModel,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        released = event.type() == QEvent.Type.MouseButtonRelease
        if released and isinstance(index, QModelIndex) and index.column() == ACTIONS:
            self.clicked.emit(index)
            return True
        return super().editorEvent(event, model, option, index)


class RegistriesTab(QWidget):
    status_message = Signal(str)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.model = RegistryTableModel(context.reader, context.clock, self)
        self.proxy = QSortFilterProxyModel(self)
        self._open_dialogs: list[QWidget] = []
        self._last_search = ""
        self._build_ui()
        self._connect()
        self._load()

    # --- building -----------------------------------------------------------------------

    def _build_ui(self) -> None:
        self.add_button = QPushButton("&Add New Helm Registry")
        self.add_button.setToolTip("Register a Helm chart repository (Ctrl+N)")
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter registries (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setMinimumWidth(260)
        self.filter_edit.setMaximumWidth(360)
        self.filter_edit.setAccessibleName("Filter registries")
        escape_clears(self.filter_edit)
        self.search_all_button = QPushButton("Search A&ll Charts…")
        self.search_all_button.setToolTip("Which registry holds a chart: search every registry's charts (Ctrl+K)")
        toolbar = QHBoxLayout()
        toolbar.addWidget(self.add_button)
        toolbar.addWidget(self.search_all_button)
        toolbar.addStretch(1)
        toolbar.addWidget(self.filter_edit)

        self.offline_banner = QFrame()
        self.offline_banner.setObjectName("offlineBanner")
        self.offline_text = QLabel()
        self.offline_text.setWordWrap(True)
        banner_layout = QHBoxLayout(self.offline_banner)
        banner_layout.addWidget(self.offline_text)
        self.offline_banner.hide()

        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)  # Tab moves between widgets; arrows move within the table
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().hide()
        self.table.setAccessibleName("Helm registries")
        home_end_rows(self.table)
        self.actions_delegate = ActionsDelegate(self.table)
        self.table.setItemDelegateForColumn(ACTIONS, self.actions_delegate)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        for column, mode in (
            (NAME, QHeaderView.ResizeMode.Interactive),  # sized in fit_columns, with room to spare
            (ENDPOINT, QHeaderView.ResizeMode.Interactive),
            (SYNC, QHeaderView.ResizeMode.Interactive),  # sized in fit_columns: a bundle's origin is long
            (ACCESS, QHeaderView.ResizeMode.ResizeToContents),
            (CHARTS, QHeaderView.ResizeMode.ResizeToContents),
            (LAST_SYNC, QHeaderView.ResizeMode.ResizeToContents),
            (STATUS, QHeaderView.ResizeMode.Interactive),
            (ACTIONS, QHeaderView.ResizeMode.Fixed),
        ):
            header.setSectionResizeMode(column, mode)
        header.resizeSection(ACTIONS, 40)
        self._columns_timer = QTimer(self)
        self._columns_timer.setSingleShot(True)
        self._columns_timer.setInterval(0)

        self.empty_add_button = QPushButton("Add New Helm Registry")
        self.empty_state = empty_state(
            "No Helm registries yet",
            "Register a chart repository to keep a local snapshot of its charts:\n"
            "they stay usable on this computer even when the registry cannot be reached.",
            self.empty_add_button,
        )

        self.no_match = QLabel()
        self.no_match.setObjectName("emptyText")
        self.no_match.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_match.setWordWrap(True)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_state)
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.no_match)
        layout = QVBoxLayout(self)
        layout.addLayout(toolbar)
        layout.addWidget(self.offline_banner)
        layout.addWidget(self.stack, 1)

        for keys, handler in (
            (QKeySequence.StandardKey.Delete, self._on_delete_pressed),
            (QKeySequence("Return"), self._on_browse_pressed),
            (QKeySequence("Enter"), self._on_browse_pressed),
            (QKeySequence("Ctrl+E"), self._on_edit_pressed),
            (QKeySequence("F2"), self._on_edit_pressed),
            (QKeySequence.StandardKey.Refresh, self._on_refresh_pressed),
            (QKeySequence("Ctrl+R"), self._on_refresh_pressed),
            (QKeySequence("Shift+F10"), self.open_current_menu),
        ):
            shortcut = QShortcut(keys, self.table, context=Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(handler)
        find = QShortcut(QKeySequence.StandardKey.Find, self, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(self.filter_edit.setFocus)

    def _connect(self) -> None:
        self.add_button.clicked.connect(self.open_add_dialog)
        self.empty_add_button.clicked.connect(self.open_add_dialog)
        self.search_all_button.clicked.connect(lambda _checked=False: self.open_catalog_search())
        self.filter_edit.textChanged.connect(self._on_filter_changed)
        self._columns_timer.timeout.connect(self.fit_columns)
        self.model.dataChanged.connect(lambda *_: self._columns_timer.start())
        self.table.customContextMenuRequested.connect(self._on_table_context_menu)
        self.table.installEventFilter(self)  # the keyboard's Menu key: see eventFilter
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.actions_delegate.clicked.connect(self._on_actions_clicked)
        bridge = self.context.bridge
        bridge.catalog_changed.connect(self.reload)
        bridge.sync_started.connect(self._on_sync_started)
        bridge.sync_progress.connect(self._on_sync_progress)
        bridge.sync_finished.connect(self._on_sync_finished)

    def _load(self) -> None:
        for registry_id, trigger in self.context.worker.running().items():
            self.model.set_live(registry_id, LiveSync(trigger))
        self.reload()
        self.check_reachability()

    @asyncSlot()
    async def check_reachability(self) -> None:
        """At launch, whether each registry answers (one bounded request each, no sync, off the UI
        thread); until its answer a row reads 'OK as of 15:36 — not checked since'."""
        pending = [
            asyncio.wrap_future(self.context.worker.probe(summary.registry)) for summary in self.model.summaries()
        ]
        for arriving in asyncio.as_completed(pending):
            try:
                reach = await arriving
            except Exception:  # a probe that could not even start: the row keeps its last known state
                log.warning("a reachability check failed", exc_info=True)
                continue
            self.model.set_reachability(reach)
            self._update_offline_banner()

    def reload(self) -> None:
        selected = self.selected_registry()
        self.model.reload()
        self._show_page()
        self._update_offline_banner()
        if selected is not None:
            self.select_registry(selected.id)
        self._columns_timer.start()

    def _show_page(self) -> None:
        """The table; or, with no registries, the empty state; or what the filter found nothing for."""
        if not self.model.rowCount():
            self.stack.setCurrentWidget(self.empty_state)
        elif not self.proxy.rowCount():
            self.no_match.setText(
                f"No registries match “{self.filter_edit.text()}”.\nPress Escape to clear the filter."
            )
            self.stack.setCurrentWidget(self.no_match)
        else:
            self.stack.setCurrentWidget(self.table)

    def _on_filter_changed(self, text: str) -> None:
        self.proxy.setFilterFixedString(text)
        self._show_page()

    def _update_offline_banner(self) -> None:
        """Registries whose last sync failed, unreachable or not: their snapshots stand in for them."""
        standing_in = [
            s
            for s in self.model.summaries()
            if (s.state.last_error or self.model.status(s).kind == "offline") and self.model.live(s.registry.id) is None
        ]
        self.offline_banner.setVisible(bool(standing_in))
        if not standing_in:
            return

        def snapshot(summary: object) -> str:
            at = summary.state.snapshot_at  # type: ignore[attr-defined]
            return short_date(at) if at else "its registration"

        def why(summary: object) -> str:
            state = summary.state  # type: ignore[attr-defined]
            if not state.last_error:
                return "not answering"
            return "sync held" if state.last_error_kind == "held" else "unreachable" if state.offline else "sync failed"

        if len(standing_in) == 1:
            summary = standing_in[0]
            name = summary.registry.name
            if summary.state.last_error_kind == "held":
                text = (
                    f"⚠ {name}'s last sync was held, not applied — using its snapshot of {snapshot(summary)}. "
                    "If the removals are real, ⋮ → Accept Removals… applies them."
                )
            elif summary.state.offline or not summary.state.last_error:
                text = f"⚠ {name} is unreachable — using its snapshot of {snapshot(summary)}."
            else:
                text = f"⚠ {name} could not be synced — using its snapshot of {snapshot(summary)}."
        else:
            parts = [f"{s.registry.name} ({why(s)}, {snapshot(s)})" for s in standing_in]
            text = f"⚠ {len(standing_in)} registries use their snapshots: " + ", ".join(parts) + "."
        self.offline_text.setText(text + " Everything in a snapshot keeps working; the Status column says why.")

    # --- columns ------------------------------------------------------------------------

    def fit_columns(self) -> None:
        """Columns as wide as their content (Name with room to spare). When Synchronization, Endpoint
        and Status do not all fit, Synchronization takes up to 30 % of the table (where a bundle or a
        subscription is named at length) and Endpoint and Status share what is left by what they need;
        what one of them does not need goes back to the others, so no column is cut while another
        stands half empty (their tooltips hold what is cut)."""
        header = self.table.horizontalHeader()
        available = self.table.viewport().width()

        def want(column: int) -> int:
            return max(self.table.sizeHintForColumn(column), header.sectionSizeFromContents(column).width()) + 8

        header.resizeSection(NAME, want(NAME) + 12)  # "openfaas" with room: not flush against Endpoint
        flexible = (SYNC, ENDPOINT, STATUS)
        fixed = sum(header.sectionSize(c) for c in range(self.model.columnCount()) if c not in flexible)
        room = max(0, available - fixed)
        wants = {column: want(column) for column in flexible}
        if sum(wants.values()) <= room:
            sizes = dict(wants)
            sizes[STATUS] += room - sum(wants.values())  # the spare room: after the column that changes
        else:
            sync = min(wants[SYNC], max(160, round(available * 0.3)))
            rest = max(0, room - sync)
            # Endpoint: its whole text, up to 45 % of the rest; Status: the rest (at least what it
            # needs when that fits), since it is the column that changes and says what to do.
            endpoint = min(wants[ENDPOINT], max(140, round(rest * 0.45)))
            if wants[ENDPOINT] + wants[STATUS] <= rest:
                endpoint = wants[ENDPOINT]
            status = max(160, rest - endpoint)
            spare = status - wants[STATUS]
            if spare > 0:  # Status needs less: the cut columns take it back
                status = wants[STATUS]
                for_endpoint = min(spare, wants[ENDPOINT] - endpoint)
                endpoint += for_endpoint
                sync += min(spare - for_endpoint, wants[SYNC] - sync)
                status += max(0, room - sync - endpoint - status)
            sizes = {SYNC: sync, ENDPOINT: endpoint, STATUS: status}
        for column, size in sizes.items():
            header.resizeSection(column, size)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._columns_timer.start()

    # --- selection ----------------------------------------------------------------------

    def selected_registry(self) -> Registry | None:
        index = self.table.currentIndex()
        return index.data(REGISTRY_ROLE) if index.isValid() else None

    def select_registry(self, registry_id: int) -> None:
        row = self.model.row_of(registry_id)
        if row is None:
            return
        index = self.proxy.mapFromSource(self.model.index(row, NAME))
        if index.isValid():
            self.table.setCurrentIndex(index)
            self.table.selectRow(index.row())

    # --- menus --------------------------------------------------------------------------

    def actions_menu(self, registry: Registry) -> QMenu:
        menu = QMenu(self)
        menu.addAction("&Browse Charts…", lambda: self.open_browser(registry))
        menu.addSeparator()
        syncing = self.model.live(registry.id) is not None
        if syncing:
            menu.addAction("&Cancel Sync", lambda: self.context.worker.cancel_sync(registry.id))
        else:
            menu.addAction("&Synchronize", lambda: self.synchronize(registry))
            if sync_state(self.context.reader, registry.id).last_error_kind == "held":
                menu.addAction("&Accept Removals…", lambda: self.confirm_accept_removals(registry))
        menu.addAction("&Edit…", lambda: self.open_edit_dialog(registry))
        menu.addAction("Sync &History…", lambda: self.open_history(registry))
        removed = removed_count(self.context.reader, registry.id)
        if removed:
            menu.addAction(
                f"&Prune {plural(removed, 'Removed Version')}…", lambda: self.confirm_prune(registry, removed)
            )
        menu.addSeparator()
        menu.addAction("&Remove…", lambda: self.confirm_remove(registry))
        return menu

    def _on_actions_clicked(self, index: QModelIndex) -> None:
        registry = index.data(REGISTRY_ROLE)
        rect = self.table.visualRect(index)
        self.table.setCurrentIndex(index)
        self.actions_menu(registry).popup(self.table.viewport().mapToGlobal(rect.bottomLeft()))

    def _on_table_context_menu(self, position: QPoint) -> None:
        """A right-click: the menu of the row under the pointer (`position` is in the viewport's
        coordinates; the keyboard's menu comes through `eventFilter`)."""
        index = self.table.indexAt(position)
        if not index.isValid():
            self.open_current_menu()
            return
        self.actions_menu(index.data(REGISTRY_ROLE)).popup(self.table.viewport().mapToGlobal(position))

    def open_current_menu(self) -> QMenu | None:
        """The ⋮ menu of the selected registry, under its name: the Menu key and Shift+F10."""
        index = self.table.currentIndex()
        if not index.isValid():
            if not self.proxy.rowCount():
                return None
            index = self.proxy.index(0, NAME)
            self.table.setCurrentIndex(index)
        rect = self.table.visualRect(index.siblingAtColumn(NAME))
        menu = self.actions_menu(index.data(REGISTRY_ROLE))
        menu.popup(self.table.viewport().mapToGlobal(rect.bottomLeft()))
        return menu

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The Menu key sends the table a context-menu event placed in the table's own coordinates,
        which Qt then reads as the viewport's: a header's height lower, on the next row. So a
        keyboard's menu is always the selected registry's. The columns are fitted again whenever
        the table is shown or resized (a registry imported while another tab was showing)."""
        if watched is self.table and event.type() in (QEvent.Type.Show, QEvent.Type.Resize):
            self._columns_timer.start()
        if (
            watched is self.table
            and isinstance(event, QContextMenuEvent)
            and event.reason() == QContextMenuEvent.Reason.Keyboard
        ):
            self.open_current_menu()
            return True
        return super().eventFilter(watched, event)

    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        if index.column() != ACTIONS:
            self.open_browser(index.data(REGISTRY_ROLE))

    def _on_browse_pressed(self) -> None:
        registry = self.selected_registry()
        if registry is not None:
            self.open_browser(registry)

    def _on_delete_pressed(self) -> None:
        registry = self.selected_registry()
        if registry is not None:
            self.confirm_remove(registry)

    def _on_edit_pressed(self) -> None:
        registry = self.selected_registry()
        if registry is not None:
            self.open_edit_dialog(registry)

    def _on_refresh_pressed(self) -> None:
        registry = self.selected_registry()
        if registry is not None:
            self.synchronize(registry)

    # --- actions ------------------------------------------------------------------------

    def open_add_dialog(self) -> RegistryDialog:
        dialog = RegistryDialog(self.context, None, self)
        dialog.accepted.connect(lambda: self._on_dialog_saved(dialog))
        self._show(dialog)
        return dialog

    def open_edit_dialog(self, registry: Registry) -> RegistryDialog:
        dialog = RegistryDialog(self.context, registry, self)
        dialog.accepted.connect(lambda: self._on_dialog_saved(dialog))
        self._show(dialog)
        return dialog

    def open_browser(self, registry: Registry) -> BrowseChartsDialog:
        dialog = BrowseChartsDialog(self.context, registry, self)
        dialog.status_message.connect(self.status_message)
        self._show(dialog)
        return dialog

    def open_catalog_search(self, text: str | None = None) -> CatalogSearchDialog:
        """Search All Charts (Ctrl+K), starting from the last search of the session; Enter on a chart
        opens it in its registry's browser."""
        dialog = CatalogSearchDialog(self.context, self._last_search if text is None else text, self)
        dialog.search_edit.textChanged.connect(self._remember_search)
        dialog.chart_chosen.connect(self.open_chart)
        self._show(dialog)
        return dialog

    def _remember_search(self, text: str) -> None:
        self._last_search = text

    def open_chart(self, registry: Registry, chart: str) -> BrowseChartsDialog:
        dialog = self.open_browser(registry)
        dialog.show_chart_named(chart)
        return dialog

    def open_history(self, registry: Registry) -> SyncHistoryDialog:
        dialog = SyncHistoryDialog(
            self.context.reader, registry, self, accept_removals=lambda: self.confirm_accept_removals(registry)
        )
        self._show(dialog)
        return dialog

    def _show(self, dialog: QWidget) -> None:
        self._open_dialogs.append(dialog)
        dialog.finished.connect(lambda _code: self._open_dialogs.remove(dialog))  # type: ignore[attr-defined]
        dialog.open()  # type: ignore[attr-defined]

    def _on_dialog_saved(self, dialog: RegistryDialog) -> None:
        self.reload()
        registry = dialog.result_registry
        if registry is None:
            return
        self.select_registry(registry.id)
        result, summary = dialog.sync_result, dialog.import_summary
        if result is not None and summary is not None:
            brought = ", ".join(f"{outcome.name} {outcome.action}" for outcome in summary.registries) or "no registries"
            self.status_message.emit(
                f"Subscribed “{registry.name}” to the catalog at {registry.endpoint}: {brought}; "
                f"{plural(len(result.diff.added), 'chart version')} served there."
            )
        elif result is not None:
            charts = len({chart for chart, _ in result.diff.added})
            self.status_message.emit(
                f"Registry “{registry.name}” added: {plural(charts, 'chart')}, "
                f"{plural(len(result.diff.added), 'version')}."
            )
        else:
            self.status_message.emit(f"Registry “{registry.name}” saved.")

    def confirm_remove(self, registry: Registry) -> QMessageBox:
        row = self.model.row_of(registry.id)
        summary = self.model.summary(row) if row is not None else None
        lost = (
            f"its snapshot of {plural(summary.chart_count, 'chart')} ({plural(summary.version_count, 'version')})"
            " and its sync history"
            if summary
            else "its snapshot and sync history"
        )
        secret = "token" if registry.token_auth else "password"
        box = confirm_box(
            self,
            "Remove Helm Registry",
            f"Remove “{registry.name}”?",
            f"This deletes {lost} from this computer"
            + (f", and its {secret} from the keyring" if registry.is_private else "")
            + ". Adding it again needs the registry to be reachable.",
            "&Remove",
            lambda: self._remove(registry),
        )
        self._show(box)
        return box

    @asyncSlot()
    async def _remove(self, registry: Registry) -> None:
        try:
            await asyncio.wrap_future(self.context.worker.remove(registry.id))
        except UserError as exc:  # anything else is a bug: the excepthook shows where the log is
            self.status_message.emit(f"Could not remove “{registry.name}”: {exc.message}")
            return
        self.status_message.emit(f"Registry “{registry.name}” removed.")

    def synchronize(self, registry: Registry) -> None:
        self.context.worker.sync(registry.id, "manual")

    def confirm_accept_removals(self, registry: Registry) -> QMessageBox:
        """A held sync: say what it would remove, and apply it only on the user's word."""
        reason = sync_state(self.context.reader, registry.id).last_error or "the new index lacks many versions"
        box = confirm_box(
            self,
            "Accept Removals",
            f"Apply the held sync of “{registry.name}”?",
            f"{reason[:1].upper()}{reason[1:]}\n\nAccepting syncs again and marks what the index lacks as "
            "removed upstream. Those versions stay usable here until you prune them.",
            "&Accept Removals",
            lambda: self.accept_removals(registry),
            destructive=False,
        )
        self._show(box)
        return box

    def accept_removals(self, registry: Registry) -> None:
        self.context.worker.sync(registry.id, "manual", accept_removals=True)

    def confirm_prune(self, registry: Registry, count: int) -> QMessageBox:
        used = self._removed_versions_in_profiles(registry)
        warning = ""
        if used:
            shown = "; ".join(used[:5]) + (f"; and {len(used) - 5} more" if len(used) > 5 else "")
            warning = (
                f"\n\nProfiles use {'one of them' if len(used) == 1 else f'{len(used)} of them'}: "
                f"{shown}. After pruning, "
                + ("that layer names" if len(used) == 1 else "those layers name")
                + " a version this computer no longer knows."
            )
        box = confirm_box(
            self,
            "Prune Removed Versions",
            f"Delete {'the version' if count == 1 else f'the {count:,} versions'} that left the index of "
            f"“{registry.name}”?",
            "They are kept in the snapshot, marked removed upstream, so profiles and offline work can still use "
            "them. Pruning deletes them from this computer for good; the registry no longer lists them." + warning,
            "&Prune",
            lambda: self._prune(registry),
        )
        self._show(box)
        return box

    def _removed_versions_in_profiles(self, registry: Registry) -> list[str]:
        """'edge-site: longhorn 103.2.3' for each profile layer on a version of `registry` that a prune
        would delete."""
        found = []
        for profile in list_profiles(self.context.reader):
            for layer in profile.layers:
                if layer.registry_uid != registry.uid:
                    continue
                if layer_health(layer, layer_source(self.context.reader, layer)).state == HealthState.REMOVED_UPSTREAM:
                    found.append(f"{profile.name}: {layer.chart} {layer.version}")
        return found

    @asyncSlot()
    async def _prune(self, registry: Registry) -> None:
        try:
            count = await asyncio.wrap_future(self.context.worker.prune(registry.id))
        except UserError as exc:
            self.status_message.emit(f"Not pruned: {exc.message}")
            return
        self.reload()
        self.status_message.emit(f"Pruned {plural(count, 'removed version')} from “{registry.name}”.")

    # --- sync events --------------------------------------------------------------------

    def _on_sync_started(self, registry_id: int, trigger: str) -> None:
        self.model.set_live(registry_id, LiveSync(trigger))

    def _on_sync_progress(self, registry_id: int, phase: str, done: int, total: int | None) -> None:
        live = self.model.live(registry_id)
        if live is not None:
            live.phase, live.done, live.total = phase, done, total
            self.model.set_live(registry_id, live)

    def _on_sync_finished(self, result: SyncResult) -> None:
        self.model.set_live(result.registry.id, None)
        self.reload()

"""A chart's details: icon, description and links, its versions (app version, created date,
whether each is kept offline; prereleases behind a toggle), Keep offline / Remove offline copy,
and the README, values.yaml and schema from its archive."""

from __future__ import annotations

import asyncio
import html
import logging
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import (
    QItemSelectionModel,
    QObject,
    Qt,
    Signal,
)
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.catalog.archives import OfflineState, offline_states
from desktop.catalog.browse import VersionInfo, version_infos
from desktop.catalog.charts import get_chart_version
from desktop.catalog.sync_records import sync_state
from desktop.errors import UserError
from desktop.helm.chart_archive import ChartFiles
from desktop.registry import Registry
from desktop.timefmt import local_date
from desktop.ui.chart_icons import ChartIconCache
from desktop.ui.code_editor import CodeEditor
from desktop.ui.context import AppContext
from desktop.ui.failure_text import failure_text
from desktop.ui.forms import home_end_rows
from desktop.ui.style import accent_colors
from desktop.ui.table_model import ModelIndex, RowsTableModel
from desktop.ui.yaml_highlighter import YamlHighlighter
from desktop.wording import plural

log = logging.getLogger(__name__)
VERSION, APP_VERSION, CREATED, OFFLINE = range(4)
VERSION_HEADERS = ("Version", "App version", "Created", "Offline")
LINK_TEXT_LIMIT = 60


def monospace_editor(read_only: bool, *, line_numbers: bool = False) -> CodeEditor:
    editor = CodeEditor(line_numbers=line_numbers)
    editor.setReadOnly(read_only)
    editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    return editor


def offline_text(state: OfflineState | None) -> str:
    """The Offline column: a tick only where the files are on this computer."""
    if state is None:
        return ""
    users = ""
    if state.profiles:
        users = state.profiles[0] if len(state.profiles) == 1 else plural(len(state.profiles), "profile")
    if state.kept and not state.cached:  # kept, but its download has not succeeded yet
        return f"⚠ Not here (in {users})" if users else "⚠ Not here (pinned)"
    if state.pinned:
        return "✓ Kept offline"
    if state.profiles:
        return "✓ In " + users
    return "Cached" if state.cached else ""


# GitHub's dialect as Qt reads it, but for md4c's underline: `_italic_` is emphasis on GitHub (and in
# CommonMark), which Qt's GitHub dialect draws underlined, broken at each code span (issue 25).
_MD_UNDERLINE = 0x4000
README_MARKDOWN = QTextDocument.MarkdownFeature(
    int(QTextDocument.MarkdownFeature.MarkdownDialectGitHub.value) & ~_MD_UNDERLINE
)


def show_markdown(view: QTextBrowser, text: str) -> None:
    """A README as GitHub shows it: tables, task lists, strikethrough, `_x_` and `*x*` in italics."""
    view.document().setMarkdown(text, README_MARKDOWN)


class VersionsModel(RowsTableModel[VersionInfo]):
    """A chart's versions, newest first, with whether each can be read offline."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(VERSION_HEADERS, parent)
        self.offline: dict[str, OfflineState] = {}

    def set_rows(self, rows: list[VersionInfo], offline: dict[str, OfflineState]) -> None:
        self.beginResetModel()
        self.rows, self.offline = rows, offline
        self.endResetModel()

    def set_offline(self, offline: dict[str, OfflineState]) -> None:
        self.offline = offline
        if self.rows:
            self.dataChanged.emit(self.index(0, OFFLINE), self.index(len(self.rows) - 1, OFFLINE))

    def row_of(self, version: str) -> int | None:
        return next((i for i, row in enumerate(self.rows) if row.version == version), None)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index)
        if row is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == VERSION:
                marks = [m for m, on in (("deprecated", row.deprecated), ("prerelease", row.prerelease)) if on]
                if row.removed_at is not None:
                    marks.insert(0, f"removed upstream {local_date(row.removed_at)}")
                return row.version + (f"  ({', '.join(marks)})" if marks else "")
            if column == APP_VERSION:
                return row.app_version or "—"
            if column == CREATED:
                return row.created[:10] or "—"
            return offline_text(self.offline.get(row.version))
        if role == Qt.ItemDataRole.ToolTipRole and column == OFFLINE:
            state = self.offline.get(row.version)
            if state is None or not (state.cached or state.kept):
                return "Not on this computer: its files need the registry."
            if not state.cached:
                who = f"{', '.join(state.profiles)} {'use' if len(state.profiles) > 1 else 'uses'} this version"
                return (
                    f"{who if state.profiles else 'Pinned'}, but its files are not on this computer: the registry "
                    "could not give them yet. They are fetched when it can; Keep offline tries now."
                )
            if state.profiles:
                return f"Kept offline while these profiles use it: {', '.join(state.profiles)}"
            return "Kept offline (pinned)." if state.pinned else "Cached: may be removed when space is needed."
        if role == Qt.ItemDataRole.ToolTipRole and column == VERSION and row.removed_at is not None:
            return (
                f"This version left the registry's index on {local_date(row.removed_at)}. It is kept here "
                "(still usable) until the registry is pruned; clusters may no longer pull it from the registry."
            )
        if role == Qt.ItemDataRole.ForegroundRole and row.removed_at is not None:
            return accent_colors(QApplication.palette())["muted"]
        if role == Qt.ItemDataRole.ToolTipRole and column == CREATED:
            return row.created or None
        if role == Qt.ItemDataRole.UserRole:
            return row.version
        return None


class ChartDetails(QWidget):
    """Shows one chart of one registry; `version_changed` tells which version is selected."""

    version_changed = Signal(str)
    files_loaded = Signal(object)  # ChartFiles, or None when they could not be had
    status_message = Signal(str)

    def __init__(self, context: AppContext, icons: ChartIconCache | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.icons = icons or ChartIconCache(context.reader)
        self.registry: Registry | None = None
        self.chart = ""
        self.files: ChartFiles | None = None
        self._all_rows: list[VersionInfo] = []
        self._request = 0
        self._pending: asyncio.Future[None] | None = None
        self._pending_provenance: asyncio.Future[None] | None = None
        self._tasks: set[asyncio.Future[None]] = set()
        self._build_ui()
        self._connect()

    def _build_ui(self) -> None:
        self.icon_label = QLabel()
        self.icon_label.setFixedSize(48, 48)
        self.title = QLabel()
        self.title.setObjectName("emptyTitle")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)
        self.badges = QLabel()
        self.badges.setObjectName("certificateWarning")
        self.badges.setWordWrap(True)
        heading = QVBoxLayout()
        heading.setSpacing(2)
        heading.addWidget(self.title)
        heading.addWidget(self.badges)
        header = QHBoxLayout()
        header.addWidget(self.icon_label, 0, Qt.AlignmentFlag.AlignTop)
        header.addLayout(heading, 1)
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        self.facts.setOpenExternalLinks(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)

        self.versions_model = VersionsModel(self)
        self.versions = QTableView()
        self.versions.setModel(self.versions_model)
        self.versions.setAccessibleName("Versions")
        home_end_rows(self.versions)
        self.versions.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.versions.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.versions.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.versions.setTabKeyNavigation(False)
        self.versions.setWordWrap(False)
        self.versions.setTextElideMode(Qt.TextElideMode.ElideRight)  # a long build version keeps its start
        self.versions.verticalHeader().hide()
        self.versions.setAlternatingRowColors(True)
        header_view = self.versions.horizontalHeader()
        header_view.setHighlightSections(False)
        header_view.setSectionResizeMode(VERSION, QHeaderView.ResizeMode.Stretch)
        for column in (APP_VERSION, CREATED, OFFLINE):
            header_view.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.versions.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.prerelease_check = QCheckBox("Show p&rereleases")
        self.offline_button = QPushButton("&Keep offline")
        self.offline_button.setAutoDefault(False)
        versions_label = QLabel("V&ersions:")
        versions_label.setBuddy(self.versions)
        version_bar = QHBoxLayout()
        version_bar.addWidget(versions_label)
        version_bar.addStretch(1)
        version_bar.addWidget(self.prerelease_check)
        version_bar.addWidget(self.offline_button)
        versions_box = QWidget()
        versions_layout = QVBoxLayout(versions_box)
        versions_layout.setContentsMargins(0, 0, 0, 0)
        versions_layout.addLayout(version_bar)
        versions_layout.addWidget(self.versions, 1)

        self.status = QLabel()
        self.status.setObjectName("formHint")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.provenance = QLabel()  # who signed the version's .prov, as Helm verifies it
        self.provenance.setObjectName("formHint")
        self.provenance.setWordWrap(True)
        self.provenance.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.provenance.hide()
        self.readme_view = QTextBrowser()
        self.readme_view.setOpenExternalLinks(True)
        self.values_view = monospace_editor(read_only=True, line_numbers=True)
        self._highlighter = YamlHighlighter(self.values_view.document())
        self.schema_view = monospace_editor(read_only=True, line_numbers=True)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.readme_view, "README")
        self.tabs.addTab(self.values_view, "values.yaml")
        self.tabs.addTab(self.schema_view, "Schema")
        files = QWidget()
        files_layout = QVBoxLayout(files)
        files_layout.setContentsMargins(0, 0, 0, 0)
        files_layout.addWidget(self.status)
        files_layout.addWidget(self.provenance)
        files_layout.addWidget(self.tabs, 1)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(versions_box)
        self.splitter.addWidget(files)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([170, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.facts)
        layout.addWidget(self.splitter, 1)

    def _connect(self) -> None:
        self.versions.selectionModel().currentRowChanged.connect(lambda *_: self._on_version_selected())
        self.prerelease_check.toggled.connect(lambda _checked: self._fill_versions(self.version()))
        self.offline_button.clicked.connect(self._on_offline_clicked)

    # --- showing a chart ----------------------------------------------------------------

    def show_chart(self, registry: Registry, chart: str, version: str | None = None) -> None:
        """Show the chart (from the snapshot) and load the selected version's files."""
        self.registry, self.chart = registry, chart
        reader = self.context.reader
        self._all_rows = version_infos(reader, registry, chart)
        wanted = version or next((r.version for r in self._all_rows if not r.prerelease), None)
        if wanted is None and self._all_rows:
            wanted = self._all_rows[0].version
        if wanted and any(r.version == wanted and r.prerelease for r in self._all_rows):
            self.prerelease_check.setChecked(True)
        self.icon_label.setPixmap(self.icons.pixmap(registry.id, chart, 48))
        self.title.setText(
            f"{html.escape(chart)}  <span style='font-weight: normal; font-size: 11pt'>"
            f"from {html.escape(registry.name)}</span>"
        )
        self._fill_versions(wanted)

    def version(self) -> str | None:
        index = self.versions.currentIndex()
        data = index.siblingAtColumn(VERSION).data(Qt.ItemDataRole.UserRole) if index.isValid() else None
        return str(data) if data is not None else None

    def select_version(self, version: str) -> None:
        if not self.prerelease_check.isChecked() and any(r.version == version and r.prerelease for r in self._all_rows):
            self.prerelease_check.setChecked(True)
        row = self.versions_model.row_of(version)
        if row is not None:
            self.versions.selectionModel().setCurrentIndex(
                self.versions_model.index(row, VERSION),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )

    def _fill_versions(self, keep: str | None) -> None:
        show_pre = self.prerelease_check.isChecked()
        rows = [r for r in self._all_rows if show_pre or not r.prerelease or r.version == keep]
        offline = offline_states(self.context.reader, self.registry.uid, self.chart) if self.registry else {}
        selection = self.versions.selectionModel()
        selection.blockSignals(True)
        self.versions_model.set_rows(rows, offline)
        row = self.versions_model.row_of(keep) if keep else None
        if row is None and rows:
            row = 0
        if row is not None:
            selection.setCurrentIndex(
                self.versions_model.index(row, VERSION),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
            self.versions.scrollTo(self.versions_model.index(row, VERSION))
        selection.blockSignals(False)
        self._on_version_selected()

    def _on_version_selected(self) -> None:
        version = self.version()
        if self.registry is None or version is None:
            return
        detail = get_chart_version(self.context.reader, self.registry, self.chart, version)
        badges = []
        if detail.deprecated:
            badges.append("⚠ Deprecated")
        state = sync_state(self.context.reader, self.registry.id)
        if state.offline:
            badges.append(f"⚠ {self.registry.name} cannot be reached now: what is shown comes from its snapshot")
        self.badges.setText("   ".join(badges))
        self.badges.setVisible(bool(badges))
        self.facts.setText(_facts_html(detail.meta))
        self._update_offline_button()
        self.version_changed.emit(version)
        self._load_files(version)

    def refresh_offline(self) -> None:
        """After a pin, unpin or sync: the Offline column and the button."""
        if self.registry is None:
            return
        self.versions_model.set_offline(offline_states(self.context.reader, self.registry.uid, self.chart))
        self._update_offline_button()

    def _update_offline_button(self) -> None:
        version = self.version()
        state = self.versions_model.offline.get(version or "")
        button = self.offline_button
        button.setEnabled(version is not None)
        if state is not None and state.pinned:
            button.setText("Remove offline &copy")
            button.setToolTip("Stop keeping this version offline and delete its files from this computer")
        elif state is not None and state.profiles and state.cached:
            button.setText("&Keep offline")
            button.setEnabled(False)
            button.setToolTip(f"Kept offline already: {', '.join(state.profiles)} uses it")
        elif state is not None and state.profiles:
            button.setText("&Keep offline")
            button.setToolTip(
                f"{', '.join(state.profiles)} uses it, but its files are not on this computer: download them now"
            )
        else:
            button.setText("&Keep offline")
            button.setToolTip("Keep this version's files on this computer, for use without the network")

    def _failure_text(self, error: UserError, version: str | None = None, *, hint: bool = True) -> str:
        """Why a version's files could not be had, and what to do. The fetch's own words for a 404
        ("the index lists it…; sync the registry") are not true of a version the index dropped."""
        version = version if version is not None else self.version() or ""
        row = next((r for r in self._all_rows if r.version == version), None)
        if row is None or row.removed_at is None:
            keep = " Use Keep offline while the registry can be reached to have them here." if hint else ""
            return error.message + keep
        removed = f"it no longer lists this version (removed upstream on {local_date(row.removed_at)})"
        if "(404 Not Found)" in error.message:
            return f"{removed}, and no longer serves its files."
        return f"{removed}. {error.message}"

    # --- Keep offline / Remove offline copy ------------------------------------------------

    def _on_offline_clicked(self) -> None:
        version = self.version()
        if self.registry is None or version is None:
            return
        state = self.versions_model.offline.get(version)
        registry, chart = self.registry, self.chart
        self.offline_button.setEnabled(False)
        if state is not None and state.pinned:
            self.status.setText(f"Removing the offline copy of {chart} {version}…")
            future: Future[Any] = self.context.worker.remove_offline_copy(registry.id, chart, version)
        else:
            self.status.setText(f"Keeping {chart} {version} offline: downloading its files…")
            future = self.context.worker.pin(registry.id, chart, version)
        task = asyncio.ensure_future(self._after_offline_change(future, registry, chart, version))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _after_offline_change(self, future: Future[Any], registry: Registry, chart: str, version: str) -> None:
        try:
            outcome = await asyncio.wrap_future(future)
        except UserError as exc:
            message = f"{chart} {version} is not kept offline: {self._failure_text(exc, version, hint=False)}"
        except Exception as exc:
            message = failure_text(self.context, exc, "Changing the offline copy")
        else:
            kept_for = getattr(outcome, "kept_for", None)
            if kept_for is None:
                message = f"{chart} {version} is kept offline."
            elif kept_for:
                message = f"{chart} {version} is no longer pinned; its files stay for {', '.join(kept_for)}."
            else:
                message = f"The offline copy of {chart} {version} was removed."
        if self.context.outlived(self):
            return
        self.status_message.emit(message)
        if (self.registry, self.chart) == (registry, chart):
            self.status.setText(message if self.version() == version else "")
            self.refresh_offline()

    # --- files from the archive ---------------------------------------------------------

    def _load_files(self, version: str) -> None:
        self._request += 1
        request = self._request
        self.files = None
        for view in (self.values_view, self.schema_view):
            view.setPlainText("")
        show_markdown(self.readme_view, "")
        self.provenance.hide()
        self.status.setText("Loading the chart's files…")
        assert self.registry is not None
        future = self.context.worker.chart_files(self.registry.id, self.chart, version)
        self._pending = asyncio.ensure_future(self._show_files(request, future))

    async def _show_files(self, request: int, future: Future[ChartFiles]) -> None:
        try:
            files = await asyncio.wrap_future(future)
        except UserError as exc:
            if not self.context.outlived(self) and request == self._request:
                self.status.setText(
                    "The README, values and schema of this version are not on this computer, and the registry "
                    f"could not give them: {self._failure_text(exc)}"
                )
                self.files_loaded.emit(None)
            return
        except Exception as exc:
            text = failure_text(self.context, exc, "Loading the chart's files")
            if not self.context.outlived(self) and request == self._request:
                self.status.setText(f"The chart's files could not be read: {text}")
                self.files_loaded.emit(None)
            return
        if self.context.outlived(self) or request != self._request:
            return  # the user picked another version meanwhile, or closed the window
        self.files = files
        self.status.setText("")
        self.values_view.setPlainText(files.values or "# This chart has no values.yaml")
        show_markdown(self.readme_view, files.readme or "*This chart has no README.*")
        self.schema_view.setPlainText(files.schema or "This chart has no values.schema.json.")
        self.refresh_offline()  # a download just cached it
        self.files_loaded.emit(files)
        if self.registry is not None and self.context.worker.settings.chart_provenance != "off":
            judged = self.context.worker.chart_provenance(self.registry.id, self.chart, self.version() or "")
            self._pending_provenance = asyncio.ensure_future(self._show_provenance(request, judged))

    async def _show_provenance(self, request: int, future: Future[Any]) -> None:
        """The Provenance line under the files: the verdict, or why there is none now."""
        try:
            verdict = await asyncio.wrap_future(future)
        except UserError as exc:
            text = f"Provenance not checked: {exc.message}"
        except Exception as exc:
            text = f"Provenance not checked: {failure_text(self.context, exc, 'Checking the provenance')}"
        else:
            if verdict is None:
                return
            mark = "" if verdict.verified else "⚠ "
            text = f"{mark}Provenance: {verdict}"
        if self.context.outlived(self) or request != self._request:
            return
        self.provenance.setText(text)
        self.provenance.show()


def _shown_link(url: str) -> str:
    """A link's text cut to a length that wraps well; the link itself keeps the whole address."""
    text = url.removeprefix("https://").removeprefix("http://")
    return text if len(text) <= LINK_TEXT_LIMIT else text[: LINK_TEXT_LIMIT - 1] + "…"


def _facts_html(meta: dict[str, Any]) -> str:
    def link(url: str) -> str:
        if url.startswith(("http://", "https://")):
            return f"<a href='{html.escape(url, quote=True)}'>{html.escape(_shown_link(url))}</a>"
        return html.escape(_shown_link(url))

    rows = []
    if meta.get("description"):
        rows.append(html.escape(meta["description"]))
    facts = [f"<b>App version:</b> {html.escape(meta.get('appVersion', '—'))}"]
    if meta.get("home"):
        facts.append(f"<b>Home:</b> {link(meta['home'])}")
    rows.append(" &nbsp; ".join(facts))
    if meta.get("sources"):
        rows.append("<b>Sources:</b> " + ", ".join(link(s) for s in meta["sources"][:3]))
    if meta.get("maintainers"):
        people = [
            html.escape(m.get("name", "") + (f" <{m['email']}>" if m.get("email") else ""))
            for m in meta["maintainers"][:4]
        ]
        rows.append("<b>Maintainers:</b> " + ", ".join(people))
    if meta.get("keywords"):
        rows.append("<b>Keywords:</b> " + html.escape(", ".join(meta["keywords"][:12])))
    return "<br>".join(rows)


def list_beside_details(left: QWidget, details: QWidget, placeholder: QLabel) -> QSplitter:
    """The chart browser's shape, in Browse Charts and Add Helm Chart alike: the list on the left;
    on the right the chosen chart's details, or `placeholder` until one is chosen."""
    placeholder.setObjectName("emptyText")
    placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
    placeholder.setWordWrap(True)
    right = QWidget()
    right_layout = QVBoxLayout(right)
    right_layout.setContentsMargins(0, 0, 0, 0)
    right_layout.addWidget(placeholder, 1)
    right_layout.addWidget(details, 1)
    right.setMinimumWidth(320)
    splitter = QSplitter()
    splitter.addWidget(left)
    splitter.addWidget(right)
    splitter.setChildrenCollapsible(False)
    splitter.setStretchFactor(1, 1)
    splitter.setSizes([380, 700])
    return splitter

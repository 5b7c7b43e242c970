"""A chart's details: versions (newest first, prereleases behind a toggle, deprecated marked),
description, app version, links, maintainers, and values.yaml, README and schema from its archive."""

from __future__ import annotations

import asyncio
import html
import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.catalog.charts import VersionRow, get_chart_version, version_rows
from desktop.errors import UserError
from desktop.helm.chart_archive import ChartFiles
from desktop.registry import Registry
from desktop.ui.context import AppContext
from desktop.ui.yaml_highlighter import YamlHighlighter

log = logging.getLogger(__name__)


def monospace_editor(read_only: bool) -> QPlainTextEdit:
    editor = QPlainTextEdit()
    editor.setReadOnly(read_only)
    font = QFont("monospace")
    font.setStyleHint(QFont.StyleHint.TypeWriter)
    editor.setFont(font)
    editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    return editor


class ChartDetails(QWidget):
    """Shows one chart of one registry; `version_changed` tells which version is selected."""

    version_changed = Signal(str)
    files_loaded = Signal(object)  # ChartFiles, or None when they could not be had

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.registry: Registry | None = None
        self.chart = ""
        self.files: ChartFiles | None = None
        self._rows: list[VersionRow] = []
        self._request = 0
        self._pending: asyncio.Future[None] | None = None
        self._build_ui()
        self._connect()

    def _build_ui(self) -> None:
        self.title = QLabel()
        self.title.setObjectName("emptyTitle")
        self.version_combo = QComboBox()
        self.version_combo.setMinimumWidth(200)
        self.prerelease_check = QCheckBox("Show p&rereleases")
        self.deprecated_label = QLabel()
        self.deprecated_label.setObjectName("certificateWarning")
        picker = QHBoxLayout()
        version_label = QLabel("&Version:")
        version_label.setBuddy(self.version_combo)
        picker.addWidget(version_label)
        picker.addWidget(self.version_combo)
        picker.addWidget(self.prerelease_check)
        picker.addWidget(self.deprecated_label)
        picker.addStretch(1)
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        self.facts.setOpenExternalLinks(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.status = QLabel()
        self.status.setObjectName("formHint")
        self.values_view = monospace_editor(read_only=True)
        self._highlighter = YamlHighlighter(self.values_view.document())
        self.readme_view = QTextBrowser()
        self.readme_view.setOpenExternalLinks(True)
        self.schema_view = monospace_editor(read_only=True)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.values_view, "values.yaml")
        self.tabs.addTab(self.readme_view, "README")
        self.tabs.addTab(self.schema_view, "Schema")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addLayout(picker)
        layout.addWidget(self.facts)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)

    def _connect(self) -> None:
        self.version_combo.currentIndexChanged.connect(self._on_version_combo_changed)
        self.prerelease_check.toggled.connect(lambda _checked: self._fill_versions(self.version()))

    # --- showing a chart ----------------------------------------------------------------

    def show_chart(self, registry: Registry, chart: str, version: str | None = None) -> None:
        self.registry, self.chart = registry, chart
        self._rows = version_rows(self.context.reader, registry, chart)
        wanted = version or next((r.version for r in self._rows if not r.prerelease), None)
        if wanted and any(r.version == wanted and r.prerelease for r in self._rows):
            self.prerelease_check.setChecked(True)
        self.title.setText(f"{chart}  <span style='font-weight: normal'>— {html.escape(registry.name)}</span>")
        self._fill_versions(wanted)

    def version(self) -> str | None:
        data = self.version_combo.currentData()
        return str(data) if data is not None else None

    def _fill_versions(self, keep: str | None) -> None:
        show_pre = self.prerelease_check.isChecked()
        self.version_combo.blockSignals(True)
        self.version_combo.clear()
        for row in self._rows:
            if row.prerelease and not show_pre and row.version != keep:
                continue
            label = (
                row.version
                + ("  (deprecated)" if row.deprecated else "")
                + ("  (prerelease)" if row.prerelease else "")
            )
            self.version_combo.addItem(label, row.version)
        index = self.version_combo.findData(keep) if keep else 0
        self.version_combo.setCurrentIndex(max(index, 0))
        self.version_combo.blockSignals(False)
        self._on_version_combo_changed()

    def _on_version_combo_changed(self) -> None:
        version = self.version()
        if self.registry is None or version is None:
            return
        detail = get_chart_version(self.context.reader, self.registry, self.chart, version)
        meta = detail.meta
        self.deprecated_label.setText("⚠ Deprecated" if detail.deprecated else "")
        self.facts.setText(_facts_html(meta))
        self.version_changed.emit(version)
        self._load_files(version)

    # --- files from the archive ---------------------------------------------------------

    def _load_files(self, version: str) -> None:
        self._request += 1
        request = self._request
        self.files = None
        for view in (self.values_view, self.schema_view):
            view.setPlainText("")
        self.readme_view.setMarkdown("")
        self.status.setText("Loading the chart's files…")
        assert self.registry is not None
        future = self.context.worker.chart_files(self.registry.id, self.chart, version)
        self._pending = asyncio.ensure_future(self._show_files(request, future))

    async def _show_files(self, request: int, future: object) -> None:
        try:
            files = await asyncio.wrap_future(future)  # type: ignore[arg-type]
        except UserError as exc:
            if request == self._request:
                self.status.setText(
                    f"Files not available: {exc.message} (Pin this version while online to keep it offline.)"
                )
                self.files_loaded.emit(None)
            return
        except Exception:
            log.exception("loading chart files failed")
            if request == self._request:
                self.status.setText("Files not available: see the log.")
                self.files_loaded.emit(None)
            return
        if request != self._request:
            return  # the user picked another version meanwhile
        self.files = files
        self.status.setText("")
        self.values_view.setPlainText(files.values or "# This chart has no values.yaml")
        self.readme_view.setMarkdown(files.readme or "*This chart has no README.*")
        self.schema_view.setPlainText(files.schema or "This chart has no values.schema.json.")
        self.files_loaded.emit(files)


def _facts_html(meta: dict) -> str:
    def link(url: str) -> str:
        safe = html.escape(url, quote=True)
        return f"<a href='{safe}'>{safe}</a>" if url.startswith(("http://", "https://")) else safe

    rows = []
    if meta.get("description"):
        rows.append(html.escape(meta["description"]))
    facts = [f"<b>App version:</b> {html.escape(meta.get('appVersion', '—'))}"]
    if meta.get("home"):
        facts.append(f"<b>Home:</b> {link(meta['home'])}")
    rows.append(" &nbsp; ".join(facts))
    if meta.get("sources"):
        rows.append("<b>Sources:</b> " + ", ".join(link(s) for s in meta["sources"][:4]))
    if meta.get("maintainers"):
        people = [
            html.escape(m.get("name", "") + (f" <{m['email']}>" if m.get("email") else ""))
            for m in meta["maintainers"][:6]
        ]
        rows.append("<b>Maintainers:</b> " + ", ".join(people))
    if meta.get("keywords"):
        rows.append("<b>Keywords:</b> " + html.escape(", ".join(meta["keywords"][:12])))
    return "<br>".join(rows)

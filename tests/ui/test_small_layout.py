"""Small layout: a long version (IBM's "1.0.0-20231006.132342.ab12cd3") is never cut in its middle in
the chart lists, and the layer editor's tabs stay in view instead of behind scroll arrows."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.app import RunningApp
from desktop.catalog.charts import SearchHit
from desktop.ui.chart_list import version_line

LONG = "1.0.0-20231006.132342.ab12cd3"


def test_a_long_version_keeps_its_whole_self_and_is_cut_at_the_end(qapp: QApplication) -> None:
    metrics = QFontMetrics(qapp.font())
    hit = SearchHit("ibm-charts", "ibm-db2", LONG, "11.5.9.0-cn1", "Db2", False)
    whole = f"Chart {LONG}  ·  App 11.5.9.0-cn1"
    assert version_line(hit, metrics, metrics.horizontalAdvance(whole) + 4) == whole
    narrow = version_line(hit, metrics, metrics.horizontalAdvance(f"Chart {LONG}  ·  App 1"))
    assert narrow.startswith(f"Chart {LONG}") and narrow.endswith("…")  # the version whole, the rest cut


def test_the_layer_editors_tabs_are_not_behind_scroll_arrows(running_app: RunningApp, qtbot: QtBot) -> None:
    tabs = running_app.window.profile_editor_tab.pane.layer_editor.tabs
    assert not tabs.usesScrollButtons()
    assert tabs.elideMode() == Qt.TextElideMode.ElideRight

"""Counts read right in the window (issue 22): `1 line added`, `2 charts from 1 of 2 searchable registries`."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.app import RunningApp
from desktop.cancellation import CancelToken
from desktop.registry import RegistryDraft
from desktop.ui.diff_view import DiffView
from desktop.ui.profile_editor_tab import ProfileEditorTab
from tests.support.charts import simple_index
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]


def test_one_line_added_reads_in_the_singular(qtbot: QtBot) -> None:
    view = DiffView()
    qtbot.addWidget(view)
    view.set_texts("a: 1\n", "a: 1\nb: 2\n", "1.0.0", "1.1.0", "same")
    assert view.summary.text() == "1.0.0 → 1.1.0: 1 line added, 0 removed"


def test_the_count_names_how_many_registries_gave_the_charts(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    for name, charts in (("one", {"web-a": ["1.0.0"], "web-b": ["1.0.0"]}), ("two", {"db": ["1.0.0"]})):
        repo = make_repo()
        repo.put("/index.yaml", simple_index(charts))
        running_app.context.worker.register(RegistryDraft(name, repo.url), CancelToken()).future.result(10)
    tab: ProfileEditorTab = running_app.window.profile_editor_tab
    running_app.window.tabs.setCurrentWidget(tab)
    tab.new_profile()
    qtbot.waitUntil(lambda: tab.pane.profile is not None, timeout=5000)
    dialog = tab.pane.open_add_chart()
    qtbot.keyClicks(dialog.search_edit, "web")
    qtbot.waitUntil(lambda: dialog.results_model.rowCount() == 2, timeout=5000)
    assert dialog.result_count.text() == "2 charts from 1 of 2 searchable registries"
    dialog.search_edit.clear()
    qtbot.waitUntil(lambda: dialog.results_model.rowCount() == 3, timeout=5000)
    assert dialog.result_count.text() == "3 charts from 2 searchable registries"
    qtbot.keyClick(dialog.search_edit, Qt.Key.Key_Escape)
    dialog.reject()

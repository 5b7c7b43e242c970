"""Issue 23: the Add Helm Chart picker reads the catalog off the UI thread as the user types (fast
today, it must stay so as the catalog grows), and a slow search's late answer never replaces a newer one."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from desktop.app import RunningApp
from desktop.cancellation import CancelToken
from desktop.registry import RegistryDraft
from desktop.ui import add_chart_dialog
from desktop.ui.profile_editor_tab import ProfileEditorTab
from tests.support.charts import simple_index
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]


def test_typing_searches_off_the_ui_thread_and_the_newest_answer_wins(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo()
    repo.put("/index.yaml", simple_index({"web": ["1.0.0"], "web-extra": ["1.0.0"], "db": ["1.0.0"]}))
    running_app.context.worker.register(RegistryDraft("site", repo.url), CancelToken()).future.result(10)
    tab: ProfileEditorTab = running_app.window.profile_editor_tab
    running_app.window.tabs.setCurrentWidget(tab)
    tab.new_profile()
    qtbot.waitUntil(lambda: tab.pane.profile is not None, timeout=5000)
    dialog = tab.pane.open_add_chart()
    assert dialog.results_model.rowCount() == 3  # opened with its list

    threads: list[str] = []
    release = threading.Event()
    real = add_chart_dialog.picker_search

    def watched(db: Any, text: str) -> Any:
        threads.append(threading.current_thread().name)
        if text == "w":  # the first keystroke's search is slow: its answer comes after the next one's
            release.wait(5)
        return real(db, text)

    monkeypatch.setattr(add_chart_dialog, "picker_search", watched)
    qtbot.keyClicks(dialog.search_edit, "w")
    qtbot.waitUntil(lambda: len(threads) == 1, timeout=5000)
    qtbot.keyClicks(dialog.search_edit, "eb-")
    release.set()
    qtbot.waitUntil(lambda: len(threads) == 2, timeout=5000)
    qtbot.waitUntil(lambda: [hit.chart for hit in dialog.results_model.rows] == ["web-extra"], timeout=5000)
    qtbot.wait(200)  # the slow answer, come in since, is dropped
    assert [hit.chart for hit in dialog.results_model.rows] == ["web-extra"]
    assert threads == ["catalog-reader", "catalog-reader"]
    assert threading.current_thread() is threading.main_thread()
    dialog.reject()

"""Search All Charts (Ctrl+K, or the button on the registries tab): every searchable registry's charts,
each row naming its registry ("db2" is in beta), queried off the UI thread; Enter opens the chart in
its registry's browser."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.app import RunningApp
from desktop.cancellation import CancelToken
from desktop.registry import RegistryDraft
from desktop.ui.browse_charts_dialog import BrowseChartsDialog
from desktop.ui.catalog_search_dialog import CatalogSearchDialog, CatalogSearcher
from tests.support.charts import chart_archive, publish_charts
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]


def register(running: RunningApp, repo: RepoServer, name: str) -> None:
    running.context.worker.register(RegistryDraft(name, repo.url), CancelToken()).future.result(20)


def test_ctrl_k_finds_which_registry_holds_a_chart_and_enter_opens_it(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    alpha, beta = make_repo(), make_repo(host="127.0.0.2")
    publish_charts(
        alpha, {"web": {"1.0.0": chart_archive("web", "1.0.0")}, "db": {"1.0.0": chart_archive("db", "1.0.0")}}
    )
    publish_charts(
        beta,
        {
            "db2": {"3.1.0": chart_archive("db2", "3.1.0")},
            "ibm-db2": {"1.0.0-20231006.132342.ab12cd3": chart_archive("ibm-db2", "1.0.0-20231006.132342.ab12cd3")},
        },
    )
    register(running_app, alpha, "alpha")
    register(running_app, beta, "beta")
    window = running_app.window
    window.tabs.setCurrentIndex(2)  # from the Profile editor, too
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, CatalogSearchDialog) and w.isVisible())
    assert window.tabs.currentIndex() == 1
    qtbot.keyClicks(dialog.search_edit, "db2")
    qtbot.waitUntil(lambda: dialog.count_label.text() == "1 chart in 1 registry matching “db2”", timeout=5000)
    hit = dialog.current_hit()
    assert hit is not None and (hit.registry, hit.chart, hit.version) == ("beta", "db2", "3.1.0")
    dialog.prerelease_check.setChecked(True)  # a chart with prereleases only, as IBM's are
    qtbot.waitUntil(lambda: dialog.count_label.text() == "2 charts in 1 registry matching “db2”", timeout=5000)
    assert {(h.chart, h.version) for h in dialog.model.rows} >= {("ibm-db2", "1.0.0-20231006.132342.ab12cd3")}
    dialog.prerelease_check.setChecked(False)
    qtbot.waitUntil(lambda: dialog.count_label.text() == "1 chart in 1 registry matching “db2”", timeout=5000)
    dialog.search_edit.setFocus()
    qtbot.keyClicks(dialog.search_edit, "x")  # nothing matches: said so
    qtbot.waitUntil(lambda: dialog.count_label.text().startswith("No chart matches “db2x”"), timeout=5000)
    qtbot.keyClick(dialog.search_edit, Qt.Key.Key_Backspace)
    qtbot.waitUntil(lambda: dialog.current_hit() is not None, timeout=5000)
    qtbot.keyClick(dialog.search_edit, Qt.Key.Key_Return)
    assert not dialog.isVisible()
    browser = next(w for w in QApplication.topLevelWidgets() if isinstance(w, BrowseChartsDialog) and w.isVisible())
    assert browser.registry.name == "beta"
    qtbot.waitUntil(lambda: browser.details.isVisibleTo(browser) and browser.details.chart == "db2", timeout=5000)
    browser.reject()

    # The button on the registries tab opens it again, with the session's last search.
    window.registries_tab.search_all_button.click()
    again = next(w for w in QApplication.topLevelWidgets() if isinstance(w, CatalogSearchDialog) and w.isVisible())
    assert again.search_edit.text() == "db2"
    again.search_edit.setText("db")
    qtbot.waitUntil(lambda: again.count_label.text() == "2 charts in 2 registries matching “db”", timeout=5000)
    again.reject()


def test_the_search_runs_on_its_own_thread(running_app: RunningApp) -> None:
    searcher = CatalogSearcher(running_app.context.paths.catalog)
    threads: list[str] = []
    try:
        searcher.search("").result(10)
        threads.append(searcher._pool.submit(lambda: threading.current_thread().name).result(10))
    finally:
        searcher.close()
    assert threads[0].startswith("catalog-search") and threads[0] != threading.current_thread().name

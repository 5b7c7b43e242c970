"""The Helm registries tab: ⋮ → Synchronize with progress and failure, offline state, remove,
sync history, keyboard access, the model under qtmodeltester; and quitting while a sync runs."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QMenu, QMessageBox
from pytestqt.qtbot import QtBot

from desktop.app import RunningApp
from desktop.cancellation import CancelToken
from desktop.catalog.charts import search_charts
from desktop.catalog.db import open_catalog
from desktop.registry import Registry, RegistryDraft
from desktop.ui.chart_list import NAME as NAME_COLUMN
from desktop.ui.registry_model import ACTIONS, NAME, STATUS
from tests.support.charts import simple_index
from tests.support.repo_server import Fault, RepoServer

MakeRepo = Callable[..., RepoServer]


def register(running: RunningApp, repo: RepoServer, name: str, body: bytes, **fields: object) -> Registry:
    repo.put("/index.yaml", body)
    draft = RegistryDraft(name, repo.url, **fields)  # type: ignore[arg-type]
    return running.context.worker.register(draft, CancelToken()).future.result(10).registry


def status_of(running: RunningApp, registry: Registry) -> str:
    model = running.window.registries_tab.model
    row = model.row_of(registry.id)
    assert row is not None
    return model.data(model.index(row, STATUS))


def menu_action(menu: QMenu, text: str) -> None:
    action = next(a for a in menu.actions() if a.text().replace("&", "") == text)
    action.trigger()


def test_actions_menu_synchronize_shows_progress_then_failure(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    repo = make_repo(gzip_responses=False)
    registry = register(running_app, repo, "stable", simple_index({"a": ["1.0.0"]}))
    tab = running_app.window.registries_tab
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1)
    repo.put("/index.yaml", simple_index({f"c{i}": ["1.0.0"] for i in range(1500)}))
    repo.faults["/index.yaml"] = Fault(bytes_per_second=150_000)
    seen: list[str] = []
    tab.model.dataChanged.connect(lambda *_: seen.append(status_of(running_app, registry)))
    menu = tab.actions_menu(registry)
    with qtbot.waitSignal(running_app.context.bridge.sync_finished, timeout=20000):
        menu_action(menu, "Synchronize")
        qtbot.waitUntil(lambda: any(text.startswith("Syncing…") and "%" in text for text in seen), timeout=10000)
        assert running_app.window.sync_progress.isVisible()
        assert "Syncing stable" in running_app.window.sync_label.text()
    assert status_of(running_app, registry) == "OK"
    assert not running_app.window.sync_progress.isVisible()
    repo.faults["/index.yaml"] = Fault(status=503, body=b"maintenance")
    with qtbot.waitSignal(running_app.context.bridge.sync_finished, timeout=10000):
        menu_action(tab.actions_menu(registry), "Synchronize")
    qtbot.waitUntil(lambda: status_of(running_app, registry).startswith("Failed — using snapshot of "))
    assert "The registry answered 503" in status_of(running_app, registry)
    assert "503" in running_app.window.statusBar().currentMessage()


def test_a_stopped_server_shows_the_offline_state_and_the_snapshot_still_works(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    repo = make_repo()
    registry = register(running_app, repo, "edge", simple_index({"edge-app": ["1.0.0"]}))
    tab = running_app.window.registries_tab
    repo.stop()
    with qtbot.waitSignal(running_app.context.bridge.sync_finished, timeout=10000):
        tab.synchronize(registry)
    qtbot.waitUntil(lambda: status_of(running_app, registry).startswith("Offline: using snapshot of "))
    assert tab.offline_banner.isVisible()
    assert "edge is unreachable — using its snapshot of" in tab.offline_text.text()
    assert "Offline: edge" in running_app.window.network_label.text()
    assert [h.name for h in search_charts(running_app.context.reader, "edge-app")] == ["edge/edge-app"]
    repo.restart()
    with qtbot.waitSignal(running_app.context.bridge.sync_finished, timeout=10000):
        tab.synchronize(registry)
    qtbot.waitUntil(lambda: status_of(running_app, registry) == "OK")
    assert not tab.offline_banner.isVisible()


def test_remove_asks_first_naming_what_is_lost(running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo) -> None:
    repo = make_repo()
    registry = register(running_app, repo, "doomed", simple_index({"a": ["1.0.0", "1.1.0"], "b": ["2.0.0"]}))
    tab = running_app.window.registries_tab
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1)
    tab.select_registry(registry.id)
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_Delete)
    box = next(w for w in tab._open_dialogs if isinstance(w, QMessageBox))
    assert "2 charts (3 versions)" in box.informativeText()
    cancel = box.button(QMessageBox.StandardButton.Cancel)
    cancel.click()
    assert tab.model.rowCount() == 1
    box = tab.confirm_remove(registry)
    remove = next(b for b in box.buttons() if b.text() == "&Remove")
    with qtbot.waitSignal(running_app.context.bridge.catalog_changed, timeout=10000):
        remove.click()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 0)
    assert tab.stack.currentWidget() is tab.empty_state


def test_sync_history_lists_runs_and_changes(running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo) -> None:
    repo = make_repo()
    registry = register(running_app, repo, "hist", simple_index({"a": ["1.0.0"]}))
    repo.put("/index.yaml", simple_index({"a": ["1.0.0", "1.1.0"], "b": ["0.1.0"]}))
    running_app.context.worker.sync(registry.id).result(10)
    dialog = running_app.window.registries_tab.open_history(registry)
    assert dialog.table.rowCount() == 2
    assert dialog.table.item(0, 2).text() == "Updated (200)"
    assert dialog.table.item(1, 1).text() == "Registration"
    changes = [dialog.changes.item(i).text() for i in range(dialog.changes.count())]
    assert changes == ["+ added   a 1.1.0", "+ added   b 0.1.0"]
    dialog.table.selectRow(1)
    assert "Registration: 1 version in" in dialog.changes_label.text()


def test_filter_and_empty_state(running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo) -> None:
    tab = running_app.window.registries_tab
    assert tab.stack.currentWidget() is tab.empty_state
    repo = make_repo()
    for name in ("alpha", "beta", "gamma"):
        register(running_app, repo, name, simple_index({"a": ["1.0.0"]}))
    qtbot.waitUntil(lambda: tab.model.rowCount() == 3)
    qtbot.keyClicks(tab.filter_edit, "ET")
    assert tab.proxy.rowCount() == 1
    assert tab.proxy.index(0, NAME).data() == "beta"


def test_the_actions_cell_opens_the_menu(running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo) -> None:
    repo = make_repo()
    register(running_app, repo, "menu", simple_index({"a": ["1.0.0"]}))
    tab = running_app.window.registries_tab
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1)
    index = tab.proxy.index(0, ACTIONS)
    assert index.data() == "⋮"
    opened: list[QModelIndex] = []
    tab.actions_delegate.clicked.connect(opened.append)
    rect = tab.table.visualRect(index)
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened and opened[0].column() == ACTIONS
    menus = [w for w in running_app.app.topLevelWidgets() if isinstance(w, QMenu) and w.isVisible()]
    assert menus and [a.text() for a in menus[0].actions() if a.text()] == [
        "&Browse Charts…",
        "&Synchronize",
        "&Edit…",
        "Sync &History…",
        "&Remove…",
    ]
    menus[0].close()


def test_the_model_passes_qtmodeltester(running_app: RunningApp, qtmodeltester: object, make_repo: MakeRepo) -> None:
    repo = make_repo()
    register(running_app, repo, "one", simple_index({"a": ["1.0.0"]}))
    register(running_app, repo, "two", simple_index({"a": ["1.0.0"]}), sync_enabled=False)
    model = running_app.window.registries_tab.model
    model.reload()
    qtmodeltester.check(model)  # type: ignore[attr-defined]


def test_quitting_while_a_sync_runs_stops_cleanly(running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo) -> None:
    repo = make_repo(gzip_responses=False)
    registry = register(running_app, repo, "busy", simple_index({"a": ["1.0.0"]}))
    repo.put("/index.yaml", simple_index({f"c{i}": ["1.0.0"] for i in range(3000)}))
    repo.faults["/index.yaml"] = Fault(bytes_per_second=80_000)
    with qtbot.waitSignal(running_app.context.bridge.sync_started, timeout=5000):
        running_app.window.registries_tab.synchronize(registry)
    qtbot.wait(300)
    running_app.window.close()
    assert running_app.context.worker.stop(timeout=5)  # the stop's own bound: it ended in time
    db = open_catalog(running_app.context.paths.catalog)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1").fetchone()[0] == "cancelled"
    assert db.execute("SELECT COUNT(*) FROM chart_versions").fetchone()[0] == 1
    db.close()


def test_home_and_end_go_to_the_first_and_last_row(running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo) -> None:
    """Qt's tables take Home and End to the first and last column: in a table of registries (or of
    a chart's versions) that moved nothing a user could see."""
    repo = make_repo()
    for name in ("alpha", "beta", "gamma"):
        register(running_app, repo, name, simple_index({"a": ["1.0.0", "1.1.0", "1.2.0"]}))
    tab = running_app.window.registries_tab
    tab.reload()
    tab.table.setFocus()
    tab.select_registry(tab.model.registry(1).id)
    qtbot.keyClick(tab.table, Qt.Key.Key_End)
    assert tab.selected_registry() is not None and tab.selected_registry().name == "gamma"
    qtbot.keyClick(tab.table, Qt.Key.Key_Home)
    assert tab.selected_registry() is not None and tab.selected_registry().name == "alpha"
    browser = tab.open_browser(tab.model.registry(0))
    browser.details.show()
    browser.details.show_chart(tab.model.registry(0), "a")
    versions = browser.details.versions
    qtbot.keyClick(versions, Qt.Key.Key_End)
    assert browser.details.version() == "1.0.0"
    qtbot.keyClick(versions, Qt.Key.Key_Home)
    assert browser.details.version() == "1.2.0"
    browser.reject()


def test_enter_in_the_chart_browser_shows_the_chart_and_escape_clears_the_filter_first(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    """Issue 22: Enter on a chart closed the browser (the Close button took it) and lost the search."""
    repo = make_repo()
    registry = register(running_app, repo, "alpha", simple_index({"apple": ["1.0.0"], "banana": ["2.0.0"]}))
    browser = running_app.window.registries_tab.open_browser(registry)
    qtbot.waitExposed(browser)
    browser.filter_edit.setText("ban")
    browser.charts.setFocus()
    browser.charts.setCurrentIndex(browser.model.index(0, NAME_COLUMN))
    qtbot.keyClick(browser.charts, Qt.Key.Key_Return)
    assert browser.isVisible()
    assert browser.details.isVisibleTo(browser) and browser.details.chart == "banana"
    qtbot.keyClick(browser.charts, Qt.Key.Key_Escape)
    assert browser.isVisible() and browser.filter_edit.text() == ""
    qtbot.keyClick(browser.filter_edit, Qt.Key.Key_Escape)
    assert not browser.isVisible()

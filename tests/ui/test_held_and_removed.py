"""The window's side of snapshot integrity (issue 8 §1): a held sync reads as held and is accepted
from the registry's ⋮ menu or its history, versions removed upstream are marked in the chart
browser, prune asks first, and the new tenant settings are saved."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox
from pytestqt.qtbot import QtBot

from desktop.app import RunningApp
from desktop.catalog.browse import removed_count
from desktop.catalog.db import open_catalog
from desktop.catalog.settings_store import load_settings
from desktop.profiles.model import Layer, Profile
from desktop.registry import Registry
from desktop.ui.chart_details import VERSION
from tests.support.charts import simple_index
from tests.support.repo_server import RepoServer
from tests.ui.test_registries_tab import menu_action, register, status_of

MakeRepo = Callable[..., RepoServer]
CHARTS = {f"c{i:02d}": ["1.0.0", "1.1.0"] for i in range(20)}


def _hold(running_app: RunningApp, qtbot: QtBot, repo: RepoServer) -> Registry:
    registry = register(running_app, repo, "stable", simple_index(CHARTS))
    repo.put("/index.yaml", simple_index({name: CHARTS[name] for name in list(CHARTS)[:5]}))  # 30 of 40 gone
    result = running_app.context.worker.sync(registry.id).result(10)
    assert result.status == "held"
    qtbot.waitUntil(lambda: status_of(running_app, registry).startswith("Held"), timeout=5000)
    return registry


def _press(qtbot: QtBot, box: QMessageBox, text: str) -> None:
    button = next(b for b in box.buttons() if b.text().replace("&", "") == text)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_a_held_sync_reads_as_held_and_is_accepted_from_the_menu(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    registry = _hold(running_app, qtbot, make_repo())
    tab = running_app.window.registries_tab
    assert "lacks 30 of 40 versions" in status_of(running_app, registry)
    # Held, not failed: the banner and the status bar say so, and what applies it.
    assert "last sync was held" in tab.offline_text.text() and "Accept Removals" in tab.offline_text.text()
    message = running_app.window.statusBar().currentMessage()
    assert message.startswith("Sync of “stable” held: ") and "failed" not in message
    menu = tab.actions_menu(registry)
    menu_action(menu, "Accept Removals…")
    box = next(d for d in tab._open_dialogs if isinstance(d, QMessageBox))
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)  # Enter changes nothing
    assert "lacks 30 of 40 versions" in box.informativeText()
    with qtbot.waitSignal(running_app.context.bridge.sync_finished, timeout=10000) as finished:
        _press(qtbot, box, "Accept Removals")
    assert finished.args[0].status == "updated" and len(finished.args[0].diff.removed) == 30
    assert "30 marked removed upstream (kept until pruned)" in running_app.window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: status_of(running_app, registry) == "OK", timeout=5000)
    assert removed_count(running_app.context.reader, registry.id) == 30


def test_history_offers_to_accept_a_held_run(running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo) -> None:
    registry = _hold(running_app, qtbot, make_repo())
    dialog = running_app.window.registries_tab.open_history(registry)
    assert dialog.accept_button.isVisible()
    assert dialog.table.item(0, 2).text().startswith("Held")
    assert "was held: the snapshot stayed as it was" in dialog.changes_label.text()


def test_removed_versions_are_marked_in_the_browser_and_prune_asks_first(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    repo = make_repo()
    registry = register(running_app, repo, "stable", simple_index(CHARTS))
    repo.put("/index.yaml", simple_index({**CHARTS, "c03": ["1.1.0"]}))
    assert running_app.context.worker.sync(registry.id).result(10).diff.removed == [("c03", "1.0.0")]
    tab = running_app.window.registries_tab
    browser = tab.open_browser(registry)
    browser.details.show()
    browser.details.show_chart(registry, "c03")
    qtbot.waitUntil(lambda: browser.details.versions_model.rowCount() == 2, timeout=5000)
    model = browser.details.versions_model
    texts = [model.data(model.index(row, VERSION)) for row in range(model.rowCount())]
    assert texts[0] == "1.1.0" and texts[1].startswith("1.0.0  (removed upstream ")
    browser.details.select_version("1.0.0")  # its archive is not served: the message says why it cannot be had
    qtbot.waitUntil(lambda: "no longer lists this version" in browser.details.status.text(), timeout=5000)
    assert "the index lists it" not in browser.details.status.text()
    browser.reject()
    layer = Layer(registry.uid, registry.name, registry.endpoint, "c03", "1.0.0")
    running_app.context.worker.save_profile(Profile(uid="", name="edge", layers=(layer,))).result(10)
    menu = tab.actions_menu(registry)
    menu_action(menu, "Prune 1 Removed Version…")
    box = next(d for d in tab._open_dialogs if isinstance(d, QMessageBox))
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    assert box.text() == "Delete the version that left the index of “stable”?"
    # The profile that still uses it is named before it goes.
    assert "Profiles use one of them: edge: c03 1.0.0" in box.informativeText()
    _press(qtbot, box, "Prune")
    qtbot.waitUntil(lambda: removed_count(running_app.context.reader, registry.id) == 0, timeout=5000)


def test_the_new_tenant_settings_are_saved(running_app: RunningApp, qtbot: QtBot) -> None:
    tab = running_app.window.settings_tab
    tab.shrink_spin.setValue(40)
    tab.min_rate_spin.setValue(8)
    db = open_catalog(running_app.context.paths.catalog, readonly=True)
    try:
        qtbot.waitUntil(lambda: load_settings(db).shrink_threshold_percent == 40.0, timeout=5000)
        assert load_settings(db).min_download_rate_kib == 8.0
    finally:
        db.close()


def _menu_texts(menu: QMenu) -> list[str]:
    return [action.text().replace("&", "") for action in menu.actions() if action.text()]


def test_the_menu_key_opens_the_selected_registrys_menu(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    """The Menu key's event comes in the table's coordinates (a header's height below the row):
    read as the viewport's it opened the next registry's menu, so the held one could not be
    accepted from the keyboard, and Remove… could name another registry."""
    other = register(running_app, make_repo(), "alpha", simple_index({"a": ["1.0.0"]}))
    held = _hold(running_app, qtbot, make_repo())  # "stable", the row after "alpha"
    tab = running_app.window.registries_tab
    tab.reload()
    for registry, accepts in ((other, False), (held, True)):
        tab.select_registry(registry.id)
        table = tab.table
        cell = table.visualRect(table.currentIndex()).center()
        position = table.viewport().mapTo(table, cell)  # where Qt puts the Menu key's event
        QApplication.sendEvent(
            table, QContextMenuEvent(QContextMenuEvent.Reason.Keyboard, position, table.mapToGlobal(position))
        )
        menu = QApplication.activePopupWidget()
        assert isinstance(menu, QMenu)
        assert ("Accept Removals…" in _menu_texts(menu)) is accepts, registry.name
        menu.close()
    tab.select_registry(other.id)
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)  # for keyboards without Menu
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu) and "Accept Removals…" not in _menu_texts(menu)
    menu.close()

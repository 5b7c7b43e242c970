"""Alt+letters are unique per screen (issue 25): every tab of the window, every menu, and the dialogs
that open without a network; a letter two visible controls share only moves the focus between
them, or (Alt+U as Duplicate and the Values tab) does the wrong one silently."""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QGroupBox,
    QLabel,
    QMenu,
    QMenuBar,
    QTabBar,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop.app import RunningApp
from desktop.cancellation import CancelToken
from desktop.profiles.model import Layer, Profile
from desktop.registry import RegistryDraft
from tests.support.charts import chart_archive, publish_charts
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]


def letter(text: str) -> str | None:
    found = re.search(r"&([^&])", text.replace("&&", ""))
    return found.group(1).lower() if found else None


def shared(texts: list[str]) -> dict[str, list[str]]:
    """Letter → the texts that claim it, where more than one does."""
    claims: dict[str, list[str]] = {}
    for text in texts:
        key = letter(text)
        if key is not None:
            claims.setdefault(key, []).append(text)
    return {key: claimed for key, claimed in claims.items() if len(claimed) > 1}


def screen_texts(window: QWidget) -> list[str]:
    """The texts with a mnemonic of the controls visible in `window` now, its menu bar's titles included."""
    texts: list[str] = []
    for widget in window.findChildren(QWidget):
        if widget.window() is not window or not widget.isVisibleTo(window):
            continue
        if isinstance(widget, QAbstractButton) or (isinstance(widget, QLabel) and widget.buddy() is not None):
            texts.append(widget.text())
        elif isinstance(widget, QGroupBox):
            texts.append(widget.title())
        elif isinstance(widget, QTabBar):
            texts.extend(widget.tabText(index) for index in range(widget.count()) if widget.isTabVisible(index))
        elif isinstance(widget, QMenuBar):
            texts.extend(action.text() for action in widget.actions() if action.isVisible())
    return texts


def menu_clashes(window: QWidget) -> dict[str, dict[str, list[str]]]:
    """Per menu of `window` (its menu bar's and its buttons' drop-down menus): the letters its actions share."""
    clashes: dict[str, dict[str, list[str]]] = {}
    for menu in window.findChildren(QMenu):
        found = shared([action.text() for action in menu.actions() if action.isVisible() and not action.isSeparator()])
        if found:
            clashes[menu.title() or menu.objectName() or repr(menu)] = found
    return clashes


def check(qtbot: QtBot, window: QWidget, where: str, problems: dict[str, object]) -> None:
    qtbot.waitExposed(window)
    QApplication.processEvents()
    found = shared(screen_texts(window))
    if found:
        problems[where] = found


def test_no_letter_is_shared_within_a_screen(running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo) -> None:
    repo = make_repo()
    publish_charts(repo, {"web": {"1.0.0": chart_archive("web", "1.0.0", values="replicaCount: 1\n")}})
    draft = RegistryDraft("stable", repo.url)
    registry = running_app.context.worker.register(draft, CancelToken()).future.result(10).registry
    layer = Layer(registry.uid, registry.name, registry.endpoint, "web", "1.0.0", namespace="web")
    running_app.context.worker.save_profile(Profile(uid="", name="edge", layers=(layer,))).result(10)
    window = running_app.window
    problems: dict[str, object] = {}

    editor_tab = window.profile_editor_tab
    editor_tab._load()
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        check(qtbot, window, window.tabs.tabText(index), problems)

    # The Profile editor with a layer selected, on each of the layer editor's tabs, then a new profile.
    window.tabs.setCurrentWidget(editor_tab)
    editor_tab.profile_list.setCurrentRow(0)
    pane = editor_tab.pane
    qtbot.waitUntil(lambda: pane.profile is not None and pane.profile.name == "edge", timeout=5000)
    pane.layers.setCurrentRow(0)
    qtbot.waitUntil(pane.layer_editor.isVisible, timeout=5000)
    for index in range(pane.layer_editor.tabs.count()):
        pane.layer_editor.tabs.setCurrentIndex(index)
        check(qtbot, window, f"Profile editor, {pane.layer_editor.tabs.tabText(index)}", problems)
    editor_tab.new_profile()
    qtbot.waitUntil(lambda: pane.profile is not None and pane.profile.name != "edge", timeout=5000)
    check(qtbot, window, "Profile editor, new profile", problems)

    clashes = menu_clashes(window)
    if clashes:
        problems["menus"] = clashes
    file_menu = window.menuBar().actions()[0].menu()
    assert isinstance(file_menu, QMenu)
    by_letter = {letter(action.text()): action.text() for action in file_menu.actions()}
    assert by_letter["i"] == "&Import Bundle…"  # File → i ran Import from Helm…
    assert letter(pane.add_chart_button.text()) is not None

    chooser = pane.open_add_chart()
    for index in range(chooser.tabs.count()):
        chooser.tabs.setCurrentIndex(index)
        check(qtbot, chooser, f"Add Helm Chart, {chooser.tabs.tabText(index)}", problems)
    # Alt+V with the name suggestions open went to Version but left the list open, so the "0" typed
    # next went into the name.
    chooser.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is chooser)
    chooser.name_edit.setFocus()
    qtbot.keyClicks(chooser.name_edit, "w")
    popup = chooser.name_edit.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    QTest.keyClick(popup.windowHandle(), Qt.Key.Key_V, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(chooser.version_edit.hasFocus)
    QTest.keyClick(QGuiApplication.focusWindow(), Qt.Key.Key_1)
    assert (chooser.name_edit.text(), chooser.version_edit.text()) == ("w", "1")
    chooser.close()
    variable_dialog = pane.variables_section.open_add()
    assert variable_dialog is not None
    variable_dialog.input_combo.setCurrentText("dropdown")  # its options and their buttons show
    check(qtbot, variable_dialog, "Add Variable", problems)
    variable_dialog.close()
    registry_dialog = window.registries_tab.open_add_dialog()
    check(qtbot, registry_dialog, "Add Helm Registry", problems)
    registry_dialog.close()

    assert problems == {}

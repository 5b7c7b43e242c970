"""The layer list is the install order Palette follows (by priority, lowest first), and says so:
a profile stored 30 before 10 lists 10 first, Move Up/Down swap priorities, a new priority moves the row."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from PySide6.QtWidgets import QAbstractItemView, QLabel
from pytestqt.qtbot import QtBot

from desktop.app import RunningApp
from desktop.catalog.profiles import find_profile
from desktop.profiles.model import Layer, Profile
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]


def layer(chart: str, priority: int) -> Layer:
    return Layer("uid-r", "r", "https://charts.example.com", chart, "1.0.0", chart, priority, "")


def charts(pane: object) -> list[str]:
    return [row.lstrip("✗⚠ ").split(" ")[0] for row in pane.layer_badges()]  # type: ignore[attr-defined]


def order(running: RunningApp) -> list[tuple[str, int]]:
    profile = find_profile(running.context.reader, "stack")
    assert profile is not None
    return [(a.chart, a.install_priority) for a in profile.layers]


def test_layers_list_in_install_order_and_moving_changes_the_priority(running_app: RunningApp, qtbot: QtBot) -> None:
    worker = running_app.context.worker
    stored = Profile(uid=str(uuid.uuid4()), name="stack", layers=(layer("late", 30), layer("early", 10)))
    worker.save_profile(stored).result(20)
    tab = running_app.window.profile_editor_tab
    qtbot.waitUntil(lambda: tab.profile_list.count() == 1, timeout=5000)
    pane = tab.pane
    qtbot.waitUntil(lambda: pane.profile is not None and pane.profile.name == "stack", timeout=5000)
    headings = [label.text() for label in pane.findChildren(QLabel)]
    assert "Layers, in install order" in headings
    assert pane.order_hint.text() == "Lower priority first, as Palette installs them"
    assert not any("drag" in text for text in headings)
    assert pane.layers.dragDropMode() == QAbstractItemView.DragDropMode.NoDragDrop
    assert charts(pane) == ["early", "late"]  # 10 above 30

    pane.layers.setCurrentRow(1)
    pane.move_selected_layer(-1)  # "late" up: it takes the lower priority
    assert charts(pane) == ["late", "early"]
    assert pane.layers.currentRow() == 0
    qtbot.waitUntil(lambda: order(running_app) == [("late", 10), ("early", 30)], timeout=5000)

    pane.layers.setCurrentRow(0)
    pane.layer_editor.priority_spin.setValue(40)  # a priority past the other's: the row follows
    assert charts(pane) == ["early", "late"]
    assert pane.layers.currentRow() == 1 and pane.layer_editor.layer is not None
    assert pane.layer_editor.layer.chart == "late"
    qtbot.waitUntil(lambda: order(running_app) == [("early", 30), ("late", 40)], timeout=5000)


def test_the_images_line_ends_with_one_mark(running_app: RunningApp, qtbot: QtBot) -> None:
    running_app.context.worker.save_profile(Profile(uid=str(uuid.uuid4()), name="empty")).result(20)
    pane = running_app.window.profile_editor_tab.pane
    qtbot.waitUntil(lambda: pane.profile is not None and pane.profile.name == "empty", timeout=5000)
    assert pane.images_status.text() == "No layers: no images."  # not "images.."
    stored = Profile(uid=str(uuid.uuid4()), name="stack", layers=(layer("late", 30),))
    running_app.context.worker.save_profile(stored).result(20)
    tab = running_app.window.profile_editor_tab
    qtbot.waitUntil(lambda: tab.profile_list.count() == 2, timeout=5000)
    tab.profile_list.setCurrentRow(1)
    assert not pane.images_status.text().endswith("….")

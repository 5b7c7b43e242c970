"""Import Profile in the window: a Palette export whose registries match none here, or several, is
reviewed in a dialog used from the keyboard; cancelling imports nothing; a bad file is one message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop.app import RunningApp
from desktop.cancellation import CancelToken
from desktop.registry import Registry, RegistryDraft
from desktop.ui.profile_editor_tab import ProfileEditorTab
from desktop.ui.profile_import_dialog import CHOOSE, ProfileImportDialog
from tests.support.charts import chart_archive, publish_charts
from tests.support.exports import palette_export, palette_pack, registry_metadata, write_json
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]


def register(running: RunningApp, make_repo: MakeRepo, name: str) -> Registry:
    repo = make_repo()
    publish_charts(
        repo, {"web": {"1.0.0": chart_archive("web", "1.0.0")}, "db": {"2.0.0": chart_archive("db", "2.0.0")}}
    )
    return running.context.worker.register(RegistryDraft(name, repo.url), CancelToken()).future.result(10).registry


def open_import(tab: ProfileEditorTab, qtbot: QtBot, path: Path) -> ProfileImportDialog:
    tab.import_dialog = None
    tab.import_from(path)
    qtbot.waitUntil(lambda: tab.import_dialog is not None and tab.import_dialog.isVisible(), timeout=5000)
    assert tab.import_dialog is not None
    return tab.import_dialog


def export_file(tmp_path: Path) -> Path:
    document = palette_export(
        "Web Stack",
        [
            palette_pack("web", "1.0.0", registry_metadata("Bitnami Charts"), values='pack:\n  namespace: "web"\n'),
            palette_pack("db", "2.0.0", registry_metadata("stable")),
            palette_pack("ubuntu", "22.04", registry_metadata("Public Repo", "pack"), pack_type="spectro"),
        ],
        labels={"env": "prod"},
    )
    return write_json(tmp_path / "web-stack.json", document)


def test_a_pack_matching_no_registry_is_chosen_from_the_keyboard(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo, tmp_path: Path
) -> None:
    stable = register(running_app, make_repo, "stable")
    mirror = register(running_app, make_repo, "mirror")
    tab = running_app.window.profile_editor_tab
    running_app.window.tabs.setCurrentWidget(tab)
    dialog = open_import(tab, qtbot, export_file(tmp_path))
    web_combo, db_combo = dialog.registry_combos[1], dialog.registry_combos[2]
    assert db_combo.currentData() == stable.uid  # named alike: settled, still shown
    assert web_combo.itemText(0) == CHOOSE and web_combo.currentData() is None
    assert [web_combo.itemData(i) for i in range(1, web_combo.count())] == [mirror.uid, stable.uid]
    assert "holds this version" in web_combo.itemText(1)  # both snapshots hold web 1.0.0
    assert not dialog.import_button.isEnabled()
    assert "ubuntu is a Palette pack" in dialog.left_out.text()
    assert web_combo.hasFocus()  # the first question is where the keyboard starts
    qtbot.keyClick(web_combo, Qt.Key.Key_Down)
    assert web_combo.currentData() == mirror.uid and dialog.import_button.isEnabled()
    with qtbot.waitSignal(running_app.window.profile_editor_tab.context.bridge.catalog_changed, timeout=5000):
        qtbot.keyClick(web_combo, Qt.Key.Key_Return)  # Enter takes the default button: Import
    qtbot.waitUntil(lambda: tab.profile_list.count() == 1, timeout=5000)
    qtbot.waitUntil(lambda: tab.pane.profile is not None and tab.pane.profile.name == "Web Stack", timeout=5000)
    profile = tab.pane.profile
    assert [(a.chart, a.registry_uid, a.namespace) for a in profile.layers] == [
        ("web", mirror.uid, "web"),
        ("db", stable.uid, "default"),
    ]
    assert profile.tags == ("env:prod",)


def test_a_taken_name_is_asked_again_and_cancel_imports_nothing(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo, tmp_path: Path
) -> None:
    register(running_app, make_repo, "stable")
    register(running_app, make_repo, "Bitnami")
    source = export_file(tmp_path)
    tab = running_app.window.profile_editor_tab
    dialog = open_import(tab, qtbot, source)
    dialog.registry_combos[1].setCurrentIndex(1)
    dialog.accept()
    qtbot.waitUntil(lambda: tab.profile_list.count() == 1, timeout=5000)

    again = open_import(tab, qtbot, source)
    again.registry_combos[1].setCurrentIndex(1)
    assert not again.import_button.isEnabled()
    assert "exists already" in again.name_error.text() and again.name_error.isVisible()
    again.name_edit.selectAll()
    qtbot.keyClicks(again.name_edit, "Web Stack (edge)")
    assert again.import_button.isEnabled()
    qtbot.keyClick(again, Qt.Key.Key_Escape)  # Cancel
    assert not again.isVisible()
    qtbot.wait(200)
    assert tab.profile_list.count() == 1


def test_a_file_that_is_not_a_profile_is_one_message(running_app: RunningApp, qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"metadata": {"name": "p"}, "spec": {"template": {"packs": null}}}')
    tab = running_app.window.profile_editor_tab
    tab.import_from(path)
    qtbot.waitUntil(lambda: any(isinstance(d, QMessageBox) and d.isVisible() for d in tab._dialogs), timeout=5000)
    box = next(d for d in tab._dialogs if isinstance(d, QMessageBox))
    assert box.informativeText() == "• 'spec.template.packs' is null, not a list of packs: this is not a profile."
    assert tab.import_dialog is None  # nothing to review: the file was refused before
    box.close()

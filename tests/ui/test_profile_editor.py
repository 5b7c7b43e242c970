"""The profile editor flow in the window: search → select → add layer → values with a schema error →
fix → reorder → export; pinned content with the server gone; autosave and health flags."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import yaml
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from desktop.app import RunningApp
from desktop.cancellation import CancelToken
from desktop.catalog.db import open_catalog
from desktop.catalog.profiles import find_profile
from desktop.registry import Registry, RegistryDraft
from desktop.ui.profile_editor_tab import ProfileEditorTab
from tests.support.charts import chart_archive, publish_charts
from tests.support.exports import write_palette_export
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]
SCHEMA = json.dumps({"type": "object", "properties": {"replicaCount": {"type": "integer", "minimum": 1}}})
WEB_VALUES = "replicaCount: 1\nimage:\n  tag: stable\n"


def publish(repo: RepoServer) -> None:
    publish_charts(
        repo,
        {
            "web": {
                "1.0.0": chart_archive(
                    "web", "1.0.0", values=WEB_VALUES, readme="# Web chart\n\nServes **pages**.\n", schema=SCHEMA
                ),
                "1.1.0": chart_archive("web", "1.1.0", values=WEB_VALUES + "resources: {}\n", schema=SCHEMA),
            },
            "db": {"2.0.0": chart_archive("db", "2.0.0", values="persistence: true\n")},
        },
    )


def register(running: RunningApp, repo: RepoServer, name: str = "stable", **fields: object) -> Registry:
    draft = RegistryDraft(name, repo.url, **fields)  # type: ignore[arg-type]
    return running.context.worker.register(draft, CancelToken()).future.result(10).registry


def stored(running: RunningApp, name: str) -> object:
    db = open_catalog(running.context.paths.catalog, readonly=True)
    try:
        return find_profile(db, name)
    finally:
        db.close()


def wait_saved(qtbot: QtBot, tab: ProfileEditorTab) -> None:
    """Save what is pending now and wait for the writer to store it."""
    future = tab.flush()
    if future is not None:
        qtbot.waitUntil(future.done, timeout=5000)
        future.result()


def new_profile(tab: ProfileEditorTab, qtbot: QtBot) -> None:
    tab.new_profile()
    qtbot.waitUntil(lambda: tab.pane.profile is not None, timeout=5000)


def test_the_whole_flow(running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo, tmp_path: Path) -> None:
    repo = make_repo()
    publish(repo)
    register(running_app, repo)
    private = make_repo()
    publish(private)
    register(running_app, private, "airgap", sync_enabled=False)
    tab = running_app.window.profile_editor_tab
    running_app.window.tabs.setCurrentWidget(tab)
    new_profile(tab, qtbot)
    editor = tab.pane
    editor.name_edit.clear()
    qtbot.keyClicks(editor.name_edit, "web-stack")

    # Public: search as you type, select, see details, add.
    dialog = editor.open_add_chart()
    qtbot.keyClicks(dialog.search_edit, "we")
    qtbot.waitUntil(lambda: dialog.results_model.rowCount() == 1, timeout=2000)
    hit = dialog.results_model.rows[0]
    assert (hit.name, hit.version) == ("stable/web", "1.1.0")
    details = dialog.details
    assert not details.isVisibleTo(dialog) and not repo.requests_for("/web-1.1.0.tgz")  # nothing fetched yet
    qtbot.keyClick(dialog.search_edit, Qt.Key.Key_Return)  # Enter in the search field chooses the first
    qtbot.waitUntil(lambda: details.files is not None, timeout=10000)
    assert details.values_view.toPlainText() == WEB_VALUES + "resources: {}\n"
    details.select_version("1.0.0")
    qtbot.waitUntil(
        lambda: details.files is not None and details.values_view.toPlainText() == WEB_VALUES, timeout=10000
    )
    assert "Serves pages." in details.readme_view.toPlainText()  # rendered markdown, not the source
    assert "minimum" in details.schema_view.toPlainText()
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.profile is not None and len(editor.profile.layers) == 1)
    layer_editor = editor.layer_editor
    assert layer_editor.values_edit.toPlainText() == WEB_VALUES  # starts from the chart's defaults

    # Values with a schema error, pointed at its line; then fixed.
    qtbot.waitUntil(lambda: layer_editor.defaults is not None, timeout=10000)
    layer_editor.values_edit.setPlainText("image:\n  tag: stable\nreplicaCount: 0\n")
    qtbot.waitUntil(lambda: layer_editor.problem_lines() == [3], timeout=10000)  # checked off the UI thread
    assert "less than the minimum of 1" in layer_editor.problems.item(0).text()
    layer_editor.values_edit.setPlainText("image:\n  tag: stable\nreplicaCount: 3\n")
    qtbot.waitUntil(lambda: layer_editor.problem_lines() == [], timeout=10000)
    assert "+replicaCount: 3" in layer_editor.override_view.toPlainText()

    # Private: registry + exact name and version, checked against the snapshot.
    dialog = editor.open_add_chart()
    dialog.tabs.setCurrentIndex(1)
    dialog.registry_combo.setCurrentIndex(dialog.registry_combo.findData("airgap"))
    qtbot.keyClicks(dialog.name_edit, "dbb")
    assert "Did you mean db?" in dialog.private_error.text()
    dialog.name_edit.clear()
    qtbot.keyClicks(dialog.name_edit, "db")
    qtbot.keyClicks(dialog.version_edit, "2.0")
    assert "closest: 2.0.0" in dialog.private_error.text() and not dialog.add_button.isEnabled()
    qtbot.keyClicks(dialog.version_edit, ".0")
    assert dialog.add_button.isEnabled()
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(editor.profile.layers) == 2)
    qtbot.waitUntil(lambda: layer_editor.values_edit.toPlainText() == "persistence: true\n", timeout=10000)

    # Reorder with Move Up (the list is the install order: no dragging), then namespace and priority.
    editor.layers.setCurrentRow(1)
    editor.move_selected_layer(-1)
    assert [layer.chart for layer in editor.profile.layers] == ["db", "web"]
    editor.layers.setCurrentRow(1)
    layer_editor.namespace_edit.clear()
    qtbot.keyClicks(layer_editor.namespace_edit, "Web_NS")
    assert "is not a Kubernetes namespace" in layer_editor.namespace_error.text()
    layer_editor.namespace_edit.clear()
    qtbot.keyClicks(layer_editor.namespace_edit, "web")
    layer_editor.priority_spin.setValue(10)

    # Autosaved.
    def saved_layers() -> list[tuple]:
        profile = stored(running_app, "web-stack")
        return [] if profile is None else [(a.chart, a.namespace, a.install_priority) for a in profile.layers]

    qtbot.waitUntil(lambda: saved_layers() == [("db", "db", 0), ("web", "web", 10)], timeout=5000)

    # Export, and read the files back as other tools would.
    profile = editor.profile
    tab.export_to(profile, "helmfile", tmp_path / "helmfile.yaml")
    qtbot.waitUntil((tmp_path / "helmfile.yaml").exists, timeout=5000)  # written whole, then renamed
    helmfile = yaml.safe_load((tmp_path / "helmfile.yaml").read_text())
    assert [(r["name"], r["chart"], r["version"], r.get("needs")) for r in helmfile["releases"]] == [
        ("db", "airgap/db", "2.0.0", None),
        ("web", "stable/web", "1.0.0", ["db/db"]),
    ]
    # Only what the layer changed from the chart's defaults (image.tag stable is the default); db's
    # values are its defaults unchanged, so it has none.
    assert helmfile["releases"][1]["values"] == [{"replicaCount": 3}]
    assert "values" not in helmfile["releases"][0]
    tab.export_to(profile, "palette", tmp_path / "palette.json")
    qtbot.waitUntil((tmp_path / "palette.json").exists, timeout=5000)
    packs = json.loads((tmp_path / "palette.json").read_text())["spec"]["template"]["packs"]
    assert [(p["name"], p["registry"]["metadata"]["name"]) for p in packs] == [("db", "airgap"), ("web", "stable")]


def test_pinned_layers_show_their_files_with_the_server_gone(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    repo = make_repo()
    publish(repo)
    register(running_app, repo)
    tab = running_app.window.profile_editor_tab
    new_profile(tab, qtbot)
    dialog = tab.pane.open_add_chart()
    qtbot.keyClicks(dialog.search_edit, "web")
    qtbot.keyClick(dialog.search_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.details.chart == "web" and dialog.details.files is not None, timeout=10000)
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.pane.profile is not None and len(tab.pane.profile.layers) == 1)
    wait_saved(qtbot, tab)
    repo.stop()
    tab._load()  # select the profile afresh: every file now comes from the content cache
    qtbot.waitUntil(lambda: tab.pane.layer_editor.defaults is not None, timeout=10000)
    assert tab.pane.layer_editor.defaults.values == WEB_VALUES + "resources: {}\n"
    assert tab.pane.layer_editor.values_status.text().startswith("✓ Valid (YAML and the chart's schema")


def test_a_chart_without_a_schema_is_not_said_to_be_checked_against_one(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    """Issue 22: Longhorn ships no values.schema.json, yet its values read "✓ Valid (YAML and the chart's schema)"."""
    repo = make_repo()
    publish(repo)
    register(running_app, repo)
    tab = running_app.window.profile_editor_tab
    new_profile(tab, qtbot)
    dialog = tab.pane.open_add_chart()
    qtbot.keyClicks(dialog.search_edit, "db")
    qtbot.keyClick(dialog.search_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.details.chart == "db" and dialog.details.files is not None, timeout=10000)
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.pane.profile is not None and len(tab.pane.profile.layers) == 1)
    editor = tab.pane.layer_editor
    qtbot.waitUntil(lambda: editor.values_status.text() == "✓ Valid YAML (the chart ships no schema)", timeout=10000)


def test_an_edit_is_saved_when_the_window_closes_at_once(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    tab = running_app.window.profile_editor_tab
    new_profile(tab, qtbot)
    tab.pane.description_edit.setText("typed just before quitting")
    tab.pane._on_fields_edited()
    running_app.window.close()  # before the autosave delay has passed
    assert running_app.context.worker.stop()  # as quitting does: queued writes land first
    profile = stored(running_app, tab.pane.profile.name)
    assert profile is not None and profile.description == "typed just before quitting"


def test_a_layer_removed_upstream_is_flagged(running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo) -> None:
    repo = make_repo()
    publish(repo)
    registry = register(running_app, repo)
    tab = running_app.window.profile_editor_tab
    new_profile(tab, qtbot)
    dialog = tab.pane.open_add_chart()
    qtbot.keyClicks(dialog.search_edit, "db")
    qtbot.keyClick(dialog.search_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.details.chart == "db" and dialog.details.version() == "2.0.0", timeout=5000)
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(tab.pane.profile.layers) == 1)
    wait_saved(qtbot, tab)
    publish_charts(repo, {"web": {"1.0.0": chart_archive("web", "1.0.0")}})  # db is gone upstream
    running_app.context.worker.sync(registry.id).result(10)
    qtbot.waitUntil(lambda: tab.profile_list.item(0).text().startswith("⚠ "), timeout=5000)
    assert "removed upstream" in tab.profile_list.item(0).toolTip()
    tab._load()
    assert tab.pane.layers.item(0).text().startswith("⚠ db 2.0.0")
    qtbot.waitUntil(lambda: tab.pane.layer_editor.defaults is not None, timeout=10000)
    assert tab.pane.layer_editor.defaults.values == "persistence: true\n"  # pinned content still works


def test_import_of_a_file_with_an_unknown_registry_asks_and_imports_nothing(
    running_app: RunningApp, qtbot: QtBot, tmp_path: Path
) -> None:
    export = write_palette_export(tmp_path / "p.json", "gone", "https://gone.example")
    tab = running_app.window.profile_editor_tab
    tab.import_from(export)
    qtbot.waitUntil(lambda: tab.import_dialog is not None and tab.import_dialog.isVisible(), timeout=5000)
    dialog = tab.import_dialog
    assert not dialog.import_button.isEnabled()
    assert any("There is no helm registry here" in label.text() for label in dialog.findChildren(QLabel))
    dialog.reject()
    assert tab.profile_list.count() == 0

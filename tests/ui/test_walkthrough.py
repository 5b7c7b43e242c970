"""The window walked through as a user would (issue 12): dialogs that fit a 1280x720 screen, Enter,
Escape and Tab that do what people expect, the chart picker's rows and icons, Browse charts with
Keep offline, visible validation, coloured diffs, the registries table, namespaces from charts."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QScreen
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QFileDialog,
    QLabel,
    QMenuBar,
    QMessageBox,
    QTabBar,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop.app import RunningApp, build_app
from desktop.cancellation import CancelToken
from desktop.catalog.archives import cached_archive, offline_states
from desktop.paths import AppPaths
from desktop.profiles.model import Layer, Profile
from desktop.registry import Registry, RegistryDraft
from desktop.secrets import CredentialStore
from desktop.ui.add_chart_dialog import AddChartDialog
from desktop.ui.browse_charts_dialog import BrowseChartsDialog
from desktop.ui.chart_details import OFFLINE, VERSION
from desktop.ui.chart_list import NAME
from desktop.ui.diff_view import DiffView
from desktop.ui.helm_import_dialog import HelmImportDialog
from desktop.ui.registry_model import ENDPOINT, STATUS
from tests.integration.test_chart_icons import png
from tests.support.charts import chart_archive, chart_entry, index_yaml
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]
SCHEMA = json.dumps(
    {"type": "object", "properties": {"image": {"type": "object", "properties": {"tag": {"type": "string"}}}}}
)
LONGHORN_VALUES = "persistence:\n  defaultClass: true\n" + "".join(f"setting{i}: {i}\n" for i in range(40))


def publish(repo: RepoServer, *, icon: bool = True) -> None:
    """Three charts as a user meets them: Longhorn (an icon, Rancher's namespace annotation), a web
    chart with a schema, and an old deprecated one."""
    archives = {
        ("longhorn", "1.7.0"): chart_archive("longhorn", "1.7.0", values=LONGHORN_VALUES, readme="# Longhorn\n"),
        ("longhorn", "1.6.2"): chart_archive("longhorn", "1.6.2", values=LONGHORN_VALUES),
        ("web", "2.0.0"): chart_archive("web", "2.0.0", values="image:\n  tag: stable\n", schema=SCHEMA),
        ("legacy", "0.1.0"): chart_archive("legacy", "0.1.0"),
    }
    entries: dict[str, list[dict[str, object]]] = {}
    for (name, version), archive in archives.items():
        repo.put(f"/{name}-{version}.tgz", archive)
        import hashlib

        fields: dict[str, object] = {"digest": hashlib.sha256(archive).hexdigest()}
        if name == "longhorn":
            fields |= {
                "annotations": {"catalog.cattle.io/namespace": "longhorn-system"},
                "description": "Cloud-native distributed block storage for Kubernetes",
                "created": f"2026-0{5 if version == '1.7.0' else 3}-01T10:00:00Z",
            }
            if icon:
                fields["icon"] = "icons/longhorn.png"
        if name == "legacy":
            fields["deprecated"] = True
        entries.setdefault(name, []).append(chart_entry(name, version, **fields))
    repo.put("/icons/longhorn.png", png(16, 16))
    repo.put("/index.yaml", index_yaml(entries))


def register(running: RunningApp, repo: RepoServer, name: str = "rancher", **fields: object) -> Registry:
    draft = RegistryDraft(name, repo.url, **fields)  # type: ignore[arg-type]
    return running.context.worker.register(draft, CancelToken()).future.result(10).registry


def wait_for_icon(running: RunningApp, registry: Registry, chart: str) -> None:
    from desktop.catalog.icons import chart_icon

    deadline = time.monotonic() + 10
    while chart_icon(running.context.reader, registry.id, chart) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert chart_icon(running.context.reader, registry.id, chart) is not None


def within(screen: QScreen, widget: QWidget) -> bool:
    available: QRect = screen.availableGeometry()
    frame = widget.frameGeometry()
    return available.contains(frame.topLeft()) and available.contains(frame.bottomRight())


def shown(qtbot: QtBot, widget: QWidget) -> QWidget:
    qtbot.waitExposed(widget)
    QApplication.processEvents()
    return widget


# --- 1. every window and dialog fits 1280x720 (and 1024x700 stays usable) --------------------------


def test_every_dialog_fits_a_1280x720_screen_centred_on_the_window(
    running_app: RunningApp, small_screen: QScreen, qtbot: QtBot, make_repo: MakeRepo, tmp_path: Path
) -> None:
    repo = make_repo()
    publish(repo)
    registry = register(running_app, repo)
    window = running_app.window
    assert window.minimumSizeHint().width() <= 1024 and window.minimumSizeHint().height() <= 700
    assert within(small_screen, window)
    tabs = window.registries_tab
    profiles = window.profile_editor_tab
    profiles.new_profile()
    qtbot.waitUntil(lambda: profiles.pane.profile is not None, timeout=5000)
    repo.stop()  # so that the chosen chart's files fail, with the longest message there is

    chooser = profiles.pane.open_add_chart()
    qtbot.keyClicks(chooser.search_edit, "web")
    qtbot.keyClick(chooser.search_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "could not give them" in chooser.details.status.text(), timeout=10000)
    dialogs: list[QWidget] = [
        chooser,
        tabs.open_add_dialog(),
        tabs.open_edit_dialog(registry),
        tabs.open_history(registry),
        tabs.open_browser(registry),
        tabs.confirm_remove(registry),
        window.settings_tab.confirm_clear_cache(),
        HelmImportDialog(tmp_path / "a-rather-long-folder-name" / "repositories.yaml", window),
    ]
    edit = dialogs[2]
    edit._show_error("x " * 400)  # type: ignore[attr-defined]  # a long error wraps, it does not widen
    for dialog in dialogs:
        if isinstance(dialog, HelmImportDialog):
            dialog.open()
        shown(qtbot, dialog)
        assert dialog.screen() is small_screen, dialog.windowTitle()
        assert within(small_screen, dialog), (dialog.windowTitle(), dialog.frameGeometry())
        assert dialog.minimumSizeHint().width() <= 1024 - 40, dialog.windowTitle()
        centre = dialog.frameGeometry().center()
        assert abs(centre.x() - window.frameGeometry().center().x()) <= 40, dialog.windowTitle()
    for dialog in dialogs:
        dialog.close()


def test_the_integrity_and_bundle_dialogs_fit_a_1280x720_screen_too(
    running_app: RunningApp, small_screen: QScreen, qtbot: QtBot, make_repo: MakeRepo, tmp_path: Path
) -> None:
    from tests.ui.test_held_and_removed import _hold

    registry = _hold(running_app, qtbot, make_repo())
    window = running_app.window
    tabs = window.registries_tab
    actions = window.bundle_actions
    missing = tmp_path / "a-rather-long-folder-name-for-the-usb-stick" / "site-bundle-of-27-november.tar"
    dialogs: list[QWidget] = [
        tabs.open_history(registry),
        tabs.confirm_accept_removals(registry),
        tabs.confirm_prune(registry, 30),
        actions.open_export(),
        actions.open_publish(),
        actions.open_import(missing),
    ]
    for dialog in dialogs:
        shown(qtbot, dialog)
        assert dialog.screen() is small_screen, dialog.windowTitle()
        assert within(small_screen, dialog), (dialog.windowTitle(), dialog.frameGeometry())
        centre = dialog.frameGeometry().center()
        assert abs(centre.x() - window.frameGeometry().center().x()) <= 40, dialog.windowTitle()
    assert dialogs[0].accept_button.isVisible()  # type: ignore[attr-defined]  # the held run can be accepted
    qtbot.waitUntil(lambda: "cannot be imported" in dialogs[-1].heading.text(), timeout=10000)  # type: ignore[attr-defined]
    for dialog in dialogs:
        dialog.close()


def test_the_main_window_comes_back_on_screen(running_app: RunningApp, small_screen: QScreen, qtbot: QtBot) -> None:
    from desktop.ui.main_window import MainWindow

    window = running_app.window
    window.setGeometry(small_screen.geometry().adjusted(-200, 0, 400, 300))  # as saved on a bigger screen
    window.close()
    again = MainWindow(running_app.context)
    qtbot.addWidget(again)
    again.move(small_screen.geometry().topLeft())
    from desktop.ui.geometry import keep_on_screen

    keep_on_screen(again)
    assert again.width() <= small_screen.availableGeometry().width()
    assert again.height() <= small_screen.availableGeometry().height()


# --- 2 and 3. the registry dialog: Enter, Escape, focus; its layout ----------------------------------


def test_enter_confirms_or_shows_what_is_missing_and_escape_cancels(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[QFileDialog] = []
    monkeypatch.setattr(QFileDialog, "open", lambda self, *a: opened.append(self))  # no file browser here
    dialog = running_app.window.registries_tab.open_add_dialog()
    shown(qtbot, dialog)
    assert QApplication.focusWidget() is dialog.name_edit  # typing at once is not lost
    assert not dialog.certificate.browse_button.autoDefault() and dialog.confirm_button.isDefault()
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    assert opened == []  # not the certificate's Browse…
    assert dialog.isVisible()
    assert dialog.field_errors["name"].isVisibleTo(dialog) and dialog.field_errors["endpoint"].isVisibleTo(dialog)
    assert QApplication.focusWidget() is dialog.name_edit
    repo = make_repo()
    publish(repo)
    qtbot.keyClicks(dialog.name_edit, "rancher")
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.endpoint_edit
    qtbot.keyClicks(dialog.endpoint_edit, repo.url)
    with qtbot.waitSignal(dialog.accepted, timeout=10000):
        qtbot.keyClick(dialog.endpoint_edit, Qt.Key.Key_Enter)
    assert opened == []
    again = running_app.window.registries_tab.open_add_dialog()
    shown(qtbot, again)
    with qtbot.waitSignal(again.rejected, timeout=2000):
        qtbot.keyClick(again.name_edit, Qt.Key.Key_Escape)


def test_the_registry_dialog_grows_for_errors_and_hides_rows_whole(
    running_app: RunningApp, qtbot: QtBot, ca: object
) -> None:
    dialog = running_app.window.registries_tab.open_add_dialog()
    shown(qtbot, dialog)
    dialog.resize(dialog.minimumWidth(), 200)  # as small as it lets itself be made
    qtbot.keyClicks(dialog.endpoint_edit, "ftp://nowhere")
    dialog._show_error("The server's certificate is not trusted. " * 6)
    labels = (dialog.field_errors["endpoint"], dialog.error_text, dialog.certificate.prompt, dialog.sync_hint)

    def nothing_cut() -> bool:
        return all(label.height() >= label.heightForWidth(label.width()) for label in labels)

    qtbot.wait(100)
    assert nothing_cut(), [(label.height(), label.heightForWidth(label.width())) for label in labels]
    assert dialog.certificate.browse_button.height() >= dialog.certificate.browse_button.sizeHint().height()
    assert dialog.error_box.height() <= dialog.error_text.heightForWidth(dialog.error_text.width()) + 40
    assert not dialog.form.isRowVisible(dialog.username_row)  # no login: the rows go, with their spacing
    dialog.set_auth("basic")
    assert dialog.form.isRowVisible(dialog.username_row) and dialog.form.isRowVisible(dialog.password_row)
    assert not dialog.form.isRowVisible(dialog.charts_row)  # OCI only
    dialog.certificate.take_text(ca.cert_pem.bytes().decode())  # type: ignore[attr-defined]
    assert dialog.error_box.isHidden()  # the old "unknown authority" no longer applies
    details = dialog.certificate.details.text()
    fingerprint = details.split("SHA-256:")[1]
    assert fingerprint.count(" ") >= 3  # grouped, so it wraps at the default width
    qtbot.waitUntil(
        lambda: (
            dialog.certificate.details.height()
            >= dialog.certificate.details.heightForWidth(dialog.certificate.details.width())
        ),
        timeout=2000,
    )
    dialog.reject()


# --- 4. after a restart, the first layer's defaults load ------------------------------------------


def test_the_first_layers_defaults_load_after_a_restart(
    qt_loop: object, app_paths: AppPaths, credentials: CredentialStore, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    repo = make_repo()
    publish(repo)
    first = build_app(app_paths, schedule=False, credentials=credentials)
    registry = register(first, repo)
    layer = Layer(registry.uid, registry.name, registry.endpoint, "longhorn", "1.7.0", values_override="a: 1\n")
    first.context.worker.save_profile(Profile(uid="", name="storage", layers=(layer,))).result(10)
    first.window.close()
    first.shut_down()
    asyncio.set_event_loop(None)  # as at startup: the window is built before the asyncio loop runs
    try:
        second = build_app(app_paths, schedule=False, credentials=credentials)
    finally:
        asyncio.set_event_loop(qt_loop)  # type: ignore[arg-type]
    try:
        editor = second.window.profile_editor_tab.pane.layer_editor
        assert editor.layer is not None and editor.layer.chart == "longhorn"
        qtbot.waitUntil(lambda: editor.defaults is not None, timeout=10000)
        assert editor.defaults_status.text() == ""
        assert "-persistence:" in editor.override_view.toPlainText()  # a real diff, not everything added
    finally:
        second.window.close()
        second.shut_down()


# --- 5. validation that shows: badges, plain words, line numbers, export asks ----------------------


def test_values_errors_show_on_layers_and_profiles_and_export_asks(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo()
    publish(repo)
    registry = register(running_app, repo)
    good = Layer(registry.uid, registry.name, registry.endpoint, "longhorn", "1.7.0", namespace="longhorn-system")
    bad = Layer(
        registry.uid,
        registry.name,
        registry.endpoint,
        "web",
        "2.0.0",
        namespace="web",
        values_override="image:\n  tag: 42\n",
    )
    running_app.context.worker.save_profile(Profile(uid="", name="edge", layers=(good, bad))).result(10)
    tab = running_app.window.profile_editor_tab
    tab._load()
    editor = tab.pane
    qtbot.waitUntil(lambda: editor.layer_badges()[1].startswith("✗ web 2.0.0 · 1 error"), timeout=10000)
    assert not editor.layer_badges()[0].startswith("✗")
    qtbot.waitUntil(lambda: tab.profile_list.item(0).text().startswith("✗ edge"), timeout=5000)
    assert "1 with errors" in tab.profile_list.item(0).text()
    assert "image.tag: 42 is not of type 'string'" in tab.profile_list.item(0).toolTip()

    editor.layers.setCurrentRow(1)
    layer_editor = editor.layer_editor
    qtbot.waitUntil(lambda: layer_editor.values_edit.marked_lines() == [2], timeout=10000)
    layer_editor.values_edit.setPlainText("image:\n  tag: [1, 2\nnext: 1\n")
    assert layer_editor.problems.count() == 1
    message = layer_editor.problems.item(0).text()
    assert "list is not closed" in message and "expected" not in message
    assert layer_editor.values_edit.marked_lines() == [3]
    assert layer_editor.values_edit.gutter_width() > 0
    assert layer_editor.problems.height() < layer_editor.values_edit.height() / 3  # compact
    qtbot.waitUntil(lambda: editor.layer_badges()[1].startswith("✗ web"), timeout=2000)

    written: list[str] = []
    # No file chooser under test: the one it would open is recorded, with the kind of file it offers.
    monkeypatch.setattr(QFileDialog, "open", lambda self, *a: written.append(self.nameFilters()[0]))
    box = tab.export_current("helmfile")
    assert isinstance(box, QMessageBox) and written == []
    assert "has errors in its values" in box.text() and "web 2.0.0" in box.informativeText()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)  # Enter writes nothing
    shown(qtbot, box)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert written == []
    box = tab.export_current("helmfile")
    anyway = next(b for b in box.buttons() if b.text() == "Export &Anyway")
    anyway.click()
    assert written == ["helmfile (*.yaml *.yml)"]
    layer_editor.values_edit.setPlainText("image:\n  tag: v2\n")
    qtbot.waitUntil(lambda: not editor.layer_badges()[1].startswith("✗"), timeout=2000)
    assert tab.export_current("palette") is None and written[-1] == "Palette JSON (*.json)"


def test_why_a_layers_defaults_are_missing_is_whole_and_leaves_room_to_edit(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    repo = make_repo()
    publish(repo)
    registry = register(running_app, repo)
    del repo.files["/web-2.0.0.tgz"]  # the registry cannot give its defaults: the longest message there is
    layer = Layer(registry.uid, registry.name, registry.endpoint, "web", "2.0.0", namespace="web")
    running_app.context.worker.save_profile(Profile(uid="", name="edge", layers=(layer,))).result(10)
    window = running_app.window
    window.resize(900, 560)  # smaller than a 1024x700 screen allows
    window.profile_editor_tab._load()
    window.tabs.setCurrentIndex(2)
    editor = window.profile_editor_tab.pane.layer_editor
    qtbot.waitUntil(lambda: "not available" in editor.defaults_status.text(), timeout=10000)
    label = editor.defaults_status
    page = editor.tabs.currentWidget()

    def whole() -> bool:  # as tall as its text needs, and inside the page that shows it
        bottom = label.mapTo(page, label.rect().bottomLeft()).y()
        return label.height() >= label.heightForWidth(label.width()) and bottom <= page.height()

    qtbot.waitUntil(whole, timeout=2000)
    # Beside "✓ Valid (YAML)" the reason wrapped into a narrow column seven lines tall (cut off on a
    # real screen) and left the editor five lines; now one short line, the reason where there is room.
    assert editor.values_edit.height() >= 6 * editor.values_edit.fontMetrics().lineSpacing()
    assert "404 Not Found" in editor.defaults_status.toolTip()
    assert "404 Not Found" in editor.override_view.toPlainText()  # not every line of the values as added


# --- 6. the chart picker: rows, icons, ranking, nothing fetched until chosen ------------------------


def test_the_chart_picker_shows_rows_with_icons_and_fetches_only_what_is_chosen(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo, qtmodeltester: object
) -> None:
    repo = make_repo()
    publish(repo)
    registry = register(running_app, repo)
    wait_for_icon(running_app, registry, "longhorn")
    running_app.context.worker.pin(registry.id, "longhorn", "1.6.2").result(10)
    dialog = running_app.window.profile_editor_tab.pane.open_add_chart()
    shown(qtbot, dialog)
    model = dialog.results_model
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    assert [hit.chart for hit in model.rows] == ["legacy", "longhorn", "web"]  # by name, across registries
    assert not dialog.results.currentIndex().isValid()
    assert not any(r.path.endswith(".tgz") and "1.7.0" in r.path for r in repo.requests)
    longhorn = model.index(1, NAME)
    assert dialog.icons.has_icon(registry.id, "longhorn") and not dialog.icons.has_icon(registry.id, "web")
    assert model.badges(model.rows[0]) == ["Deprecated"]
    assert model.badges(model.rows[1]) == ["Available offline"]
    assert "Cloud-native" in longhorn.data(Qt.ItemDataRole.ToolTipRole)

    qtbot.keyClick(dialog.search_edit, Qt.Key.Key_Down)  # into the list, at the first row
    assert dialog.results.hasFocus()
    qtbot.keyClick(dialog.results, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: dialog.details.chart == "longhorn" and dialog.details.files is not None, timeout=10000)
    versions = dialog.details.versions_model
    qtmodeltester.check(versions)  # type: ignore[attr-defined]
    rows = [
        (versions.index(r, VERSION).data(), versions.index(r, 2).data(), versions.index(r, OFFLINE).data())
        for r in range(versions.rowCount())
    ]
    assert rows == [("1.7.0", "2026-05-01", "Cached"), ("1.6.2", "2026-03-01", "✓ Kept offline")]
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        qtbot.keyClick(dialog.results, Qt.Key.Key_Return)  # Enter on a row adds it
    assert (dialog.chosen.chart, dialog.chosen.version) == ("longhorn", "1.7.0")  # type: ignore[union-attr]


def test_a_new_layer_takes_the_namespace_its_chart_declares(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    repo = make_repo()
    publish(repo)
    register(running_app, repo)
    tab = running_app.window.profile_editor_tab
    tab.new_profile()
    qtbot.waitUntil(lambda: tab.pane.profile is not None, timeout=5000)
    for search, namespace in (("longhorn", "longhorn-system"), ("web", "web")):
        dialog: AddChartDialog = tab.pane.open_add_chart()
        qtbot.keyClicks(dialog.search_edit, search)
        qtbot.keyClick(dialog.search_edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda d=dialog, s=search: d.details.chart == s, timeout=5000)
        with qtbot.waitSignal(dialog.accepted, timeout=5000):
            qtbot.keyClick(dialog.search_edit, Qt.Key.Key_Return)
        assert tab.pane.profile.layers[-1].namespace == namespace


# --- 7. Browse charts from the Registries tab, Keep offline, the cache in Tenant settings ----------


def test_browse_charts_keep_offline_and_clear_the_cache(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    repo = make_repo()
    publish(repo)
    registry = register(running_app, repo, sync_enabled=False)  # browsable even with synchronization off
    tabs = running_app.window.registries_tab
    qtbot.waitUntil(lambda: tabs.proxy.rowCount() == 1)
    index = tabs.proxy.index(0, 0)
    centre = tabs.table.visualRect(index).center()
    qtbot.mouseClick(tabs.table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseDClick(tabs.table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    browser = next(d for d in tabs._open_dialogs if isinstance(d, BrowseChartsDialog))
    shown(qtbot, browser)
    assert browser.model.rowCount() == 3
    qtbot.keyClicks(browser.filter_edit, "long")
    assert browser.model.rowCount() == 1
    browser.charts.setCurrentIndex(browser.model.index(0, NAME))
    browser.choose_current()
    details = browser.details
    qtbot.waitUntil(lambda: details.files is not None, timeout=10000)
    details.select_version("1.6.2")
    assert details.offline_button.text().replace("&", "") == "Keep offline"
    qtbot.mouseClick(details.offline_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Remove offline copy" in details.offline_button.text().replace("&", ""), timeout=10000)
    assert offline_states(running_app.context.reader, registry.uid, "longhorn")["1.6.2"].pinned
    qtbot.mouseClick(details.offline_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: details.offline_button.text().replace("&", "") == "Keep offline", timeout=10000)
    from desktop.catalog.archives import ChartRef

    assert cached_archive(running_app.context.reader, ChartRef(registry.uid, "longhorn", "1.6.2")) is None
    browser.reject()

    settings = running_app.window.settings_tab
    settings._update_size()
    assert "in 1 chart version" in settings.cache_label.text()  # 1.7.0, looked at
    box = settings.confirm_clear_cache()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    delete = next(b for b in box.buttons() if b.text() == "&Delete")
    delete.click()
    qtbot.waitUntil(lambda: "in 0 chart versions" in settings.cache_label.text(), timeout=5000)
    assert not settings.clear_cache_button.isEnabled()


def test_a_version_a_profile_uses_is_not_ticked_offline_until_its_files_are_here(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    """A profile's version whose archive could not be fetched read "✓ In edge" with Keep offline
    disabled: a user took it for safe offline, and could not fetch it."""
    repo = make_repo()
    publish(repo)
    registry = register(running_app, repo)
    archive = repo.files.pop("/longhorn-1.6.2.tgz")  # the registry cannot give it now
    layer = Layer(registry.uid, registry.name, registry.endpoint, "longhorn", "1.6.2", namespace="longhorn-system")
    running_app.context.worker.save_profile(Profile(uid="", name="edge", layers=(layer,))).result(10)
    browser = running_app.window.registries_tab.open_browser(registry)
    browser.details.show()
    browser.details.show_chart(registry, "longhorn", "1.6.2")
    details = browser.details
    model = details.versions_model
    row = model.row_of("1.6.2")
    assert row is not None
    assert model.data(model.index(row, OFFLINE)) == "⚠ Not here (in edge)"
    assert "not on this computer" in model.data(model.index(row, OFFLINE), Qt.ItemDataRole.ToolTipRole)
    assert details.offline_button.isEnabled()  # it can be fetched from here
    repo.put("/longhorn-1.6.2.tgz", archive)
    qtbot.mouseClick(details.offline_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: model.data(model.index(row, OFFLINE)) == "✓ Kept offline", timeout=10000)
    browser.reject()


def shared_mnemonics(window: QWidget) -> dict[str, list[str]]:
    """Alt+letter → the visible controls of `window` that claim it, where more than one does (then
    Alt+letter only moves the focus between them, and does none of their actions)."""
    claims: dict[str, list[str]] = {}

    def claim(text: str) -> None:
        found = re.search(r"&([^&])", text.replace("&&", ""))
        if found:
            claims.setdefault(found.group(1).lower(), []).append(text)

    for widget in window.findChildren(QWidget):
        if widget.window() is not window or not widget.isVisibleTo(window):
            continue
        if isinstance(widget, QAbstractButton) or (isinstance(widget, QLabel) and widget.buddy() is not None):
            claim(widget.text())
        elif isinstance(widget, QTabBar):
            for index in range(widget.count()):
                claim(widget.tabText(index))
        elif isinstance(widget, QMenuBar):
            for action in widget.actions():
                claim(action.text())
    return {key: texts for key, texts in claims.items() if len(texts) > 1}


def test_no_two_visible_controls_share_an_alt_letter(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    """Alt+N in the Profile editor claimed New Profile, Profile name, Version and Namespace at once,
    so it did none of them; Alt+H meant Help, Hold syncs… and Import from Helm."""
    repo = make_repo()
    publish(repo)
    registry = register(running_app, repo)
    layer = Layer(registry.uid, registry.name, registry.endpoint, "web", "2.0.0", namespace="web")
    running_app.context.worker.save_profile(Profile(uid="", name="edge", layers=(layer,))).result(10)
    window = running_app.window
    window.profile_editor_tab._load()
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        QApplication.processEvents()
        assert shared_mnemonics(window) == {}, window.tabs.tabText(index)
    tabs = window.registries_tab
    chooser = window.profile_editor_tab.pane.open_add_chart()
    chooser.results.setCurrentIndex(chooser.results_model.index(0, NAME))
    chooser.choose_current()
    dialogs: list[QWidget] = [
        chooser,
        tabs.open_add_dialog(),
        tabs.open_browser(registry),
        tabs.open_history(registry),
        tabs.confirm_remove(registry),
        window.bundle_actions.open_export(),
        window.bundle_actions.open_publish(),
    ]
    for dialog in dialogs:
        shown(qtbot, dialog)
        assert shared_mnemonics(dialog) == {}, dialog.windowTitle()
        if dialog is chooser:
            chooser.tabs.setCurrentIndex(1)
            assert shared_mnemonics(dialog) == {}, "Add Helm Chart, Private"
        dialog.close()


# --- 8. keyboard: Tab leaves the table, Escape clears the filter, no match says so -----------------


def test_tab_reaches_the_filter_and_the_buttons_and_escape_clears(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    repo = make_repo()
    publish(repo)
    for name in ("alpha", "beta", "gamma"):
        register(running_app, repo, name)
    window = running_app.window
    tabs = window.registries_tab
    window.tabs.setCurrentWidget(tabs)
    qtbot.waitUntil(lambda: tabs.proxy.rowCount() == 3)
    window.activateWindow()
    tabs.table.setFocus()
    reached = []
    for _ in range(8):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        reached.append(QApplication.focusWidget())
    assert tabs.filter_edit in reached and tabs.add_button in reached
    assert reached.count(tabs.table) <= 2  # Tab leaves the table: no cell-by-cell trap
    tabs.filter_edit.setFocus()
    qtbot.keyClicks(tabs.filter_edit, "zzz")
    assert tabs.stack.currentWidget() is tabs.no_match and "No registries match “zzz”" in tabs.no_match.text()
    qtbot.keyClick(tabs.filter_edit, Qt.Key.Key_Escape)
    assert tabs.filter_edit.text() == "" and tabs.stack.currentWidget() is tabs.table


# --- 9. diffs in colour, side by side, wrapped ------------------------------------------------------


def test_diffs_are_coloured_wrapped_and_side_by_side(qtbot: QtBot) -> None:
    view = DiffView()
    qtbot.addWidget(view)
    before = "a: 1\nb: 2\nlong: " + "x" * 400 + "\n"
    after = "a: 1\nb: 3\nlong: " + "x" * 400 + "\nc: 4\n"
    view.set_texts(before, after, "1.0.0", "1.1.0", "same")
    assert "+b: 3" in view.toPlainText() and "-b: 2" in view.toPlainText()
    assert "2 lines added, 1 removed" in view.summary.text()
    html = view.browser.toHtml()
    assert "background-color:" in html
    assert view.browser.lineWrapMode() == view.browser.LineWrapMode.WidgetWidth
    view.side_by_side_check.setChecked(True)
    side = view.browser.toHtml()
    assert "<table" in side and side != html
    view.set_texts("a: 1\n", "a: 1\n", "x", "y", "The default values are the same.")
    assert view.toPlainText() == "The default values are the same." and not view.side_by_side_check.isEnabled()


# --- 10. the registries table -----------------------------------------------------------------------


def test_columns_share_the_width_and_a_failed_registry_says_its_snapshot_works(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    repo = make_repo()
    publish(repo)
    registry = register(running_app, repo, "ibm-charts")
    window = running_app.window
    window.resize(1920, 1000)
    tabs = window.registries_tab
    repo.put("/index.yaml", b"")
    del repo.files["/index.yaml"]  # the index is gone: 404
    with qtbot.waitSignal(running_app.context.bridge.sync_finished, timeout=10000):
        tabs.synchronize(registry)
    qtbot.waitUntil(lambda: "could not be synced" in tabs.offline_text.text(), timeout=5000)
    assert tabs.offline_banner.isVisible() and "snapshot" in tabs.offline_text.text()
    row = tabs.proxy.index(0, STATUS)
    assert row.data().startswith("Failed — using snapshot of ")
    assert "still work from the snapshot" in row.data(Qt.ItemDataRole.ToolTipRole)
    tabs.fit_columns()
    header = tabs.table.horizontalHeader()
    assert header.sectionSize(STATUS) >= tabs.table.sizeHintForColumn(STATUS)  # room at 1920: not cut
    assert header.sectionSize(ENDPOINT) < header.sectionSize(STATUS)
    assert tabs.proxy.index(0, ENDPOINT).data(Qt.ItemDataRole.ToolTipRole) == repo.url
    assert tabs.proxy.index(0, 4).data(Qt.ItemDataRole.ToolTipRole) == "3 charts, 4 versions in the snapshot"

"""The window's bundles, with real widgets: Export Bundle estimates then writes (and Cancel leaves no
file), a bundle dropped on the window is verified and previewed before it is imported, the Registries
table says where a registry came from, and Publish pushes into a real docker-registry."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot

from desktop.app import RunningApp
from desktop.bundle.layout_reader import open_layout
from desktop.cancellation import CancelToken
from desktop.catalog.db import open_catalog
from desktop.operations.bundle_export import ExportSelection, export_bundle
from desktop.registry import RegistryDraft
from desktop.secrets import CredentialStore
from desktop.ui.bundle_dialogs import ExportBundleDialog, ImportBundleDialog
from desktop.ui.registry_model import STATUS, SYNC
from tests.support.catalog_harness import CatalogHarness
from tests.support.charts import chart_archive, publish_charts
from tests.support.oci_registry import DistributionRegistry
from tests.support.repo_server import Fault, RepoServer

MakeRepo = Callable[..., RepoServer]


def add_registry(running: RunningApp, repo: RepoServer, name: str = "alpha") -> None:
    publish_charts(repo, {"web": {"1.0.0": chart_archive("web", "1.0.0"), "1.1.0": chart_archive("web", "1.1.0")}})
    running.context.worker.register(RegistryDraft(name, repo.url), CancelToken()).future.result(20)


def test_export_estimates_before_writing_then_writes_the_bundle(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo, tmp_path: Path
) -> None:
    add_registry(running_app, make_repo())
    dialog = running_app.window.bundle_actions.open_export()
    assert isinstance(dialog, ExportBundleDialog)
    qtbot.waitUntil(lambda: dialog.estimate_label.text().startswith("About"), timeout=10000)
    assert "1 registry, 0 profiles, 0 chart archives" in dialog.estimate_label.text()
    dialog.charts_combo.setCurrentIndex(dialog.charts_combo.findData("latest"))
    qtbot.waitUntil(lambda: "1 chart archive, 1 of them to download" in dialog.estimate_label.text(), timeout=10000)
    assert not (tmp_path / "b.tar").exists()  # an estimate writes nothing
    dialog.registry_list.item(0).setCheckState(Qt.CheckState.Checked)
    dialog.export_to(tmp_path / "b.tar")
    qtbot.waitUntil(lambda: dialog.written is not None, timeout=20000)
    assert "Wrote" in dialog.message.text() and "sha256" in dialog.message.text()
    layout = open_layout(tmp_path / "b.tar")
    assert [chart.ref_name for chart in layout.charts] == ["alpha/web:1.1.0"]
    dialog.close()


def test_enter_presses_each_dialogs_action_and_cancel_shows_only_while_a_job_runs(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    """Enter in Export Bundle's list opened the have file's Browse… (the first button Qt found,
    since Export… was made the default before it was in the dialog), and a Cancel that cancelled
    nothing stood beside Close."""
    add_registry(running_app, make_repo())
    actions = running_app.window.bundle_actions
    export = actions.open_export()
    qtbot.waitUntil(lambda: export.estimate_label.text().startswith("About"), timeout=10000)
    assert export.export_button.isDefault() and not export.have_button.isDefault()
    assert not export.cancel_button.isVisible()
    export.registry_list.setFocus()
    qtbot.keyClick(export.registry_list, Qt.Key.Key_Return)
    opened = [d for d in export.findChildren(QFileDialog) if d.isVisible()]
    assert [d.windowTitle() for d in opened] == ["Export Bundle"]  # where to write, not the have file
    opened[0].reject()
    export.close()
    publish = actions.open_publish()
    assert publish.publish_button.isDefault() and not publish.cancel_button.isVisible()
    publish.target_edit.setFocus()
    qtbot.keyClick(publish.target_edit, Qt.Key.Key_Return)  # nothing given: it says what is missing
    qtbot.waitUntil(lambda: bool(publish.message.text()), timeout=5000)
    assert not [d for d in publish.findChildren(QFileDialog) if d.isVisible()]
    publish.close()


def test_cancel_stops_an_export_and_leaves_no_file(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo, tmp_path: Path
) -> None:
    repo = make_repo(gzip_responses=False)
    add_registry(running_app, repo)
    repo.faults["/web-1.1.0.tgz"] = Fault(bytes_per_second=200)  # a download that crawls
    dialog = running_app.window.bundle_actions.open_export()
    dialog.charts_combo.setCurrentIndex(dialog.charts_combo.findData("latest"))
    out = tmp_path / "out"
    out.mkdir()
    dialog.export_to(out / "b.tar")
    qtbot.waitUntil(dialog.cancel_button.isVisible, timeout=5000)
    qtbot.waitUntil(lambda: dialog.panel.label.text().startswith("Reading chart archives"), timeout=10000)
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: "cancelled" in dialog.message.text(), timeout=15000)
    assert dialog.export_button.isEnabled() and not dialog.cancel_button.isVisible()
    assert list(out.iterdir()) == []  # no bundle, no part, no spool
    dialog.close()


@pytest.fixture
def other_bundle(tmp_path: Path, make_repo: MakeRepo, credentials: CredentialStore) -> Iterator[Path]:
    """A bundle made by another catalog: a registry with two versions, one of them carried."""
    repo = make_repo(host="127.0.0.2")
    publish_charts(
        repo, {"db": {"2.0.0": chart_archive("db", "2.0.0", values="size: 1\n"), "1.0.0": chart_archive("db", "1.0.0")}}
    )
    db = open_catalog(tmp_path / "other" / "catalog.sqlite3")
    try:
        engine = CatalogHarness(db, credentials)
        engine.register(RegistryDraft("beta", repo.url))
        export_bundle(engine.services, tmp_path / "beta.tar", ExportSelection(charts="latest"))
    finally:
        db.close()
    repo.stop()
    yield tmp_path / "beta.tar"


def drop(widget: object, path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(
        QPoint(40, 40), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, enter)  # type: ignore[arg-type]
    assert enter.isAccepted()
    dropped = QDropEvent(
        QPointF(40, 40), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, dropped)  # type: ignore[arg-type]


def test_a_dropped_bundle_is_previewed_then_imported(running_app: RunningApp, qtbot: QtBot, other_bundle: Path) -> None:
    window = running_app.window
    drop(window, other_bundle)
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, ImportBundleDialog) and w.isVisible())
    qtbot.waitUntil(dialog.import_button.isEnabled, timeout=20000)
    preview = dialog.report.toPlainText()
    assert "Dry run: nothing was changed" in preview and "registry beta: added" in preview
    assert window.registries_tab.model.rowCount() == 0  # nothing changed yet
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.summary is not None, timeout=20000)
    assert dialog.report.toPlainText().startswith("Imported — bundle of")
    model = window.registries_tab.model
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=5000)
    assert "from bundle of" in model.data(model.index(0, SYNC))
    assert "not synced with its endpoint" in model.data(model.index(0, SYNC), Qt.ItemDataRole.ToolTipRole)
    # Its snapshot came with the bundle: not "Not synced yet", which read as having nothing.
    assert model.data(model.index(0, STATUS)).startswith("Snapshot from bundle of ")
    assert "⋮ → Synchronize" in model.data(model.index(0, STATUS), Qt.ItemDataRole.ToolTipRole)
    dialog.close()


def test_something_else_dropped_is_not_taken(running_app: RunningApp, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "notes.txt"))])
    enter = QDragEnterEvent(
        QPoint(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    enter.ignore()
    QApplication.sendEvent(running_app.window, enter)
    assert not enter.isAccepted()


def test_a_tampered_dropped_bundle_is_refused_before_anything_changes(
    running_app: RunningApp, qtbot: QtBot, other_bundle: Path
) -> None:
    data = bytearray(other_bundle.read_bytes())
    data[len(data) // 2] ^= 1
    other_bundle.write_bytes(bytes(data))
    dialog = running_app.window.bundle_actions.open_import(other_bundle)
    qtbot.waitUntil(lambda: "cannot be imported" in dialog.heading.text(), timeout=20000)
    assert "does not match its digest" in dialog.report.toPlainText() or "damaged" in dialog.report.toPlainText()
    assert not dialog.import_button.isEnabled()
    dialog.close()


def test_publish_pushes_into_a_registry(
    running_app: RunningApp, qtbot: QtBot, other_bundle: Path, tmp_path: Path
) -> None:
    registry = DistributionRegistry(tmp_path / "site").start()
    try:
        dialog = running_app.window.bundle_actions.open_publish()
        dialog.file_edit.setText(str(other_bundle))
        dialog.target_edit.setText(f"oci://{registry.endpoint_host}/site")
        dialog.plain_check.setChecked(True)
        dialog.publish_button.click()
        qtbot.waitUntil(lambda: dialog.message.text().startswith("Pushed"), timeout=20000)
        assert "Pushed 3 tags" in dialog.message.text()
        dialog.close()
    finally:
        registry.stop()


def test_a_workstation_subscribes_from_add_helm_registry(
    running_app: RunningApp, qtbot: QtBot, other_bundle: Path, tmp_path: Path
) -> None:
    """What Publish tells the site's engineers to do: Add New Helm Registry, Type "Published Chartkeeper catalog",
    the site registry's address; the published registries arrive and the subscription says what it is."""
    from desktop.catalog.registries import find_registry
    from desktop.operations.bundle_publish import OciTarget, push_bundle

    site = DistributionRegistry(tmp_path / "site").start()
    try:
        endpoint = f"oci://{site.endpoint_host}/site"
        publisher = CatalogHarness(open_catalog(tmp_path / "publisher" / "catalog.sqlite3"), CredentialStore())
        try:
            push_bundle(publisher.services, other_bundle, OciTarget(endpoint, plain_http=True))
        finally:
            publisher.db.close()
        tab = running_app.window.registries_tab
        messages: list[str] = []
        tab.status_message.connect(messages.append)
        dialog = tab.open_add_dialog()
        dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("subscription"))
        assert dialog.plain_http_check.isVisibleTo(dialog) and not dialog.charts_edit.isVisibleTo(dialog)
        qtbot.keyClicks(dialog.name_edit, "site")
        qtbot.keyClicks(dialog.endpoint_edit, endpoint)
        dialog.plain_http_check.setChecked(True)
        with qtbot.waitSignal(dialog.accepted, timeout=30000):
            qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
        assert dialog.import_summary is not None
        assert [(o.name, o.action) for o in dialog.import_summary.registries] == [("beta", "added")]
        assert any(m.startswith("Subscribed “site” to the catalog at") and "beta added" in m for m in messages)
        names = {find_registry(running_app.context.reader, name) is not None for name in ("site", "beta")}
        assert names == {True}
        model = tab.model
        qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=5000)
        rows = {model.data(model.index(row, 0)): model.data(model.index(row, SYNC)) for row in range(2)}
        assert f"subscribed to {endpoint}" in str(rows)
        # The long origin does not push Status out of sight: Synchronization takes at most 30 %, the
        # whole text in its tooltip.
        header = tab.table.horizontalHeader()
        width = tab.table.viewport().width()
        qtbot.waitUntil(lambda: header.sectionSize(SYNC) <= max(160, round(width * 0.3)), timeout=2000)
        assert sum(header.sectionSize(c) for c in range(model.columnCount())) <= width
        site_registry = find_registry(running_app.context.reader, "site")
        assert site_registry is not None
        edit = tab.open_edit_dialog(site_registry)  # a subscription reads as one when edited
        assert edit.kind_combo.currentData() == "subscription" and not edit.kind_combo.isEnabled()
        assert not edit.charts_edit.isVisibleTo(edit)
        edit.reject()
    finally:
        site.stop()


def test_subscribing_where_nothing_was_published_says_what_to_do(
    running_app: RunningApp, qtbot: QtBot, tmp_path: Path
) -> None:
    site = DistributionRegistry(tmp_path / "empty-site").start()
    try:
        dialog = running_app.window.registries_tab.open_add_dialog()
        dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("subscription"))
        qtbot.keyClicks(dialog.name_edit, "site")
        qtbot.keyClicks(dialog.endpoint_edit, f"oci://{site.endpoint_host}/site")
        dialog.plain_http_check.setChecked(True)
        dialog.confirm_button.click()
        qtbot.waitUntil(dialog.error_box.isVisible, timeout=30000)
        assert "holds no Chartkeeper catalog" in dialog.error_text.text()
        assert "bundle push" in dialog.error_text.text()
        assert dialog.name_edit.text() == "site"  # nothing lost
        assert running_app.window.registries_tab.model.rowCount() == 0
        dialog.reject()
    finally:
        site.stop()


def test_export_asks_before_leaving_out_an_archive_a_profile_needs(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo, tmp_path: Path
) -> None:
    """Issue 25 item 2: the export said '1 chart archive' and 'Bundle written' while the profile's
    second chart could not be fetched; now it asks, No writes nothing, Yes writes and records it."""
    from PySide6.QtWidgets import QMessageBox

    from desktop.profiles.model import Layer, Profile

    repo = make_repo()
    publish_charts(repo, {"web": {"1.0.0": chart_archive("web", "1.0.0"), "1.1.0": chart_archive("web", "1.1.0")}})
    worker = running_app.context.worker
    registry = worker.register(RegistryDraft("alpha", repo.url), CancelToken()).future.result(20).registry
    layers = tuple(Layer(registry.uid, "alpha", registry.endpoint, "web", v) for v in ("1.0.0", "1.1.0"))
    worker.save_profile(Profile(uid="", name="edge", layers=layers)).result(10)
    del repo.files["/web-1.1.0.tgz"]
    dialog = running_app.window.bundle_actions.open_export()
    qtbot.waitUntil(lambda: dialog.estimate_label.text().startswith("About"), timeout=10000)
    dialog.profile_list.item(0).setCheckState(Qt.CheckState.Checked)
    for answer, written in ((QMessageBox.StandardButton.No, False), (QMessageBox.StandardButton.Yes, True)):
        dialog.export_to(tmp_path / "edge.tar")
        qtbot.waitUntil(lambda: any(box.isVisible() for box in dialog.findChildren(QMessageBox)), timeout=20000)
        box = next(box for box in dialog.findChildren(QMessageBox) if box.isVisible())
        assert "1 chart archive cannot be carried" in box.text() and "alpha/web 1.1.0" in box.text()
        assert "Profiles that need them: edge." in box.text()
        assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
        box.button(answer).click()
        if written:
            qtbot.waitUntil(lambda: dialog.written is not None, timeout=20000)
            assert "Not carried: 1 version — alpha/web 1.1.0:" in dialog.message.text()
        else:
            qtbot.waitUntil(lambda: dialog.message.text() == "Nothing was written.", timeout=10000)
            assert not (tmp_path / "edge.tar").exists()
    layout = open_layout(tmp_path / "edge.tar")
    assert [chart.ref_name for chart in layout.charts] == ["alpha/web:1.0.0"]
    dialog.close()

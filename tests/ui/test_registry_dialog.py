"""Add Helm Registry: inline validation, Confirm against a real HTTPS repository, the certificate
dropped from the file manager (real drag-enter and drop events), and every refusal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import trustme
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from desktop.app import RunningApp
from desktop.catalog.registries import find_registry
from desktop.ui.certificate_field import CertificateField
from desktop.ui.registry_dialog import RegistryDialog
from tests.support.charts import simple_index
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]


def drop_files(widget: QWidget, *paths: Path | str) -> bool:
    """Drag files onto `widget` the way a file manager does: text/uri-list with file:// URLs."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) if isinstance(p, Path) else QUrl(p) for p in paths])
    center = QPointF(widget.rect().center())
    enter = QDragEnterEvent(
        center.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(center, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)
    return True


def open_add_dialog(running: RunningApp) -> RegistryDialog:
    return running.window.registries_tab.open_add_dialog()


def fill(
    dialog: RegistryDialog, qtbot: QtBot, name: str, endpoint: str, username: str = "", password: str = ""
) -> None:
    qtbot.keyClicks(dialog.name_edit, name)
    qtbot.keyClicks(dialog.endpoint_edit, endpoint)
    if username:
        dialog.set_auth("basic")
        qtbot.keyClicks(dialog.username_edit, username)
        qtbot.keyClicks(dialog.password_edit, password)


def test_fields_are_checked_as_typed(running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo) -> None:
    dialog = open_add_dialog(running_app)
    assert not dialog.confirm_button.isEnabled()
    qtbot.keyClicks(dialog.name_edit, "bad name!")
    assert "not a valid name" in dialog.field_errors["name"].text()
    dialog.name_edit.clear()
    qtbot.keyClicks(dialog.name_edit, "good-name")
    assert dialog.field_errors["name"].isHidden()
    qtbot.keyClicks(dialog.endpoint_edit, "ftp://x")
    assert "not an http:// or https:// URL" in dialog.field_errors["endpoint"].text()
    assert not dialog.confirm_button.isEnabled()
    dialog.endpoint_edit.clear()
    qtbot.keyClicks(dialog.endpoint_edit, "https://charts.example.com")
    assert dialog.confirm_button.isEnabled()
    dialog.set_auth("basic")
    assert dialog.username_edit.isVisibleTo(dialog) and dialog.password_edit.isVisibleTo(dialog)
    assert not dialog.confirm_button.isEnabled()
    dialog.set_auth("none")
    assert not dialog.username_edit.isVisibleTo(dialog)
    assert dialog.confirm_button.isEnabled()


def test_a_taken_name_is_refused_inline(running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.put("/index.yaml", simple_index({"a": ["1.0.0"]}))
    first = open_add_dialog(running_app)
    fill(first, qtbot, "taken", repo.url)
    with qtbot.waitSignal(first.accepted, timeout=10000):
        qtbot.mouseClick(first.confirm_button, Qt.MouseButton.LeftButton)
    second = open_add_dialog(running_app)
    qtbot.keyClicks(second.name_edit, "TAKEN")
    assert "already exists" in second.field_errors["name"].text()


def test_confirm_adds_the_registry_without_freezing(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo, ca: trustme.CA
) -> None:
    repo = make_repo(tls=True, auth=("ana", "right"))
    repo.put("/index.yaml", simple_index({"nginx": ["1.0.0", "1.1.0"]}))
    dialog = open_add_dialog(running_app)
    fill(dialog, qtbot, "secure", repo.url, "ana", "wrong")
    dialog.certificate.take_text(ca.cert_pem.bytes().decode())
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    assert dialog.busy_widget.isVisibleTo(dialog) and not dialog.name_edit.isEnabled()
    qtbot.waitUntil(lambda: not dialog.error_box.isHidden(), timeout=10000)
    assert "refused the username or password" in dialog.error_text.text()
    assert dialog.name_edit.text() == "secure" and dialog.username_edit.text() == "ana"  # nothing lost
    assert dialog.isVisible()
    dialog.password_edit.clear()
    qtbot.keyClicks(dialog.password_edit, "right")
    with qtbot.waitSignal(dialog.accepted, timeout=10000):
        qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    registry = find_registry(running_app.context.reader, "secure")
    assert registry is not None and registry.username == "ana"
    table = running_app.window.registries_tab
    qtbot.waitUntil(lambda: table.model.rowCount() == 1)
    assert table.stack.currentWidget() is table.table


def test_after_a_401_the_password_has_the_focus_and_confirm_stays_put(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo, ca: trustme.CA
) -> None:
    """Issue 25: the focus went to Cancel, drawn as the default button, and each error grew the
    dialog so that Confirm moved under the mouse."""
    repo = make_repo(tls=True, auth=("ana", "right"))
    repo.put("/index.yaml", simple_index({"nginx": ["1.0.0"]}))
    dialog = open_add_dialog(running_app)
    dialog.resize(dialog.width(), dialog.height())
    qtbot.waitExposed(dialog)
    fill(dialog, qtbot, "secure", repo.url, "ana", "wrong")
    dialog.certificate.take_text(ca.cert_pem.bytes().decode())
    qtbot.wait(50)  # the layout settles after the rows appeared
    height, confirm_at = dialog.height(), dialog.confirm_button.mapTo(dialog, dialog.confirm_button.rect().center())
    for attempt in ("wrong", "still-wrong"):
        qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not dialog.error_box.isHidden() and dialog.password_edit.isEnabled(), timeout=10000)
        assert "refused the username or password" in dialog.error_text.text()
        qtbot.wait(50)
        assert QApplication.focusWidget() is dialog.password_edit, attempt
        assert dialog.password_edit.selectedText() == dialog.password_edit.text()  # typing replaces it
        assert dialog.confirm_button.isDefault() and not dialog.cancel_button.isDefault()
        assert dialog.height() == height
        assert dialog.confirm_button.mapTo(dialog, dialog.confirm_button.rect().center()) == confirm_at
        qtbot.keyClicks(dialog.password_edit, "still-wrong")
    dialog.reject()


def test_an_unknown_ca_works_once_its_file_is_dropped(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo, ca_file: Path
) -> None:
    repo = make_repo(tls=True)
    repo.put("/index.yaml", simple_index({"a": ["1.0.0"]}))
    dialog = open_add_dialog(running_app)
    fill(dialog, qtbot, "selfsigned", repo.url)
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.error_box.isHidden(), timeout=10000)
    assert "signed by an unknown authority" in dialog.error_text.text()
    assert drop_files(dialog.certificate, ca_file)
    assert dialog.certificate.bundle is not None
    assert "Testing CA" in dialog.certificate.details.text()
    assert "SHA-256" in dialog.certificate.details.text()
    with qtbot.waitSignal(dialog.accepted, timeout=10000):
        qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    registry = find_registry(running_app.context.reader, "selfsigned")
    assert registry is not None and registry.ca_pem and "BEGIN CERTIFICATE" in registry.ca_pem


def test_cancel_stops_the_check_and_keeps_the_entries(running_app: RunningApp, qtbot: QtBot) -> None:
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    dialog = open_add_dialog(running_app)
    fill(dialog, qtbot, "slow", f"http://127.0.0.1:{silent.getsockname()[1]}")
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.wait(200)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.error_box.isHidden(), timeout=5000)
    assert "nothing was saved" in dialog.error_text.text()
    assert dialog.isVisible() and dialog.name_edit.isEnabled() and dialog.name_edit.text() == "slow"
    silent.close()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


@pytest.fixture
def field(qtbot: QtBot) -> CertificateField:
    widget = CertificateField()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_refusals_say_why_and_keep_the_current_certificate(
    field: CertificateField, tmp_path: Path, ca: trustme.CA, ca_file: Path
) -> None:
    assert drop_files(field, ca_file)
    kept = field.bundle
    notes = tmp_path / "notes.txt"
    notes.write_text("just some notes")
    key = tmp_path / "server.key"
    key.write_bytes(ca.issue_cert("x.example").private_key_pem.bytes())
    big = tmp_path / "huge.pem"
    big.write_bytes(b"-" * (1024 * 1024 + 10))
    cases = [
        ((notes,), "is not an X509 certificate"),
        ((key,), "holds a private key. Chartkeeper never stores private keys"),
        ((big,), "limit 1 MB"),
        ((ca_file, notes), "2 files were dropped"),
        ((tmp_path,), "is a folder"),
        ((tmp_path / "gone.pem",), "does not exist"),
        ((Path("/proc/self/mem"),), "cannot be read"),
        (("https://example.com/ca.pem",), "Only files on this computer"),
    ]
    for paths, message in cases:
        assert drop_files(field, *paths)
        assert message in field.error.text(), (paths, field.error.text())
        assert field.bundle is kept
    assert key.read_bytes() not in (field.pem or "").encode()


def test_a_certificate_can_be_removed_replaced_and_pasted(
    field: CertificateField, qtbot: QtBot, ca: trustme.CA, ca_file: Path
) -> None:
    assert drop_files(field, ca_file)
    assert field.remove_button.isVisibleTo(field)
    qtbot.mouseClick(field.remove_button, Qt.MouseButton.LeftButton)
    assert field.bundle is None and field.prompt.isVisibleTo(field)
    QApplication.clipboard().setText(ca.cert_pem.bytes().decode())
    qtbot.mouseClick(field.paste_button, Qt.MouseButton.LeftButton)
    assert field.bundle is not None and field.bundle.leaf.is_ca
    other = trustme.CA()
    QApplication.clipboard().setText(other.cert_pem.bytes().decode())
    qtbot.mouseClick(field.paste_button, Qt.MouseButton.LeftButton)
    assert field.bundle.leaf.subject != parse_subject(ca)


def parse_subject(ca: trustme.CA) -> str:
    from desktop.certificates import parse_certificates

    return parse_certificates(ca.cert_pem.bytes()).leaf.subject


def test_an_expired_certificate_is_accepted_with_a_warning(field: CertificateField, ca: trustme.CA) -> None:
    import datetime as dt

    old = ca.issue_cert(
        "old.example",
        not_before=dt.datetime(2019, 1, 1, tzinfo=dt.UTC),
        not_after=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
    )
    assert field.take_text(old.cert_chain_pems[0].bytes().decode())
    assert field.warning.isVisibleTo(field)
    assert "expired on 01 Jan 2020" in field.warning.text()


def test_the_dialog_opens_as_tall_as_its_fields_and_grows_for_more(running_app: RunningApp, qtbot: QtBot) -> None:
    """No band of empty space under the last field (it opened 480 px tall for ~340 px of fields)."""
    from desktop.ui.geometry import needed_height

    dialog = open_add_dialog(running_app)
    qtbot.waitExposed(dialog)
    assert dialog.height() <= needed_height(dialog, dialog.width()) + 4
    before = dialog.height()
    dialog.set_auth("basic")  # Username and Password appear
    qtbot.waitUntil(lambda: dialog.height() > before + 40, timeout=2000)
    assert dialog.height() >= needed_height(dialog, dialog.width())
    dialog.reject()


def test_labels_have_mnemonics_for_every_field(running_app: RunningApp) -> None:
    from PySide6.QtWidgets import QLabel

    dialog = open_add_dialog(running_app)
    labels = [label for label in dialog.findChildren(QLabel) if label.buddy() is not None]
    texts = sorted(label.text() for label in labels)
    assert len(texts) == 13 and all("&" in text for text in texts), texts
    keys = [text[text.index("&") + 1].lower() for text in texts]
    assert len(set(keys)) == len(keys), texts
    dialog.reject()


def test_editing_keeps_the_snapshot_and_rechecks_a_new_endpoint(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    from desktop.cancellation import CancelToken
    from desktop.catalog.charts import search_charts
    from desktop.registry import RegistryDraft

    repo = make_repo()
    repo.put("/index.yaml", simple_index({"kept": ["1.0.0"]}))
    registry = (
        running_app.context.worker.register(RegistryDraft("edit-me", repo.url), CancelToken())
        .future.result(10)
        .registry
    )
    dialog = running_app.window.registries_tab.open_edit_dialog(registry)
    assert dialog.windowTitle() == "Edit Helm Registry" and dialog.name_edit.text() == "edit-me"
    dialog.endpoint_edit.clear()
    qtbot.keyClicks(dialog.endpoint_edit, repo.url + "/nowhere")
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.error_box.isHidden(), timeout=10000)
    assert "404 Not Found" in dialog.error_text.text()
    assert find_registry(running_app.context.reader, "edit-me").endpoint == repo.url  # nothing saved
    dialog.endpoint_edit.clear()
    qtbot.keyClicks(dialog.endpoint_edit, repo.url)
    dialog.name_edit.clear()
    qtbot.keyClicks(dialog.name_edit, "edited")
    with qtbot.waitSignal(dialog.accepted, timeout=10000):
        qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    assert find_registry(running_app.context.reader, "edited") is not None
    assert [h.name for h in search_charts(running_app.context.reader, "kept")] == ["edited/kept"]


def test_the_window_remembers_its_geometry_and_tab(running_app: RunningApp, qtbot: QtBot) -> None:
    from desktop.ui.main_window import MainWindow

    window = running_app.window
    window.resize(1000, 640)
    window.tabs.setCurrentIndex(0)
    window.close()
    again = MainWindow(running_app.context)
    qtbot.addWidget(again)
    assert again.tabs.currentIndex() == 0
    assert (again.width(), again.height()) == (1000, 640)


def test_an_oci_registry_is_added_from_the_dialog(running_app: RunningApp, qtbot: QtBot, tmp_path: Path) -> None:
    from desktop.catalog.charts import search_charts
    from tests.support.charts import chart_archive
    from tests.support.oci_registry import DistributionRegistry

    registry = DistributionRegistry(tmp_path / "oci", users={"ana": "an4-s3cret"}).start()
    try:
        registry.push_chart("charts/web", "1.2.0", chart_archive("web", "1.2.0"), user="ana")
        dialog = open_add_dialog(running_app)
        assert not dialog.charts_edit.isVisibleTo(dialog) and not dialog.plain_http_check.isVisibleTo(dialog)
        dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("oci"))
        assert dialog.charts_edit.isVisibleTo(dialog) and dialog.plain_http_check.isVisibleTo(dialog)
        fill(dialog, qtbot, "oci-web", f"https://{registry.endpoint_host}", "ana", "an4-s3cret")
        assert "oci://" in dialog.field_errors["endpoint"].text()
        dialog.endpoint_edit.clear()
        qtbot.keyClicks(dialog.endpoint_edit, f"oci://{registry.endpoint_host}/charts")
        qtbot.keyClicks(dialog.charts_edit, "web, Bad Name")
        assert not dialog.field_errors["charts"].isHidden()
        dialog.charts_edit.clear()
        qtbot.keyClicks(dialog.charts_edit, "web")
        dialog.plain_http_check.setChecked(True)
        with qtbot.waitSignal(dialog.accepted, timeout=20000):
            qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
        saved = find_registry(running_app.context.reader, "oci-web")
        assert saved is not None and saved.kind == "oci" and saved.plain_http and saved.chart_names == ("web",)
        hits = search_charts(running_app.context.reader, "web")
        assert [(hit.chart, hit.version) for hit in hits] == [("web", "1.2.0")]
    finally:
        registry.stop()


def test_base_paths_are_listed_from_the_keyboard(running_app: RunningApp, qtbot: QtBot, tmp_path: Path) -> None:
    """Enter adds the typed path (not Confirm), a bad one says why, Delete removes the selected one;
    Confirm reads every path, and Edit shows them again."""
    from desktop.catalog.charts import search_charts
    from tests.support.charts import chart_archive
    from tests.support.oci_registry import DistributionRegistry

    registry = DistributionRegistry(tmp_path / "oci").start()
    try:
        registry.push_chart("team-a/charts/web", "1.0.0", chart_archive("web", "1.0.0"))
        registry.push_chart("team-b/charts/web", "2.0.0", chart_archive("web", "2.0.0"))
        dialog = open_add_dialog(running_app)
        paths = dialog.paths_field
        assert not paths.isVisibleTo(dialog)
        dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("oci"))
        assert paths.isVisibleTo(dialog)
        fill(dialog, qtbot, "teams", f"oci://{registry.endpoint_host}")
        dialog.plain_http_check.setChecked(True)
        for typed in ("team-a/charts", "/team-b/charts/", "team-c"):
            paths.entry.setFocus()
            qtbot.keyClicks(paths.entry, typed)
            qtbot.keyClick(paths.entry, Qt.Key.Key_Return)
        assert paths.values() == ["team-a/charts", "team-b/charts", "team-c"] and dialog.isVisible()
        qtbot.keyClicks(paths.entry, "Team D")
        qtbot.keyClick(paths.entry, Qt.Key.Key_Return)
        assert "'Team D' is not a valid base path" in dialog.field_errors["paths"].text()
        assert paths.values() == ["team-a/charts", "team-b/charts", "team-c"]
        assert not dialog.confirm_button.isEnabled()  # what is typed would be taken too
        paths.entry.clear()
        qtbot.keyClick(paths.entry, Qt.Key.Key_Backspace)
        paths.values_list.setFocus()
        paths.values_list.setCurrentRow(2)
        qtbot.keyClick(paths.values_list, Qt.Key.Key_Delete)
        assert paths.values() == ["team-a/charts", "team-b/charts"]
        assert dialog.draft().cleaned().base_paths == ("team-a/charts", "team-b/charts")
        with qtbot.waitSignal(dialog.accepted, timeout=20000):
            qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
        saved = find_registry(running_app.context.reader, "teams")
        assert saved is not None and saved.base_paths == ("team-a/charts", "team-b/charts")
        hits = search_charts(running_app.context.reader, "web")
        assert sorted(hit.chart for hit in hits) == ["team-a/charts/web", "team-b/charts/web"]
        edit = running_app.window.registries_tab.open_edit_dialog(saved)
        assert edit.paths_field.values() == ["team-a/charts", "team-b/charts"]
        assert edit.endpoint_edit.text() == f"oci://{registry.endpoint_host}"
        edit.reject()
    finally:
        registry.stop()


def test_a_token_is_chosen_from_the_keyboard_masked_and_checked_on_confirm(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    from desktop.ui.registry_model import ACCESS

    repo = make_repo(bearer="tok-right-1")
    repo.put("/index.yaml", simple_index({"nginx": ["1.0.0"]}))
    dialog = open_add_dialog(running_app)
    qtbot.waitExposed(dialog)
    qtbot.keyClicks(dialog.name_edit, "tokened")
    qtbot.keyClicks(dialog.endpoint_edit, repo.url)
    assert [dialog.auth_combo.itemData(i) for i in range(dialog.auth_combo.count())] == ["none", "basic", "token"]
    assert not dialog.form.isRowVisible(dialog.token_row)
    dialog.auth_combo.setFocus()
    qtbot.keyClick(dialog.auth_combo, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.auth_combo, Qt.Key.Key_Down)
    assert dialog.auth() == "token"
    assert dialog.form.isRowVisible(dialog.token_row) and not dialog.form.isRowVisible(dialog.username_row)
    assert dialog.token_edit.echoMode() == dialog.token_edit.EchoMode.Password  # never shown
    assert not dialog.confirm_button.isEnabled()  # a token is needed
    qtbot.keyClicks(dialog.token_edit, "two words")
    assert "spaces" in dialog.field_errors["token"].text() and not dialog.confirm_button.isEnabled()
    dialog.token_edit.clear()
    qtbot.keyClicks(dialog.token_edit, "tok-wrong")
    assert dialog.confirm_button.isEnabled()
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.error_box.isHidden() and dialog.token_edit.isEnabled(), timeout=10000)
    assert "refused the token" in dialog.error_text.text()
    qtbot.wait(50)
    assert QApplication.focusWidget() is dialog.token_edit  # the field to correct
    qtbot.keyClicks(dialog.token_edit, "tok-right-1")  # replaces the selected, refused token
    with qtbot.waitSignal(dialog.accepted, timeout=10000):
        qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    registry = find_registry(running_app.context.reader, "tokened")
    assert registry is not None and registry.auth == "token" and registry.username is None
    assert running_app.context.credentials.get_password(registry.uid) == "tok-right-1"
    table = running_app.window.registries_tab
    qtbot.waitUntil(lambda: table.model.rowCount() == 1)
    assert table.model.index(0, ACCESS).data() == "Token"

    edit = table.open_edit_dialog(registry)
    assert edit.auth() == "token" and edit.token_edit.text() == ""  # the token is never shown again
    assert "Unchanged" in edit.token_edit.placeholderText() and edit.confirm_button.isEnabled()
    edit.set_auth("basic")
    qtbot.keyClicks(edit.username_edit, "ops")
    assert not edit.confirm_button.isEnabled()  # the keyring holds a token, not this login's password
    edit.reject()

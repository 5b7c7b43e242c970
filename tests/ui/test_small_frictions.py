"""The smaller frictions of the second walkthrough (issue 25 item 6), each with real widgets: a
plain-HTTP registry's row says so, a bundle given to Import from Helm is offered to Import Bundle."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop.app import RunningApp
from desktop.registry import RegistryDraft
from desktop.ui.bundle_dialogs import ImportBundleDialog


def test_a_plain_http_registry_says_so_in_its_row(qapp: object, tmp_path: object) -> None:
    """Issue 25 item 6: a plain-HTTP OCI registry showed no sign of it in its row."""
    from pathlib import Path

    from desktop.catalog.db import open_catalog
    from desktop.catalog.registries import insert_registry
    from desktop.ui.registry_model import ENDPOINT, RegistryTableModel

    db = open_catalog(Path(str(tmp_path)) / "catalog.sqlite3")
    try:
        plain = RegistryDraft("lab", "oci://127.0.0.1:5000/charts", kind="oci", plain_http=True).cleaned()
        tls = RegistryDraft("site", "oci://registry.example.com/charts", kind="oci").cleaned()
        insert_registry(db, plain, "u1", time.time())
        insert_registry(db, tls, "u2", time.time())
        model = RegistryTableModel(db, time.time)
        model.reload()
        shown = {model.data(model.index(row, 0)): model.data(model.index(row, ENDPOINT)) for row in range(2)}
        assert shown == {"lab": "oci://127.0.0.1:5000/charts · plain HTTP", "site": "oci://registry.example.com/charts"}
        tooltip = model.data(model.index(0 if model.data(model.index(0, 0)) == "lab" else 1, ENDPOINT), 3)
        assert "unencrypted" in tooltip
    finally:
        db.close()


def test_a_bundle_given_to_import_from_helm_is_offered_to_import_bundle(
    running_app: RunningApp, qtbot: QtBot, tmp_path: Path
) -> None:
    """It said "repositories file … too large"; a tar is no repositories.yaml."""
    import tarfile

    bundle = tmp_path / "site.tar"
    with tarfile.open(bundle, "w", format=tarfile.USTAR_FORMAT) as tar:
        tar.add(__file__, arcname="oci-layout")
    settings_tab = running_app.window.settings_tab
    settings_tab.import_from(bundle)
    qtbot.waitUntil(lambda: any(b.isVisible() for b in settings_tab.findChildren(QMessageBox)), timeout=5000)
    question = next(b for b in settings_tab.findChildren(QMessageBox) if b.isVisible())
    assert "site.tar is a bundle (a tar archive), not Helm's repositories.yaml" in question.text()
    question.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(
        lambda: any(
            isinstance(w, ImportBundleDialog) and w.isVisible()
            for w in running_app.window.findChildren(ImportBundleDialog)
        ),
        timeout=5000,
    )


def test_the_values_problems_list_shows_each_message_whole(
    running_app: RunningApp, qtbot: QtBot, make_repo: object
) -> None:
    """It was one line tall and cut its message mid-sentence."""
    from tests.ui.test_profile_variables import open_profile

    running_app.window.resize(1024, 700)
    tab = open_profile(running_app, make_repo, "domain: web.example.org\n")  # type: ignore[arg-type]
    editor = tab.pane.layer_editor
    long_name = "an_undefined_variable_whose_name_is_long_enough_to_wrap_in_a_narrow_list"
    editor.values_edit.setPlainText(f"domain: {{{{.spectro.var.{long_name}}}}}\nreplicas: 1\n")
    qtbot.waitUntil(lambda: editor.problems.count() == 1, timeout=10000)
    text = editor.problems.item(0).text()
    from PySide6.QtCore import QRect, Qt

    metrics = editor.problems.fontMetrics()
    width = editor.problems.viewport().width() - 8
    needed = metrics.boundingRect(QRect(0, 0, width, 10_000), int(Qt.TextFlag.TextWordWrap), text).height()
    assert needed > metrics.height()  # the message does wrap at this width
    qtbot.waitUntil(lambda: editor.problems.viewport().height() >= needed, timeout=5000)  # after the refit


def test_file_choosers_open_where_the_last_file_was_chosen(
    running_app: RunningApp, qtbot: QtBot, tmp_path: Path
) -> None:
    """They started in the home folder every time; the folder is kept across launches, 0600."""
    import stat

    from desktop.ui.file_dialogs import file_dialog, remember_in

    bundles = tmp_path / "usb"
    bundles.mkdir()
    chooser = file_dialog(running_app.window, "Import Bundle", "bundle")
    chooser.fileSelected.emit(str(bundles / "site.tar"))
    export = running_app.window.bundle_actions.open_export()
    qtbot.waitUntil(lambda: export.estimate_label.text().startswith("About"), timeout=10000)
    export._on_export_clicked()
    shown = next(d for d in export.findChildren(type(chooser)) if d.isVisible())
    assert Path(shown.directory().absolutePath()) == bundles
    shown.reject()
    export.close()
    certificate = file_dialog(running_app.window, "Choose the registry's certificate", "certificate")
    assert Path(certificate.directory().absolutePath()) == bundles  # no certificate yet: the last folder used
    kept = running_app.context.paths.config_dir / "recent-folders.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and str(bundles) in kept.read_text()
    remember_in(kept)  # as the next launch reads it
    assert Path(file_dialog(None, "x", "bundle").directory().absolutePath()) == bundles


def test_an_italic_readme_paragraph_with_code_spans_is_italic_not_underlined(qapp: object) -> None:
    """`_…_` came out underlined, broken at each code span (Qt's GitHub dialect underlines `_x_`)."""
    from PySide6.QtWidgets import QTextBrowser

    from desktop.ui.chart_details import show_markdown

    view = QTextBrowser()
    show_markdown(view, "_Needs `kubectl` and\nthe `longhorn` namespace._\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    html = view.toHtml()
    assert "text-decoration: underline" not in html and "font-style:italic" in html
    assert "<table" in html  # GitHub's tables still read

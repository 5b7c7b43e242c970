"""Profile variables in the window (issue 21 item 3): defined in the profile's Variables section with
Palette's rules, used in a layer's values as `{{.spectro.var.NAME}}` — marked, completed, an
undefined name an error at its line — and substituted (each default, or a test value set for the
session) for the values check, the diff from defaults and the rendering, which say so."""

from __future__ import annotations

import json
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCharFormat, QTextLayout
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.app import RunningApp
from desktop.cancellation import CancelToken
from desktop.catalog.db import open_catalog
from desktop.catalog.profiles import find_profile, list_profiles
from desktop.profiles.model import Layer, Profile, ProfileVariable
from desktop.registry import RegistryDraft
from desktop.ui.profile_editor_tab import ProfileEditorTab
from desktop.ui.variables_section import TEST_COLUMN
from tests.support.charts import chart_archive, publish_charts
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]
SCHEMA = json.dumps(
    {"type": "object", "properties": {"domain": {"type": "string"}, "replicas": {"type": "integer", "minimum": 1}}}
)
TEMPLATE = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: site\ndata:\n"
    "  domain: {{ .Values.domain | quote }}\n  replicas: {{ .Values.replicas | quote }}\n"
)
VALID = "✓ Valid (YAML and the chart's schema)"
USING = "domain: {{.spectro.var.domain}}\nreplicas: {{.spectro.var.count}}\n"


def stored(running: RunningApp, name: str) -> Profile | None:
    db = open_catalog(running.context.paths.catalog, readonly=True)
    try:
        return find_profile(db, name)
    finally:
        db.close()


def open_profile(running: RunningApp, make_repo: MakeRepo, values: str, **fields: object) -> ProfileEditorTab:
    repo = make_repo()
    archive = chart_archive(
        "site", "1.0.0", values="domain: web.example.org\nreplicas: 1\n", schema=SCHEMA,
        extra={"site/templates/main.yaml": TEMPLATE.encode()},
    )  # fmt: skip
    publish_charts(repo, {"site": {"1.0.0": archive}})
    registry = running.context.worker.register(RegistryDraft("stable", repo.url), CancelToken()).future.result(10)
    registry = registry.registry
    layer = Layer(registry.uid, registry.name, registry.endpoint, "site", "1.0.0", "web", values_override=values)
    running.context.worker.save_profile(Profile(uid="", name="site", layers=(layer,), **fields)).result(10)  # type: ignore[arg-type]
    tab = running.window.profile_editor_tab
    running.window.tabs.setCurrentWidget(tab)
    tab._load()
    return tab


def wavy(formats: list[QTextLayout.FormatRange]) -> bool:
    return any(f.format.underlineStyle() == QTextCharFormat.UnderlineStyle.WaveUnderline for f in formats)


def wait_saved(qtbot: QtBot, tab: ProfileEditorTab) -> None:
    future = tab.flush()
    if future is not None:
        qtbot.waitUntil(future.done, timeout=5000)
        future.result()


def add_variable(qtbot: QtBot, tab: ProfileEditorTab, name: str, default: str, fmt: str = "string") -> None:
    dialog = tab.pane.variables_section.open_add()
    assert dialog is not None
    qtbot.waitExposed(dialog)
    qtbot.keyClicks(dialog.name_edit, name)
    dialog.format_combo.setCurrentText(fmt)
    qtbot.keyClicks(dialog.default_line, default)
    assert dialog.ok_button.isEnabled(), dialog.problems()
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)  # OK is the default button
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    window = tab.window()
    window.activateWindow()  # as the window manager does when the dialog closes
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    wait_saved(qtbot, tab)


def test_a_variable_is_defined_used_substituted_and_tested(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    tab = open_profile(running_app, make_repo, "domain: web.example.org\nreplicas: 1\n")
    pane, editor = tab.pane, tab.pane.layer_editor
    qtbot.waitUntil(lambda: editor.values_status.text() == VALID, timeout=10000)
    section = pane.variables_section
    assert section.isVisible() and section.table.rowCount() == 0

    add_variable(qtbot, tab, "domain", "site.example.org")
    saved = stored(running_app, "site")
    assert saved is not None and saved.variables == (ProfileVariable("domain", default_value="site.example.org"),)
    assert section.table.item(0, 0).text() == "domain" and section.table.item(0, 3).text() == "site.example.org"

    # `count` is not defined yet: an error at its line, on the layer, its badge and its rendering.
    editor.values_edit.setPlainText(USING)
    qtbot.waitUntil(lambda: editor.problem_lines() == [2], timeout=10000)
    assert "{{.spectro.var.count}} names no variable of this profile" in editor.problems.item(0).text()
    assert editor.values_edit.marked_lines() == [2]
    assert " · 1 error" in pane.layer_badges()[0]
    qtbot.waitUntil(lambda: "names no variable" in editor.render_error.text(), timeout=20000)
    assert wavy(editor.values_edit.document().findBlockByNumber(1).layout().formats())

    # Defined: no error, the schema sees the number, and the rendering uses the defaults.
    add_variable(qtbot, tab, "count", "3", fmt="number")
    qtbot.waitUntil(lambda: editor.values_status.text() == VALID, timeout=10000)
    assert editor.problem_lines() == [] and "error" not in pane.layer_badges()[0]
    qtbot.waitUntil(lambda: 'domain: "site.example.org"' in editor.manifests_view.text(), timeout=20000)
    assert 'replicas: "3"' in editor.manifests_view.text() and not editor.render_error.isVisible()
    note = editor.variables_note.text()
    assert editor.variables_note.isVisible()
    assert "{{.spectro.var.domain}} takes its default 'site.example.org'" in note
    assert "{{.spectro.var.count}} takes its default '3'" in note
    assert "+++ this layer, variables substituted" in editor.override_view.unified_text
    assert "+domain: site.example.org" in editor.override_view.unified_text
    defined = editor.values_edit.document().findBlockByNumber(1).layout().formats()
    assert defined and not wavy(defined)  # marked, not as an error

    # A test value, typed in the table: the rendering and the note use it, nothing is saved.
    table = section.table
    table.setFocus()
    table.setCurrentCell(0, TEST_COLUMN)
    qtbot.keyClick(table, Qt.Key.Key_F2)
    field = QApplication.focusWidget()
    assert field is not None and field.parent() is table.viewport()
    qtbot.keyClicks(field, "test.example.org")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: 'domain: "test.example.org"' in editor.manifests_view.text(), timeout=20000)
    assert "{{.spectro.var.domain}} takes the test value 'test.example.org'" in editor.variables_note.text()
    assert running_app.context.test_values == {saved.id: {"domain": "test.example.org"}}
    wait_saved(qtbot, tab)
    again = stored(running_app, "site")
    assert again is not None and again.variables[0].default_value == "site.example.org"

    # A test value that does not fit its format: one line in the section, an error on the layer.
    table.item(1, TEST_COLUMN).setText("many")
    assert "Variable 'count': its test value 'many' is not a number." in section.problems()
    qtbot.waitUntil(lambda: editor.problem_lines() == [2], timeout=10000)
    table.item(1, TEST_COLUMN).setText("")
    qtbot.waitUntil(lambda: editor.problem_lines() == [], timeout=10000)
    assert section.problems() == []


def test_completion_offers_the_defined_names_after_spectro_var(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    variables = (ProfileVariable("domain", default_value="a.example.org"), ProfileVariable("dns_zone"))
    tab = open_profile(running_app, make_repo, "replicas: 1\n", variables=variables)
    editor = tab.pane.layer_editor
    qtbot.waitUntil(lambda: editor.values_status.text() == VALID, timeout=10000)
    values = editor.values_edit
    values.setFocus()
    values.moveCursor(values.textCursor().MoveOperation.End)
    qtbot.keyClicks(values, "domain: {{.spectro.var.")
    popup = editor.completer.completer.popup()
    qtbot.waitUntil(popup.isVisible, timeout=5000)
    shown = [popup.model().index(row, 0).data() for row in range(popup.model().rowCount())]
    assert shown == ["dns_zone", "domain"]
    qtbot.keyClicks(values, "do")
    qtbot.waitUntil(lambda: popup.model().rowCount() == 1, timeout=5000)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert values.toPlainText() == "replicas: 1\ndomain: {{.spectro.var.domain}}"
    assert not popup.isVisible()
    qtbot.waitUntil(lambda: editor.problem_lines() == [] and editor.variables_note.isVisible(), timeout=10000)


def test_a_rule_broken_is_shown_one_line_each_and_not_saved(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    tab = open_profile(running_app, make_repo, "replicas: 1\n", variables=(ProfileVariable("domain", "Domain"),))
    section = tab.pane.variables_section
    dialog = section.open_add()
    assert dialog is not None
    qtbot.waitExposed(dialog)
    qtbot.keyClicks(dialog.name_edit, "token")
    dialog.required_box.setChecked(True)
    assert dialog.problems() == ["Variable 'token' is required, so it needs a default value: give it one."]
    assert dialog.problem_label.isVisible() and not dialog.ok_button.isEnabled()
    qtbot.keyClicks(dialog.display_edit, "Domain")  # a second rule: each on a line of its own
    assert dialog.problem_label.text().count("\n") == 1
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    assert dialog.isVisible()  # Enter does not save it
    dialog.reject()
    wait_saved(qtbot, tab)
    saved = stored(running_app, "site")
    assert saved is not None and [v.name for v in saved.variables] == ["domain"]

    # However the variables come to break a rule, the section says so and the profile is not saved.
    section.variables_edited.emit((*saved.variables, ProfileVariable("token", required=True)))
    assert section.problems()[0].startswith("Not saved")
    assert "Variable 'token' is required, so it needs a default value: give it one." in section.problems()
    assert tab._pending is None and tab.pane.profile is not None and len(tab.pane.profile.variables) == 1


def test_duplicating_a_profile_keeps_its_variables(running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo) -> None:
    variables = (
        ProfileVariable("domain", "Domain", format="string", default_value="a.example.org", required=True),
        ProfileVariable("password", is_sensitive=True, default_value="s3cret"),
    )
    tab = open_profile(running_app, make_repo, "domain: {{.spectro.var.domain}}\n", variables=variables)
    section = tab.pane.variables_section
    assert section.table.item(1, 3).text() == "********"  # a sensitive default is masked
    tab.duplicate_current()
    qtbot.waitUntil(lambda: len(list_profiles(running_app.context.reader)) == 2, timeout=5000)
    copy = next(p for p in list_profiles(running_app.context.reader) if p.name != "site")
    assert copy.variables == variables


def test_the_variables_table_works_from_the_keyboard(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    variables = (ProfileVariable("domain", default_value="a.example.org"), ProfileVariable("zone"))
    tab = open_profile(running_app, make_repo, "replicas: 1\n", variables=variables)
    section = tab.pane.variables_section
    table = section.table
    table.setFocus()
    table.setCurrentCell(0, 0)
    qtbot.keyClick(table, Qt.Key.Key_Return)  # Enter edits the variable
    dialog = section.dialog
    assert dialog is not None and dialog.windowTitle() == "Edit Variable"
    qtbot.waitExposed(dialog)
    assert dialog.name_edit.text() == "domain" and dialog.default_line.text() == "a.example.org"
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    window = tab.window()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Insert)  # Insert adds one
    added = section.dialog
    assert added is not None and added is not dialog and added.windowTitle() == "Add Variable"
    added.reject()
    table.setCurrentCell(0, 0)
    qtbot.keyClick(table, Qt.Key.Key_Delete)  # Delete removes it
    wait_saved(qtbot, tab)
    saved = stored(running_app, "site")
    assert saved is not None and [v.name for v in saved.variables] == ["zone"]
    assert table.rowCount() == 1 and table.item(0, 0).text() == "zone"

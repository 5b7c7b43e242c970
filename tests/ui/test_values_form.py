"""The values form (issue 21): built from epinio's real values.schema.json beside the YAML, its
check boxes and choices write into the YAML with its comments kept, and an invalid value is marked
in both views; a hostile schema gives a bounded form or one line and the window stays responsive."""

from __future__ import annotations

import json
import tarfile
import time
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox
from pytestqt.qtbot import QtBot

from desktop.app import RunningApp
from desktop.cancellation import CancelToken
from desktop.profiles.model import Layer, Profile
from desktop.registry import RegistryDraft
from desktop.ui.layer_editor import LayerEditor
from tests.support.charts import chart_archive, publish_charts
from tests.support.render_charts import EPINIO, REAL_CHARTS
from tests.support.repo_server import RepoServer
from tests.ui.test_mnemonics import screen_texts, shared

MakeRepo = Callable[..., RepoServer]
EPINIO_VERSION = "103.0.2+up1.10.0"
BUILT: list[float] = []  # seconds each form took to build, on the UI thread


def epinio_values() -> str:
    with tarfile.open(REAL_CHARTS / EPINIO) as archive:
        member = archive.extractfile("epinio/values.yaml")
        assert member is not None
        return member.read().decode()


def comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("#")]


def open_layer(
    running_app: RunningApp, qtbot: QtBot, repo: RepoServer, chart: str, version: str, values: str
) -> LayerEditor:
    registry = running_app.context.worker.register(RegistryDraft("stable", repo.url), CancelToken()).future.result(10)
    registry = registry.registry
    layer = Layer(registry.uid, registry.name, registry.endpoint, chart, version, values_override=values)
    running_app.context.worker.save_profile(Profile(uid="", name="formed", layers=(layer,))).result(10)
    tab = running_app.window.profile_editor_tab
    running_app.window.tabs.setCurrentWidget(tab)
    tab._load()
    editor = tab.pane.layer_editor
    qtbot.waitUntil(lambda: editor.defaults is not None, timeout=15000)
    form_index = editor.tabs.indexOf(editor.values_form)
    assert editor.tabs.isTabVisible(form_index) and editor.tabs.tabText(form_index) == "Form"
    started = time.monotonic()
    editor.tabs.setCurrentIndex(form_index)  # the fields are built as the tab is first shown
    BUILT.append(time.monotonic() - started)
    return editor


def test_epinios_form_writes_a_boolean_into_the_yaml_keeping_its_comments_and_marks_an_invalid_value(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    repo = make_repo()
    publish_charts(repo, {"epinio": {EPINIO_VERSION: (REAL_CHARTS / EPINIO).read_bytes()}})
    values = epinio_values()
    editor = open_layer(running_app, qtbot, repo, "epinio", EPINIO_VERSION, values)
    form = editor.values_form
    box = form.widgets[("server", "disableTracking")]
    assert isinstance(box, QCheckBox) and not box.isChecked()  # filled from the YAML
    assert box.toolTip() == ("server.disableTracking")
    trace = form.widgets[("server", "traceLevel")]
    assert isinstance(trace, QSpinBox) and trace.value() == 0
    assert form.widgets[("s3", "endpoint")].accessibleName() == "s3.endpoint (required)"

    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Space)  # the keyboard, as a user without a mouse
    text = editor.values_edit.toPlainText()
    assert "  disableTracking: true\n" in text
    assert text == values.replace("  disableTracking: false\n", "  disableTracking: true\n")
    assert comments(text) == comments(values)
    assert editor.layer is not None and editor.layer.values_override == text  # saved like typing
    editor.values_edit.undo()  # one edit: one undo
    assert editor.values_edit.toPlainText() == values

    trace.setFocus()
    trace.selectAll()
    qtbot.keyClicks(trace, "4")
    qtbot.keyClick(trace, Qt.Key.Key_Return)
    assert "  traceLevel: 4\n" in editor.values_edit.toPlainText()

    # an invalid value typed in the YAML: the problem on its line there, and on its field here
    cpu = form.widgets[("server", "stagingResourceRequests", "cpu")]
    assert not cpu.isVisibleTo(form)  # a group two deep starts folded
    broken = editor.values_edit.toPlainText().replace("  traceLevel: 4\n", "  traceLevel: lots\n")
    broken = broken.replace('    cpu: ""\n', "    cpu: 5\n", 1)
    editor.values_edit.setPlainText(broken)
    line = broken.splitlines().index("  traceLevel: lots") + 1
    qtbot.waitUntil(lambda: form.field_error(("server", "traceLevel")) != "", timeout=15000)
    assert form.field_error(("server", "traceLevel")) == "✗ 'lots' is not of type 'integer'"
    assert line in editor.problem_lines()
    assert trace.property("invalid") is True
    assert form.status.text() == "✗ 2 fields with problems, marked below (and in the Values tab)."
    assert form.field_error(("server", "stagingResourceRequests", "cpu")) == "✗ 5 is not of type 'string'"
    assert cpu.isVisibleTo(form)  # a problem is never folded away

    editor.values_edit.setPlainText(broken.replace("traceLevel: lots", "traceLevel: 2").replace("cpu: 5", 'cpu: "5"'))
    qtbot.waitUntil(lambda: form.field_error(("server", "traceLevel")) == "", timeout=15000)
    qtbot.waitUntil(lambda: trace.value() == 2, timeout=2000)  # the form follows the YAML


CHOICES = json.dumps(
    {
        "type": "object",
        "properties": {
            "service": {
                "type": "object",
                "description": "How the service is exposed",
                "properties": {
                    "type": {"enum": ["ClusterIP", "NodePort", "LoadBalancer"], "description": "the Service type"},
                    "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                },
                "required": ["type"],
            },
            "name": {"type": "string"},
            "r&d": {"type": "boolean", "description": "a key with an ampersand: not a mnemonic"},
        },
    }
)
CHOICE_VALUES = "# the service\nservice:\n  type: ClusterIP  # inside only\n  port: 80\n# the name\nname: web\n"


def test_a_choice_is_picked_from_the_keyboard_and_written_with_its_comment(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    repo = make_repo()
    archive = chart_archive("web", "1.0.0", values=CHOICE_VALUES, schema=CHOICES)
    publish_charts(repo, {"web": {"1.0.0": archive}})
    editor = open_layer(running_app, qtbot, repo, "web", "1.0.0", CHOICE_VALUES)
    form = editor.values_form
    combo = form.widgets[("service", "type")]
    assert isinstance(combo, QComboBox) and combo.currentText() == "ClusterIP"
    assert [combo.itemText(i) for i in range(combo.count())] == ["(not set)", "ClusterIP", "NodePort", "LoadBalancer"]
    port = form.widgets[("service", "port")]
    assert isinstance(port, QSpinBox) and (port.minimum(), port.maximum(), port.value()) == (1, 65535, 80)
    assert shared(screen_texts(running_app.window)) == {}  # no field takes a letter another control has
    assert form.widgets[("r&d",)].accessibleName() == "r&d"
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert editor.values_edit.toPlainText() == CHOICE_VALUES.replace("type: ClusterIP", "type: NodePort")
    name = form.widgets[("name",)]
    assert isinstance(name, QLineEdit)
    name.setFocus()
    name.selectAll()
    qtbot.keyClicks(name, "yes")  # a string Helm would read as true: written quoted
    qtbot.keyClick(name, Qt.Key.Key_Return)
    assert editor.values_edit.toPlainText().endswith('# the name\nname: "yes"\n')


def test_hostile_schemas_give_a_bounded_form_or_one_line_and_never_hang(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    many = {"type": "object", "properties": {f"p{i}": {"type": "boolean"} for i in range(10_000)}}
    looped = {
        "definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}},
        "type": "object",
        "properties": {"x": {"$ref": "#/definitions/a"}, "name": {"type": "string", "pattern": "^(a+)+$"}},
    }
    repo = make_repo()
    publish_charts(
        repo,
        {
            "many": {"1.0.0": chart_archive("many", "1.0.0", values="p1: true\n", schema=json.dumps(many))},
            "loop": {"1.0.0": chart_archive("loop", "1.0.0", values="name: aaa\n", schema=json.dumps(looped))},
        },
    )
    editor = open_layer(running_app, qtbot, repo, "many", "1.0.0", "p1: true\n")
    form = editor.values_form
    assert len(form.widgets) == 1000
    assert form.status.text() == "The schema has more than 1,000 fields: the form shows the first 1,000."
    assert BUILT[-1] < 5  # about a second on a busy machine: bounded, not 10,000 rows
    box = form.widgets[("p1",)]
    assert isinstance(box, QCheckBox) and box.isChecked()

    running_app.context.worker.schema_checks.seconds = 1.5
    layer = editor.layer
    assert layer is not None
    costly = "name: " + "a" * 32 + "!\n"  # the pattern is the checker's, in its child: never the form's
    editor.edit(
        Layer(layer.registry_uid, layer.registry_name, layer.registry_endpoint, "loop", "1.0.0", values_override=costly)
    )
    qtbot.waitUntil(lambda: editor.defaults is not None and editor.tabs.isTabVisible(1), timeout=15000)
    editor.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: ("name",) in form.widgets, timeout=5000)
    assert form.status.text() == "x: its $ref #/definitions/a goes round in a loop; edit it in the Values tab."
    assert form.widgets[("x",)].isReadOnly()  # type: ignore[attr-defined]
    qtbot.waitUntil(
        lambda: "took longer than 1.5 s" in editor.problems.item(0).text() if editor.problems.count() else False,
        timeout=15000,
    )
    assert form.status.text() == "x: its $ref #/definitions/a goes round in a loop; edit it in the Values tab."

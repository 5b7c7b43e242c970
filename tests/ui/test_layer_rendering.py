"""A layer's Manifests and Images tabs and the profile's image list (issue 18): the chart rendered off
the UI thread with the layer's values, again a moment after they change; a chart that does not render
says why on the layer, in its badge and before exporting; one not kept offline says how to keep it."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from desktop.app import RunningApp
from desktop.cancellation import CancelToken
from desktop.helm.manifest_order import template_output
from desktop.helm.rendering import RenderLimits, RenderRequest, render_chart
from desktop.profiles.model import Layer, Profile
from desktop.registry import Registry, RegistryDraft
from desktop.ui.profile_editor_tab import ProfileEditorTab
from tests.support.charts import publish_charts
from tests.support.render_charts import ENDLESS_LOOP, FAILING, KINDS_VALUES, kinds_chart, one_template_chart
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]
WEB = "quay.io/acme/web:1.10"
SLOW_WHEN_ASKED = (
    "{{- if .Values.slow }}" + ENDLESS_LOOP + "{{- end }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: quick\n"
)
WEB_WHERE = "kinds/templates/deployment.yaml: Deployment/kinds-kinds spec.template.spec.containers[web].image"


def _registry(running_app: RunningApp, repo: RepoServer) -> Registry:
    draft = RegistryDraft("r", repo.url)
    return running_app.context.worker.register(draft, CancelToken()).future.result(10).registry


def _open(
    running_app: RunningApp, registry: Registry, name: str, chart: str, version: str, values: str
) -> ProfileEditorTab:
    layer = Layer(registry.uid, registry.name, registry.endpoint, chart, version, "apps", values_override=values)
    running_app.context.worker.save_profile(Profile(uid="", name=name, layers=(layer,))).result(10)
    tab = running_app.window.profile_editor_tab
    running_app.window.tabs.setCurrentWidget(tab)
    tab._load()
    return tab


def test_a_layer_shows_its_manifests_and_images_and_renders_again_as_its_values_change(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo()
    publish_charts(repo, {"kinds": {"1.0.0": kinds_chart()}})
    tab = _open(running_app, _registry(running_app, repo), "kinds-profile", "kinds", "1.0.0", KINDS_VALUES)
    editor = tab.pane.layer_editor
    kube = running_app.context.worker.settings.kube_version
    expected = template_output(
        render_chart(kinds_chart(), RenderRequest("kinds", "apps", KINDS_VALUES, kube), RenderLimits()).files
    )

    qtbot.waitUntil(lambda: editor.manifests_view.text() == expected, timeout=20000)
    assert editor.manifests_view.editor.isReadOnly()
    assert not editor.render_error.isVisible()
    rows = {image: (why, where) for image, why, where in editor.images_view.rows()}
    assert rows[WEB] == ("rendered, annotation, values, lock", "4 places")
    web = next(item for item in map(editor.images_view.table.topLevelItem, range(len(rows))) if item.text(0) == WEB)
    assert {web.child(i).text(0) for i in range(web.childCount())} == {
        f"rendered: {WEB_WHERE}",
        "annotation: artifacthub.io/images: web",
        "values: image",
        "lock: Images.lock: images[web]",
    }
    assert web.child(0).isFirstColumnSpanned()  # a reason has the whole row
    sub = next(item for item in map(editor.images_view.table.topLevelItem, range(len(rows))) if "sub" in item.text(0))
    assert {sub.child(i).text(0) for i in range(sub.childCount())} == {  # a subchart's reasons name it
        "rendered: kinds/charts/sub/templates/ds.yaml: DaemonSet/kinds-sub spec.template.spec.containers[sub].image",
        "values: sub.image",
    }
    assert "docker.io/acme/never:9.9.9" not in rows  # a disabled subchart's image

    # Ctrl+F finds in the manifests, Enter goes to the next match and wraps around.
    tab.pane.layer_editor.tabs.setCurrentWidget(editor.manifests_view)
    qtbot.waitUntil(editor.manifests_view.editor.isVisible)
    editor.manifests_view.editor.setFocus()
    qtbot.keyClick(editor.manifests_view.editor, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert editor.manifests_view.find_edit.hasFocus()
    qtbot.keyClicks(editor.manifests_view.find_edit, "kind: deployment")
    assert editor.manifests_view.matches.text() == "1 match"
    assert editor.manifests_view.editor.textCursor().selectedText() == "kind: Deployment"
    qtbot.keyClicks(editor.manifests_view.find_edit, "x")
    assert editor.manifests_view.matches.text() == "Not found"

    # The profile's list: every image of its layers; Copy and Export… give one reference a line.
    pane = tab.pane
    assert WEB in pane.image_references() and len(pane.image_references()) == len(rows)
    pane.copy_images_button.click()
    assert QGuiApplication.clipboard().text() == "".join(f"{image}\n" for image in sorted(rows))
    opened: list[QFileDialog] = []
    monkeypatch.setattr(QFileDialog, "open", lambda self, *a: opened.append(self))  # no file browser here
    pane.export_images_button.click()
    assert opened and opened[0].selectedFiles()[0].endswith("kinds-profile-images.txt")
    opened[0].fileSelected.emit(str(tmp_path / "images.txt"))
    assert (tmp_path / "images.txt").read_text() == QGuiApplication.clipboard().text()
    from desktop.ui.file_dialogs import start_folder

    assert start_folder("images") == tmp_path  # the next export starts there

    # Typing: one render a moment after the last keystroke, the window turning all along.
    asked: list[int] = []
    render_layers = running_app.context.worker.render_layers
    monkeypatch.setattr(
        running_app.context.worker, "render_layers", lambda *a, **k: asked.append(1) or render_layers(*a, **k)
    )
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    started = time.monotonic()
    editor.values_edit.setPlainText(KINDS_VALUES.replace('tag: "1.10"', 'tag: "2.0"'))
    qtbot.wait(100)
    editor.values_edit.setPlainText(KINDS_VALUES.replace('tag: "1.10"', 'tag: "2.1"'))
    assert editor.renderer.rendering(pane.profile, 0)  # type: ignore[arg-type]
    assert WEB in dict((row[0], row) for row in editor.images_view.rows())  # the last rendering, until the new one
    qtbot.waitUntil(lambda: "quay.io/acme/web:2.1" in [row[0] for row in editor.images_view.rows()], timeout=20000)
    timer.stop()
    assert asked == [1]  # the first edit's render never started: the second came within the moment
    assert time.monotonic() - started >= 0.6
    now = {image: (why, where) for image, why, where in editor.images_view.rows()}
    assert now["quay.io/acme/web:2.1"] == ("rendered, values", "2 places")
    assert now[WEB] == ("annotation, lock", "2 places")  # the chart's own lists still name the old tag
    assert 'image: "quay.io/acme/web:2.1"' in editor.manifests_view.text()
    assert "quay.io/acme/web:2.1" in pane.image_references()
    assert max(later - earlier for earlier, later in itertools.pairwise(ticks)) < 0.3  # bench: ≤ 100 ms


def test_a_chart_that_does_not_render_says_why_on_the_layer_and_before_export(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo()
    publish_charts(repo, {"needs": {"0.1.0": one_template_chart("needs", FAILING)}})
    tab = _open(running_app, _registry(running_app, repo), "needy", "needs", "0.1.0", "{}\n")
    editor = tab.pane.layer_editor
    reason = "execution error at (needs/templates/main.yaml:6:4): domain cannot be empty"

    qtbot.waitUntil(lambda: reason in editor.render_error.text(), timeout=20000)
    assert editor.render_error.text() == f"✗ needs 0.1.0 did not render: {reason}"
    assert editor.render_error.isVisible()
    assert editor.manifests_view.text() == "" and editor.images_view.rows() == []
    qtbot.waitUntil(lambda: tab.pane.layer_badges()[0] == "✗ needs 0.1.0 · does not render", timeout=5000)
    assert "1 layer did not render" in tab.pane.images_status.text()
    qtbot.waitUntil(
        lambda: tab.profile_list.item(0).text() == "✗ needy  1.0.0\n   1 layer · 1 with errors", timeout=5000
    )

    written: list[str] = []
    monkeypatch.setattr(QFileDialog, "open", lambda self, *a: written.append(self.nameFilters()[0]))
    box = tab.export_current("helmfile")
    assert isinstance(box, QMessageBox) and written == []
    assert box.text() == "“needy” has layers whose charts do not render with their values."
    assert f"• needs 0.1.0: needs 0.1.0 did not render: {reason}" in box.informativeText()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    box.reject()

    editor.values_edit.setPlainText("domain: example.com\n")
    qtbot.waitUntil(lambda: "name: x" in editor.manifests_view.text(), timeout=20000)
    assert not editor.render_error.isVisible()
    qtbot.waitUntil(lambda: tab.pane.layer_badges()[0] == "needs 0.1.0", timeout=5000)
    assert tab.export_current("helmfile") is None and written == ["helmfile (*.yaml *.yml)"]


def test_a_chart_not_kept_offline_with_its_registry_gone_says_how_to_keep_it(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    repo = make_repo()
    publish_charts(repo, {"kinds": {"1.0.0": kinds_chart()}})
    registry = _registry(running_app, repo)
    repo.stop()  # before the profile is saved: its charts were never fetched
    tab = _open(running_app, registry, "away", "kinds", "1.0.0", KINDS_VALUES)
    editor = tab.pane.layer_editor
    qtbot.waitUntil(lambda: "not kept offline" in editor.render_error.text(), timeout=20000)
    line = editor.render_error.text()
    assert line.startswith("✗ r/kinds 1.0.0 is not kept offline and its registry cannot be reached (")
    assert line.endswith("); while connected, keep it with: chartkeeper pin r/kinds --version 1.0.0")
    assert "\n" not in line


def _render_children() -> list[int]:
    """This process's render children still alive."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:"))
        if int(parent) == os.getpid() and b"desktop.helm.render_child" in command:
            found.append(int(entry.name))
    return found


def test_a_newer_render_of_a_layer_stops_the_older_one(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    repo = make_repo()
    publish_charts(repo, {"slow": {"0.1.0": one_template_chart("slow", SLOW_WHEN_ASKED)}})
    tab = _open(running_app, _registry(running_app, repo), "slowly", "slow", "0.1.0", "slow: true\n")
    editor = tab.pane.layer_editor
    qtbot.waitUntil(lambda: len(_render_children()) == 1, timeout=20000)  # it loops until its limit (60 s)
    qtbot.waitUntil(
        lambda: editor.manifests_view.status.text() == "Rendering the chart with these values…", timeout=5000
    )

    editor.values_edit.setPlainText("slow: false\n")
    qtbot.waitUntil(lambda: "name: quick" in editor.manifests_view.text(), timeout=20000)
    assert _render_children() == []  # the endless one was stopped, not left to its limit
    assert editor.manifests_view.status.text() == "1 manifest"
    assert not editor.render_error.isVisible()

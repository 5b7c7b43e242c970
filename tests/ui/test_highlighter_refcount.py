"""The values editors' YAML colouring on large files: no reference to None is lost (PySide6 6.12.0 dropped one
per QSyntaxHighlighter.setFormat call, which aborts Python 3.11 with 'none_dealloc'), in a child process that
may crash without taking the suite down, and in the real Add Helm Chart dialog with rancher-monitoring-sized
values."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.app import RunningApp
from desktop.cancellation import CancelToken
from desktop.registry import RegistryDraft
from desktop.ui.profile_editor_tab import ProfileEditorTab
from tests.support.charts import chart_archive, publish_charts
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]
ROOT = Path(__file__).resolve().parents[2]


def large_values(lines: int) -> str:
    """Values shaped like rancher-monitoring's: nested maps, comments, lists, quoted strings, numbers."""
    out: list[str] = []
    block = 0
    while len(out) < lines:
        out += [
            f"# Settings of component {block}: what it scrapes and how often.",
            f"component{block}:",
            "  enabled: true",
            "  image:",
            "    registry: docker.io",
            f"    repository: rancher/mirrored-component-{block}",
            f'    tag: "v{block % 9}.{block % 13}.{block % 7}"  # kept in step with the chart',
            "  resources:",
            "    limits: {cpu: 200m, memory: 256Mi}",
            "  args:",
            f"    - --port={9000 + block % 1000}",
            "    - '--log.level=info'",
            "  nodeSelector: {}",
            "  tolerations: []",
        ]
        block += 1
    return "\n".join(out[:lines]) + "\n"


CHILD = textwrap.dedent(
    """
    import json, os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtGui import QTextDocument
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from desktop.ui.yaml_highlighter import YamlHighlighter
    document = QTextDocument()
    document.setPlainText(sys.stdin.read())
    highlighter = YamlHighlighter(document)
    before = sys.getrefcount(None)
    highlighter.rehighlight()  # every block, synchronously
    after = sys.getrefcount(None)
    coloured = sum(len(document.findBlockByNumber(i).layout().formats()) > 0 for i in range(document.blockCount()))
    print(json.dumps({"blocks": document.blockCount(), "coloured": coloured, "none_delta": after - before}))
    """
)


def test_highlighting_20000_lines_keeps_every_reference_to_none() -> None:
    values = large_values(20_000)
    done = subprocess.run(
        [sys.executable, "-c", CHILD], input=values, capture_output=True, text=True, cwd=ROOT, timeout=240
    )
    assert done.returncode == 0, done.stderr[-2000:]  # 6.12.0 on 3.11: 'Fatal Python error: none_dealloc'
    result = json.loads(done.stdout)
    assert result["blocks"] == 20_001 and result["coloured"] >= 20_000  # really coloured, every line
    # Pygments' caches may take references; a lost one per setFormat call shows as a fall of ~60,000.
    assert result["none_delta"] >= 0, result


def test_rancher_monitoring_sized_values_preview_and_add(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    values = large_values(6_000)  # rancher-monitoring's values.yaml is ~5,000 lines
    repo = make_repo()
    publish_charts(
        repo, {"rancher-monitoring": {"105.1.0": chart_archive("rancher-monitoring", "105.1.0", values=values)}}
    )
    draft = RegistryDraft("rancher", repo.url)
    running_app.context.worker.register(draft, CancelToken()).future.result(10)
    tab: ProfileEditorTab = running_app.window.profile_editor_tab
    running_app.window.tabs.setCurrentWidget(tab)
    tab.new_profile()
    qtbot.waitUntil(lambda: tab.pane.profile is not None, timeout=5000)
    editor = tab.pane
    before = sys.getrefcount(None)

    dialog = editor.open_add_chart()
    qtbot.keyClicks(dialog.search_edit, "monitoring")
    qtbot.waitUntil(lambda: dialog.results_model.rowCount() == 1, timeout=5000)
    qtbot.keyClick(dialog.search_edit, Qt.Key.Key_Return)
    details = dialog.details
    qtbot.waitUntil(lambda: details.files is not None, timeout=20000)
    assert details.values_view.toPlainText() == values
    assert details.values_view.document().findBlockByNumber(1).layout().formats()  # the preview is coloured
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.profile is not None and len(editor.profile.layers) == 1, timeout=10000)
    layer_editor = editor.layer_editor
    qtbot.waitUntil(lambda: layer_editor.values_edit.toPlainText() == values, timeout=20000)
    last = layer_editor.values_edit.document().lastBlock().previous()
    assert last.layout().formats()  # coloured to the end
    assert sys.getrefcount(None) >= before
    assert [layer.chart for layer in editor.profile.layers] == ["rancher-monitoring"]

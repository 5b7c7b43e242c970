"""A chart's schema is checked off the UI thread with a time limit (issue 24): a catastrophic pattern
leaves the window responsive, says it is checking, then says the check took too long."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop.app import RunningApp
from desktop.cancellation import CancelToken
from desktop.profiles.model import Layer, Profile
from desktop.registry import RegistryDraft
from tests.support.charts import chart_archive, publish_charts
from tests.support.repo_server import RepoServer

# `^(a+)+$` against 32 a's and a mismatch: minutes of backtracking in Python's `re`, holding its lock
COSTLY = json.dumps({"type": "object", "properties": {"name": {"type": "string", "pattern": "^(a+)+$"}}})
COSTLY_VALUES = "name: " + "a" * 32 + "!\n"


def test_a_costly_pattern_never_freezes_the_window_and_is_stopped_at_its_limit(
    running_app: RunningApp, qtbot: QtBot, make_repo: Callable[..., RepoServer]
) -> None:
    repo = make_repo()
    publish_charts(repo, {"names": {"1.0.0": chart_archive("names", "1.0.0", values="name: aaa\n", schema=COSTLY)}})
    registry = running_app.context.worker.register(RegistryDraft("stable", repo.url), CancelToken()).future.result(10)
    registry = registry.registry
    running_app.context.worker.schema_checks.seconds = 1.5
    layer = Layer(registry.uid, registry.name, registry.endpoint, "names", "1.0.0", values_override="name: aaa\n")
    running_app.context.worker.save_profile(Profile(uid="", name="costly", layers=(layer,))).result(10)
    tab = running_app.window.profile_editor_tab
    running_app.window.tabs.setCurrentWidget(tab)
    tab._load()
    editor = tab.pane.layer_editor
    qtbot.waitUntil(lambda: editor.values_status.text() == "✓ Valid (YAML and the chart's schema)", timeout=10000)

    ticks: list[float] = []
    statuses: set[str] = set()

    def tick() -> None:
        ticks.append(time.monotonic())
        statuses.add(editor.values_status.text())

    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(tick)
    timer.start()
    started = time.monotonic()
    editor.values_edit.setPlainText(COSTLY_VALUES)
    assert time.monotonic() - started < 0.5  # typing returns at once: the check runs elsewhere
    box = tab.export_current("helmfile")  # not yet known to be valid: asks, as for errors
    assert isinstance(box, QMessageBox) and box.text() == "“costly”'s values are still being checked."
    assert "names 1.0.0: still being checked against the chart's schema" in box.informativeText()
    box.reject()
    qtbot.waitUntil(lambda: editor.problems.count() == 1, timeout=10000)
    timer.stop()

    assert editor.problems.item(0).text() == (
        "⚠ the chart's schema took longer than 1.5 s to check and was stopped (a costly pattern?);"
        " only the YAML was checked"
    )
    assert editor.values_status.text() == "✗ 1 problem (YAML and the chart's schema)"
    assert "Checking the values against the chart's schema…" in statuses
    waited = ticks[-1] - started
    assert waited >= 1.4 and len(ticks) >= waited / 0.02 / 3  # the event loop kept turning all along
    assert max(later - earlier for earlier, later in itertools.pairwise(ticks)) < 0.5
    qtbot.waitUntil(lambda: tab.pane.layer_badges()[0].startswith("✗ names 1.0.0 · 1 error"), timeout=5000)

    editor.values_edit.setPlainText("name: aaaa\n")  # the next check runs in a fresh child
    qtbot.waitUntil(lambda: editor.values_status.text() == "✓ Valid (YAML and the chart's schema)", timeout=10000)
    assert editor.problems.count() == 0

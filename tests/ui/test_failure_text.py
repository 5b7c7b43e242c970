"""Issue 23: one way to report a failure in the window — every dialog's and tab's failure text comes
from `ui/failure_text.py`, with the one bug line of `errors.py` naming the log."""

from __future__ import annotations

import ast
import errno
import logging
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from desktop.app import RunningApp
from desktop.errors import OperationCancelled, ValidationError, bug_message
from desktop.ui.bundle_dialogs import ExportBundleDialog
from desktop.ui.failure_text import failure_text
from tests.conftest import ROOT

UI = ROOT / "desktop" / "ui"


def _failed(error: BaseException) -> Future[Any]:
    future: Future[Any] = Future()
    future.set_exception(error)
    return future


def _catches_everything(handler: ast.ExceptHandler) -> bool:
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(k is None or (isinstance(k, ast.Name) and k.id in ("Exception", "BaseException")) for k in kinds)


def _shown_text(handler: ast.ExceptHandler) -> list[int]:
    """Lines where the handler writes a text of its own (a string outside a logging call)."""
    logged = {
        id(node)
        for call in ast.walk(handler)
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and ast.unparse(call.func.value) == "log"
        for arg in call.args
        for node in ast.walk(arg)
    }
    return [
        node.lineno
        for node in ast.walk(handler)
        if isinstance(node, ast.JoinedStr | ast.Constant) and isinstance(getattr(node, "value", ""), str)
        if id(node) not in logged
    ]


def test_no_handler_in_the_window_writes_its_own_failure_text() -> None:
    """An `except Exception` that shows text shows failure_text's; the bug line is written nowhere else."""
    own: list[str] = []
    uses = 0
    for path in sorted(UI.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for handler in (n for n in ast.walk(tree) if isinstance(n, ast.ExceptHandler) and _catches_everything(n)):
            calls = {ast.unparse(c.func) for c in ast.walk(handler) if isinstance(c, ast.Call)}
            if calls & {"failure_text", "failure_line"}:
                uses += 1
            elif _shown_text(handler) and "unknown (" not in ast.unparse(handler):  # the keyring's name: not a failure
                own.append(f"{path.relative_to(ROOT)}:{handler.lineno}")
        text = path.read_text(encoding="utf-8")
        if path.name != "failure_text.py":
            assert "went wrong" not in text, path
    assert own == []
    assert uses >= 10  # the probe finds the handlers


def test_the_text_says_what_to_do_and_where_the_log_is(
    running_app: RunningApp, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    context = running_app.context
    log_file = context.paths.log_file
    assert failure_text(context, OperationCancelled(), "The export") == "The export was cancelled; nothing was changed."
    assert failure_text(context, ValidationError("Name it first."), "Saving") == "Name it first."
    full = failure_text(context, OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x")), "Saving")
    assert "disk" in full.lower() and "went wrong" not in full  # the machine's fault, not a bug
    with caplog.at_level(logging.ERROR):
        bug = failure_text(context, RuntimeError("boom"), "Saving the profile")
    assert bug == bug_message(log_file) and str(log_file) in bug
    assert "Saving the profile failed" in caplog.text and "RuntimeError: boom" in caplog.text  # the traceback


def test_the_dialogs_failure_paths_show_the_one_text(
    running_app: RunningApp, qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    context = running_app.context
    worker = context.worker
    expected = bug_message(context.paths.log_file)
    tabs = running_app.window

    monkeypatch.setattr(worker, "clear_unused_cache", lambda: _failed(RuntimeError("boom")))
    with qtbot.waitSignal(tabs.settings_tab.status_message, timeout=5000) as said:
        tabs.settings_tab._clear_cache()
    assert said.args == [f"The cache was not cleared: {expected}"]

    monkeypatch.setattr(worker, "save_settings", lambda _settings: _failed(KeyError("proxy")))
    tabs.settings_tab._save()
    qtbot.waitUntil(lambda: tabs.settings_tab.saved_label.text() == f"Not saved: {expected}", timeout=5000)

    monkeypatch.setattr(worker, "plan_bundle_export", lambda _selection: _failed(ValueError("no plan")))
    dialog = ExportBundleDialog(context)
    qtbot.addWidget(dialog)
    dialog.estimate()
    qtbot.waitUntil(lambda: dialog.estimate_label.text() == expected, timeout=5000)

    monkeypatch.setattr(worker, "import_from_helm", lambda _path, _token: _job(ValidationError("Not Helm's file.")))
    helm = tmp_path / "repositories.yaml"
    helm.write_text("apiVersion: v1\nrepositories: []\n")
    tabs.settings_tab.import_from(helm)
    shown = lambda: tabs.settings_tab._import_dialog and tabs.settings_tab._import_dialog.heading.text()  # noqa: E731
    qtbot.waitUntil(lambda: shown() == "Not Helm's file.", timeout=5000)


def _job(error: BaseException) -> Any:
    from desktop.cancellation import CancelToken
    from desktop.jobs.job import Job

    return Job(1, _failed(error), CancelToken())

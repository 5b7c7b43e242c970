"""When the window cannot open its catalog: a damaged one is offered Check / Recover / Quit, from the
keyboard, and opens once recovered; a home that is a file is one plain message. Real damaged files
(4 KiB of random bytes over one page), real widgets."""

from __future__ import annotations

import random
import sqlite3
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from desktop.app import RunningApp, build_app, open_window, run_app
from desktop.paths import AppPaths
from desktop.secrets import CredentialStore
from desktop.ui.catalog_recovery_dialog import CatalogRecoveryDialog
from tests.conftest import CliResult
from tests.support.charts import chart_entry, index_yaml
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]
RunCli = Callable[..., CliResult]
PAGE = 4096
INDEX = index_yaml(
    {
        f"chart-{n:02d}": [chart_entry(f"chart-{n:02d}", f"1.{m}.0", description="words " * 20) for m in range(30)]
        for n in range(30)
    }
)


@pytest.fixture
def catalog(run_cli: RunCli, make_repo: MakeRepo, app_paths: AppPaths) -> Path:
    """A catalog with one registry and 900 versions, written by the real CLI and closed."""
    repo = make_repo()
    repo.put("/index.yaml", INDEX)
    added = run_cli("registry", "add", "stable", repo.url)
    assert added.returncode == 0, added.stderr
    return app_paths.catalog


def damage_page(catalog: Path, table: str | None) -> None:
    """4 KiB of random bytes over a leaf page of `table` (None: the first page, the file's header)."""
    page = 1
    if table is not None:
        with sqlite3.connect(catalog) as db:
            pages = [p for (p,) in db.execute("SELECT pageno FROM dbstat WHERE name = ? ORDER BY pageno", (table,))]
        db.close()
        page = pages[len(pages) // 2]
    with open(catalog, "r+b") as file:
        file.seek((page - 1) * PAGE)
        file.write(random.Random(page).randbytes(PAGE))


def press(widget: object, key: Qt.Key) -> None:
    QTest.keyClick(widget, key)  # type: ignore[call-overload]


def test_check_then_recover_from_the_keyboard(qtbot: QtBot, catalog: Path) -> None:
    damage_page(catalog, "chart_versions")
    dialog = CatalogRecoveryDialog(catalog, "The catalog is damaged (database disk image is malformed).")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitActive(dialog)
    assert "database disk image is malformed" in dialog.heading.text()
    qtbot.waitUntil(dialog.check_button.hasFocus)  # the harmless action is where the keyboard starts

    press(dialog.check_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.check_report is not None and not dialog.working, timeout=20000)
    assert "is damaged" in dialog.details.toPlainText()
    assert "integrity check found" in dialog.details.toPlainText()
    assert "Recover copies what can still be read" in dialog.details.toPlainText()
    assert "chartkeeper catalog recover" not in dialog.details.toPlainText()  # the button is right there
    qtbot.waitUntil(dialog.recover_button.hasFocus)  # the next step, one key away

    press(dialog.recover_button, Qt.Key.Key_Return)
    assert dialog.working and not dialog.quit_button.isEnabled()
    press(dialog, Qt.Key.Key_Escape)  # a recovery under way is not abandoned
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.recovery is not None and not dialog.working, timeout=20000)
    assert dialog.recovery is not None
    summary = dialog.details.toPlainText()
    assert summary.startswith(f"Recovered into {catalog}: 1 registries")
    assert dialog.recovery.kept_as.exists() and dialog.recovery.kept_as.name.startswith("catalog.sqlite3.damaged-")
    assert dialog.open_button.isVisible()
    qtbot.waitUntil(dialog.open_button.hasFocus)
    assert not dialog.recover_button.isVisible() and not dialog.check_button.isVisible()
    with qtbot.waitSignal(dialog.accepted):
        press(dialog.open_button, Qt.Key.Key_Return)


def test_escape_quits_and_changes_nothing(qtbot: QtBot, catalog: Path) -> None:
    damage_page(catalog, None)
    damaged = catalog.read_bytes()
    dialog = CatalogRecoveryDialog(catalog, "damaged")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    with qtbot.waitSignal(dialog.rejected):
        press(dialog, Qt.Key.Key_Escape)
    assert catalog.read_bytes() == damaged


class Robot:
    """Plays the user in front of a modal dialog that `exec()` runs: Enter on the focused button
    whenever the dialog is idle, then Escape once `enough` says so (or after a few presses, so a
    test that goes wrong ends instead of pressing forever)."""

    def __init__(self, enough: Callable[[CatalogRecoveryDialog], bool], patience: int = 6) -> None:
        self.enough = enough
        self.patience = patience
        self.presses = 0
        self.dialogs: list[CatalogRecoveryDialog] = []
        self.timer = QTimer()
        self.timer.setInterval(50)
        self.timer.timeout.connect(self._act)
        self.timer.start()

    def _act(self) -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, CatalogRecoveryDialog) or dialog.working or not dialog.isVisible():
            return
        if dialog not in self.dialogs:
            self.dialogs.append(dialog)
        self.presses += 1
        if self.enough(dialog) or self.presses > self.patience:
            press(dialog, Qt.Key.Key_Escape)
        else:
            focused = dialog.focusWidget()
            press(focused if focused is not None else dialog, Qt.Key.Key_Return)


@pytest.fixture
def open_app(credentials: CredentialStore, qt_loop: object) -> Iterator[Callable[[AppPaths], RunningApp | None]]:
    opened: list[RunningApp] = []

    def run(paths: AppPaths) -> RunningApp | None:
        running = open_window(paths, build=lambda p: build_app(p, schedule=False, credentials=credentials))
        if running is not None:
            opened.append(running)
        return running

    yield run
    for running in opened:
        running.window.close()
        running.shut_down()


def test_the_window_offers_recovery_and_opens_the_recovered_catalog(
    qtbot: QtBot, catalog: Path, app_paths: AppPaths, open_app: Callable[[AppPaths], RunningApp | None]
) -> None:
    damage_page(catalog, "sync_runs")  # read as the window starts: it cannot open
    robot = Robot(enough=lambda dialog: False)
    running = open_app(app_paths)
    robot.timer.stop()
    assert running is not None, "recovered, the window opens"
    assert len(robot.dialogs) == 1
    dialog = robot.dialogs[0]
    assert f"The catalog {catalog} is damaged (" in dialog.heading.text()
    assert "chartkeeper catalog" not in dialog.heading.text()  # the buttons are the way here
    assert dialog.recovery is not None and "Unreadable parts were skipped (sync_runs)" in dialog.recovery.summary()
    qtbot.waitUntil(lambda: running.window.registries_tab.model.rowCount() == 1)


def test_a_catalog_too_damaged_to_recover_is_left_alone_and_quit(
    qtbot: QtBot, catalog: Path, app_paths: AppPaths, open_app: Callable[[AppPaths], RunningApp | None]
) -> None:
    damage_page(catalog, None)
    damaged = catalog.read_bytes()
    robot = Robot(enough=lambda dialog: "too damaged" in dialog.details.toPlainText())
    assert open_app(app_paths) is None
    robot.timer.stop()
    assert len(robot.dialogs) == 1
    assert "restore a backup" in robot.dialogs[0].details.toPlainText()
    assert catalog.read_bytes() == damaged


def test_a_home_that_is_a_file_is_one_plain_message(qapp: QApplication, tmp_path: Path) -> None:
    a_file = tmp_path / "home"
    a_file.write_text("not a folder")
    texts: list[str] = []

    def close_the_box() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            texts.append(box.text())
            box.accept()
        else:
            QTimer.singleShot(20, close_the_box)

    QTimer.singleShot(0, close_the_box)
    interval = sys.getswitchinterval()
    try:
        assert run_app(["--home", str(a_file)]) == 1
    finally:
        sys.setswitchinterval(interval)
    assert len(texts) == 1
    assert f"{a_file} is a file, not a folder" in texts[0]

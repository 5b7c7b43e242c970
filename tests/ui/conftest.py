"""Fixtures for the window under pytest-qt: asyncio on Qt's loop, and the whole app built for real."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QEvent
from PySide6.QtGui import QScreen
from PySide6.QtWidgets import QApplication

from desktop.app import RunningApp, build_app
from desktop.paths import AppPaths
from desktop.secrets import CredentialStore


@pytest.fixture
def qt_loop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    """qasync's loop on the QApplication pytest-qt runs, so `asyncSlot` coroutines make progress
    whenever the test waits with qtbot."""
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)


@pytest.fixture
def app_paths(home: Path) -> AppPaths:
    return AppPaths.under(home).ensure()


@pytest.fixture
def running_app(
    qt_loop: qasync.QEventLoop, app_paths: AppPaths, credentials: CredentialStore, qtbot: object
) -> Iterator[RunningApp]:
    running = build_app(app_paths, schedule=False, credentials=credentials)
    running.window.resize(1280, 800)
    running.window.show()
    yield running
    running.window.close()
    running.shut_down()
    running.app.processEvents()  # events queued for this window run now, not in the next test
    running.window.deleteLater()
    running.app.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def small_screen(running_app: RunningApp, qtbot: object) -> QScreen:
    """The 1280x720 test screen, with the window moved onto it and filling it (as a maximised window
    would, leaving room for its frame): the dialogs then open there, centred on the window."""
    screen = next(s for s in QApplication.screens() if s.name() == "small")
    window = running_app.window
    window.setGeometry(screen.availableGeometry().adjusted(8, 8, -8, -40))  # room for a frame
    QApplication.processEvents()
    assert window.screen() is screen
    return screen

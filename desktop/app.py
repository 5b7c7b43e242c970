"""The desktop app's composition root: Qt application, asyncio on Qt's loop, the background worker,
the window; and the ordered shutdown that stops the worker before the catalog closes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sqlite3
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from desktop.catalog.db import CatalogDamagedError, catalog_failure, open_catalog
from desktop.desktop_entry import APP_ID
from desktop.errors import UserError, bug_message
from desktop.jobs.worker import BackgroundWorker
from desktop.logs import configure_logging
from desktop.paths import AppPaths, HomeError, resolve_paths
from desktop.secrets import CredentialStore
from desktop.ui.context import AppContext
from desktop.ui.file_dialogs import remember_in
from desktop.ui.focus_style import FocusStyle
from desktop.ui.main_window import MainWindow
from desktop.ui.resources import app_icon
from desktop.ui.style import style_sheet
from desktop.ui.worker_bridge import BridgeListener, WorkerBridge

log = logging.getLogger(__name__)
UI_SWITCH_INTERVAL = 0.001


@dataclass
class RunningApp:
    app: QApplication
    context: AppContext
    window: MainWindow

    def shut_down(self) -> None:
        """Stop the background worker (cancelling what runs), then close the UI's catalog connection."""
        self.context.bridge.close()
        if not self.context.worker.stop(timeout=5):
            log.warning("the background worker did not stop within 5 s; what it was writing is abandoned")
        self.context.reader.close()


def home_from(argv: list[str]) -> str | None:
    for position, argument in enumerate(argv):
        if argument == "--home" and position + 1 < len(argv):
            return argv[position + 1]
        if argument.startswith("--home="):
            return argument.split("=", 1)[1]
    return None


def create_application() -> QApplication:
    # -name sets the X11 window class's instance to the app id, which the desktop file's StartupWMClass names.
    app = QApplication.instance() or QApplication([*sys.argv[:1], "-name", APP_ID])
    assert isinstance(app, QApplication)
    app.setApplicationName("Chartkeeper")
    app.setOrganizationName("Chartkeeper")
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    if not isinstance(app.style(), FocusStyle):
        app.setStyle(FocusStyle(app.style().name()))
    app.setStyleSheet(style_sheet(app.palette()))
    # Follow the desktop when it switches between light and dark while the app runs.
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: app.setStyleSheet(style_sheet(app.palette())))
    return app


def build_app(paths: AppPaths, *, schedule: bool = True, credentials: CredentialStore | None = None) -> RunningApp:
    """Everything the window needs, started; raises UserError when the catalog cannot be opened."""
    app = create_application()
    bridge = WorkerBridge()
    credentials = credentials or CredentialStore()
    worker = BackgroundWorker(paths.catalog, credentials, BridgeListener(bridge))
    worker.start(schedule=schedule)
    try:
        reader = open_catalog(paths.catalog, readonly=True)
    except BaseException:
        worker.stop()
        raise
    context = AppContext(paths, reader, worker, bridge, credentials)
    remember_in(paths.config_dir / "recent-folders.json")  # where the file choosers open
    try:
        window = MainWindow(context)  # its first queries may meet a damaged page
    except BaseException:
        bridge.close()
        worker.stop()
        reader.close()
        raise
    return RunningApp(app, context, window)


def open_window(
    paths: AppPaths,
    build: Callable[[AppPaths], RunningApp] = build_app,
    recovery_dialog: Callable[[AppPaths, str], QDialog] | None = None,
) -> RunningApp | None:
    """The running app; or, when its catalog cannot be opened, None after saying why. A damaged
    catalog is offered the recovery dialog (Check / Recover / Quit) and, once recovered, opened."""
    make_dialog = recovery_dialog or _recovery_dialog
    while True:
        try:
            return build(paths)
        except CatalogDamagedError as exc:
            damage = exc
        except sqlite3.DatabaseError as exc:  # met by the window's first queries
            failure = catalog_failure(exc, paths.catalog)
            if failure is None:
                raise
            if not isinstance(failure, CatalogDamagedError):
                QMessageBox.critical(None, "Chartkeeper cannot start", failure.message)
                return None
            damage = failure
        except UserError as exc:
            QMessageBox.critical(None, "Chartkeeper cannot start", exc.message)
            return None
        log.warning("the catalog %s is damaged: %s", paths.catalog, damage.detail)
        message = f"The catalog {damage.path} is damaged ({damage.detail})."  # the dialog says what to do
        if make_dialog(paths, message).exec() != QDialog.DialogCode.Accepted:
            return None


def _recovery_dialog(paths: AppPaths, message: str) -> QDialog:
    from desktop.ui.catalog_recovery_dialog import CatalogRecoveryDialog

    return CatalogRecoveryDialog(paths.catalog, message, log_file=paths.log_file)


def _install_excepthook(paths: AppPaths) -> None:
    shown: list[QMessageBox] = []  # open boxes, kept alive until closed

    def show(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        log.error("unexpected error:\n%s", "".join(traceback.format_exception(kind, error, trace)))
        failure = catalog_failure(error, paths.catalog) if isinstance(error, sqlite3.Error) else None
        if failure is not None:  # the machine's fault (damaged, busy, disk full), not a bug: say what to do
            box = QMessageBox(QMessageBox.Icon.Warning, "Chartkeeper", failure.message, QMessageBox.StandardButton.Ok)
        else:
            box = QMessageBox(
                QMessageBox.Icon.Critical,
                "Chartkeeper",
                bug_message(paths.log_file),
                QMessageBox.StandardButton.Ok,
            )
            box.setInformativeText(f"{kind.__name__}: {error}")
        shown.append(box)
        box.finished.connect(lambda _result: shown.remove(box))
        box.open()

    sys.excepthook = show


def run_app(argv: list[str]) -> int:
    import qasync

    # The UI thread gives up the interpreter lock in every catalog query and waits to get it back
    # while a worker thread parses; a shorter switch interval keeps those waits (and the window's
    # pauses) short.
    sys.setswitchinterval(UI_SWITCH_INTERVAL)
    app = create_application()
    # The loop first: the window starts background work (a layer's defaults) as it is built.
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        paths = resolve_paths(home_from(argv)).ensure()  # folders private; earlier versions' files tightened
    except HomeError as exc:
        QMessageBox.critical(None, "Chartkeeper cannot start", exc.message)
        loop.close()
        return 1
    configure_logging(paths.log_file)
    running = open_window(paths)
    if running is None:
        loop.close()
        return 1
    _install_excepthook(paths)
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    running.window.show()
    # SIGTERM (the session ends, `kill`) and SIGINT (Ctrl+C) close the window as File → Quit does.
    for number in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # Windows has no such handlers
            loop.add_signal_handler(number, running.window.close)
    QTimer.singleShot(0, lambda: log.info("window ready"))  # the launch benchmark reads this line's time
    with loop:
        loop.run_until_complete(closed.wait())
        _cancel_pending(loop)
    running.shut_down()
    return 0


def _cancel_pending(loop: asyncio.AbstractEventLoop) -> None:
    """Quitting while background answers are awaited (the keyring's name, a chart's files): cancel
    those waits and let them end, instead of destroying them pending."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))

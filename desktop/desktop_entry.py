"""The desktop launcher: a freedesktop .desktop entry and icon, so Chartkeeper appears in the menu."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

ICON = Path(__file__).resolve().parent / "ui" / "icons" / "chartkeeper.svg"

_ENTRY = """[Desktop Entry]
Type=Application
Name=Chartkeeper
GenericName=Helm Chart Catalog
Comment=Offline catalog of Helm chart registries and cluster profiles
Exec={command}
Icon=chartkeeper
Terminal=false
Categories=Development;Utility;
Keywords=helm;kubernetes;charts;palette;registry;offline;
StartupWMClass=chartkeeper
"""


def launch_command() -> str:
    """How the menu entry starts this installation: its `chartkeeper` script, or this Python."""
    script = shutil.which("chartkeeper")
    if script:
        return shlex.quote(str(Path(script).resolve()))
    return f"{shlex.quote(sys.executable)} -m desktop"


def install_desktop_entry(prefix: Path) -> list[Path]:
    """Write the entry and the icon under `prefix` (usually ~/.local/share); return the files."""
    entry = prefix / "applications" / "chartkeeper.desktop"
    icon = prefix / "icons" / "hicolor" / "scalable" / "apps" / "chartkeeper.svg"
    entry.parent.mkdir(parents=True, exist_ok=True)
    icon.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text(_ENTRY.format(command=launch_command()), encoding="utf-8")
    shutil.copyfile(ICON, icon)
    return [entry, icon]

"""The desktop integration files: validated by freedesktop's own tools, and one application id everywhere."""

from __future__ import annotations

import configparser
import struct
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

from PySide6.QtWidgets import QApplication

import desktop
from desktop.desktop_entry import (
    APP_ID,
    ICON_SIZES,
    desktop_entry,
    exec_argument,
    icon_png,
    install_desktop_entry,
    resources_dir,
)
from tests.conftest import ROOT

RESOURCES = ROOT / "resources"
DESKTOP_FILE = RESOURCES / f"{APP_ID}.desktop"
METAINFO = RESOURCES / f"{APP_ID}.metainfo.xml"


def entry_fields(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def test_desktop_file_passes_desktop_file_validate() -> None:
    done = subprocess.run(["desktop-file-validate", str(DESKTOP_FILE)], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == "", done.stdout + done.stderr


def test_appstream_metadata_passes_appstreamcli() -> None:
    done = subprocess.run(["appstreamcli", "validate", "--no-net", str(METAINFO)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_one_application_id_everywhere() -> None:
    fields = entry_fields(DESKTOP_FILE)
    assert fields["Icon"] == APP_ID and fields["StartupWMClass"] == APP_ID
    component = ET.parse(METAINFO).getroot()
    assert component.findtext("id") == APP_ID
    assert component.findtext("launchable[@type='desktop-id']") == DESKTOP_FILE.name
    assert component.findtext("icon[@type='stock']") == APP_ID


def test_the_application_names_its_desktop_file_and_icon(qapp: QApplication) -> None:
    from desktop.app import create_application

    app = create_application()
    assert app.desktopFileName() == APP_ID
    sizes = {size.width() for size in app.windowIcon().availableSizes()}
    assert sizes == set(ICON_SIZES)


def test_metainfo_names_this_release() -> None:
    newest = ET.parse(METAINFO).getroot().find("releases/release")
    assert newest is not None
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert newest.get("version") == desktop.__version__ == pyproject["project"]["version"]


def test_icon_exists_as_svg_and_png_sizes() -> None:
    assert (RESOURCES / f"{APP_ID}.svg").read_text().startswith("<svg")
    for size in ICON_SIZES:
        header = icon_png(size).read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", header[16:24]) == (size, size)


def test_the_checkout_reads_resources_from_the_repository() -> None:
    assert resources_dir().resolve() == RESOURCES


def test_installed_entry_points_at_this_installation_and_validates(tmp_path: Path) -> None:
    prefix = tmp_path / "my share"  # a space: the Exec line must quote by the Desktop Entry rules
    written = install_desktop_entry(prefix)
    entry = prefix / "applications" / DESKTOP_FILE.name
    assert entry in written
    assert (prefix / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg") in written
    for size in ICON_SIZES:
        assert (prefix / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png").is_file()
    done = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == "", done.stdout + done.stderr
    assert entry_fields(entry)["Icon"] == APP_ID


def test_exec_line_quotes_paths_with_spaces_and_escapes(tmp_path: Path) -> None:
    entry = tmp_path / DESKTOP_FILE.name
    entry.write_text(desktop_entry(exec_argument("/opt/my apps/100% chart$keeper")))
    assert 'Exec="/opt/my apps/100%% chart\\\\$keeper"' in entry.read_text()
    done = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == "", done.stdout + done.stderr

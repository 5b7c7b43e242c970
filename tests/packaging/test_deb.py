"""The Debian package: lintian-clean, its Depends cover what the build loads from the system, and it
installs with dpkg, runs from /usr/bin, and purges."""

from __future__ import annotations

import functools
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.desktop_entry import APP_ID, ICON_SIZES
from tests.packaging.conftest import VERSION, Built, check_add_and_search, run
from tests.packaging.test_frozen import elf_files
from tests.support.repo_server import RepoServer

# slow, and the first of these also builds every package (several minutes on a busy machine)
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def control_field(deb: Path, field: str) -> str:
    return subprocess.run(["dpkg-deb", "--field", str(deb), field], capture_output=True, text=True, check=True).stdout


def package_names(relation: str) -> set[str]:
    return {re.split(r"[\s(]", alternative.strip())[0] for alternative in re.split(r"[,|]", relation) if alternative}


@functools.cache
def owners(library: str) -> set[str]:
    """The installed Debian packages holding a shared library."""
    owner = subprocess.run(["dpkg", "-S", f"*/{library}"], capture_output=True, text=True)
    assert owner.returncode == 0, f"{library} is not installed here"
    return {line.split(":")[0] for line in owner.stdout.splitlines()}


def test_lintian_reports_no_errors(built: Built) -> None:
    done = subprocess.run(["lintian", "--fail-on", "error", str(built.deb)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not [line for line in done.stdout.splitlines() if line.startswith("E:")]
    # What is left is explained in packaging/README.md; a new kind of warning should be looked at.
    warnings = {line.split()[2] for line in done.stdout.splitlines() if line.startswith("W:")}
    assert warnings <= {"shared-library-lacks-prerequisites", "hardening-no-pie", "no-manual-page"}, warnings


def test_holds_the_build_the_entry_the_icons_and_the_metadata(built: Built) -> None:
    listing = subprocess.run(["dpkg-deb", "--contents", str(built.deb)], capture_output=True, text=True, check=True)
    paths = {line.split()[5].removeprefix(".") for line in listing.stdout.splitlines()}
    assert "/usr/bin/chartkeeper -> /opt/chartkeeper/chartkeeper" in listing.stdout
    expected = {
        "/opt/chartkeeper/chartkeeper",
        f"/usr/share/applications/{APP_ID}.desktop",
        f"/usr/share/metainfo/{APP_ID}.metainfo.xml",
        f"/usr/share/icons/hicolor/scalable/apps/{APP_ID}.svg",
        *(f"/usr/share/icons/hicolor/{size}x{size}/apps/{APP_ID}.png" for size in ICON_SIZES),
        "/usr/share/doc/chartkeeper/copyright",
    }
    assert expected <= paths
    assert control_field(built.deb, "Version").strip() == VERSION


def test_depends_on_every_system_library_the_build_loads(built: Built) -> None:
    """Each library a bundled binary needs and the bundle lacks comes from a package in Depends (GTK's, for
    the optional GNOME theme plugin, from Recommends), and libc6 is as new as the newest symbol used."""
    depends = package_names(control_field(built.deb, "Depends"))
    recommends = package_names(control_field(built.deb, "Recommends"))
    binaries = elf_files(built.frozen)
    bundled = {path.name for path in built.frozen.rglob("*.so*")}
    newest_glibc = (2, 0)
    for path in binaries:
        dynamic = subprocess.run(["readelf", "-dW", str(path)], capture_output=True, text=True, check=True).stdout
        symbols = subprocess.run(["objdump", "-T", str(path)], capture_output=True, text=True, check=True).stdout
        for major, minor in re.findall(r"GLIBC_(\d+)\.(\d+)", symbols):
            newest_glibc = max(newest_glibc, (int(major), int(minor)))
        for library in re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dynamic):
            if library in bundled:
                continue
            packages = owners(library)
            if path.name == "libqgtk3.so" and not packages & depends:
                assert "libgtk-3-0" in recommends  # GTK and the libraries it depends on
                continue
            assert packages & depends, f"{library} (needed by {path.name}) comes from {packages}, not in Depends"
    assert f"libc6 (>= {newest_glibc[0]}.{newest_glibc[1]})" in control_field(built.deb, "Depends")


@pytest.fixture
def installed(built: Built) -> Iterator[Path]:
    assert os.geteuid() == 0, "installing the .deb needs root (CI runs as root)"
    done = subprocess.run(["dpkg", "-i", str(built.deb)], capture_output=True, text=True)
    try:
        assert done.returncode == 0, done.stdout + done.stderr
        yield Path("/usr/bin/chartkeeper")
    finally:
        purged = subprocess.run(["dpkg", "--purge", "chartkeeper"], capture_output=True, text=True)
        assert purged.returncode == 0, purged.stdout + purged.stderr


def test_installs_runs_and_purges(installed: Path, small_repo: RepoServer, tmp_path: Path) -> None:
    home = tmp_path / "home"
    version = run(installed, "--version", home=home)
    assert version.returncode == 0 and version.stdout.strip() == f"chartkeeper {VERSION}"
    check_add_and_search(installed, home, small_repo)
    status = subprocess.run(["dpkg-query", "-W", "-f", "${Status}", "chartkeeper"], capture_output=True, text=True)
    assert status.stdout == "install ok installed"
    entry = Path(f"/usr/share/applications/{APP_ID}.desktop")
    assert subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True).stdout == ""
    metainfo = Path(f"/usr/share/metainfo/{APP_ID}.metainfo.xml")
    assert subprocess.run(["appstreamcli", "validate", "--no-net", str(metainfo)]).returncode == 0


def test_purge_removes_everything_it_installed(built: Built) -> None:
    assert os.geteuid() == 0, "installing the .deb needs root (CI runs as root)"
    subprocess.run(["dpkg", "-i", str(built.deb)], capture_output=True, check=True)
    purged = subprocess.run(["dpkg", "--purge", "chartkeeper"], capture_output=True, text=True)
    assert purged.returncode == 0, purged.stderr
    assert not Path("/opt/chartkeeper").exists() and not Path("/usr/bin/chartkeeper").exists()
    assert not Path(f"/usr/share/applications/{APP_ID}.desktop").exists()
    gone = subprocess.run(["dpkg-query", "-W", "-f", "${Status}", "chartkeeper"], capture_output=True, text=True)
    assert "installed" not in gone.stdout.replace("not-installed", "")

"""The offline wheelhouse (complete for each supported CPython, installed with the network cut) and the
air-gap kit (verifiable, holding the three ways in)."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from desktop.desktop_entry import APP_ID
from tests.packaging.conftest import VERSION, Built, check_add_and_search, run
from tests.support.repo_server import RepoServer

# slow, and the first of these also builds every package (several minutes on a busy machine)
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]
PYTHONS = ("3.11", "3.12", "3.13")
NO_CONFIG = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


@pytest.mark.parametrize("python", PYTHONS)
def test_wheelhouse_resolves_offline_for_each_python(built: Built, python: str, tmp_path: Path) -> None:
    """pip, told to install for that CPython on Linux x86_64 from the wheelhouse alone, finds everything."""
    platforms = [arg for minor in range(34, 16, -1) for arg in ("--platform", f"manylinux_2_{minor}_x86_64")]
    command = [
        sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "--find-links", str(built.wheelhouse),
        "--only-binary=:all:", "--implementation", "cp", "--python-version", python, *platforms,
        "--target", str(tmp_path / "target"), "chartkeeper",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, env=NO_CONFIG)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"chartkeeper-{VERSION}" in done.stdout and "PySide6" in done.stdout.replace("pyside6", "PySide6")


def test_install_sh_installs_with_the_network_cut(built: Built, small_repo: RepoServer, tmp_path: Path) -> None:
    """install.sh in a network namespace of its own (no interface but a down loopback), so nothing can
    be fetched; then the installed CLI runs, with the resources a wheel must carry."""
    target = tmp_path / "venv"
    env = {**os.environ, "PYTHON": sys.executable}
    env.pop("PYTHONPATH", None)
    installer = built.wheelhouse / "install.sh"
    done = subprocess.run(
        ["unshare", "--net", "--map-root-user", "sh", str(installer), str(target)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{target}/bin/chartkeeper" in done.stdout
    program = target / "bin" / "chartkeeper"
    home = tmp_path / "home"
    version = run(program, "--version", home=home)
    assert version.returncode == 0 and version.stdout.strip() == f"chartkeeper {VERSION}"
    check_add_and_search(program, home, small_repo)
    entry = run(program, "install-desktop-entry", "--prefix", str(tmp_path / "share"), home=home)
    assert entry.returncode == 0, entry.stderr
    assert f"Exec={program.resolve()}" in (tmp_path / "share" / "applications" / f"{APP_ID}.desktop").read_text()


def test_install_sh_refuses_an_unsupported_python(built: Built, tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    done = subprocess.run(
        ["sh", str(built.wheelhouse / "install.sh"), str(tmp_path / "venv")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHON": str(fake)},
    )
    assert done.returncode == 1 and "set PYTHON to one" in done.stderr
    assert not (tmp_path / "venv").exists()


def test_kit_holds_three_ways_in_and_verifies(built: Built, tmp_path: Path) -> None:
    name = f"chartkeeper-{VERSION}-linux-x86_64-kit"
    with tarfile.open(built.kit) as kit:
        members = kit.getnames()
        assert all(member == name or member.startswith(name + "/") for member in members)
        kit.extractall(tmp_path, filter="data")
    folder = tmp_path / name
    for part in (built.deb.name, built.tarball.name, "wheelhouse/install.sh", "INSTALL.md", "SHA256SUMS"):
        assert (folder / part).is_file(), part
    listed = (folder / "SHA256SUMS").read_text().splitlines()
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    assert {line.split("  ", 1)[1] for line in listed} == files
    check = subprocess.run(["sha256sum", "--check", "--strict", "SHA256SUMS"], cwd=folder, capture_output=True)
    assert check.returncode == 0, check.stdout
    (folder / "INSTALL.md").write_text("tampered")
    assert subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=folder, capture_output=True).returncode


def test_install_guide_names_the_ways_in_and_where_data_lives(built: Built, tmp_path: Path) -> None:
    with tarfile.open(built.kit) as kit:
        guide = kit.extractfile(f"chartkeeper-{VERSION}-linux-x86_64-kit/INSTALL.md")
        assert guide is not None
        text = guide.read().decode()
    assert "{version}" not in text
    for needed in (
        f"chartkeeper_{VERSION}_amd64.deb",
        f"chartkeeper-{VERSION}-linux-x86_64.tar.gz",
        "install.sh",
        "sha256sum -c SHA256SUMS",
        "apt purge chartkeeper",
        "~/.local/share/chartkeeper",
    ):
        assert needed in text, needed


def test_tarball_runs_where_it_is_unpacked(built: Built, tmp_path: Path) -> None:
    with tarfile.open(built.tarball) as archive:
        assert {member.split("/")[0] for member in archive.getnames()} == {"chartkeeper"}
        archive.extractall(tmp_path / "opt", filter="data")
    home = tmp_path / "home"
    version = run(tmp_path / "opt" / "chartkeeper" / "chartkeeper", "--version", home=home)
    assert version.returncode == 0 and version.stdout.strip() == f"chartkeeper {VERSION}"

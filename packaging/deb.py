"""The Debian package: the self-contained build under /opt/chartkeeper, /usr/bin/chartkeeper, the desktop entry,
the icons and the AppStream metadata, assembled from packaging/deb/ and built with dpkg-deb."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import time
from pathlib import Path

from common import APP_ID, DEFAULT_EPOCH, PACKAGING, RESOURCES, run, tree_size
from freeze import elf_files

DEB = PACKAGING / "deb"


def stage(frozen: Path, root: Path, version: str) -> None:
    """Lay out the package's files under `root` as they will be installed."""
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(frozen, root / "opt" / "chartkeeper", symlinks=True)
    usr_bin = root / "usr" / "bin"
    usr_bin.mkdir(parents=True)
    (usr_bin / "chartkeeper").symlink_to("/opt/chartkeeper/chartkeeper")
    share = root / "usr" / "share"
    _copy(RESOURCES / f"{APP_ID}.desktop", share / "applications" / f"{APP_ID}.desktop")
    _copy(RESOURCES / f"{APP_ID}.metainfo.xml", share / "metainfo" / f"{APP_ID}.metainfo.xml")
    _copy(RESOURCES / f"{APP_ID}.svg", share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg")
    for png in sorted((RESOURCES / "icons" / "hicolor").glob(f"*/apps/{APP_ID}.png")):
        _copy(png, share / "icons" / "hicolor" / png.relative_to(RESOURCES / "icons" / "hicolor"))
    doc = share / "doc" / "chartkeeper"
    _copy(DEB / "copyright", doc / "copyright")
    changelog = _fill(DEB / "changelog", version=version, date=_changelog_date())
    doc.joinpath("changelog.gz").write_bytes(gzip.compress(changelog.encode(), compresslevel=9, mtime=0))
    _copy(DEB / "lintian-overrides", share / "lintian" / "overrides" / "chartkeeper")
    _normalize_modes(root)
    control = root / "DEBIAN"
    control.mkdir()
    installed_kib = (tree_size(root) + 1023) // 1024
    (control / "control").write_text(_fill(DEB / "control", version=version, installed_size=str(installed_kib)))
    (control / "md5sums").write_text(_md5sums(root))
    _normalize_modes(control)
    _clamp_times(root)


def build(frozen: Path, out: Path, work: Path, version: str) -> Path:
    root = work / "deb-root"
    stage(frozen, root, version)
    target = out / f"chartkeeper_{version}_amd64.deb"
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(_epoch())}
    run("dpkg-deb", "--root-owner-group", "-Zxz", "-z6", "--build", root, target, env=env)
    return target


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def _fill(template: Path, **values: str) -> str:
    text = template.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def _epoch() -> int:
    return int(os.environ.get("SOURCE_DATE_EPOCH", DEFAULT_EPOCH))


def _changelog_date() -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(_epoch()))


def _normalize_modes(root: Path) -> None:
    """0755 for folders and programs, 0644 for everything else (shared libraries included)."""
    programs = {path for path in elf_files(root) if not path.name.endswith(".so") and ".so." not in path.name}
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        path.chmod(0o755 if path.is_dir() or path in programs else 0o644)


def _md5sums(root: Path) -> str:
    lines = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and "DEBIAN" not in path.relative_to(root).parts:
            lines.append(f"{hashlib.md5(path.read_bytes()).hexdigest()}  {path.relative_to(root).as_posix()}\n")
    return "".join(lines)


def _clamp_times(root: Path) -> None:
    epoch = _epoch()
    for path in [root, *root.rglob("*")]:
        os.utime(path, (epoch, epoch), follow_symlinks=False)

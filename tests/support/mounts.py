"""Real file systems for the machine's faults: a small tmpfs to fill, a folder mounted read-only. Mounting
needs root; where it is refused the test is skipped with the reason (the one skip the suite allows)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def _mount(*args: str) -> str | None:
    """Run mount; the reason it was refused, or None."""
    if shutil.which("mount") is None:
        return "there is no mount command"
    done = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    return None if done.returncode == 0 else (done.stderr.strip() or f"mount exited {done.returncode}")


def _unmount(where: Path) -> None:
    # Lazy: a file a finished process left open must not fail the test's teardown.
    subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


@contextlib.contextmanager
def small_tmpfs(where: Path, size_kib: int) -> Iterator[Path]:
    """A tmpfs of `size_kib` KiB at `where`, private to its owner."""
    where.mkdir(parents=True, exist_ok=True)
    refused = _mount("-t", "tmpfs", "-o", f"size={size_kib}k,mode=0700", "tmpfs", str(where))
    if refused is not None:
        pytest.skip(f"mounting a tmpfs is refused in this environment ({refused}), so a full disk cannot be made")
    try:
        yield where
    finally:
        _unmount(where)


@contextlib.contextmanager
def read_only_view(source: Path, where: Path) -> Iterator[Path]:
    """`source`'s files seen read-only at `where`: a read-only bind mount, or (where binds are
    refused) a copy on a tmpfs remounted read-only."""
    where.mkdir(parents=True, exist_ok=True)
    refused = _mount("--bind", str(source), str(where))
    if refused is None:
        refused_ro = _mount("-o", "remount,ro,bind", str(where))
        if refused_ro is None:
            try:
                yield where
            finally:
                _unmount(where)
            return
        _unmount(where)
        refused = refused_ro
    tmpfs_refused = _mount("-t", "tmpfs", "-o", "size=64m,mode=0700", "tmpfs", str(where))
    if tmpfs_refused is not None:
        pytest.skip(
            f"no read-only mount can be made here (bind: {refused}; tmpfs: {tmpfs_refused}), "
            "so a read-only home cannot be tested"
        )
    try:
        shutil.copytree(source, where, dirs_exist_ok=True, symlinks=True)
        refused_ro = _mount("-o", "remount,ro", str(where))
        if refused_ro is not None:
            pytest.skip(f"a tmpfs cannot be remounted read-only here ({refused_ro})")
        yield where
    finally:
        _unmount(where)


def fill(folder: Path, leave_bytes: int = 0) -> Path:
    """Fill the file system `folder` is on until at most `leave_bytes` are free; the filler file."""
    filler = folder / "filler"
    free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    wanted = max(0, free - leave_bytes)
    block = b"\0" * 65536
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        while wanted > 0:
            wanted -= os.write(descriptor, block[: min(len(block), wanted)])
        while leave_bytes == 0:  # to the last byte: what statvfs reported may not be all there is
            os.write(descriptor, block[:4096])
    except OSError:
        pass  # full
    finally:
        os.close(descriptor)
    return filler


def free_bytes(folder: Path) -> int:
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize

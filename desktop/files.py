"""Files from outside read with a cap and only when regular; files the app writes kept private (0600/0700)."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO

from desktop.errors import UserError, ValidationError

KIB = 1024
MIB = 1024 * KIB
PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700
_READ_CHUNK = 64 * KIB


class DiskFullError(UserError):
    """A write failed because the file system has no room left."""


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def not_a_file(path: Path) -> str | None:
    """What stands at `path` when it is there but no regular file ("a named pipe", "a folder"…);
    None when it is a regular file or nothing is there."""
    try:
        return _kind(os.stat(path).st_mode)
    except (OSError, ValueError):
        return None


def describe_size(size: int) -> str:
    if size >= MIB:
        return f"{size / MIB:g} MB"
    if size >= KIB:
        return f"{size / KIB:g} KiB"
    return f"{size} bytes"


def read_regular_file(path: Path, limit: int, what: str = "The file", *, too_large: str = "") -> bytes:
    """At most `limit` bytes of a regular file. Folders, devices, pipes and sockets are refused
    without blocking (`/dev/zero`, a FIFO nobody writes to), and so is anything larger, whatever
    `stat` claims its size is; `too_large` says why such a file cannot be right."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise ValidationError(f"{what} {path} does not exist.") from None
    except IsADirectoryError:
        raise ValidationError(f"{what} {path} is a folder: give a file.") from None
    except OSError as exc:
        raise ValidationError(f"{what} {path} cannot be read ({exc.strerror or exc}).") from None
    except ValueError:  # a NUL byte in the name (from a file that names the file)
        raise ValidationError(f"{what} {str(path)!r} is no file name: it holds a NUL byte.") from None
    kind = _kind(os.fstat(descriptor).st_mode)  # before fdopen, which refuses a folder with its own error
    if kind is not None:
        os.close(descriptor)
        raise ValidationError(f"{what} {path} is {kind}, not a regular file: give a file.")
    with os.fdopen(descriptor, "rb", buffering=0) as stream:
        with contextlib.suppress(OSError):  # a regular file never blocks; reads go back to normal
            os.set_blocking(stream.fileno(), True)
        try:
            data = read_limited(stream, limit)
        except OSError as exc:
            raise ValidationError(f"{what} {path} cannot be read ({exc.strerror or exc}).") from None
    if data is None:
        reason = too_large or "that is not what was expected"
        raise ValidationError(f"{what} {path} is too large (limit {describe_size(limit)}): {reason}.")
    return data


def read_text_file(path: Path, limit: int, what: str = "The file") -> str:
    """A regular file of UTF-8 text (a byte-order mark is allowed), at most `limit` bytes."""
    data = read_regular_file(path, limit, what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"{what} {path} is not UTF-8 text (byte {exc.start + 1} is not valid): save it as UTF-8."
        ) from None


def read_limited(stream: BinaryIO, limit: int) -> bytes | None:
    """Up to `limit` bytes from `stream`; None when there are more."""
    parts: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(min(_READ_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)
        total += len(chunk)
        if total > limit:
            return None


def read_stdin_text(limit: int, what: str) -> str:
    """Standard input as text, at most `limit` bytes (so `< /dev/zero` ends with a message)."""
    data = read_limited(sys.stdin.buffer, limit)
    if data is None:
        raise ValidationError(f"{what} on standard input is longer than {describe_size(limit)}.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError(f"{what} on standard input is not UTF-8 text.") from None


def write_error(exc: OSError, path: Path) -> UserError:
    """One line for a failed write, with what to do."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(f"The disk is full writing {path}: free some space and try again.")
    if exc.errno == errno.EROFS:
        return UserError(f"{path} is on a read-only file system: choose another place.")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return UserError(f"No permission to write {path}: choose another place, or check its permissions.")
    if exc.errno == errno.ENOENT:
        return UserError(f"The folder {path.parent} does not exist: create it first, or choose another place.")
    if exc.errno == errno.EISDIR:
        return UserError(f"{path} is a folder: give a file name.")
    if exc.errno == errno.ENOTDIR:
        return UserError(f"{path.parent} is not a folder: choose another place.")
    return UserError(f"{path} cannot be written ({exc.strerror or exc}).")


def write_output_file(path: Path, data: bytes) -> None:
    """Write a file the user asked for. A regular file is replaced atomically and created private;
    a device or pipe the user named (/dev/stdout, a FIFO) is written as it is."""
    try:
        existing = os.stat(path)
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise write_error(exc, path) from None
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise UserError(f"{path} is a folder: give a file name, such as {path / 'profile.json'}.")
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        try:
            with open(path, "wb") as stream:
                stream.write(data)
        except OSError as exc:
            raise write_error(exc, path) from None
        return
    write_private_file(path, data)


def write_private_file(path: Path, data: bytes) -> None:
    """Replace `path` atomically with `data`, readable by this user only; nothing half-written."""
    folder = path.parent
    if not folder.is_dir():
        raise write_error(OSError(errno.ENOENT if not folder.exists() else errno.ENOTDIR, ""), path)
    try:
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise write_error(exc, path) from None
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, PRIVATE_FILE)
        os.replace(temporary, path)
    except BaseException as exc:  # Ctrl-C too: no temporary file is left beside the target
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise write_error(exc, path) from None
        raise


def make_private_folder(folder: Path) -> None:
    """Create `folder` as 0700, tightening it if it exists; parents it has to create (a new
    --home or CHARTKEEPER_HOME) are made 0700 too, folders that were there are left as they are."""
    missing = [p for p in (folder, *folder.parents) if not (p.exists() or p.is_symlink())]
    for parent in reversed(missing[1:]):
        with contextlib.suppress(FileExistsError):  # made meanwhile by another process
            parent.mkdir(mode=PRIVATE_FOLDER)
    folder.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    if stat.S_IMODE(folder.stat().st_mode) & 0o077:
        folder.chmod(PRIVATE_FOLDER)


def tighten_tree(folder: Path) -> None:
    """Files earlier versions left readable by others become 0600, folders 0700 (never following links)."""
    if not folder.is_dir():
        return
    for root, folders, files in os.walk(folder, followlinks=False):
        for name in (*folders, *files):
            _owner_only(Path(root) / name)
    _owner_only(folder)


def _owner_only(path: Path) -> None:
    """Drop the group's and others' permission bits; links are left alone."""
    with contextlib.suppress(OSError):
        current = os.lstat(path)
        if not stat.S_ISLNK(current.st_mode) and stat.S_IMODE(current.st_mode) & 0o077:
            os.chmod(path, stat.S_IMODE(current.st_mode) & 0o700)

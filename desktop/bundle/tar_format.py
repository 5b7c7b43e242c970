"""The POSIX ustar headers of a bundle: written with fixed owner, modes and time; read back strictly.

Only what a bundle holds is accepted when reading: regular files and directories with short ASCII
names. Links, devices, FIFOs, pax or GNU extension headers, bad checksums and sizes in base-256
are refused with a line that names the member."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from desktop.bundle.errors import BundleError

BLOCK = 512
END_OF_ARCHIVE = bytes(2 * BLOCK)
FILE_MODE = 0o644
FOLDER_MODE = 0o755
MAX_OCTAL_SIZE = 8**11 - 1  # what the 12-byte size field holds: 8 GiB less one byte
_MAGICS = (b"ustar\x0000", b"ustar  \x00")
_REFUSED_TYPES = {
    b"1": "a hard link",
    b"2": "a symbolic link",
    b"3": "a character device",
    b"4": "a block device",
    b"6": "a FIFO",
    b"7": "a contiguous file",
    b"x": "a pax extended header",
    b"g": "a pax global header",
    b"L": "a GNU long name",
    b"K": "a GNU long link name",
}


def padded(size: int) -> int:
    """`size` rounded up to whole 512-byte blocks."""
    return -(-size // BLOCK) * BLOCK


def member_size(size: int) -> int:
    """The bytes a member takes in the tar: its header and its padded data."""
    return BLOCK + padded(size)


def _octal(value: int, width: int) -> bytes:
    return f"{value:0{width - 1}o}".encode("ascii") + b"\0"


def ustar_header(name: str, size: int, *, mtime: int, folder: bool = False) -> bytes:
    """One ustar header: owner 0/0 with empty names, mode 0644 (0755 for a folder), time `mtime`."""
    encoded = name.encode("ascii")
    if len(encoded) > 100:
        raise BundleError(f"The member name {name[:40]}… is longer than a ustar name (100 bytes).")
    if not 0 <= size <= MAX_OCTAL_SIZE:
        raise BundleError(f"{name} is {size:,} bytes, more than a ustar member holds (8 GiB).")
    header = bytearray(BLOCK)
    header[0 : len(encoded)] = encoded
    header[100:108] = _octal(FOLDER_MODE if folder else FILE_MODE, 8)
    header[108:116] = _octal(0, 8)
    header[116:124] = _octal(0, 8)
    header[124:136] = _octal(size, 12)
    header[136:148] = _octal(mtime, 12)
    header[148:156] = b" " * 8
    header[156:157] = b"5" if folder else b"0"
    header[257:265] = b"ustar\x0000"
    header[329:337] = _octal(0, 8)
    header[337:345] = _octal(0, 8)
    header[148:156] = f"{sum(header):06o}".encode("ascii") + b"\0 "
    return bytes(header)


@dataclass(frozen=True)
class TarHeader:
    name: str  # as written, without a leading "./"
    size: int
    folder: bool


def _field_number(raw: bytes) -> int | None:
    text = raw.replace(b"\0", b" ").strip()
    if not text:
        return 0
    if not all(48 <= c <= 55 for c in text):  # octal digits only; base-256 is refused
        return None
    return int(text, 8)


def parse_header(block: bytes, where: str) -> TarHeader:
    """A member header, or a BundleError naming what is wrong with it (`where` says which member)."""
    # The checksum field is the one part of a header its sum does not cover: accept only the form
    # GNU tar, Python and Chartkeeper write (six octal digits, NUL, space), so no byte of it can change.
    field = block[148:156]
    stored = _field_number(field) if field[6:8] == b"\0 " and all(48 <= c <= 55 for c in field[:6]) else None
    unsigned = sum(block[:148]) + 8 * 32 + sum(block[156:])
    high = sum(1 for b in block[:148] if b >= 128) + sum(1 for b in block[156:] if b >= 128)
    signed = unsigned - 256 * high  # old tars summed signed chars
    if stored is None or stored not in (unsigned, signed):
        raise BundleError(f"The bundle is damaged: the tar header {where} has a bad checksum.")
    if block[257:265] not in _MAGICS:
        raise BundleError(f"The bundle is not a POSIX tar archive (no ustar header {where}).")
    try:
        name = block[0:100].split(b"\0", 1)[0].decode("utf-8")
        prefix = block[345:500].split(b"\0", 1)[0].decode("utf-8") if block[257:263] == b"ustar\x00" else ""
    except UnicodeDecodeError:
        raise BundleError(f"The bundle has a member name that is not text {where}: refused.") from None
    if prefix:
        name = f"{prefix}/{name}"
    kind = block[156:157]
    if kind in _REFUSED_TYPES:
        raise BundleError(f"The bundle holds {_REFUSED_TYPES[kind]} ({name[:80]}): refused.")
    if kind not in (b"0", b"\0", b"5"):
        raise BundleError(f"The bundle holds a member of unknown type {kind!r} ({name[:80]}): refused.")
    size = _field_number(block[124:136])
    if size is None:
        raise BundleError(f"The bundle has a member with an unreadable size ({name[:80]}): refused.")
    folder = kind == b"5"
    if folder and size:
        raise BundleError(f"The bundle has a folder with content ({name[:80]}): refused.")
    return TarHeader(name, size, folder)


def looks_like_tar(path: Path) -> bool:
    """Whether `path` starts as a POSIX tar (a bundle, or its first part): for telling a bundle given
    where another file was asked for, not for trusting it."""
    try:
        with path.open("rb") as file:
            block = file.read(BLOCK)
    except OSError:
        return False
    return len(block) == BLOCK and block[257:265] in _MAGICS

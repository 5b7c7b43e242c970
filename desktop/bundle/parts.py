"""A bundle split for removable media: `FILE.tar.001`, `.002`, … found from the first part and read as one file.

Parts are regular files only; a part that changes after it was verified is noticed (its size,
and every blob's digest, are checked again when read)."""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from desktop.bundle.errors import BundleError

_PART_SUFFIX = re.compile(r"\.([0-9]{3,})")
_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)(i?B)?\s*", re.IGNORECASE)
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
MIN_SPLIT_SIZE = 64 * 1024


def part_path(path: Path, number: int) -> Path:
    """The name of part `number` (from 1) of a bundle written to `path`: `FILE.tar.001`."""
    return path.with_name(f"{path.name}.{number:03d}")


def parse_size(text: str) -> int:
    """A size as people write it for --split-size: bytes, or K, M, G, T (powers of 1024), e.g. `4G`."""
    match = _SIZE.fullmatch(text)
    if match is None:
        raise BundleError(f"'{text}' is not a size: write it like 4G, 700M or 650MiB.")
    size = int(float(match.group(1)) * _UNITS[match.group(2).upper()])
    if size < MIN_SPLIT_SIZE:
        raise BundleError(f"A split size of {size:,} bytes is too small: give at least 64K.")
    return size


def open_part(path: Path, what: str) -> tuple[BinaryIO, int]:
    """A part opened for reading, and its size; devices, pipes and folders are refused without blocking."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise BundleError(f"{what} {path} does not exist.") from None
    except OSError as exc:
        raise BundleError(f"{what} {path} cannot be read ({exc.strerror or exc}).") from None
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode):
        os.close(descriptor)
        raise BundleError(f"{what} {path} is not a regular file: give the bundle file.")
    os.set_blocking(descriptor, True)
    return os.fdopen(descriptor, "rb"), info.st_size


@dataclass(frozen=True)
class Part:
    path: Path
    start: int  # offset of its first byte in the whole tar
    size: int


class PartSequence:
    """The parts of one bundle in order, found one after the other as reading reaches them."""

    def __init__(self, first: Path) -> None:
        self.base: Path | None = None  # FILE.tar when the bundle is split
        match = _PART_SUFFIX.fullmatch(first.suffix)
        if match is not None:
            if int(match.group(1)) != 1:
                raise BundleError(
                    f"{first.name} is part {int(match.group(1))} of a split bundle: give the first part, "
                    f"{first.with_suffix('.001').name}."
                )
            self.base = first.with_suffix("")
        elif not first.exists() and part_path(first, 1).exists():
            self.base = first  # FILE.tar named, FILE.tar.001 on disk
            first = part_path(first, 1)
        self.parts: list[Part] = []
        self._first = first

    @property
    def split(self) -> bool:
        return self.base is not None

    def next_path(self) -> Path | None:
        """The path of the part after those found so far (None when the bundle is one file)."""
        if not self.parts:
            return self._first
        if self.base is None:
            return None
        return part_path(self.base, len(self.parts) + 1)

    def open_next(self) -> BinaryIO | None:
        """The next part opened (and recorded), or None when there is none."""
        path = self.next_path()
        if path is None or (self.parts and not path.exists()):
            return None
        stream, size = open_part(path, "The bundle part" if self.split else "The bundle")
        start = self.parts[-1].start + self.parts[-1].size if self.parts else 0
        self.parts.append(Part(path, start, size))
        return stream

    @property
    def size(self) -> int:
        return self.parts[-1].start + self.parts[-1].size if self.parts else 0

    def estimated_size(self) -> int:
        """The size of the parts on disk now (for progress: the parts are read one by one later)."""
        if self.base is None:
            try:
                return self._first.stat().st_size
            except OSError:
                return 0
        total, number = 0, 1
        while (path := part_path(self.base, number)).is_file():
            total += path.stat().st_size
            number += 1
        return total


class SequentialReader:
    """Reads the parts as one stream, opening each part when the previous one is used up."""

    def __init__(self, parts: PartSequence) -> None:
        self._parts = parts
        self._stream: BinaryIO | None = None
        self.offset = 0

    def read(self, size: int) -> bytes:
        """Up to `size` bytes; fewer only when the last part there is has ended."""
        chunks: list[bytes] = []
        wanted = size
        while wanted > 0:
            if self._stream is None:
                self._stream = self._parts.open_next()
                if self._stream is None:
                    break
            chunk = self._stream.read(min(wanted, 1024 * 1024))
            if not chunk:
                self._stream.close()
                self._stream = None
                if not self._parts.split:
                    break
                continue
            chunks.append(chunk)
            wanted -= len(chunk)
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self.offset += len(data)
        return data

    def rest_of_part(self, limit: int) -> bytes:
        """Up to `limit` + 1 of the bytes left in the current part, never opening the next one."""
        if self._stream is None:
            return b""
        data = self._stream.read(limit + 1)
        self.offset += len(data)
        return data

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


class RangeReader:
    """Random access to the verified parts: `read_at(offset, size)` across part boundaries."""

    def __init__(self, parts: list[Part]) -> None:
        self._parts = parts
        self._open: dict[int, BinaryIO] = {}

    def read_at(self, offset: int, size: int) -> bytes:
        chunks: list[bytes] = []
        while size > 0:
            index = self._part_index(offset)
            part = self._parts[index]
            stream = self._stream(index)
            stream.seek(offset - part.start)
            chunk = stream.read(min(size, part.start + part.size - offset))
            if not chunk:
                raise BundleError(f"{part.path} became shorter after it was verified: verify the bundle again.")
            chunks.append(chunk)
            offset += len(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def _part_index(self, offset: int) -> int:
        for index, part in enumerate(self._parts):
            if part.start <= offset < part.start + part.size:
                return index
        raise BundleError("A blob lies outside the verified bundle: verify the bundle again.")

    def _stream(self, index: int) -> BinaryIO:
        if index not in self._open:
            part = self._parts[index]
            stream, size = open_part(part.path, "The bundle part")
            if size != part.size:
                stream.close()
                raise BundleError(f"{part.path} changed after it was verified: verify the bundle again.")
            self._open[index] = stream
        return self._open[index]

    def close(self) -> None:
        for stream in self._open.values():
            stream.close()
        self._open.clear()

"""Writing an OCI image layout into a plain tar, deterministically and with bounded memory.

The same artifacts, ref names and time give the same bytes on any machine, whatever the clock,
umask or temporary folder: members sorted by name (`blobs/`, `blobs/sha256/`, each blob once,
`index.json`, `oci-layout`), owner 0/0 without names, modes 0644/0755, every time `mtime`.
Blobs are streamed from their sources (large in-memory ones are spooled to a private folder beside
the output first), each checked against its digest on the way in. Layers whose digest is in
`have` are left out (a delta), container images' layers too, yet stay listed in their manifests;
the catalog artifact's layout record says which. With `split_size` the tar is cut between members
into `FILE.tar.001`, `.002`, …: a member larger than the split size gets a part of its own. Nothing
appears under the output name until the whole tar is written; a failure or a cancel leaves no
partial file behind."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from desktop.bundle.artifacts import CHUNK, Artifact, Blob, BlobSource, BytesSource, FileSource
from desktop.bundle.descriptors import Descriptor
from desktop.bundle.errors import BundleError
from desktop.bundle.layout_record import (
    OCI_LAYOUT_FILE,
    SIGNATURE_MEMBER,
    CatalogContent,
    LayoutRecord,
    as_index_entry,
    catalog_artifact,
    index_json,
)
from desktop.bundle.media_types import IMAGE_CONFIGS, IMAGE_INDEXES, IMAGE_MANIFESTS
from desktop.bundle.parts import part_path
from desktop.bundle.tar_format import BLOCK, END_OF_ARCHIVE, MAX_OCTAL_SIZE, member_size, padded, ustar_header
from desktop.cancellation import CancelToken
from desktop.files import write_error

# The image spec's ref.name grammar, with `_` among the separators and runs of them allowed, because
# Helm's tags write `+` as `_` (`registry/chart:1.0.0_build.1`).
_COMPONENT = r"[A-Za-z0-9]+(?:[-._:@+]+[A-Za-z0-9]+)*"
_REF_NAME = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
MAX_REF_NAME = 255
_IMAGE_DOCUMENTS = frozenset((*IMAGE_MANIFESTS, *IMAGE_INDEXES, *IMAGE_CONFIGS))  # read to verify an image
MEMORY_BLOB = 256 * 1024  # blobs up to this size may stay in memory …
MEMORY_TOTAL = 32 * 1024 * 1024  # … as long as all of them together stay under this

Progress = Callable[[int, int], None]  # (bytes written, bytes in all)


def check_ref_name(ref_name: str) -> str:
    if not ref_name or len(ref_name) > MAX_REF_NAME or not _REF_NAME.fullmatch(ref_name):
        raise BundleError(
            f"'{ref_name[:80]}' cannot name an artifact in a layout: use letters, digits and . _ - : @ + /"
            " between them (such as registry/chart:1.0.0)."
        )
    return ref_name


@dataclass(frozen=True)
class WrittenLayout:
    """What `close()` wrote: the file (or parts), the sha256 of the whole tar, what it holds."""

    parts: tuple[Path, ...]
    size: int
    sha256: str
    artifacts: int  # entries in index.json, the catalog included
    blobs: int
    absent: tuple[str, ...]
    catalog: Descriptor


class LayoutWriter:
    """`add(artifact, ref_name)` for each artifact, then `close(catalog)` writes the tar."""

    def __init__(
        self,
        path: Path,
        *,
        mtime: int,
        split_size: int | None = None,
        have: frozenset[str] | set[str] = frozenset(),
        cancel: CancelToken | None = None,
    ) -> None:
        if not 0 <= mtime <= MAX_OCTAL_SIZE:
            raise BundleError(f"{mtime} is not a time a tar member can carry.")
        if split_size is not None and split_size < 4 * BLOCK:
            raise BundleError(f"A split size of {split_size} bytes is too small.")
        if not path.parent.is_dir():
            raise write_error(OSError(2, "No such folder"), path)
        self.path = path
        self.mtime = mtime
        self.split_size = split_size
        self.have = frozenset(have)
        self.cancel = cancel
        self._entries: dict[str, Descriptor] = {}  # ref name → manifest descriptor
        self._blobs: dict[str, tuple[int, bytes | BlobSource]] = {}  # digest → (size, where it is)
        self._left_out: set[str] = set()  # layers in `have`
        self._in_memory = 0
        self._spool: Path | None = None
        self._closed = False

    def __enter__(self) -> LayoutWriter:
        return self

    def __exit__(self, kind: object, exc: object, traceback: object) -> None:
        if not self._closed:
            self.abort()

    # --- collecting ---------------------------------------------------------------------------

    def add(self, artifact: Artifact, ref_name: str) -> None:
        """List `artifact` in index.json under `ref_name` and keep its blobs for the tar."""
        self._check_open()
        check_ref_name(ref_name)
        if ref_name in self._entries:
            raise BundleError(f"Two artifacts are named {ref_name} in the bundle: each name must be unique.")
        self._entries[ref_name] = as_index_entry(artifact.descriptor, ref_name)
        self._keep(Blob(artifact.descriptor, BytesSource(artifact.manifest)))
        self._keep(artifact.config)
        for layer in artifact.layers:
            if layer.descriptor.digest in self.have:
                self._left_out.add(layer.descriptor.digest)
            else:
                self._keep(layer)

    def add_image(self, ref_name: str, entry: Descriptor, blobs: tuple[Blob, ...] | list[Blob]) -> None:
        """List a container image in index.json under `ref_name` (its manifest or index as published)
        and keep every blob under it: the manifests, configs and layers — but the layers in `have`,
        which the site registry holds already (a delta: its manifests and configs always come)."""
        self._check_open()
        check_ref_name(ref_name)
        if ref_name in self._entries:
            raise BundleError(f"Two artifacts are named {ref_name} in the bundle: each name must be unique.")
        self._entries[ref_name] = as_index_entry(Descriptor(entry.media_type, entry.digest, entry.size), ref_name)
        for blob in blobs:
            kind = blob.descriptor.media_type
            if blob.descriptor.digest in self.have and kind not in _IMAGE_DOCUMENTS:
                self._left_out.add(blob.descriptor.digest)
            else:
                self._keep(blob)

    def _keep(self, blob: Blob) -> None:
        digest, size = blob.descriptor.digest, blob.descriptor.size
        known = self._blobs.get(digest)
        if known is not None:
            if known[0] != size:
                raise BundleError(f"Blob {digest[:19]}… is given with two different sizes: it cannot be right.")
            return
        source = blob.source
        if isinstance(source, BytesSource):
            if size <= MEMORY_BLOB and self._in_memory + size <= MEMORY_TOTAL:
                self._in_memory += size
                self._blobs[digest] = (size, source.data)
                return
            self._blobs[digest] = (size, self._spooled(digest, source.data))
            return
        self._blobs[digest] = (size, source)

    def _spooled(self, digest: str, data: bytes) -> FileSource:
        if self._spool is None:
            try:
                self._spool = Path(tempfile.mkdtemp(dir=self.path.parent, prefix=f".{self.path.name}.spool-"))
            except OSError as exc:
                raise write_error(exc, self.path) from None
        target = self._spool / digest.partition(":")[2]
        try:
            with open(target, "wb") as stream:
                stream.write(data)
        except OSError as exc:
            raise write_error(exc, target) from None
        return FileSource(target)

    # --- writing ------------------------------------------------------------------------------

    def close(
        self,
        catalog: CatalogContent | None = None,
        progress: Progress | None = None,
        sign: Callable[[bytes], bytes] | None = None,
    ) -> WrittenLayout:
        """Add the catalog artifact (with the layout record), write the tar, and name it."""
        self._check_open()
        catalog = catalog or CatalogContent()
        check_ref_name(catalog.ref_name)
        if catalog.ref_name in self._entries:
            raise BundleError(f"The catalog's name {catalog.ref_name} is already used by another artifact.")
        try:
            written = self._write(catalog, progress, sign)
        except BaseException:
            self.abort()
            raise
        self._closed = True
        self._remove_spool()
        return written

    def abort(self) -> None:
        """Drop everything: no output file, no spool."""
        self._closed = True
        self._remove_spool()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the layout writer is closed")

    def _remove_spool(self) -> None:
        if self._spool is not None:
            shutil.rmtree(self._spool, ignore_errors=True)
            self._spool = None

    def _write(
        self, catalog: CatalogContent, progress: Progress | None, sign: Callable[[bytes], bytes] | None
    ) -> WrittenLayout:
        for layer in catalog.layers:
            if layer.descriptor.digest in self.have:
                self._left_out.add(layer.descriptor.digest)
        if catalog.config is not None:
            self._keep(catalog.config)
        for layer in catalog.layers:
            if layer.descriptor.digest not in self.have:
                self._keep(layer)
        absent = tuple(sorted(self._left_out - self._blobs.keys()))
        entries = tuple(self._entries[name] for name in sorted(self._entries, key=_name_order))
        record = LayoutRecord(self.mtime, catalog.ref_name, entries, absent)
        artifact, record_blob = catalog_artifact(catalog, record)
        self._keep(Blob(artifact.descriptor, BytesSource(artifact.manifest)))
        self._keep(artifact.config)
        self._keep(record_blob)
        catalog_entry = as_index_entry(artifact.descriptor, catalog.ref_name)
        index = index_json([*entries, catalog_entry])
        digests = sorted(self._blobs)
        members: list[tuple[str, int, bytes | BlobSource | None, str | None]] = [
            ("blobs/", 0, None, None),
            ("blobs/sha256/", 0, None, None),
        ]
        for digest in digests:
            size, source = self._blobs[digest]
            members.append((f"blobs/sha256/{digest.partition(':')[2]}", size, source, digest))
        members.append(("index.json", len(index), index, None))
        if sign is not None:  # before a byte is written: a key that cannot sign leaves no file behind
            signature = sign(index)
            members.append((SIGNATURE_MEMBER, len(signature), signature, None))
        members.append(("oci-layout", len(OCI_LAYOUT_FILE), OCI_LAYOUT_FILE, None))
        total = sum(member_size(size) for _, size, _, _ in members) + len(END_OF_ARCHIVE)
        tar = _TarParts(self.path, self.split_size, total, progress, self.cancel)
        try:
            for name, size, content, content_digest in members:
                tar.start_member(member_size(size))
                tar.write(ustar_header(name, size, mtime=self.mtime, folder=content is None))
                if content is not None:
                    self._copy(tar, name, size, content, content_digest)
                    tar.write(bytes(padded(size) - size))
            tar.start_member(len(END_OF_ARCHIVE))
            tar.write(END_OF_ARCHIVE)
            parts = tar.finish()
        except BaseException:
            tar.abort()
            raise
        return WrittenLayout(parts, total, tar.sha256, len(entries) + 1, len(digests), absent, catalog_entry)

    def _copy(self, tar: _TarParts, name: str, size: int, source: bytes | BlobSource, digest: str | None) -> None:
        if isinstance(source, bytes):
            if digest is not None and "sha256:" + hashlib.sha256(source).hexdigest() != digest:
                raise BundleError(f"Blob {digest[:19]}… does not match its digest: it cannot be written.")
            tar.write(source)
            return
        hasher = hashlib.sha256()
        copied = 0
        try:
            stream: BinaryIO = source.open()
        except OSError as exc:
            raise BundleError(f"The content of {name} cannot be read ({exc.strerror or exc}).") from None
        with stream:
            while chunk := stream.read(min(CHUNK, size + 1 - copied)):
                copied += len(chunk)
                if copied > size:
                    break
                hasher.update(chunk)
                tar.write(chunk)
        if copied != size or (digest is not None and "sha256:" + hasher.hexdigest() != digest):
            raise BundleError(f"The content of {digest or name} changed while the bundle was written: try again.")


def _name_order(name: str) -> bytes:
    return name.encode("utf-8")


class _TarParts:
    """The tar's bytes into one file or numbered parts, each a private temporary file until `finish`."""

    def __init__(
        self, path: Path, split_size: int | None, total: int, progress: Progress | None, cancel: CancelToken | None
    ) -> None:
        self.path = path
        self.split_size = split_size
        self.total = total
        self.progress = progress
        self.cancel = cancel
        self._hasher = hashlib.sha256()
        self._temporaries: list[tuple[Path, Path]] = []  # (temporary, final)
        self._stream: BinaryIO | None = None
        self._in_part = 0
        self.written = 0

    @property
    def sha256(self) -> str:
        return self._hasher.hexdigest()

    def start_member(self, size: int) -> None:
        """Begin a new part first when this member would not fit in the current one."""
        full = self.split_size is not None and self._in_part > 0 and self._in_part + size > self.split_size
        if self._stream is None or full:
            self._next_part()

    def _next_part(self) -> None:
        self._close_stream()
        number = len(self._temporaries) + 1
        final = part_path(self.path, number) if self.split_size is not None else self.path
        try:
            descriptor, temporary = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".partial")
        except OSError as exc:
            raise write_error(exc, final) from None
        self._temporaries.append((Path(temporary), final))
        self._stream = os.fdopen(descriptor, "wb", buffering=CHUNK)
        self._in_part = 0

    def write(self, data: bytes) -> None:
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()
        assert self._stream is not None
        try:
            self._stream.write(data)
        except OSError as exc:
            raise write_error(exc, self._temporaries[-1][1]) from None
        self._hasher.update(data)
        self._in_part += len(data)
        self.written += len(data)
        if self.progress is not None:
            self.progress(self.written, self.total)

    def _close_stream(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            try:
                stream.flush()
                os.fsync(stream.fileno())
            finally:
                stream.close()

    def finish(self) -> tuple[Path, ...]:
        try:
            self._close_stream()
            for temporary, final in self._temporaries:
                os.replace(temporary, final)
        except OSError as exc:
            raise write_error(exc, self.path) from None
        if self.split_size is not None:  # parts a longer bundle of the same name left: not this bundle's
            number = len(self._temporaries) + 1
            while (stale := part_path(self.path, number)).exists():
                with contextlib.suppress(OSError):
                    stale.unlink()
                number += 1
        with contextlib.suppress(OSError):
            folder = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
        return tuple(final for _, final in self._temporaries)

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            if self._stream is not None:
                self._stream.close()
                self._stream = None
        for temporary, _ in self._temporaries:
            with contextlib.suppress(OSError):
                temporary.unlink()

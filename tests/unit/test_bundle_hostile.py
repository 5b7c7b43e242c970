"""A bundle is hostile input: tampered, truncated, foreign or malicious tars are refused with one line naming it."""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.bundle.errors import BundleError
from desktop.bundle.helm_artifact import ChartArtifact
from desktop.bundle.layout_reader import LayoutLimits, open_layout
from tests.support.bundle_files import Member, rewrite_tar, sample_charts, write_bundle


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bundle") / "b.tar"
    write_bundle(path, sample_charts(2, payload=3_000), have=frozenset())
    return path


@pytest.fixture(scope="module")
def charts() -> list[ChartArtifact]:
    return sample_charts(2, payload=3_000)


def refused(path: Path, pattern: str, limits: LayoutLimits | None = None) -> str:
    with pytest.raises(BundleError, match=pattern) as caught:
        open_layout(path, limits)
    message = str(caught.value)
    assert "\n" not in message
    return message


def compact(document: object) -> bytes:
    """JSON as Chartkeeper writes it, so that only the intended change differs."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def data_offsets(path: Path) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(path) as tar:
        return {info.name: info for info in tar.getmembers()}


def extra(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = "") -> Member:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info, data


def test_a_flipped_byte_in_a_blob_is_refused(bundle: Path, tmp_path: Path) -> None:
    data = bytearray(bundle.read_bytes())
    members = data_offsets(bundle)
    largest = max((i for i in members.values() if i.name.startswith("blobs/sha256/")), key=lambda i: i.size)
    data[largest.offset_data + 100] ^= 0x01
    (tmp_path / "t.tar").write_bytes(data)
    refused(tmp_path / "t.tar", "does not match its digest")


def test_a_truncated_file_is_refused(bundle: Path, tmp_path: Path) -> None:
    data = bundle.read_bytes()
    for cut in (len(data) // 2, len(data) - 1024, 300):
        (tmp_path / "t.tar").write_bytes(data[:cut])
        refused(tmp_path / "t.tar", "ends early")


def test_an_added_member_is_refused(bundle: Path, tmp_path: Path) -> None:
    junk = b"an extra blob nobody refers to"
    name = f"blobs/sha256/{hashlib.sha256(junk).hexdigest()}"
    rewrite_tar(bundle, tmp_path / "a.tar", lambda m: sorted([*m, extra(name, junk)], key=lambda x: x[0].name))
    refused(tmp_path / "a.tar", "nothing refers to")
    rewrite_tar(bundle, tmp_path / "b.tar", lambda m: [*m, extra("evil.sh", b"#!/bin/sh\n")])
    refused(tmp_path / "b.tar", "unexpected member evil.sh")
    rewrite_tar(bundle, tmp_path / "c.tar", lambda m: [*m, m[5]])
    refused(tmp_path / "c.tar", "twice")


def _with_index(members: list[Member], change: object) -> list[Member]:
    result = []
    for info, data in members:
        if info.name == "index.json":
            index = json.loads(data)
            change(index)  # type: ignore[operator]
            result.append((info, compact(index)))
        else:
            result.append((info, data))
    return result


def test_a_descriptor_lying_about_a_size_is_refused(bundle: Path, tmp_path: Path) -> None:
    def grow(index: dict) -> None:
        index["manifests"][1]["size"] += 1

    rewrite_tar(bundle, tmp_path / "a.tar", lambda m: _with_index(m, grow))
    refused(tmp_path / "a.tar", r"says blob sha256:[0-9a-f]+… is \d+ bytes, but the bundle holds")

    def lie_in_manifest(members: list[Member]) -> list[Member]:
        index = json.loads(next(data for info, data in members if info.name == "index.json"))
        entry = index["manifests"][1]
        old_name = f"blobs/sha256/{entry['digest'].split(':')[1]}"
        manifest = json.loads(next(data for info, data in members if info.name == old_name))
        manifest["layers"][0]["size"] -= 10  # a blob larger than its descriptor says
        new = json.dumps(manifest).encode()
        new_digest = hashlib.sha256(new).hexdigest()
        entry.update(digest=f"sha256:{new_digest}", size=len(new))
        changed = []
        for info, data in members:
            if info.name == old_name:
                info.name = f"blobs/sha256/{new_digest}"
                changed.append((info, new))
            else:
                changed.append((info, compact(index) if info.name == "index.json" else data))
        return changed

    rewrite_tar(bundle, tmp_path / "b.tar", lie_in_manifest)
    refused(tmp_path / "b.tar", "says blob .* bytes, but the bundle holds")


@pytest.mark.parametrize(
    ("member", "pattern"),
    [
        (extra("../escape"), "climbs out with '..'"),
        (extra("blobs/sha256/../../etc/passwd"), "climbs out"),
        (extra("/etc/passwd"), "absolute path"),
        (extra("blobs/sha256/link", kind=tarfile.SYMTYPE, link="/etc/passwd"), "symbolic link"),
        (extra("blobs/sha256/hard", kind=tarfile.LNKTYPE, link="index.json"), "hard link"),
        (extra("dev", kind=tarfile.CHRTYPE), "character device"),
        (extra("blk", kind=tarfile.BLKTYPE), "block device"),
        (extra("fifo", kind=tarfile.FIFOTYPE), "FIFO"),
        (extra("blobs/other", kind=tarfile.DIRTYPE), "unexpected folder"),
    ],
)
def test_hostile_members_are_refused(bundle: Path, tmp_path: Path, member: Member, pattern: str) -> None:
    rewrite_tar(bundle, tmp_path / "h.tar", lambda m: [member, *m])
    refused(tmp_path / "h.tar", pattern)


def test_a_missing_blob_is_refused(bundle: Path, tmp_path: Path, charts: list[ChartArtifact]) -> None:
    layer = charts[0].artifact.layers[0].descriptor.hex
    rewrite_tar(bundle, tmp_path / "m.tar", lambda m: [x for x in m if not x[0].name.endswith(layer)])
    refused(tmp_path / "m.tar", "is missing from the bundle")


def test_json_bombs_and_oversized_json_are_refused(bundle: Path, tmp_path: Path) -> None:
    deep = b"[" * 5000 + b"]" * 5000
    rewrite_tar(bundle, tmp_path / "a.tar", lambda m: [(i, deep if i.name == "index.json" else d) for i, d in m])
    refused(tmp_path / "a.tar", "index.json (is not valid JSON|nests deeper)")
    nested = b'{"schemaVersion":2,"manifests":[],"x":' + b'{"a":' * 40 + b"1" + b"}" * 40 + b"}"
    rewrite_tar(bundle, tmp_path / "b.tar", lambda m: [(i, nested if i.name == "index.json" else d) for i, d in m])
    refused(tmp_path / "b.tar", "nests deeper than 32 levels")
    refused(bundle, "over the", LayoutLimits(max_index_bytes=100))
    refused(bundle, "more than 5 members", LayoutLimits(max_members=5))


def test_data_after_the_end_and_foreign_files_are_refused(bundle: Path, tmp_path: Path) -> None:
    (tmp_path / "a.tar").write_bytes(bundle.read_bytes() + b"hidden payload")
    refused(tmp_path / "a.tar", "data after the end")
    (tmp_path / "b.tar").write_bytes(os.urandom(4096))
    refused(tmp_path / "b.tar", "bad checksum|not a POSIX tar")
    rewrite_tar(bundle, tmp_path / "c.tar", lambda m: [x for x in m if x[0].name != "oci-layout"])
    refused(tmp_path / "c.tar", "no oci-layout")
    os.mkfifo(tmp_path / "fifo.tar")
    refused(tmp_path / "fifo.tar", "not a regular file")
    refused(tmp_path / "absent.tar", "does not exist")


def test_a_layout_without_a_catalog_is_foreign(bundle: Path, tmp_path: Path) -> None:
    def drop_catalog(index: dict) -> None:
        index["manifests"] = [m for m in index["manifests"] if "catalog" not in json.dumps(m)]

    rewrite_tar(bundle, tmp_path / "f.tar", lambda m: _with_index(m, drop_catalog))
    refused(tmp_path / "f.tar", "no Chartkeeper bundle|nothing refers to")


def test_a_blob_changed_after_verification_is_noticed_when_read(bundle: Path, tmp_path: Path) -> None:
    copy = tmp_path / "b.tar"
    copy.write_bytes(bundle.read_bytes())
    layout = open_layout(copy)
    layer = layout.charts[0].layers[0]
    offset = data_offsets(copy)[f"blobs/sha256/{layer.hex}"].offset_data
    with open(copy, "r+b") as stream:
        stream.seek(offset + 10)
        byte = stream.read(1)
        stream.seek(offset + 10)
        stream.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(BundleError, match="changed after the bundle was verified"):
        layout.read_blob(layer.digest, 10**6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.floats(min_value=0, max_value=1, exclude_max=True), bit=st.integers(min_value=0, max_value=7))
def test_every_flipped_bit_is_refused(bundle: Path, tmp_path: Path, position: float, bit: int) -> None:
    data = bytearray(bundle.read_bytes())
    data[int(position * len(data))] ^= 1 << bit
    (tmp_path / "flipped.tar").write_bytes(data)
    with pytest.raises(BundleError):
        open_layout(tmp_path / "flipped.tar")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keep=st.floats(min_value=0, max_value=1, exclude_max=True))
def test_every_truncation_is_refused(bundle: Path, tmp_path: Path, keep: float) -> None:
    data = bundle.read_bytes()
    (tmp_path / "cut.tar").write_bytes(data[: int(keep * len(data))])
    with pytest.raises(BundleError):
        open_layout(tmp_path / "cut.tar")

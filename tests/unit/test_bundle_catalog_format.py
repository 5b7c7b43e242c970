"""The catalog's documents in a bundle: shards made again byte for byte from what a catalog stores, and
every document read back as hostile input — one line for anything off, never an internal error."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.bundle.catalog_records import (
    ArchiveRecord,
    CatalogConfig,
    LayerRecord,
    ProfileRecord,
    RegistryRecord,
    archive_list_bytes,
    date_tag,
    parse_archive_list,
)
from desktop.bundle.errors import BundleError
from desktop.bundle.have_file import have_text, read_have_file
from desktop.bundle.snapshot_shards import RemovedMark, parse_shard, snapshot_shard
from desktop.helm.index import parse_index

INDEX = b"""apiVersion: v1
entries:
  web:
    - name: web
      version: 1.10
      appVersion: 1.0
      description: "caf\xc3\xa9 \xe2\x98\x83"
      digest: abc
      urls: [web-1.10.tgz]
    - name: web
      version: not-semver
  other:
    - name: other
      version: 1.0.0
"""
MARK = RemovedMark(
    "0.9.0", 1_700_000_000.25, False, True, "1.0", "old", "web\told\t", '{"name":"web","version":"0.9.0"}'
)


def stored_document() -> bytes:
    return next(chart for chart in parse_index(INDEX).charts if chart.name == "web").json


def test_a_shard_is_an_index_helm_reads_and_round_trips_exactly() -> None:
    document = stored_document()
    shard = snapshot_shard(document, [MARK])
    as_index = json.loads(shard)
    assert as_index["apiVersion"] == "v1" and list(as_index["entries"]) == ["web"]
    parsed = parse_shard(shard, "web", "the shard")
    assert parsed.document is not None and parsed.document.json == document  # verbatim: the same bytes again
    assert [entry.version.text for entry in parsed.document.entries] == ["1.10"]  # `1.10` stays 1.10
    assert parsed.skipped == 1 and parsed.removed == (MARK,)
    assert snapshot_shard(parsed.document.json, parsed.removed) == shard


def test_a_chart_with_only_removed_versions_has_a_shard_without_entries() -> None:
    parsed = parse_shard(snapshot_shard(None, [MARK]), "web", "the shard")
    assert parsed.document is None and parsed.removed == (MARK,)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"apiVersion":"v1","entries":{"web":[]},"removedUpstream":[]}', None),
        (b'{"apiVersion":"v1","entries":{"other":[]},"removedUpstream":[]}', "should hold chart 'web' alone"),
        (b'{"apiVersion":"v1","entries":{"web":[],"x":[]},"removedUpstream":[]}', "should hold chart 'web' alone"),
        (b'{"apiVersion":"v2","entries":{},"removedUpstream":[]}', "not a snapshot shard"),
        (b'{"apiVersion":"v1","entries":{"web":{}},"removedUpstream":[]}', "other than a list"),
        (b'{"apiVersion":"v1","entries":{} ,"removedUpstream":[]}', "not valid JSON"),
        (b'{"apiVersion":"v1","entries":' + b"[" * 5000 + b"]" * 5000 + b',"removedUpstream":[]}', "not valid JSON"),
        (b'{"apiVersion":"v1","entries":{},"removedUpstream":[{"version":"1"}]}', "missing or wrong fields"),
        (b'{"apiVersion":"v1","entries":{},"removedUpstream":{}}', "removed-upstream versions wrongly"),
        (b'{"apiVersion":"v1","entries":{"web":[\xff]},"removedUpstream":[]}', "not UTF-8"),
        (b'{"apiVersion":"v1","entries":{},"removedUpstream":[' + b"1," * 2_100_000 + b"1]}", "more than"),
    ],
)
def test_hostile_shards_are_refused_in_one_line(data: bytes, message: str | None) -> None:
    if message is None:
        document = parse_shard(data, "web", "the shard").document
        assert document is not None and document.entries == []  # an empty list: no version to store
        return
    with pytest.raises(BundleError, match=message) as caught:
        parse_shard(data, "web", "the shard")
    assert "\n" not in str(caught.value)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_after_the_prefix_give_a_shard_or_one_line(tail: bytes) -> None:
    try:
        parse_shard(b'{"apiVersion":"v1","entries":' + tail, "web", "the shard")
    except BundleError as error:
        assert "\n" not in str(error)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.builds(
            RemovedMark,
            st.text(min_size=1, max_size=20),
            st.floats(min_value=0, max_value=4e9, allow_nan=False),
            st.booleans(),
            st.booleans(),
            st.text(max_size=20),
            st.text(max_size=40),
            st.text(max_size=40),
            st.just('{"a": 1.10, "b": "\\u00e9"}'),
        ),
        max_size=5,
        unique_by=lambda mark: mark.version,
    )
)
def test_removed_marks_come_back_exactly(marks: list[RemovedMark]) -> None:
    shard = snapshot_shard(None, marks)
    parsed = parse_shard(shard, "web", "the shard")
    assert sorted(parsed.removed, key=lambda m: m.version.encode()) == sorted(marks, key=lambda m: m.version.encode())
    assert snapshot_shard(None, parsed.removed) == shard


def record(**changes: object) -> RegistryRecord:
    fields: dict[str, object] = {
        "name": "alpha",
        "kind": "helm",
        "endpoint": "https://charts.example.test/stable",
        "sync_enabled": True,
        "insecure_skip_tls_verify": False,
        "plain_http": False,
        "chart_names": (),
        "certificate": None,
        "private": True,
        "snapshot_at": 1_700_000_000.5,
        "api_version": None,
        "charts": (("a", "sha256:" + "1" * 64), ("b", "sha256:" + "2" * 64)),
    }
    fields.update(changes)
    return RegistryRecord(**fields)  # type: ignore[arg-type]


def test_registry_records_round_trip() -> None:
    assert RegistryRecord.parse(record().to_bytes(), "r") == record()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"endpoint": "https://ana:pw@charts.example.test"}, "username and password in their own fields"),
        ({"endpoint": "https://charts.example.test/?token=x"}, "with a query"),
        ({"endpoint": "file:///etc/passwd"}, "not an http"),
        ({"name": "../etc"}, "not a valid name"),
        ({"kind": "oci"}, "not an oci://"),
        ({"certificate": "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n"}, "private key"),
        ({"charts": (("b", "sha256:" + "1" * 64), ("a", "sha256:" + "2" * 64))}, "sorted by name"),
        ({"charts": (("a", "md5:1"),)}, "\\[chart, digest\\] pairs"),
    ],
)
def test_hostile_registry_records_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(BundleError, match=message):
        RegistryRecord.parse(record(**changes).to_bytes(), "The registry record")


def test_profile_records_are_checked_by_the_editors_rules() -> None:
    layer = LayerRecord("alpha", "https://x.test", "helm", "web", "1.0.0", "web", 5, "a: 1\n")
    good = ProfileRecord("Edge sites", "1.0.0", "", ("env:edge",), (layer,))
    assert ProfileRecord.parse(good.to_bytes(), "p") == good
    for bad, message in (
        (ProfileRecord("x", "1.0", "", (), ()), "not a profile version"),
        (ProfileRecord("x", "1.0.0", "", ("a:1", "a:2"), ()), "share the key"),
        (ProfileRecord("x\ny", "1.0.0", "", (), ()), "control characters"),
    ):
        with pytest.raises(BundleError, match=message):
            ProfileRecord.parse(bad.to_bytes(), "p")
    huge = json.loads(good.to_bytes())
    huge["layers"][0]["installPriority"] = 10**30
    with pytest.raises(BundleError, match="whole number"):
        ProfileRecord.parse(json.dumps(huge).encode(), "p")


def test_archive_lists_and_configs_round_trip_and_refuse_duplicates() -> None:
    item = ArchiveRecord("alpha/web:1.0.0", "alpha", "web", "1.0.0", "sha256:" + "a" * 64, True)
    assert parse_archive_list(archive_list_bytes([item])) == (item,)
    twice = json.dumps([json.loads(archive_list_bytes([item]))[0]] * 2).encode()
    with pytest.raises(BundleError, match="twice"):
        parse_archive_list(twice)
    config = CatalogConfig(1_767_225_600, "pinned", ("sha256:" + "b" * 64,), (), None, ())
    assert CatalogConfig.parse(config.to_bytes()) == config
    assert date_tag(1_767_225_600) == "20260101T000000Z"


def test_have_files_are_read_strictly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    digest = "sha256:" + "c" * 64
    path = tmp_path / "have.txt"
    path.write_text(have_text([digest, digest]))
    assert read_have_file(path) == {digest}
    path.write_text(have_text([]) + "sha256:nothex\n")
    with pytest.raises(BundleError, match=r"Line 2 .* is not a sha256 digest"):
        read_have_file(path)
    path.write_text("sha256:" + "c" * 64 + "\n")
    with pytest.raises(BundleError, match="is not a have file"):
        read_have_file(path)
    with pytest.raises(BundleError, match="is a folder"):
        read_have_file(tmp_path)

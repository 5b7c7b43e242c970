"""Profile files from anywhere: whatever a file holds, importing it ends in a profile or in one
UserError line — never another exception, never a half-saved profile, always in bounded time."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.catalog.db import open_catalog
from desktop.catalog.profiles import delete_profile, list_profiles
from desktop.errors import UserError
from desktop.operations.profiles import apply_profile_import, plan_profile_import
from desktop.operations.services import Services, inline_services
from desktop.secrets import CredentialStore
from tests.support.exports import add_registry, palette_export, palette_pack, registry_metadata, write_json

LAYER_VALUES = 'pack:\n  namespace: web\n  spectrocloud.com/install-priority: "{priority}"\n'


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = open_catalog(tmp_path / "catalog.sqlite3")
    add_registry(connection, "stable", "https://charts.example.com/stable")
    yield connection
    connection.close()


def services_for(db: sqlite3.Connection) -> Services:
    return inline_services(db, CredentialStore())


def import_file(db: sqlite3.Connection, path: Path) -> str:
    """'ok', or the UserError's message."""
    services = services_for(db)
    try:
        plan = plan_profile_import(services, path)
        apply_profile_import(services, plan)
    except UserError as exc:
        return exc.message
    return "ok"


def one_pack(**changes: object) -> dict:
    pack = palette_pack("web", "1.0.0", registry_metadata("stable"), values=LAYER_VALUES.format(priority=0))
    pack.update(changes)
    return palette_export("p", [pack])


def refusal(db: sqlite3.Connection, path: Path) -> str:
    message = import_file(db, path)
    assert message != "ok"
    assert "\n" not in message
    assert list_profiles(db) == []  # nothing half-imported
    return message


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"metadata": {"name": "p"}, "spec": {"template": {"packs": None}}}, "'spec.template.packs' is null"),
        ({"metadata": {"name": "p"}, "spec": {"template": {"packs": 7}}}, "'spec.template.packs' is a number"),
        ({"metadata": {"name": "p"}, "spec": {"template": {"packs": [3]}}}, "Pack 1 is a number"),
        ({"metadata": "p", "spec": {}}, "'metadata' is text"),
        ([1, 2], "The file is a list"),
        (one_pack(name="../../x; rm -rf /"), "is not a valid chart name"),
        (one_pack(values=LAYER_VALUES.format(priority="99999999999999999999999999")), "is out of range"),
        (one_pack(values="pack:\n  namespace: ../etc\n"), "is not a Kubernetes namespace"),
        (one_pack(tag=["1.0.0"]), "is a list, not text"),
        (one_pack(registry="stable"), "is text, not an object"),
        ({"metadata": {"name": "a\nb"}, "spec": {"template": {"packs": []}}}, "control characters"),
        ({"metadata": {"name": "p", "labels": ["x"]}, "spec": {"template": {"packs": []}}}, "not an object of labels"),
    ],
)
def test_malformed_files_are_one_line(db: sqlite3.Connection, tmp_path: Path, document: object, expected: str) -> None:
    assert expected in refusal(db, write_json(tmp_path / "p.json", document))


def test_json_nested_200000_deep(db: sqlite3.Connection, tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    assert "nests its JSON too deeply" in refusal(db, path)


def test_values_yaml_nested_20000_deep(db: sqlite3.Connection, tmp_path: Path) -> None:
    deep = "a: " + "[" * 20_000 + "]" * 20_000 + "\n"
    path = write_json(tmp_path / "p.json", one_pack(values=LAYER_VALUES.format(priority=0) + deep))
    message = refusal(db, path)
    assert "nested too deeply" in message


def test_a_latin_1_file(db: sqlite3.Connection, tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(json.dumps(one_pack(), ensure_ascii=False).replace('"p"', '"café"').encode("latin-1"))
    assert "is not UTF-8 text" in refusal(db, path)


def test_devices_pipes_folders_and_big_files_are_refused_without_waiting(
    db: sqlite3.Connection, tmp_path: Path
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    big = tmp_path / "big.json"
    with big.open("wb") as stream:
        stream.truncate(10 * 1024 * 1024 + 1)
    started = time.monotonic()
    assert "is a device, not a regular file" in refusal(db, Path("/dev/zero"))
    assert "is a named pipe, not a regular file" in refusal(db, fifo)
    assert "is a folder" in refusal(db, tmp_path)
    assert "is too large (limit 10 MB)" in refusal(db, big)
    assert "does not exist" in refusal(db, tmp_path / "missing.json")
    assert time.monotonic() - started < 30  # a wide bound: none of them waits for data


def test_a_sound_file_still_imports(db: sqlite3.Connection, tmp_path: Path) -> None:
    assert import_file(db, write_json(tmp_path / "p.json", one_pack())) == "ok"


# --- properties ---------------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
TEXT_LIKE = st.text(max_size=30) | st.sampled_from(["", "1.0.0", "web", "oci", "helm", "spectro", "../x", "ML Ops"])


@st.composite
def profile_like(draw: st.DrawFn) -> object:
    """Documents near a real export: each field sometimes right, sometimes anything at all."""

    def field(right: object) -> object:
        if draw(st.sampled_from(["right", "right", "other"])) == "right":
            return right
        return draw(st.one_of(TEXT_LIKE, JSON))

    priority = draw(st.one_of(st.integers(), TEXT_LIKE))
    values = draw(
        st.sampled_from(
            [
                LAYER_VALUES.format(priority=priority),
                f"pack: {{namespace: {draw(TEXT_LIKE)!r}}}\n",
                draw(st.text(max_size=60)),
            ]
        )
    )
    pack = {
        "name": field("web"),
        "type": field(draw(st.sampled_from(["helm", "oci", "spectro", "manifest"]))),
        "tag": field("1.0.0"),
        "values": field(values),
        "registry": field({"metadata": field(registry_metadata(draw(st.sampled_from(["stable", "other"]))))}),
    }
    return {
        "metadata": field({"name": field("p"), "labels": field({"env": "x"}), "tags": field(["a"])}),
        "spec": field({"version": field("1.0.0"), "template": field({"packs": field([pack, field(pack)])})}),
    }


@settings(max_examples=150, database=None, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=st.one_of(profile_like(), JSON))
def test_any_document_imports_or_is_refused_in_one_line(
    db: sqlite3.Connection, tmp_path: Path, document: object
) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    before = len(list_profiles(db))
    started = time.monotonic()
    message = import_file(db, path)
    assert time.monotonic() - started < 10  # a wide bound
    assert "\n" not in message
    assert len(list_profiles(db)) == before + (message == "ok")
    for profile in list_profiles(db):  # start each example afresh
        delete_profile(db, profile.id or 0)


@settings(max_examples=100, database=None, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200))
def test_any_bytes_import_or_are_refused_in_one_line(db: sqlite3.Connection, tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "bytes.json"
    path.write_bytes(data)
    message = import_file(db, path)
    assert message == "ok" or "\n" not in message

"""The bundle's OCI image layout: read by an independent reader, deterministic, split, deltas, writer hygiene."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import stat
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from desktop.bundle.artifacts import Blob, build_artifact
from desktop.bundle.errors import BundleError
from desktop.bundle.helm_artifact import ChartArtifact
from desktop.bundle.layout_reader import open_layout
from desktop.bundle.layout_record import CatalogContent
from desktop.bundle.layout_writer import LayoutWriter
from desktop.bundle.media_types import CATALOG_ARTIFACT, HELM_CHART, HELM_CONFIG, REF_NAME
from desktop.bundle.parts import parse_size
from desktop.cancellation import CancelToken
from desktop.errors import OperationCancelled
from tests.support.bundle_files import CREATED, MTIME, sample_charts, stable_archive, write_bundle
from tests.support.oci_layout import read_layout, read_layout_file

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def charts() -> list[ChartArtifact]:
    return sample_charts(4)


def test_an_independent_reader_reads_the_layout(tmp_path: Path, charts: list[ChartArtifact]) -> None:
    written = write_bundle(tmp_path / "b.tar", charts)
    layout = read_layout((tmp_path / "b.tar").read_bytes())
    assert set(layout.manifests) == {f"site/chart{n}:1.{n}.0" for n in range(4)} | {"chartkeeper-catalog:latest"}
    for chart in charts:
        manifest = layout.manifests[f"site/{chart.name}:{chart.tag}"]
        assert manifest["config"]["mediaType"] == HELM_CONFIG
        assert layout.blob(manifest["config"]["digest"]) == chart.config.blob
        (layer,) = manifest["layers"]
        assert layer["mediaType"] == HELM_CHART
        assert layout.blob(layer["digest"]) == stable_archive(chart.name, chart.version)
    catalog = layout.manifests["chartkeeper-catalog:latest"]
    assert catalog["artifactType"] == CATALOG_ARTIFACT
    names = [info.name for info in layout.members]
    assert names == sorted(names)
    assert names[:2] == ["blobs", "blobs/sha256"] and names[-2:] == ["index.json", "oci-layout"]
    assert len(names) == len(set(names)) == written.blobs + 4
    for info in layout.members:
        assert (info.uid, info.gid, info.uname, info.gname, info.mtime) == (0, 0, "", "", MTIME)
        assert info.mode == (0o755 if info.isdir() else 0o644)
    assert hashlib.sha256((tmp_path / "b.tar").read_bytes()).hexdigest() == written.sha256
    assert stat.S_IMODE((tmp_path / "b.tar").stat().st_mode) == 0o600


def test_the_verified_layout_lists_artifacts_and_streams_blobs(tmp_path: Path, charts: list[ChartArtifact]) -> None:
    write_bundle(tmp_path / "b.tar", charts)
    layout = open_layout(tmp_path / "b.tar")
    assert [a.ref_name for a in layout.charts] == [f"site/chart{n}:1.{n}.0" for n in range(4)]
    first = layout.charts[0]
    assert (first.kind, first.name, first.version, first.created) == ("chart", "chart0", "1.0.0", CREATED)
    assert first.size == first.descriptor.size + first.config.size + first.layers[0].size
    assert layout.catalog.kind == "catalog" and layout.mtime == MTIME and not layout.absent
    with layout.open_blob(first.layers[0].digest) as stream:
        assert stream.read() == stable_archive("chart0", "1.0.0")
    with pytest.raises(BundleError, match="over the 10-byte limit"):
        layout.read_blob(first.layers[0].digest, 10)


def test_the_same_inputs_give_the_same_bytes_whatever_the_clock_umask_or_folder(
    tmp_path: Path, charts: list[ChartArtifact], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a").mkdir()
    first = write_bundle(tmp_path / "a" / "b.tar", charts)
    monkeypatch.setattr(time, "time", lambda: 4_000_000_000.0)
    monkeypatch.setattr(time, "time_ns", lambda: 4_000_000_000 * 10**9)
    old = os.umask(0o000)
    try:
        (tmp_path / "other").mkdir()
        second = write_bundle(tmp_path / "other" / "renamed.tar", list(reversed(charts)))
    finally:
        os.umask(old)
    assert first.sha256 == second.sha256
    script = (
        "from pathlib import Path; import sys\n"
        "from tests.support.bundle_files import sample_charts, write_bundle\n"
        "print(write_bundle(Path(sys.argv[1]), sample_charts(4)).sha256)\n"
    )
    (tmp_path / "third").mkdir()
    done = subprocess.run(
        ["sh", "-c", 'umask 077; exec "$0" -c "$1" "$2"', sys.executable, script, str(tmp_path / "third" / "b.tar")],
        capture_output=True,
        text=True,
        env={**os.environ, "TZ": "Pacific/Kiritimati", "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        check=True,
    )
    assert done.stdout.strip() == first.sha256


def test_split_parts_are_cut_between_members_and_read_from_the_first(
    tmp_path: Path, charts: list[ChartArtifact]
) -> None:
    whole = write_bundle(tmp_path / "whole.tar", charts)
    split = write_bundle(tmp_path / "b.tar", charts, split_size=70_000)
    assert [p.name for p in split.parts] == [f"b.tar.{n:03d}" for n in range(1, len(split.parts) + 1)]
    assert len(split.parts) >= 4
    joined = b"".join(part.read_bytes() for part in split.parts)
    assert joined == (tmp_path / "whole.tar").read_bytes() and split.sha256 == whole.sha256
    for part in split.parts:
        data = part.read_bytes()
        assert len(data) <= 70_000
        assert tarfile.TarInfo.frombuf(data[:512], "utf-8", "strict")  # each part starts with a header
    assert len(open_layout(split.parts[0]).charts) == 4
    assert len(open_layout(tmp_path / "b.tar").charts) == 4  # the name given to --split-size works too
    assert len(read_layout_file(split.parts[0]).manifests) == 5


def test_a_shorter_bundle_of_the_same_name_leaves_no_stale_parts(tmp_path: Path, charts: list[ChartArtifact]) -> None:
    longer = write_bundle(tmp_path / "b.tar", charts, split_size=70_000)
    shorter = write_bundle(tmp_path / "b.tar", charts[:1], split_size=70_000)
    assert len(shorter.parts) < len(longer.parts)
    assert sorted(p.name for p in tmp_path.glob("b.tar.*")) == [p.name for p in shorter.parts]


def test_a_member_larger_than_the_split_size_gets_a_part_of_its_own(tmp_path: Path) -> None:
    big = sample_charts(2, payload=200_000)
    split = write_bundle(tmp_path / "b.tar", big, split_size=100_000)
    sizes = sorted(part.stat().st_size for part in split.parts)
    assert sizes[-1] > 100_000 and sizes[-2] > 100_000  # each archive alone in its part
    assert sum(1 for part in split.parts if part.stat().st_size > 100_000) == 2
    assert len(open_layout(split.parts[0]).charts) == 2


def test_a_missing_or_later_part_is_named(tmp_path: Path, charts: list[ChartArtifact]) -> None:
    split = write_bundle(tmp_path / "b.tar", charts, split_size=70_000)
    with pytest.raises(BundleError, match=r"give the first part, b\.tar\.001"):
        open_layout(split.parts[1])
    split.parts[2].unlink()
    with pytest.raises(BundleError, match=r"part b\.tar\.003 is missing"):
        open_layout(split.parts[0])


def test_a_delta_leaves_out_the_layers_the_target_has(tmp_path: Path, charts: list[ChartArtifact]) -> None:
    full = write_bundle(tmp_path / "full.tar", charts)
    have = {charts[0].artifact.layers[0].descriptor.digest, charts[1].artifact.layers[0].descriptor.digest}
    have.add(charts[2].artifact.config.descriptor.digest)  # configs always travel: manifests must be checkable
    delta = write_bundle(tmp_path / "delta.tar", charts, have=frozenset(have))
    assert delta.absent == tuple(sorted(have - {charts[2].artifact.config.descriptor.digest}))
    assert delta.size < full.size - 100_000
    layout = open_layout(tmp_path / "delta.tar")
    assert layout.absent == frozenset(delta.absent)
    assert layout.charts[0].absent == (charts[0].artifact.layers[0].descriptor.digest,)
    assert layout.charts[0].size_in_bundle < layout.charts[0].size
    assert not layout.has_blob(charts[0].artifact.layers[0].descriptor.digest)
    with pytest.raises(BundleError, match="a delta leaves it out"):
        layout.open_blob(charts[0].artifact.layers[0].descriptor.digest)
    independent = read_layout((tmp_path / "delta.tar").read_bytes(), allowed_missing=frozenset(have))
    assert len(independent.manifests) == 5


def test_catalog_content_is_carried_with_the_layout_record(tmp_path: Path, charts: list[ChartArtifact]) -> None:
    layer = Blob.of_bytes("application/vnd.chartkeeper.catalog.registry.v1+json", b'{"name":"site"}')
    content = CatalogContent(
        layers=(layer,),
        annotations={"org.opencontainers.image.created": CREATED},
        ref_name="chartkeeper-catalog:20260101",
    )
    writer = LayoutWriter(tmp_path / "b.tar", mtime=MTIME)
    writer.add(charts[0].artifact, "site/chart0:1.0.0")
    writer.close(content)
    layout = open_layout(tmp_path / "b.tar")
    assert layout.catalog.ref_name == "chartkeeper-catalog:20260101"
    assert layout.catalog.layers[0] == layer.descriptor and layout.catalog.created == CREATED
    assert layout.read_blob(layer.descriptor.digest, 100) == b'{"name":"site"}'
    record = json.loads(layout.read_blob(layout.catalog.layers[-1].digest, 10_000))
    assert record["mtime"] == MTIME and [m["annotations"][REF_NAME] for m in record["manifests"]] == [
        "site/chart0:1.0.0"
    ]


def test_names_must_be_unique_and_well_formed(tmp_path: Path, charts: list[ChartArtifact]) -> None:
    writer = LayoutWriter(tmp_path / "b.tar", mtime=MTIME)
    writer.add(charts[0].artifact, "site/chart0:1.0.0")
    with pytest.raises(BundleError, match="Two artifacts are named"):
        writer.add(charts[1].artifact, "site/chart0:1.0.0")
    with pytest.raises(BundleError, match="cannot name an artifact"):
        writer.add(charts[1].artifact, "site//chart1:1.1.0 ")
    writer.abort()
    assert list(tmp_path.iterdir()) == []


def test_a_failed_or_cancelled_write_leaves_nothing_behind(tmp_path: Path, charts: list[ChartArtifact]) -> None:
    source = tmp_path / "in" / "archive.tgz"
    source.parent.mkdir()
    source.write_bytes(stable_archive("other", "1.0.0"))
    blob = Blob.of_file(HELM_CHART, source)
    source.write_bytes(stable_archive("other", "1.0.0", seed=1))  # changed after it was described
    out = tmp_path / "out"
    out.mkdir()
    writer = LayoutWriter(out / "b.tar", mtime=MTIME)
    writer.add(charts[0].artifact, "site/chart0:1.0.0")
    writer.add(build_artifact("application/vnd.example.test", [blob]), "site/x:1")
    with pytest.raises(BundleError, match="changed while the bundle was written"):
        writer.close()
    assert list(out.iterdir()) == []
    token = CancelToken()
    big = sample_charts(1, payload=3_000_000)
    writer = LayoutWriter(out / "b.tar", mtime=MTIME, split_size=1_000_000, cancel=token)
    writer.add(big[0].artifact, "site/chart0:1.0.0")
    token.cancel()
    with pytest.raises(OperationCancelled):
        writer.close()
    assert list(out.iterdir()) == []


def test_large_blobs_given_as_bytes_are_spooled_not_kept(tmp_path: Path) -> None:
    big = sample_charts(3, payload=400_000)
    writer = LayoutWriter(tmp_path / "b.tar", mtime=MTIME)
    for chart in big:
        writer.add(chart.artifact, f"site/{chart.name}:{chart.tag}")
    spools = [p for p in tmp_path.iterdir() if ".spool-" in p.name]
    assert len(spools) == 1 and len(list(spools[0].iterdir())) == 3
    assert stat.S_IMODE(spools[0].stat().st_mode) == 0o700
    writer.close()
    assert [p.name for p in tmp_path.iterdir()] == ["b.tar"]


def test_split_sizes_are_read_as_people_write_them() -> None:
    assert parse_size("4G") == 4 * 1024**3
    assert parse_size("650MiB") == 650 * 1024**2
    assert parse_size("1.5m") == 1572864
    for bad in ("", "four", "10", "-1G"):
        with pytest.raises(BundleError):
            parse_size(bad)


def test_parts_cut_anywhere_are_read_too(tmp_path: Path, charts: list[ChartArtifact]) -> None:
    write_bundle(tmp_path / "whole.tar", charts)
    data = (tmp_path / "whole.tar").read_bytes()
    cuts = [0, 777, 30_001, 90_123, len(data)]  # as `split -b` would cut: through headers and blobs
    for number, (start, end) in enumerate(itertools.pairwise(cuts), start=1):
        (tmp_path / f"b.tar.{number:03d}").write_bytes(data[start:end])
    layout = open_layout(tmp_path / "b.tar.001")
    assert len(layout.parts) == 4
    for chart in charts:
        assert layout.read_blob(chart.artifact.layers[0].descriptor.digest, 10**6) == stable_archive(
            chart.name, chart.version
        )

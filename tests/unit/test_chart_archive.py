"""Chart archives are read in memory with limits a hostile archive cannot pass."""

from __future__ import annotations

import gzip
import io
import tarfile

import pytest

from desktop.helm.chart_archive import ArchiveLimits, ChartArchiveError, read_chart_files
from tests.support.charts import chart_archive


def _tar(members: list[tarfile.TarInfo], contents: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for member in members:
            data = (contents or {}).get(member.name, b"")
            member.size = len(data) if member.isfile() else 0
            tar.addfile(member, io.BytesIO(data) if member.isfile() else None)
    return gzip.compress(buffer.getvalue())


def test_the_files_people_read_come_back_exactly() -> None:
    values = "# comment kept\nimage:\n  tag: 1.10\n"
    files = read_chart_files(chart_archive("web", "1.0.0", values=values, readme="# Web\n", schema="{}"))
    assert (files.chart_name, files.values, files.readme, files.schema) == ("web", values, "# Web\n", "{}")
    assert files.chart_yaml is not None and "name: web" in files.chart_yaml


def test_subchart_files_are_not_taken_for_the_chart_s_own() -> None:
    archive = chart_archive("app", "1.0.0", values="mine: true\n", extra={"app/charts/sub/values.yaml": b"sub: true\n"})
    assert read_chart_files(archive).values == "mine: true\n"


def test_a_compression_bomb_is_refused() -> None:
    bomb = gzip.compress(b"\0" * (30 * 1024 * 1024), compresslevel=9)
    with pytest.raises(ChartArchiveError, match="unpacks to more than 10 MB"):
        read_chart_files(bomb, ArchiveLimits(max_unpacked_bytes=10 * 1024 * 1024))


def test_ten_thousand_files_are_refused() -> None:
    members = [tarfile.TarInfo(f"many/f{i}.txt") for i in range(10_000)]
    with pytest.raises(ChartArchiveError, match="more than 5,000 files"):
        read_chart_files(_tar(members, {m.name: b"x" for m in members}))


def test_a_huge_member_is_refused() -> None:
    member = tarfile.TarInfo("big/values.yaml")
    chart = tarfile.TarInfo("big/Chart.yaml")
    archive = _tar([chart, member], {"big/Chart.yaml": b"name: big\n", "big/values.yaml": b"a" * 3_000_000})
    with pytest.raises(ChartArchiveError, match="over the 1 MB limit for one file"):
        read_chart_files(archive, ArchiveLimits(max_member_bytes=1024 * 1024))


def test_escaping_paths_and_links_are_ignored() -> None:
    chart = tarfile.TarInfo("evil/Chart.yaml")
    climbing = tarfile.TarInfo("evil/../../etc/values.yaml")
    absolute = tarfile.TarInfo("/evil/README.md")
    link = tarfile.TarInfo("evil/values.yaml")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    archive = _tar(
        [chart, climbing, absolute, link],
        {"evil/Chart.yaml": b"name: evil\n", climbing.name: b"stolen: true\n", absolute.name: b"x"},
    )
    files = read_chart_files(archive)
    assert files.values is None and files.readme is None  # none of them was read as the chart's


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not gzip at all", "not a gzip file"),
        (chart_archive("a", "1.0.0")[:-40], "ends early"),
        (gzip.compress(b"not a tar" * 100), "damaged|no Chart.yaml"),
        (_tar([tarfile.TarInfo("x/values.yaml")], {"x/values.yaml": b"a: 1\n"}), "no Chart.yaml"),
    ],
)
def test_damaged_or_foreign_archives_are_clear_errors(data: bytes, message: str) -> None:
    with pytest.raises(ChartArchiveError, match=message):
        read_chart_files(data)

"""Reading a chart archive (.tgz) in memory, never on disk, with limits a hostile archive cannot pass:
compressed and uncompressed size, number of members, size of one member; paths with `..`,
absolute paths and links are ignored; an archive that is another chart than the one asked for is refused."""

from __future__ import annotations

import io
import posixpath
import tarfile
import zlib
from dataclasses import dataclass

from desktop.errors import IndexFormatError
from desktop.helm.metadata import sanitised

MB = 1024 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    max_unpacked_bytes: int = 200 * MB
    max_members: int = 5000
    max_member_bytes: int = 20 * MB


@dataclass(frozen=True)
class ChartFiles:
    """The files a person reads in a chart, exactly as the archive holds them."""

    chart_name: str
    chart_yaml: str | None
    values: str | None
    readme: str | None
    schema: str | None
    requirements: str | None = None  # a Helm 2 chart's dependencies, which Helm merges into Chart.yaml's


class ChartArchiveError(IndexFormatError):
    """The archive is damaged, not a chart, or over a limit."""


def read_chart_files(archive: bytes, limits: ArchiveLimits | None = None) -> ChartFiles:
    limits = limits or ArchiveLimits()
    tar_bytes = _gunzip(archive, limits.max_unpacked_bytes)
    wanted: dict[str, str] = {}
    chart_name: str | None = None
    try:
        with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:") as tar:
            for count, member in enumerate(tar, start=1):
                if count > limits.max_members:
                    raise ChartArchiveError(
                        f"The chart archive has more than {limits.max_members:,} files: that is no chart, refused."
                    )
                if not member.isfile():
                    continue  # directories, and links which could point outside the chart
                path = _safe_path(member.name)
                if path is None:
                    continue
                top, _, rest = path.partition("/")
                if not rest or "/" in rest:  # only the chart's own top-level files
                    continue
                if chart_name is None:
                    chart_name = top
                if top != chart_name:
                    continue
                key = _wanted(rest)
                if key is None or key in wanted:
                    continue
                if member.size > limits.max_member_bytes:
                    raise ChartArchiveError(
                        f"{path} in the chart archive is {member.size / MB:.0f} MB, over the "
                        f"{limits.max_member_bytes / MB:.0f} MB limit for one file: refused."
                    )
                content = tar.extractfile(member)
                if content is not None:
                    wanted[key] = content.read().decode("utf-8", "replace")
    except tarfile.TarError as exc:
        raise ChartArchiveError(f"The chart archive is damaged ({exc}).") from None
    if chart_name is None or "Chart.yaml" not in wanted:
        raise ChartArchiveError("The archive holds no Chart.yaml: it is not a Helm chart.")
    return ChartFiles(
        chart_name,
        wanted.get("Chart.yaml"),
        wanted.get("values.yaml"),
        wanted.get("README"),
        wanted.get("values.schema.json"),
        wanted.get("requirements.yaml"),
    )


def check_chart_name(files: ChartFiles, chart: str, what: str) -> None:
    """Refuse an archive whose top folder or Chart.yaml names another chart than `chart` (served
    under the index's name, it would show and install something else); `what` names the version."""
    named = _chart_yaml_name(files.chart_yaml or "")
    for found, where in ((files.chart_name, "its top folder"), (named, "its Chart.yaml")):
        if found != chart:
            shown = "no name" if not found else f"'{sanitised(found)[:80]}'"
            raise ChartArchiveError(
                f"The archive served as {what} is another chart ({where} gives {shown}, not '{chart}'): refused;"
                " ask the registry's administrator to fix the index."
            )


def _chart_yaml_name(chart_yaml: str) -> str | None:
    """The `name:` of a Chart.yaml, exactly as written; None when there is none (or no YAML)."""
    from desktop.helm.yaml_tree import YamlTree, quiet_native_errors

    try:
        with quiet_native_errors():
            tree = YamlTree(chart_yaml.encode())
            if not tree.is_map(tree.root):
                return None
            node = tree.find(tree.root, "name")
            return None if node is None else tree.scalar_text(node)
    except IndexFormatError:
        return None


def _gunzip(archive: bytes, limit: int) -> bytes:
    decompressor = zlib.decompressobj(wbits=47)  # gzip or zlib header
    try:
        data = decompressor.decompress(archive, limit + 1)
    except zlib.error:
        raise ChartArchiveError("The chart archive is not a gzip file, or it is corrupt.") from None
    if len(data) > limit or decompressor.unconsumed_tail:
        raise ChartArchiveError(
            f"The chart archive unpacks to more than {limit / MB:.0f} MB (a compression bomb?): refused."
        )
    if not decompressor.eof:
        raise ChartArchiveError("The chart archive ends early: it was cut short in transfer.")
    return data


def _safe_path(name: str) -> str | None:
    """The member's path, or None for an absolute path or one that climbs out with `..`."""
    if name.startswith(("/", "\\")) or "\\" in name:
        return None
    normal = posixpath.normpath(name)
    if normal.startswith("..") or normal.startswith("/") or normal == ".":
        return None
    return normal[2:] if normal.startswith("./") else normal


def _wanted(file_name: str) -> str | None:
    if file_name in ("Chart.yaml", "values.yaml", "values.schema.json", "requirements.yaml"):
        return file_name
    if file_name.lower() in ("readme.md", "readme.txt", "readme"):
        return "README"
    return None

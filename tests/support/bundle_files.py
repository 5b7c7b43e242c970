"""Deterministic chart archives and bundles for the bundle tests, and hostile tars built with Python's tarfile."""

from __future__ import annotations

import gzip
import io
import random
import tarfile
from collections.abc import Callable
from pathlib import Path

from desktop.bundle.artifacts import BytesSource
from desktop.bundle.helm_artifact import ChartArtifact, build_chart_artifact
from desktop.bundle.layout_writer import LayoutWriter, WrittenLayout
from desktop.bundle.media_types import HELM_CHART

MTIME = 1767225600  # 2026-01-01T00:00:00Z
CREATED = "2026-01-01T00:00:00Z"


def stable_archive(
    name: str,
    version: str,
    *,
    payload: int = 50_000,
    seed: int = 0,
    chart_yaml: str | None = None,
    extra_files: dict[str, bytes] | None = None,
) -> bytes:
    """A packaged chart whose bytes depend only on the arguments (gzip's time is fixed), with
    `payload` bytes of incompressible data so that sizes are predictable."""
    files = {
        f"{name}/Chart.yaml": (chart_yaml or f"apiVersion: v2\nname: {name}\nversion: {version}\n").encode(),
        f"{name}/values.yaml": b"replicaCount: 1\n",
        f"{name}/files/payload.bin": random.Random(f"{name}-{version}-{seed}").randbytes(payload),
        **(extra_files or {}),
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for path, content in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(content)
            info.mtime = MTIME
            tar.addfile(info, io.BytesIO(content))
    return gzip.compress(buffer.getvalue(), mtime=0)


def original_archive(chart: ChartArtifact) -> bytes:
    """The .tgz a chart artifact was built from (its chart-content layer)."""
    layer = next(blob for blob in chart.artifact.layers if blob.descriptor.media_type == HELM_CHART)
    assert isinstance(layer.source, BytesSource)
    return layer.source.data


def sample_charts(count: int = 4, payload: int = 50_000) -> list[ChartArtifact]:
    return [
        build_chart_artifact(stable_archive(f"chart{n}", f"1.{n}.0", payload=payload), None, CREATED)
        for n in range(count)
    ]


def write_bundle(
    path: Path, charts: list[ChartArtifact], *, registry: str = "site", mtime: int = MTIME, **options: object
) -> WrittenLayout:
    writer = LayoutWriter(path, mtime=mtime, **options)  # type: ignore[arg-type]
    for chart in charts:
        writer.add(chart.artifact, f"{registry}/{chart.name}:{chart.tag}")
    return writer.close()


Member = tuple[tarfile.TarInfo, bytes]


def tar_members(path: Path) -> list[Member]:
    with tarfile.open(path, mode="r:") as tar:
        members = []
        for info in tar.getmembers():
            extracted = tar.extractfile(info) if info.isfile() else None
            members.append((info, extracted.read() if extracted is not None else b""))
    return members


def rewrite_tar(source: Path, target: Path, change: Callable[[list[Member]], list[Member]]) -> Path:
    """`source`'s members, changed by `change`, written again as a ustar tar at `target`."""
    members = change(tar_members(source))
    with tarfile.open(target, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for info, data in members:
            info.size = len(data) if info.isfile() else 0
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return target

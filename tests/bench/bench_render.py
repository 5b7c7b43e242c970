"""Benchmark for issue 18: the images of a three-layer profile, against `helm template` on the same charts.

    .venv/bin/python -m tests.bench.bench_render [--rounds 5] [--chart FILE.tgz [--values FILE]]...

The profile's layers are Longhorn 1.7.1, Epinio 1.10.0 (with `global.domain` set) and the `kinds`
test chart by default (rancher-monitoring, the issue's third chart, is not in a package registry
this machine reaches: pass its archive with --chart to include it). The charts are served by a
local repository, registered, and kept offline, then with the server stopped:
  1. ours: `chartkeeper images --profile bench -o text`, the whole command as a user runs it
     (interpreter start, catalog, each layer rendered in its own child, images found);
  2. baseline: `helm template` (Helm 4.1.4, from the npm registry like the tests') on each chart with
     the same release name, namespace and values, one after the other, summed.
Also the render children's peak RSS (each reports its own) and the engine's own time per chart.
Target: ours ≤ 1.0× the baseline. The machine is shared and noisy: compare the ratio of medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from desktop.catalog.db import open_catalog  # noqa: E402
from desktop.catalog.profiles import save_profile  # noqa: E402
from desktop.catalog.registries import get_registry  # noqa: E402
from desktop.helm.rendering import RenderLimits, RenderRequest, render_chart  # noqa: E402
from desktop.paths import resolve_paths  # noqa: E402
from desktop.profiles.model import Layer, Profile, release_names  # noqa: E402
from tests.support.charts import publish_charts  # noqa: E402
from tests.support.helm_binary import HELM_4, helm_binary, helm_environment  # noqa: E402
from tests.support.render_charts import EPINIO, LONGHORN, REAL_CHARTS, kinds_chart  # noqa: E402
from tests.support.repo_server import RepoServer  # noqa: E402


def _chart_name_version(archive: bytes) -> tuple[str, str]:
    import io
    import tarfile

    import yaml

    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        member = next(m for m in tar.getmembers() if m.name.count("/") == 1 and m.name.endswith("/Chart.yaml"))
        meta = yaml.safe_load(tar.extractfile(member).read())  # type: ignore[union-attr]
    return str(meta["name"]), str(meta["version"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--chart", action="append", default=[], help="an extra chart archive (with --values)")
    parser.add_argument("--values", action="append", default=[])
    args = parser.parse_args()

    charts: list[tuple[bytes, str]] = [
        ((REAL_CHARTS / LONGHORN).read_bytes(), ""),
        ((REAL_CHARTS / EPINIO).read_bytes(), "global:\n  domain: epinio.example.com\n"),
        (kinds_chart(), ""),
    ]
    for index, path in enumerate(args.chart):
        values = Path(args.values[index]).read_text() if index < len(args.values) else ""
        charts.append((Path(path).read_bytes(), values))
    named = [(*_chart_name_version(archive), archive, values) for archive, values in charts]

    work = Path(tempfile.mkdtemp(prefix="bench-render-"))
    home = work / "home"
    env = {**os.environ, "CHARTKEEPER_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as an installed app runs
    server = RepoServer().start()
    publish_charts(server, {name: {version: archive} for name, version, archive, _ in named})
    cli = [sys.executable, "-m", "desktop"]
    subprocess.run([*cli, "registry", "add", "bench", server.url], env=env, check=True, capture_output=True)
    for name, version, _, _ in named:
        subprocess.run([*cli, "pin", f"bench/{name}", "--version", version], env=env, check=True, capture_output=True)
    server.stop()  # everything below runs offline
    db = open_catalog(resolve_paths(home).catalog)
    registry = get_registry(db, "bench")
    layers = tuple(
        Layer(registry.uid, registry.name, registry.endpoint, name, version, namespace=name, values_override=values)
        for name, version, _, values in named
    )
    save_profile(db, Profile(uid="", name="bench", layers=layers), time.time())
    db.close()
    releases = release_names(layers)

    helm = helm_binary(HELM_4)
    helm_env = helm_environment(work / "helm")
    for index, (_, _, archive, values) in enumerate(named):
        (work / f"chart{index}.tgz").write_bytes(archive)
        (work / f"values{index}.yaml").write_text(values or "{}\n")

    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        done = subprocess.run([*cli, "images", "--profile", "bench", "-o", "text"], env=env, capture_output=True)
        ours.append(time.perf_counter() - started)
        assert done.returncode == 0, done.stderr
        total = 0.0
        for index, layer in enumerate(layers):
            command = [str(helm), "template", releases[index], str(work / f"chart{index}.tgz"), "-n", layer.namespace]
            command += ["-f", str(work / f"values{index}.yaml"), "--kube-version", "1.31.0"]
            started = time.perf_counter()
            subprocess.run(command, env=helm_env, check=True, capture_output=True)
            total += time.perf_counter() - started
        theirs.append(total)
    images = done.stdout.decode().split()

    print(f"profile: {', '.join(f'{n} {v}' for n, v, _, _ in named)}; {len(images)} images")
    print(f"  chartkeeper images --profile (offline): median {statistics.median(ours):.3f} s, min {min(ours):.3f} s")
    baseline = f"median {statistics.median(theirs):.3f} s, min {min(theirs):.3f} s"
    print(f"  helm template x{len(named)}, summed:          {baseline}")
    print(f"  ratio of medians: {statistics.median(ours) / statistics.median(theirs):.2f} (target <= 1.0)")
    for name, version, archive, values in named:
        rendered = render_chart(archive, RenderRequest(name, name, values), RenderLimits())
        print(
            f"  {name} {version}: render child peak RSS {rendered.peak_rss_mb} MB, engine {rendered.seconds:.3f} s,"
            f" child start to answer {rendered.wall_seconds:.3f} s"
        )


if __name__ == "__main__":
    main()

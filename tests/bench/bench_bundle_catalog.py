"""Benchmark for issue 10's bundle targets: export and import of a whole catalog, and a delta.

    .venv/bin/python -m tests.bench.bench_bundle_catalog [--registries 5] [--charts 1000] [--versions 20]
                                                         [--archives 500] [--megabytes 300] [--work DIR]

Builds a source catalog the way a user would (a local repository server, `registry add` of five
~20,000-version indexes, 500 chart archives of ~300 MB pinned), then, each in a child process whose
peak RSS is read with wait4:
  1. `bundle export` of everything (pinned archives), as a whole process;
  2. the import into a fresh catalog, in-process in a child, timing its phases (verify, catalog, archives);
  3. `bundle have` on the target; then 1 % of the source changes (1 % of the charts gain a version,
     1 % more archives are pinned) and a delta is exported with that have file: its size against a full
     export made at the same time; then the delta is imported.
Baselines in the same run: `cat` of the archives into one file then `sync` (a write at disk speed) and
`sha256sum` of the bundle. Targets from issue 10: export and import each ≤ 300 MB peak RSS, the catalog
part of an import ≤ 5 s, archives at disk speed, a 1 % delta ≤ 2 % of the full size.
The machine is shared and noisy: compare ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from tests.bench.bench_bundle import timed
from tests.bench.bench_core import MAKE_INDEX, generate_index

ROOT = Path(__file__).resolve().parents[2]

PIN = """
import sys
from desktop.catalog.db import open_catalog
from desktop.catalog.registries import get_registry
from desktop.operations.chart_files import pin_version
from desktop.operations.services import inline_services
from desktop.secrets import CredentialStore
db = open_catalog(__import__("pathlib").Path(sys.argv[1]))
services = inline_services(db, CredentialStore())
for item in sys.argv[2:]:
    registry, chart = item.split("/")
    pin_version(services, get_registry(db, registry).id, chart, "1.0.0")
"""

IMPORT = """
import json, sys, time
from pathlib import Path
from desktop.catalog.db import open_catalog
from desktop.operations.bundle_import import import_bundle
from desktop.operations.services import inline_services
from desktop.secrets import CredentialStore
db = open_catalog(Path(sys.argv[2]))
phases = {}
def progress(phase, done, total):
    now = time.perf_counter()
    phases.setdefault(phase, [now, now])[1] = now
started = time.perf_counter()
summary = import_bundle(inline_services(db, CredentialStore()), Path(sys.argv[1]), progress=progress)
ended = time.perf_counter()
print(json.dumps({
    "total": ended - started,
    "verify": phases["verify"][1] - started if "verify" in phases else 0.0,
    "catalog": phases["catalog"][1] - phases["catalog"][0] if "catalog" in phases else 0.0,
    "archives": ended - phases["archives"][0] if "archives" in phases else 0.0,
    "versions": sum(r.versions for r in summary.registries),
    "stored": summary.archives_stored,
}))
"""


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CHARTKEEPER_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )


def measured(home: Path, *args: str, script: str | None = None) -> tuple[float, int, str]:
    env = {**os.environ, "CHARTKEEPER_HOME": str(home), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", script, *args] if script else [sys.executable, "-m", "desktop", *args]
    return timed(command, env)


def archive_bytes(name: str, payload: int) -> bytes:
    from tests.support.bundle_files import stable_archive

    return stable_archive(name, "1.0.0", payload=payload)


def insert_charts(index: bytes, entries: dict[str, list[dict[str, object]]]) -> bytes:
    """Charts added to an index as make_index writes it (two-space indented entries)."""
    text = yaml.safe_dump(entries, sort_keys=False)
    block = "".join(f"  {line}\n" for line in text.splitlines()).encode()
    head, marker, tail = index.partition(b"\nentries:\n")
    return head + marker + block + tail


def new_versions(index: bytes, charts: list[str]) -> bytes:
    """Each chart gains version 99.0.0, listed first as Helm lists the newest."""
    for chart in charts:
        item = f"  - apiVersion: v2\n    name: {chart}\n    version: 99.0.0\n    urls:\n    - {chart}-99.0.0.tgz\n"
        index = index.replace(f"\n  {chart}:\n".encode(), f"\n  {chart}:\n{item}".encode(), 1)
    return index


def chart_names(index: bytes) -> list[str]:
    """The charts of an index as make_index writes it: `  name:` lines right under `entries:`."""
    return [
        line.strip()[:-1].decode()
        for line in index.split(b"\n")
        if line.startswith(b"  ") and not line.startswith((b"   ", b"  -")) and line.endswith(b":")
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--registries", type=int, default=5)
    parser.add_argument("--charts", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=20)
    parser.add_argument("--archives", type=int, default=500)
    parser.add_argument("--megabytes", type=int, default=300)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-bundle-catalog-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        run(work, args)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


GENERATE = """
import sys
from pathlib import Path
from tests.bench.bench_bundle_catalog import generate_site
generate_site(Path(sys.argv[1]), *map(int, sys.argv[2:]))
"""

CHANGE = """
import sys
from pathlib import Path
from tests.bench.bench_bundle_catalog import change_one_percent
print(" ".join(change_one_percent(Path(sys.argv[1]), *map(int, sys.argv[2:]))))
"""


def child(script: str, *args: str) -> str:
    """Run `script` in a child: whatever it holds in memory never counts in this process's children."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def archive_entry(chart: str, archive: bytes) -> dict[str, object]:
    return {
        "apiVersion": "v2",
        "name": chart,
        "version": "1.0.0",
        "digest": hashlib.sha256(archive).hexdigest(),
        "urls": [f"{chart}-1.0.0.tgz"],
        "created": "2026-01-01T00:00:00Z",
    }


def generate_site(site: Path, registries: int, charts: int, versions: int, archives: int, megabytes: int) -> None:
    """Each registry's index (a different one each) with its share of the archives, as files to serve."""
    per_registry = archives // registries
    mean = megabytes * 1024 * 1024 // archives
    for r in range(registries):
        folder = site / f"reg{r}"
        folder.mkdir(parents=True, exist_ok=True)
        base = registry_index(folder / "base.yaml", charts, versions, seed=r)
        extra: dict[str, list[dict[str, object]]] = {}
        for n in range(per_registry):
            chart = f"bundle-{r}-{n:03d}"
            archive = archive_bytes(chart, int(mean * (0.1 + 1.8 * ((n * 37) % 100) / 99)))
            (folder / f"{chart}-1.0.0.tgz").write_bytes(archive)
            extra[chart] = [archive_entry(chart, archive)]
        (folder / "index.yaml").write_bytes(insert_charts(base, extra))


def registry_index(path: Path, charts: int, versions: int, seed: int) -> bytes:
    """A realistic index, a different one for each seed (make_index.py beside the clone, when it is there)."""
    if not MAKE_INDEX.exists():
        return generate_index(path, charts, versions).read_bytes()
    arguments = ["--charts", str(charts), "--versions", str(versions), "--seed", str(seed + 7)]
    return subprocess.run([sys.executable, str(MAKE_INDEX), *arguments], capture_output=True, check=True).stdout


def change_one_percent(site: Path, registries: int, archives: int, megabytes: int) -> list[str]:
    """1 % of each registry's charts gain a version; 1 % more archives (new charts), to pin."""
    rng = random.Random(1)
    pins = []
    mean = megabytes * 1024 * 1024 // archives
    for r in range(registries):
        folder = site / f"reg{r}"
        index = (folder / "index.yaml").read_bytes()
        names = [name for name in chart_names(index) if not name.startswith("bundle-")]
        grown = new_versions(index, rng.sample(names, max(1, len(names) // 100)))
        extra: dict[str, list[dict[str, object]]] = {}
        for n in range(max(1, archives // registries // 100)):
            chart = f"bundle-{r}-new-{n}"
            archive = archive_bytes(chart, mean)
            (folder / f"{chart}-1.0.0.tgz").write_bytes(archive)
            extra[chart] = [archive_entry(chart, archive)]
            pins.append(f"reg{r}/{chart}")
        (folder / "index.yaml").write_bytes(insert_charts(grown, extra))
    return pins


def serve(site: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A static HTTP server for the site's files, in its own process."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(site)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            break
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def run(work: Path, args: argparse.Namespace) -> None:
    source, target, site = work / "source", work / "target", work / "site"
    target_catalog = str(target / "data" / "catalog.sqlite3")
    per_registry = args.archives // args.registries
    print(
        f"setting up: {args.registries} registries x {args.charts} charts x ~{args.versions} versions, "
        f"{args.archives} archives (~{args.megabytes} MB)…",
        flush=True,
    )
    child(GENERATE, str(site), *map(str, (args.registries, args.charts, args.versions, args.archives, args.megabytes)))
    server, url = serve(site)
    try:
        for r in range(args.registries):
            cli(source, "registry", "add", f"reg{r}", f"{url}/reg{r}")
        pins = [f"reg{r}/bundle-{r}-{n:03d}" for r in range(args.registries) for n in range(per_registry)]
        child(PIN, str(source / "data" / "catalog.sqlite3"), *pins)

        full = work / "full.tar"
        seconds, rss, _ = measured(source, "bundle", "export", "-o", str(full))
        size = full.stat().st_size
        print(
            f"export (whole process): {seconds:.1f} s, peak RSS {rss} MB, {size / 2**20:.0f} MB written "
            f"({size / 2**20 / seconds:.0f} MB/s)"
        )
        print(f"  baseline: cat of the archives into one file + sync: {disk_baseline(work, site):.1f} s")
        started = time.perf_counter()
        subprocess.run(["sha256sum", str(full)], check=True, capture_output=True)
        print(f"  baseline: sha256sum of the bundle: {time.perf_counter() - started:.1f} s")

        seconds, rss, out = measured(target, str(full), target_catalog, script=IMPORT)
        phases = json.loads(out)
        print(
            f"import into a fresh catalog (in a child): {phases['total']:.1f} s, peak RSS {rss} MB — verify "
            f"{phases['verify']:.1f} s, catalog part {phases['catalog']:.1f} s ({phases['versions']:,} versions), "
            f"archives {phases['archives']:.1f} s ({phases['stored']} stored)"
        )

        cli(target, "bundle", "have", "-o", str(work / "have.txt"))
        changed = child(CHANGE, str(site), str(args.registries), str(args.archives), str(args.megabytes)).split()
        cli(source, "registry", "sync")
        child(PIN, str(source / "data" / "catalog.sqlite3"), *changed)
        delta, later = work / "delta.tar", work / "later.tar"
        seconds, rss, _ = measured(source, "bundle", "export", "-o", str(delta), "--have", str(work / "have.txt"))
        cli(source, "bundle", "export", "-o", str(later))
        ratio = delta.stat().st_size / later.stat().st_size
        print(
            f"delta after 1 % changed: {delta.stat().st_size / 2**20:.1f} MB of a {later.stat().st_size / 2**20:.0f}"
            f" MB full bundle = {ratio * 100:.2f} % (export {seconds:.1f} s, peak RSS {rss} MB)"
        )
        seconds, rss, out = measured(target, str(delta), target_catalog, script=IMPORT)
        phases = json.loads(out)
        print(f"delta import: {phases['total']:.1f} s, peak RSS {rss} MB, catalog part {phases['catalog']:.1f} s")
    finally:
        server.terminate()
        server.wait(10)


def disk_baseline(work: Path, site: Path) -> float:
    started = time.perf_counter()
    with open(work / "baseline.bin", "wb") as out:
        for path in sorted(site.glob("*/*.tgz")):
            out.write(path.read_bytes())
        out.flush()
        os.fsync(out.fileno())
    elapsed = time.perf_counter() - started
    (work / "baseline.bin").unlink()
    return elapsed


if __name__ == "__main__":
    main()

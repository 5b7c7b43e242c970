"""Benchmark for bundle layouts: write and verify ~500 chart archives (~300 MB), with tar and sha256sum as baselines.

    .venv/bin/python -m tests.bench.bench_bundle [--charts 500] [--megabytes 300] [--rounds 3] [--work DIR]

Generates the archives once (incompressible payloads, so the layout is as large as they are),
in a child so that this process stays small (a child's peak RSS counts its parent's at fork),
then, each in a child process whose peak RSS is read with wait4:
  1. write: build every chart artifact from its file and write the layout (one tar), streamed;
  2. write split: the same into 64 MB parts;
  3. verify: `open_layout` — every member, digest, size and reference checked.
Baselines in the same run: GNU `tar cf` of the archives then `sync` (a write at disk speed, as the
writer also syncs before it names the file) and `sha256sum`
of the written layout (a read at hashing speed). The targets from issue 10: peak RSS ≤ 300 MB
for export and import, archives at disk speed. The machine is shared and noisy: compare ratios.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

WRITE = """
import sys
from pathlib import Path
from desktop.bundle.artifacts import FileSource
from desktop.bundle.helm_artifact import build_chart_artifact
from desktop.bundle.layout_writer import LayoutWriter
source, target, split = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]) or None
writer = LayoutWriter(target, mtime=1767225600, split_size=split)
for path in sorted(source.glob("*.tgz")):
    chart = build_chart_artifact(path.read_bytes(), None, "2026-01-01T00:00:00Z", archive_source=FileSource(path))
    writer.add(chart.artifact, f"bench/{chart.name}:{chart.tag}")
written = writer.close()
print(written.sha256, len(written.parts), written.size)
"""

VERIFY = """
import sys
from pathlib import Path
from desktop.bundle.layout_reader import open_layout
layout = open_layout(Path(sys.argv[1]))
print(len(layout.charts), layout.size)
"""


GENERATE = """
import sys
from pathlib import Path
from tests.support.bundle_files import stable_archive
folder, charts, megabytes = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
folder.mkdir(parents=True, exist_ok=True)
mean = megabytes * 1024 * 1024 // charts
for n in range(charts):
    path = folder / f"chart{n:04d}-1.0.0.tgz"
    if not path.exists():  # sizes from a tenth to twice the mean
        payload = int(mean * (0.1 + 1.8 * ((n * 37) % 100) / 99))
        path.write_bytes(stable_archive(f"chart{n:04d}", "1.0.0", payload=payload))
"""


def timed(command: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """(wall seconds, peak RSS in MB, stdout) of one child process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    out = process.stdout.read().decode() if process.stdout else ""
    err = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{command[:3]} failed: {err[-2000:]}")
    return elapsed, usage.ru_maxrss // 1024, out.strip()


def report(label: str, samples: list[tuple[float, int, str]], megabytes: float) -> None:
    seconds = [s[0] for s in samples]
    best = min(seconds)
    print(
        f"  {label:<28} min {best:6.2f} s, median {statistics.median(seconds):6.2f} s, "
        f"{megabytes / best:7.1f} MB/s, peak RSS {max(s[1] for s in samples)} MB"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charts", type=int, default=500)
    parser.add_argument("--megabytes", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None, help="keep the generated archives here")
    args = parser.parse_args(argv)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-bundle-"))
    archives = work / "archives"
    # In a child: this process stays small, because a child's peak RSS as wait4 reports it is
    # never below what its parent held when it forked.
    timed([sys.executable, "-c", GENERATE, str(archives), str(args.charts), str(args.megabytes)], env)
    total = sum(path.stat().st_size for path in archives.glob("*.tgz"))
    megabytes = total / 1e6
    print(f"{args.charts} chart archives, {megabytes:.0f} MB in all")
    out = work / "out"
    out.mkdir(exist_ok=True)
    results: dict[str, list[tuple[float, int, str]]] = {k: [] for k in ("write", "split", "verify", "tar", "sha")}
    try:
        for _ in range(args.rounds):
            for leftover in out.iterdir():
                leftover.unlink()
            results["tar"].append(timed(["tar", "cf", str(out / "baseline.tar"), "-C", str(archives), "."], env))
            (out / "baseline.tar").unlink()
            results["write"].append(
                timed([sys.executable, "-c", WRITE, str(archives), str(out / "bundle.tar"), "0"], env)
            )
            results["split"].append(
                timed([sys.executable, "-c", WRITE, str(archives), str(out / "parts.tar"), str(64 << 20)], env)
            )
            results["verify"].append(timed([sys.executable, "-c", VERIFY, str(out / "bundle.tar")], env))
            results["sha"].append(timed(["sha256sum", str(out / "bundle.tar")], env))
        sha, _, size = results["write"][0][2].split()
        assert all(r[2].split()[0] == sha for r in results["write"] + results["split"]), "not deterministic"
        print(f"layout: {int(size) / 1e6:.0f} MB, sha256 {sha[:16]}… (the same in every round, split or not)")
        report("write layout", results["write"], megabytes)
        report("write layout, 64 MB parts", results["split"], megabytes)
        report("tar cf + sync (baseline)", results["tar"], megabytes)
        report("verify layout", results["verify"], megabytes)
        report("sha256sum (baseline)", results["sha"], megabytes)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Benchmarks for the desktop window's targets (run offscreen; numbers printed, nothing asserted).

  .venv/bin/python -m tests.bench.bench_window [--rounds 5]

1. launch to usable window with a catalog of ~100,000 versions, as a whole process: from just
   before the process starts to the window shown with its registries table filled and the event
   loop idle;
2. the longest stall of the UI event loop while a 14.5 MB index (1,000 charts x 20 versions)
   syncs on the sync thread: a 10 ms timer in the UI thread records every gap.
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

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.bench.bench_core import generate_index

PROBE = """
import sys, time
started = float(sys.argv[1])
from PySide6.QtCore import QTimer
from desktop.app import build_app
from desktop.paths import AppPaths
from pathlib import Path
running = build_app(AppPaths.under(Path(sys.argv[2])), schedule=False)
running.window.show()
def done():
    rows = running.window.registries_tab.model.rowCount()
    print(f"{time.time() - started:.3f} {rows}", flush=True)
    running.app.quit()
QTimer.singleShot(0, done)
running.app.exec()
running.shut_down()
"""


def bench_startup(workdir: Path, rounds: int) -> None:
    from tests.support.repo_server import RepoServer

    home = workdir / "startup-home"
    server = RepoServer(gzip_responses=False).start()
    try:
        for name, charts in (("big", 5000), ("small", 50)):
            index = generate_index(workdir / f"{name}.yaml", charts, 20)
            server.put(f"/{name}/index.yaml", index.read_bytes())
            subprocess.run(
                [sys.executable, "-m", "desktop", "registry", "add", name, f"{server.url}/{name}"],
                env={**os.environ, "CHARTKEEPER_HOME": str(home)},
                check=True,
                stdout=subprocess.DEVNULL,
            )
    finally:
        server.stop()
    samples = []
    for _ in range(rounds):
        done = subprocess.run(
            [sys.executable, "-c", PROBE, repr(time.time()), str(home)], capture_output=True, text=True, check=True
        )
        seconds, rows = done.stdout.split()
        samples.append(float(seconds))
    from desktop.catalog.db import open_catalog

    db = open_catalog(home / "data" / "catalog.sqlite3")
    versions = db.execute("SELECT COUNT(*) FROM chart_versions").fetchone()[0]
    db.close()
    print(
        f"launch to usable window, catalog of {versions:,} versions in {rows} registries: "
        f"min {min(samples):.3f} s, median {statistics.median(samples):.3f} s"
    )
    bench_type_ahead(home)


def bench_type_ahead(home: Path) -> None:
    from desktop.app import build_app
    from desktop.paths import AppPaths
    from desktop.ui.add_chart_dialog import AddChartDialog

    running = build_app(AppPaths.under(home), schedule=False)
    try:
        dialog = AddChartDialog(running.context)
        dialog.show()
        samples: dict[str, float] = {}
        for term in ("n", "ng", "ngi", "ngin", "nginx", "k", "ka", "kaf", "zzz", ""):
            started = time.perf_counter()
            dialog.search_edit.setText(term)
            dialog.run_search()  # what the zero-delay timer calls once the keystroke's events are in
            running.app.processEvents()
            samples[term] = (time.perf_counter() - started) * 1000
        print(
            "Add Helm Chart search as you type, keystroke to results shown (ms): "
            + ", ".join(f"{term or '(all)'} {ms:.1f}" for term, ms in samples.items())
            + f"; worst {max(samples.values()):.0f} ms"
        )
        dialog.done(0)
    finally:
        running.shut_down()


def bench_stall(workdir: Path) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    from desktop.app import UI_SWITCH_INTERVAL, build_app
    from desktop.cancellation import CancelToken
    from desktop.paths import AppPaths
    from desktop.registry import RegistryDraft
    from tests.bench.ui_stalls import StallMeter
    from tests.support.charts import simple_index
    from tests.support.repo_server import RepoServer

    sys.setswitchinterval(UI_SWITCH_INTERVAL)  # as run_app sets it
    index = generate_index(workdir / "stall.yaml", 1000, 20).read_bytes()
    server = RepoServer(gzip_responses=False).start()
    server.put("/index.yaml", simple_index({"placeholder": ["1.0.0"]}))
    running = build_app(AppPaths.under(workdir / "stall-home").ensure(), schedule=False)
    running.window.show()
    try:
        registry = (
            running.context.worker.register(RegistryDraft("big", server.url), CancelToken()).future.result(30).registry
        )
        server.put("/index.yaml", index)
        meter = StallMeter()
        loop = QEventLoop()
        running.context.bridge.sync_finished.connect(lambda _result: QTimer.singleShot(200, loop.quit))
        meter.start()
        started = time.perf_counter()
        running.context.worker.sync(registry.id)
        loop.exec()
        meter.stop()
        elapsed = time.perf_counter() - started
        print(f"UI event loop during a {len(index) / 1e6:.1f} MB sync ({elapsed:.2f} s): {meter.report()}")
    finally:
        running.shut_down()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        bench_startup(Path(temp), args.rounds)
        bench_stall(Path(temp))


if __name__ == "__main__":
    main()

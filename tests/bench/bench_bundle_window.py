"""Benchmark: the window's responsiveness while a large bundle is imported (run offscreen; numbers printed).

    .venv/bin/python -m tests.bench.bench_bundle_window BUNDLE.tar

Imports BUNDLE (for instance the `full.tar` that `bench_bundle_catalog --work DIR` leaves in DIR) into a
fresh catalog through the window's worker, the way File → Import Bundle… does, while a 10 ms timer on
the UI thread records every gap between its ticks (as bench_window measures a sync). Target from
issue 10: the longest UI stall ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bundle", type=Path)
    args = parser.parse_args()
    from PySide6.QtCore import QEventLoop, QTimer

    from desktop.app import UI_SWITCH_INTERVAL, build_app
    from desktop.paths import AppPaths

    sys.setswitchinterval(UI_SWITCH_INTERVAL)  # as run_app sets it
    with tempfile.TemporaryDirectory() as temp:
        running = build_app(AppPaths.under(Path(temp)).ensure(), schedule=False)
        running.window.show()
        try:
            gaps: list[float] = []
            last = [time.perf_counter()]

            def tick() -> None:
                now = time.perf_counter()
                gaps.append(now - last[0])
                last[0] = now

            timer = QTimer()
            timer.setInterval(10)
            timer.timeout.connect(tick)
            loop = QEventLoop()
            timer.start()
            started = time.perf_counter()
            job = running.context.worker.import_bundle(args.bundle)
            watch = QTimer()  # the UI thread looks at the job; a worker thread cannot start Qt timers
            watch.setInterval(50)
            watch.timeout.connect(lambda: loop.quit() if job.future.done() else None)
            watch.start()
            loop.exec()
            watch.stop()
            timer.stop()
            elapsed = time.perf_counter() - started
            summary = job.future.result()
            worst = max(gaps) - 0.010
            print(
                f"UI event loop while importing {args.bundle.stat().st_size / 2**20:.0f} MB "
                f"({sum(r.versions for r in summary.registries):,} versions, {summary.archives_stored} archives, "
                f"{elapsed:.1f} s): longest stall {worst * 1000:.0f} ms over {len(gaps)} ticks; 99th percentile "
                f"{(sorted(gaps)[int(len(gaps) * 0.99)] - 0.010) * 1000:.0f} ms"
            )
        finally:
            running.shut_down()


if __name__ == "__main__":
    main()

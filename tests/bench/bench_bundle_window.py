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
    from tests.bench.ui_stalls import StallMeter

    sys.setswitchinterval(UI_SWITCH_INTERVAL)  # as run_app sets it
    with tempfile.TemporaryDirectory() as temp:
        running = build_app(AppPaths.under(Path(temp)).ensure(), schedule=False)
        running.window.show()
        try:
            meter = StallMeter()
            loop = QEventLoop()
            meter.start()
            started = time.perf_counter()
            job = running.context.worker.import_bundle(args.bundle)
            watch = QTimer()  # the UI thread looks at the job; a worker thread cannot start Qt timers
            watch.setInterval(50)
            watch.timeout.connect(lambda: loop.quit() if job.future.done() else None)
            watch.start()
            loop.exec()
            watch.stop()
            meter.stop()
            elapsed = time.perf_counter() - started
            summary = job.future.result()
            print(
                f"UI event loop while importing {args.bundle.stat().st_size / 2**20:.0f} MB "
                f"({sum(r.versions for r in summary.registries):,} versions, {summary.archives_stored} archives, "
                f"{elapsed:.1f} s): {meter.report()}"
            )
        finally:
            running.shut_down()


if __name__ == "__main__":
    main()

"""Launch to a usable window: the venv app and the self-contained build, side by side (offscreen; numbers
printed, nothing asserted).

  .venv/bin/python -m tests.bench.bench_launch [--rounds 7] [--build dist/chartkeeper]

Both are started the same way, as a user would: the `chartkeeper` program with a home whose catalog
holds 100,000 versions (5,000 charts x 20, registered once over loopback). The clock runs from just
before the process starts to the time of the app's own "window ready" log line, written once the
window is shown with its tables filled and the event loop is idle; then SIGTERM closes it. Rounds
alternate between the two so machine noise falls on both. The build is `dist/chartkeeper` from
`python3 dev.py package` unless --build names another. Run with PYTHONDONTWRITEBYTECODE unset: the venv
app's first start compiles its modules, as a fresh install's would once.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from tests.packaging.conftest import large_index
from tests.support.repo_server import RepoServer

ROOT = Path(__file__).resolve().parents[2]


def make_home(program: Path, home: Path) -> None:
    server = RepoServer(gzip_responses=False).start()
    try:
        server.put("/index.yaml", large_index(5000, 20))
        subprocess.run(
            [str(program), "registry", "add", "big", server.url],
            env={**os.environ, "CHARTKEEPER_HOME": str(home)},
            check=True,
            stdout=subprocess.DEVNULL,
        )
    finally:
        server.stop()


def launch_to_ready(program: Path, home: Path) -> float:
    log = home / "logs" / "chartkeeper.log"
    log.unlink(missing_ok=True)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("PYTHONPATH", None)
    started = time.time()
    process = subprocess.Popen([str(program), "--home", str(home)], env=env, stderr=subprocess.DEVNULL)
    try:
        while process.poll() is None:
            lines = log.read_text().splitlines() if log.exists() else []
            ready = [line for line in lines if line.endswith("window ready")]
            if ready:
                stamp = datetime.strptime(ready[0][:23], "%Y-%m-%d %H:%M:%S,%f")
                return stamp.timestamp() - started
            time.sleep(0.01)
        raise SystemExit(f"{program} exited with {process.returncode} before its window was ready")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--build", type=Path, default=ROOT / "dist" / "chartkeeper")
    args = parser.parse_args()
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("note: PYTHONDONTWRITEBYTECODE is set; the venv app recompiles on every start", file=sys.stderr)
    programs = {
        "venv app": Path(sys.executable).parent / "chartkeeper",
        "self-contained build": args.build / "chartkeeper",
    }
    for name, program in programs.items():
        if not program.is_file():
            raise SystemExit(f"{program} is missing ({name}): run `python3 dev.py package` first")
    with tempfile.TemporaryDirectory() as temp:
        home = Path(temp) / "home"
        make_home(programs["venv app"], home)
        for program in programs.values():
            launch_to_ready(program, home)  # a first start each: caches, bytecode, window.ini
        samples: dict[str, list[float]] = {name: [] for name in programs}
        for _ in range(args.rounds):
            for name, program in programs.items():
                samples[name].append(launch_to_ready(program, home))
    print(f"launch to usable window, catalog of 100,000 versions, {args.rounds} rounds each:")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"  {name:<22} min {min(values):.3f} s, median {median:.3f} s, max {max(values):.3f} s")


if __name__ == "__main__":
    main()

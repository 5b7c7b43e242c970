"""Benchmark: the window's responsiveness while a layer of Longhorn renders (issue 18 item 4's target:
the longest UI stall ≤ 100 ms). Run offscreen; numbers printed, nothing asserted.

    .venv/bin/python -m tests.bench.bench_render_window [--rounds 5] [--screenshot DIR]

Serves Longhorn from a real repository on 127.0.0.1, makes a profile of it, opens it in the Profile
editor and records, with a 10 ms timer on the UI thread, every gap of the event loop: from opening the
layer to its manifests shown (the archive downloaded, then rendered), and for each round from a values
edit (the engine image's tag) to the new rendering shown on the Manifests tab (then the Images tab), the 600 ms
wait after the edit included. `--screenshot DIR` also saves the layer's Manifests and Images tabs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SETTLE_SECONDS = 0.2  # after the rendering is shown: its paint is measured too


async def _until(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the rendering did not arrive")
        await asyncio.sleep(0.005)


async def _measure(args: argparse.Namespace, home: Path) -> None:
    from desktop.app import build_app
    from desktop.cancellation import CancelToken
    from desktop.profiles.model import Layer, Profile
    from desktop.registry import RegistryDraft
    from tests.bench.ui_stalls import StallMeter
    from tests.support.charts import publish_charts
    from tests.support.render_charts import LONGHORN, REAL_CHARTS
    from tests.support.repo_server import RepoServer

    archive = (REAL_CHARTS / LONGHORN).read_bytes()
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        member = tar.extractfile("longhorn/values.yaml")
        assert member is not None
        values = member.read().decode()
    version = LONGHORN.removeprefix("longhorn-").removesuffix(".tgz")
    server = RepoServer(gzip_responses=False).start()
    publish_charts(server, {"longhorn": {version: archive}})
    running = build_app(home, schedule=False)
    running.window.resize(1280, 800)
    running.window.show()
    try:
        worker = running.context.worker
        registry = worker.register(RegistryDraft("rancher", server.url), CancelToken()).future.result(30).registry
        layer = Layer(
            registry.uid,
            registry.name,
            registry.endpoint,
            "longhorn",
            version,
            "longhorn-system",
            values_override=values,
        )
        worker.save_profile(Profile(uid="", name="storage", layers=(layer,))).result(30)
        tab = running.window.profile_editor_tab
        running.window.tabs.setCurrentWidget(tab)
        editor = tab.pane.layer_editor
        editor.tabs.setCurrentWidget(editor.manifests_view)

        meter = StallMeter()
        meter.start()
        started = time.perf_counter()
        tab._load()
        opened = time.perf_counter() - started  # the profile and its layer filled in, before any render
        await _until(lambda: "kind: Deployment" in editor.manifests_view.text())
        shown = time.perf_counter() - started
        await asyncio.sleep(SETTLE_SECONDS)
        meter.stop()
        lines = editor.manifests_view.text().count("\n")
        print(
            f"opening the layer to its {lines:,} lines of manifests shown ({shown:.2f} s; filling in the profile "
            f"and the layer's values, before any render: {opened * 1000:.0f} ms): {meter.report()}"
        )

        worst = StallMeter()
        latencies = []
        for number in range(args.rounds):
            tag = f"v1.7.{number + 2}"
            if number == args.rounds - 1:
                editor.tabs.setCurrentWidget(editor.images_view)
            editor.values_edit.setPlainText(values.replace("tag: v1.7.1", f"tag: {tag}", 1))
            worst.start()  # the edit itself is the values editor's: the render is measured from here
            started = time.perf_counter()
            await _until(lambda tag=tag: f"longhorn-engine:{tag}" in editor.manifests_view.text())
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(SETTLE_SECONDS)
            worst.stop()
        print(
            f"{args.rounds} values edits, each to its rendering shown (600 ms wait included; "
            f"{min(latencies):.2f}–{max(latencies):.2f} s): {worst.report()}"
        )
        if args.screenshot is not None:
            args.screenshot.mkdir(parents=True, exist_ok=True)
            for page, name in ((editor.manifests_view, "manifests"), (editor.images_view, "images")):
                editor.tabs.setCurrentWidget(page)
                await asyncio.sleep(0.3)
                path = args.screenshot / f"layer-{name}.png"
                running.window.grab().save(str(path))
                print(f"saved {path}")
    finally:
        tab.stop_waiting()
        running.shut_down()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--screenshot", type=Path, default=None)
    args = parser.parse_args()
    import qasync

    from desktop.app import UI_SWITCH_INTERVAL, create_application
    from desktop.paths import AppPaths

    sys.setswitchinterval(UI_SWITCH_INTERVAL)  # as run_app sets it
    app = create_application()
    loop = qasync.QEventLoop(app)  # the loop first: the window starts background work as it is built
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory() as temp, loop:
        loop.run_until_complete(_measure(args, AppPaths.under(Path(temp)).ensure()))


if __name__ == "__main__":
    main()

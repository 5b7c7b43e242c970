"""Screenshots of every tab and dialog at 1280x800, in the light or a dark palette, for looking at.

    .venv/bin/python -m tests.bench.screenshots OUTPUT_DIR [--dark]

Serves a few real repositories on 127.0.0.1 (one large, one that goes offline, one that fails),
registers them, and saves PNGs of the window as a user would see it.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _settle(app: object, rounds: int = 6) -> None:
    for _ in range(rounds):
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.03)


def dark_palette() -> object:
    from PySide6.QtGui import QColor, QPalette

    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#2b2d30",
        QPalette.ColorRole.WindowText: "#dfe1e5",
        QPalette.ColorRole.Base: "#1e1f22",
        QPalette.ColorRole.AlternateBase: "#26282b",
        QPalette.ColorRole.Text: "#dfe1e5",
        QPalette.ColorRole.Button: "#393b40",
        QPalette.ColorRole.ButtonText: "#dfe1e5",
        QPalette.ColorRole.Highlight: "#2f6fd6",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#393b40",
        QPalette.ColorRole.ToolTipText: "#dfe1e5",
        QPalette.ColorRole.PlaceholderText: "#8c8f94",
    }
    for role, color in roles.items():
        palette.setColor(role, QColor(color))
    return palette


def _make_profile(running: object, big_registry: object, stable_url: str) -> None:
    """A profile with two layers from the large registry, the second with edited values."""

    from desktop.catalog.charts import search_charts
    from desktop.catalog.registries import find_registry
    from desktop.profiles.model import Layer, Profile

    context = running.context  # type: ignore[attr-defined]
    registry = find_registry(context.reader, "stable")
    hits = search_charts(context.reader, "nginx")[:2]
    layers = tuple(
        Layer(
            registry.uid,
            registry.name,
            registry.endpoint,
            hit.chart,
            hit.version,
            namespace=f"web-{i}",
            install_priority=10 * i,
            values_override="replicaCount: 2\nservice:\n  type: ClusterIP\n",
        )
        for i, hit in enumerate(hits)
    )
    profile = Profile(
        uid="",
        name="edge-web",
        version="1.2.0",
        description="Web tier for edge sites",
        tags=("env:prod", "edge"),
        layers=layers,
    )
    context.worker.save_profile(profile).result(10)
    running.window.profiles_tab._load()  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", type=Path)
    parser.add_argument("--dark", action="store_true")
    args = parser.parse_args()
    args.output.mkdir(parents=True, exist_ok=True)

    from PySide6.QtWidgets import QApplication

    from desktop.app import build_app, create_application
    from desktop.cancellation import CancelToken
    from desktop.paths import AppPaths
    from desktop.registry import RegistryDraft
    from desktop.ui.style import style_sheet
    from tests.bench.bench_core import generate_index
    from tests.support.charts import simple_index
    from tests.support.repo_server import Fault, RepoServer

    app = create_application()
    if args.dark:
        QApplication.setPalette(dark_palette())  # type: ignore[arg-type]
        app.setStyleSheet(style_sheet(app.palette()))
    with tempfile.TemporaryDirectory() as temp:
        big = RepoServer().start()
        big.put("/stable/index.yaml", generate_index(Path(temp) / "i.yaml", 290, 20).read_bytes())
        edge = RepoServer().start()
        edge.put("/index.yaml", simple_index({"edge-agent": ["1.4.0", "1.3.2"], "edge-gateway": ["0.9.1"]}))
        flaky = RepoServer().start()
        flaky.put("/index.yaml", simple_index({"legacy-app": ["2.0.0"]}))
        running = build_app(AppPaths.under(Path(temp) / "home").ensure(), schedule=False)
        worker = running.context.worker
        worker.register(RegistryDraft("stable", big.url + "/stable"), CancelToken()).future.result(60)
        edge_registry = (
            worker.register(RegistryDraft("edge-site", edge.url, sync_enabled=False), CancelToken())
            .future.result(30)
            .registry
        )
        flaky_registry = worker.register(RegistryDraft("legacy", flaky.url), CancelToken()).future.result(30).registry
        edge.stop()
        worker.sync(edge_registry.id).result(30)
        flaky.faults["/index.yaml"] = Fault(status=503, body=b"maintenance")
        worker.sync(flaky_registry.id).result(30)
        _make_profile(running, big_registry=worker, stable_url=big.url)
        window = running.window
        window.resize(1280, 800)
        window.show()
        _settle(app)
        suffix = "-dark" if args.dark else ""
        for index, name in enumerate(("settings", "registries", "profiles")):
            window.tabs.setCurrentIndex(index)
            _settle(app)
            window.grab().save(str(args.output / f"{name}{suffix}.png"))
        window.tabs.setCurrentIndex(1)
        dialog = window.registries_tab.open_add_dialog()
        dialog.name_edit.setText("internal")
        dialog.endpoint_edit.setText("https://charts.internal.example/stable")
        dialog.no_auth_check.setChecked(False)
        dialog.username_edit.setText("deploy")
        dialog._touched.update({"name", "endpoint", "username", "password"})
        dialog._validate()
        _settle(app)
        dialog.grab().save(str(args.output / f"add-registry{suffix}.png"))
        dialog.reject()
        dialog = window.registries_tab.open_add_dialog()
        dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("oci"))
        dialog.name_edit.setText("harbor")
        dialog.endpoint_edit.setText("oci://harbor.internal.example/platform")
        dialog.charts_edit.setText("ingress, observability")
        dialog._validate()
        _settle(app)
        dialog.grab().save(str(args.output / f"add-oci-registry{suffix}.png"))
        dialog.reject()
        window.tabs.setCurrentIndex(2)
        _settle(app, 20)
        chooser = window.profiles_tab.editor.open_add_chart()
        chooser.search_edit.setText("elastic")
        for _ in range(40):
            _settle(app, 1)
            if chooser.details.files is not None:
                break
        _settle(app)
        chooser.grab().save(str(args.output / f"add-chart{suffix}.png"))
        chooser.reject()
        history = window.registries_tab.open_history(flaky_registry)
        _settle(app)
        history.grab().save(str(args.output / f"history{suffix}.png"))
        history.reject()
        running.shut_down()
        big.stop()
        flaky.stop()
    print(f"saved to {args.output}")


if __name__ == "__main__":
    main()

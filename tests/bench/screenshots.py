"""Screenshots of every tab and dialog, light and dark, for looking at (and for resources/screenshots).

    .venv/bin/python -m tests.bench.screenshots OUTPUT_DIR            # everything below
    .venv/bin/python -m tests.bench.screenshots OUTPUT_DIR --variant light|dark|small

`light` and `dark` take every tab and dialog at 1280x800; `small` takes Add Helm Chart on a 1024x700
screen. Each variant runs in its own process, on Qt's offscreen platform with a screen of that size.
Serves a few real repositories on 127.0.0.1 (one with icons and Rancher's namespace annotation whose
index later drops two versions, one large, one that goes offline, one that fails, one whose next index
comes truncated so its sync is held), registers them, and saves PNGs of what a user sees; a second
catalog makes the bundle the Import Bundle dialog previews.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

VARIANTS = {"light": (1280, 800), "dark": (1280, 800), "small": (1024, 700)}
SHARED_CHARTS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "charts"
ICON_COLOURS = ["#2f6fd6", "#1a7f37", "#b3261e", "#8a5a00", "#6f42c1", "#0f766e", "#c2410c", "#334155"]


def _use_screen(width: int, height: int) -> None:
    """Qt's offscreen platform with one screen of this size (before anything imports Qt)."""
    config = Path(tempfile.gettempdir()) / f"chartkeeper-screenshots-{width}x{height}.json"
    screen = {"name": "shot", "x": 0, "y": 0, "width": width, "height": height}
    config.write_text(json.dumps({"screens": [screen | {"logicalDpiX": 96, "logicalDpiY": 96, "dpr": 1}]}))
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"


def _settle(app: Any, rounds: int = 6) -> None:
    for _ in range(rounds):
        app.processEvents()
        time.sleep(0.03)


def _wait(app: Any, condition: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        _settle(app, 1)


def dark_palette() -> Any:
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
        QPalette.ColorRole.Mid: "#5a5d63",
    }
    for role, color in roles.items():
        palette.setColor(role, QColor(color))
    return palette


def _icon(letter: str, colour: str) -> bytes:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" '
        f'fill="{colour}"/><text x="32" y="44" font-size="34" font-family="sans-serif" font-weight="bold" '
        f'text-anchor="middle" fill="#ffffff">{letter}</text></svg>'
    ).encode()


RANCHER_CHARTS = {
    "longhorn": ("Cloud-native distributed block storage for Kubernetes", "v1.7.1", "longhorn-system"),
    "cert-manager": ("A Helm chart for cert-manager: X.509 certificates for Kubernetes", "v1.15.3", "cert-manager"),
    "epinio": ("The developer-friendly PaaS for Kubernetes", "v1.10.0", "epinio"),
    "fleet": ("GitOps at scale: deploy to many clusters from Git", "0.10.2", "cattle-fleet-system"),
    "neuvector": ("Full lifecycle container security", "5.3.4", "cattle-neuvector-system"),
    "rancher-monitoring": ("Prometheus, Grafana and alerting for your clusters", "v0.75.0", "cattle-monitoring-system"),
    "harvester-csi-driver": ("CSI driver for Harvester guest clusters", "v0.1.19", "kube-system"),
    "elemental-operator": ("OS management for edge nodes", "1.6.4", "cattle-elemental-system"),
}
SCHEMA = json.dumps(
    {
        "type": "object",
        "properties": {
            "image": {"type": "object", "properties": {"tag": {"type": "string"}}},
            "replicaCount": {"type": "integer", "minimum": 1},
        },
    }
)


REMOVED_LATER = {("longhorn", "103.4.0+up1.6.2"), ("cert-manager", "103.4.0+up1.6.2")}


def _publish_rancher(server: Any, without: set[tuple[str, str]] | None = None) -> None:
    """A Rancher-like repository: icons, app versions, dates, the namespace annotation, archives;
    `without` leaves versions out of the index (they left it upstream)."""
    from tests.support.charts import chart_archive, chart_entry, index_yaml

    entries: dict[str, list[dict[str, Any]]] = {}
    real = {p.name.split("-1")[0]: p for p in SHARED_CHARTS.glob("*.tgz")} if SHARED_CHARTS.exists() else {}
    for number, (name, (description, app_version, namespace)) in enumerate(RANCHER_CHARTS.items()):
        server.put(f"/icons/{name}.svg", _icon(name[0].upper(), ICON_COLOURS[number % len(ICON_COLOURS)]))
        versions = [
            ("104.2.0+up1.7.1", "2026-10-02"),
            ("104.1.1+up1.6.3", "2026-08-14"),
            ("103.4.0+up1.6.2", "2026-05-20"),
        ]
        for index, (version, day) in enumerate(versions):
            served = server.files.get(f"/assets/{name}-{version}.tgz")
            if served is not None:  # published again: the same bytes, so the digests still match
                archive = served
            elif name in real and index == 0 and real[name].name.startswith(f"{name}-{version}"):
                archive = real[name].read_bytes()
            else:
                archive = chart_archive(
                    name,
                    version,
                    values="image:\n  repository: rancher/" + name + "\n  tag: " + app_version + "\nreplicaCount: 1\n"
                    "persistence:\n  defaultClass: true\n  defaultClassReplicaCount: 3\n",
                    readme=f"# {name}\n\n{description}.\n\n## Installing\n\nInstall into `{namespace}`.\n",
                    schema=SCHEMA,
                )
            server.put(f"/assets/{name}-{version}.tgz", archive)
            if (name, version) in (without or set()):
                continue
            entries.setdefault(name, []).append(
                chart_entry(
                    name,
                    version,
                    description=description,
                    appVersion=app_version,
                    created=f"{day}T10:00:00Z",
                    icon=f"icons/{name}.svg",
                    home=f"https://github.com/rancher/{name}",
                    keywords=["storage"] if name == "longhorn" else [name.split("-")[0]],
                    annotations={"catalog.cattle.io/namespace": namespace},
                    deprecated=name == "harvester-csi-driver",
                    urls=[f"assets/{name}-{version}.tgz"],
                    digest=hashlib.sha256(archive).hexdigest(),
                )
            )
    server.put("/index.yaml", index_yaml(entries))


def _make_profile(running: Any) -> None:
    """A profile with three layers; the last has a value its chart's schema refuses."""
    from desktop.catalog.registries import find_registry
    from desktop.profiles.model import Layer, Profile

    context = running.context
    registry = find_registry(context.reader, "rancher")
    layers = (
        Layer(
            registry.uid,
            registry.name,
            registry.endpoint,
            "cert-manager",
            "104.2.0+up1.7.1",
            "cert-manager",
            0,
            "image:\n  tag: v1.15.3\nreplicaCount: 2\n",
        ),
        Layer(
            registry.uid,
            registry.name,
            registry.endpoint,
            "longhorn",
            "104.2.0+up1.7.1",
            "longhorn-system",
            10,
            "image:\n  repository: rancher/longhorn\n  tag: v1.7.1\nreplicaCount: 3\n"
            "persistence:\n  defaultClass: true\n  defaultClassReplicaCount: 2\n",
        ),
        Layer(
            registry.uid,
            registry.name,
            registry.endpoint,
            "epinio",
            "104.2.0+up1.7.1",
            "epinio",
            20,
            "image:\n  tag: 42\nreplicaCount: 1\n",
        ),
    )
    profile = Profile(
        uid="",
        name="edge-platform",
        version="1.2.0",
        description="Storage, certificates and a PaaS for edge sites",
        tags=("env:prod", "edge"),
        layers=layers,
    )
    context.worker.save_profile(profile).result(10)
    for layer in layers[:2]:
        context.worker.pin(registry.id, layer.chart, layer.version).result(10)
    running.window.profile_editor_tab._load()


MIRROR_CHARTS = {f"tool-{i:02d}": ["2.1.0", "2.0.0"] for i in range(12)}


def _site_bundle(temp: Path) -> Path:
    """A bundle another catalog made (an edge site's registry, its archives and a profile), for the
    Import Bundle dialog to verify and preview."""
    from desktop.catalog.db import open_catalog
    from desktop.catalog.registries import find_registry
    from desktop.operations.bundle_export import ExportSelection, export_bundle
    from desktop.operations.profiles import save_profile
    from desktop.profiles.model import Layer, Profile
    from desktop.registry import RegistryDraft
    from desktop.secrets import CredentialStore
    from tests.support.catalog_harness import CatalogHarness
    from tests.support.charts import chart_archive, publish_charts
    from tests.support.repo_server import RepoServer

    server = RepoServer(host="127.0.0.2").start()
    publish_charts(
        server,
        {
            "edge-agent": {v: chart_archive("edge-agent", v) for v in ("1.4.0", "1.3.2")},
            "edge-gateway": {"0.9.1": chart_archive("edge-gateway", "0.9.1")},
        },
    )
    db = open_catalog(temp / "site" / "catalog.sqlite3")
    try:
        engine = CatalogHarness(db, CredentialStore())
        engine.register(RegistryDraft("site-charts", server.url))
        registry = find_registry(db, "site-charts")
        assert registry is not None
        layers = (
            Layer(registry.uid, registry.name, registry.endpoint, "edge-agent", "1.4.0", "edge", 0),
            Layer(registry.uid, registry.name, registry.endpoint, "edge-gateway", "0.9.1", "edge", 10),
        )
        save_profile(engine.services, Profile(uid="", name="edge-site", version="2.0.0", layers=layers))
        path = temp / "site-2026-11.tar"
        export_bundle(engine.services, path, ExportSelection(charts="latest"))
    finally:
        db.close()
        server.stop()
    return path


def shoot(output: Path, variant: str) -> None:
    width, height = VARIANTS[variant]
    _use_screen(width, height)
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from desktop.app import build_app, create_application
    from desktop.cancellation import CancelToken
    from desktop.paths import AppPaths
    from desktop.registry import RegistryDraft
    from desktop.ui.style import style_sheet
    from tests.bench.bench_core import generate_index
    from tests.support.charts import simple_index
    from tests.support.repo_server import RepoServer

    app = create_application()
    import asyncio

    import qasync

    asyncio.set_event_loop(
        qasync.QEventLoop(app, already_running=True)
    )  # the window's coroutines run as events are processed
    if variant == "dark":
        QApplication.setPalette(dark_palette())
        app.setStyleSheet(style_sheet(app.palette()))
    suffix = "-dark" if variant == "dark" else ""

    def save(widget: Any, name: str) -> None:
        _settle(app)
        widget.grab().save(str(output / f"{name}{suffix}.png"))

    with tempfile.TemporaryDirectory() as temp:
        rancher = RepoServer().start()
        _publish_rancher(rancher)
        big = RepoServer().start()
        big.put("/stable/index.yaml", generate_index(Path(temp) / "i.yaml", 290, 20).read_bytes())
        edge = RepoServer().start()
        edge.put("/index.yaml", simple_index({"edge-agent": ["1.4.0", "1.3.2"], "edge-gateway": ["0.9.1"]}))
        flaky = RepoServer().start()
        flaky.put("/index.yaml", simple_index({"legacy-app": ["2.0.0"]}))
        running = build_app(AppPaths.under(Path(temp) / "home").ensure(), schedule=False)
        worker = running.context.worker
        rancher_registry = (
            worker.register(RegistryDraft("rancher", rancher.url), CancelToken()).future.result(60).registry
        )
        worker.register(RegistryDraft("stable", big.url + "/stable"), CancelToken()).future.result(60)
        edge_registry = (
            worker.register(RegistryDraft("edge-site", edge.url, sync_enabled=False), CancelToken())
            .future.result(30)
            .registry
        )
        flaky_registry = worker.register(RegistryDraft("legacy", flaky.url), CancelToken()).future.result(30).registry
        mirror = RepoServer().start()
        mirror.put("/index.yaml", simple_index(MIRROR_CHARTS))
        mirror_registry = worker.register(RegistryDraft("mirror", mirror.url), CancelToken()).future.result(30).registry
        mirror.put("/index.yaml", simple_index(dict(list(MIRROR_CHARTS.items())[:3])))  # cut short
        assert worker.sync(mirror_registry.id).result(30).status == "held"
        _publish_rancher(rancher, without=REMOVED_LATER)
        worker.sync(rancher_registry.id).result(30)  # two versions left the index: kept, marked
        worker.fetch_icons(rancher_registry.id).result(30)
        edge.stop()
        worker.sync(edge_registry.id).result(30)
        del flaky.files["/index.yaml"]  # gone: the sync fails with 404, the snapshot stays
        worker.sync(flaky_registry.id).result(30)
        _make_profile(running)
        window = running.window
        window.resize(width, height)
        window.show()
        _settle(app, 20)
        profiles = window.profile_editor_tab

        if variant == "small":
            window.tabs.setCurrentIndex(2)
            chooser = profiles.pane.open_add_chart()
            chooser.search_edit.setText("long")
            _settle(app)
            chooser.run_search()
            chooser.results.setCurrentIndex(chooser.results_model.index(0, 0))
            chooser.choose_current()
            _wait(app, lambda: chooser.details.files is not None)
            save(chooser, "add-chart-1024x700")
            chooser.reject()
        else:
            for index, name in enumerate(("settings", "registries", "profiles")):
                window.tabs.setCurrentIndex(index)
                if name == "profiles":
                    _wait(app, lambda: profiles.pane.layer_editor.defaults is not None)
                save(window, name)
            profiles.pane.layers.setCurrentRow(2)
            _wait(app, lambda: profiles.pane.layer_editor.problems.count() > 0)
            save(window, "profiles-errors")
            profiles.pane.layers.setCurrentRow(1)
            _wait(app, lambda: profiles.pane.layer_editor.defaults is not None)
            layer_editor = profiles.pane.layer_editor
            layer_editor.tabs.setCurrentWidget(layer_editor.override_view)
            layer_editor.override_view.side_by_side_check.setChecked(True)
            save(window, "profiles-diff")
            layer_editor.override_view.side_by_side_check.setChecked(False)
            layer_editor.tabs.setCurrentIndex(0)
            box = profiles.export_current("helmfile")
            if box is not None:
                save(box, "export-errors")
                box.reject()

            window.tabs.setCurrentIndex(1)
            tabs = window.registries_tab
            dialog = tabs.open_add_dialog()
            dialog.name_edit.setText("internal")
            dialog.endpoint_edit.setText("https://charts.internal.example/stable")
            dialog.set_auth("basic")
            dialog.username_edit.setText("deploy")
            dialog._touched.update({"name", "endpoint", "username", "password"})
            dialog._validate()
            save(dialog, "add-registry")
            dialog.reject()
            dialog = tabs.open_add_dialog()
            dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("oci"))
            dialog.name_edit.setText("harbor")
            dialog.endpoint_edit.setText("oci://harbor.internal.example/platform")
            dialog.charts_edit.setText("ingress, observability")
            dialog._validate()
            save(dialog, "add-oci-registry")
            dialog.reject()
            dialog = tabs.open_edit_dialog(flaky_registry)
            dialog._show_error(
                "Nothing at http://127.0.0.1/index.yaml (404 Not Found): check the endpoint; a Helm repository "
                "serves index.yaml at its root."
            )
            save(dialog, "edit-registry")
            dialog.reject()

            browser = tabs.open_browser(rancher_registry)
            _settle(app)
            browser.charts.setCurrentIndex(browser.model.index(3, 0))
            browser.choose_current()
            _wait(app, lambda: browser.details.files is not None)
            save(browser, "browse-charts")
            longhorn = next(i for i, hit in enumerate(browser.model.rows) if hit.chart == "longhorn")
            browser.charts.setCurrentIndex(browser.model.index(longhorn, 0))
            browser.choose_current()
            _wait(app, lambda: browser.details.files is not None)
            browser.details.select_version("103.4.0+up1.6.2")  # removed upstream, its files cached
            _wait(app, lambda: browser.details.files is not None)
            save(browser, "browse-removed")
            browser.reject()
            history = tabs.open_history(mirror_registry)
            history.table.selectRow(0)
            save(history, "history-held")
            history.reject()
            box = tabs.confirm_accept_removals(mirror_registry)
            save(box, "accept-removals")
            box.reject()
            history = tabs.open_history(flaky_registry)
            history.table.selectRow(0)
            save(history, "history")
            history.reject()
            box = tabs.confirm_remove(flaky_registry)
            save(box, "remove-registry")
            box.reject()

            window.tabs.setCurrentIndex(2)
            chooser = profiles.pane.open_add_chart()
            chooser.search_edit.setText("l")
            _settle(app)
            chooser.run_search()
            row = next(i for i, hit in enumerate(chooser.results_model.rows) if hit.chart == "longhorn")
            chooser.results.setCurrentIndex(chooser.results_model.index(row, 0))
            chooser.choose_current()
            _wait(app, lambda: chooser.details.files is not None)
            save(chooser, "add-chart")
            chooser.reject()

            window.tabs.setCurrentIndex(0)
            box = window.settings_tab.confirm_clear_cache()
            save(box, "clear-cache")
            box.reject()
            from desktop.operations.helm_import import ImportOutcome
            from desktop.ui.helm_import_dialog import HelmImportDialog

            helm = HelmImportDialog(Path.home() / ".config" / "helm" / "repositories.yaml", window)
            helm.open()
            helm.start(3)
            helm.add_outcome(ImportOutcome("bitnami", "https://charts.bitnami.com/bitnami", "imported", "312 charts"))
            helm.add_outcome(ImportOutcome("stable", "https://charts.example/stable", "skipped", "already registered"))
            helm.add_outcome(
                ImportOutcome(
                    "internal",
                    "https://charts.internal.example",
                    "failed",
                    "The server's certificate is not trusted: add its CA certificate.",
                )
            )
            helm.finish()
            save(helm, "helm-import")
            helm.reject()
            export = window.bundle_actions.open_export()
            for item in export.registry_list.findItems("rancher", Qt.MatchFlag.MatchExactly):
                item.setCheckState(Qt.CheckState.Checked)
            export.profile_list.item(0).setCheckState(Qt.CheckState.Checked)  # edge-platform
            export.charts_combo.setCurrentIndex(export.charts_combo.findData("latest"))
            export.estimate()
            _wait(app, lambda: export.estimate_label.text().startswith("About") and export.plan is not None)
            _settle(app, 10)
            save(export, "bundle-export")
            export.close()
            importer = window.bundle_actions.open_import(_site_bundle(Path(temp)))
            _wait(app, importer.import_button.isEnabled, 30)
            save(importer, "bundle-import")
            importer.close()
            window.about_action.trigger()
            about = next(w for w in app.topLevelWidgets() if w.isVisible() and w.windowTitle() == "About Chartkeeper")
            save(about, "about")
            about.close()
        running.shut_down()
        for server in (rancher, big, flaky, mirror):
            server.stop()


def shoot_walkthrough(output: Path, tag: str) -> None:
    """Issue 22's states on the real display this runs on (Xvfb with a window manager): the registries
    tab after a bundle import, the Profile editor showing the imported profile, and Search All Charts
    finding which registry holds db2. The window fills the screen (QT_SCALE_FACTOR=2 halves it)."""
    from PySide6.QtWidgets import QApplication

    from desktop.app import build_app, create_application
    from desktop.cancellation import CancelToken
    from desktop.paths import AppPaths
    from desktop.registry import RegistryDraft
    from tests.support.charts import chart_archive, publish_charts
    from tests.support.repo_server import RepoServer

    app = create_application()
    import asyncio

    import qasync

    asyncio.set_event_loop(qasync.QEventLoop(app, already_running=True))

    def save(widget: Any, name: str) -> None:
        _settle(app, 10)
        widget.grab().save(str(output / f"{name}-{tag}.png"))

    with tempfile.TemporaryDirectory() as temp:
        rancher = RepoServer().start()
        _publish_rancher(rancher)
        ibm = RepoServer().start()
        publish_charts(
            ibm,
            {
                "ibm-db2": {"1.0.0-20231006.132342.ab12cd3": chart_archive("ibm-db2", "1.0.0-20231006.132342.ab12cd3")},
                "db2u-operator": {"110509.0.0": chart_archive("db2u-operator", "110509.0.0")},
            },
        )
        openfaas = RepoServer().start()
        publish_charts(openfaas, {"openfaas": {"14.2.34": chart_archive("openfaas", "14.2.34")}})
        bundle = _site_bundle(Path(temp))
        running = build_app(AppPaths.under(Path(temp) / "home").ensure(), schedule=False)
        worker = running.context.worker
        for name, server, path in (("rancher", rancher, ""), ("ibm-charts", ibm, ""), ("openfaas", openfaas, "")):
            worker.register(RegistryDraft(name, server.url + path), CancelToken()).future.result(60)
        window = running.window
        screen = QApplication.primaryScreen().availableGeometry()
        width, _, height = tag.partition("x")
        wanted = (int(width), int(height)) if height else (screen.width(), screen.height())
        window.resize(min(wanted[0], screen.width()), min(wanted[1], screen.height()))
        window.show()
        _settle(app, 20)
        window.tabs.setCurrentIndex(2)  # imported while another tab shows, as in the walkthrough
        importer = window.bundle_actions.open_import(bundle)
        _wait(app, importer.import_button.isEnabled, 30)
        importer.import_button.click()
        _wait(app, lambda: importer.summary is not None, 30)
        save(importer, "walkthrough-import-done")
        importer.close()
        profiles = window.profile_editor_tab
        _wait(app, lambda: profiles.pane.profile is not None and profiles.pane.profile.name == "edge-site")
        save(window, "walkthrough-profile-editor")
        window.tabs.setCurrentIndex(1)
        save(window, "walkthrough-registries")
        search = window.open_catalog_search()
        search.prerelease_check.setChecked(True)  # IBM's long prerelease versions
        search.search_edit.setText("db2")
        _wait(app, lambda: "matching" in search.count_label.text())
        save(search, "walkthrough-search")
        search.reject()
        running.shut_down()
        for server in (rancher, ibm, openfaas):
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", type=Path)
    parser.add_argument("--variant", choices=sorted(VARIANTS))
    parser.add_argument(
        "--walkthrough",
        metavar="WIDTHxHEIGHT|hidpi",
        help="on the display it runs on (xvfb-run with openbox): issue 22's import, profile and search states",
    )
    args = parser.parse_args()
    args.output.mkdir(parents=True, exist_ok=True)
    if args.walkthrough:
        shoot_walkthrough(args.output, args.walkthrough)
        return
    if args.variant:
        shoot(args.output, args.variant)
        return
    for variant in ("light", "dark", "small"):
        subprocess.run(
            [sys.executable, "-m", "tests.bench.screenshots", str(args.output), "--variant", variant], check=True
        )
    print(f"saved to {args.output}")


if __name__ == "__main__":
    main()

"""One meaning of private: the Access column says whether a login is needed (never "Public" beside an
export's `isPrivate: true`), its tooltip says what the Palette export will say; and Add Helm Chart's
Private tab starts on the registry chosen there before in the session."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.app import RunningApp
from desktop.cancellation import CancelToken
from desktop.profiles.palette_export import registry_metadata
from desktop.profiles.registry_refs import RegistryRef, public_endpoint
from desktop.registry import Registry, RegistryDraft
from desktop.ui.add_chart_dialog import AddChartDialog
from desktop.ui.registry_model import ACCESS
from tests.support.charts import chart_archive, publish_charts
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]


def register(running: RunningApp, repo: RepoServer, name: str, **fields: object) -> Registry:
    draft = RegistryDraft(name, repo.url, **fields)  # type: ignore[arg-type]
    return running.context.worker.register(draft, CancelToken()).future.result(10).registry


def exported_private(registry: Registry) -> bool:
    ref = RegistryRef(
        registry.uid, registry.name, registry.kind, public_endpoint(registry.endpoint), registry.sync_enabled
    )
    return bool(registry_metadata(ref)["isPrivate"])


def test_access_and_the_palette_export_mean_one_thing(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    repo = make_repo()
    publish_charts(repo, {"db": {"1.0.0": chart_archive("db", "1.0.0")}})
    airgap = register(running_app, repo, "airgap", sync_enabled=False)
    stable = register(running_app, repo, "stable")
    tab = running_app.window.registries_tab
    model = tab.model
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=5000)
    rows = {model.summary(r).registry.name: r for r in range(2)}
    for registry in (airgap, stable):
        index = model.index(rows[registry.name], ACCESS)
        assert index.data() == "No login"  # not "Public", which read against isPrivate: true
        tip = index.data(Qt.ItemDataRole.ToolTipRole)
        assert f"isPrivate: {'true' if exported_private(registry) else 'false'}" in tip
    assert "Palette's protected mode" in model.index(rows["airgap"], ACCESS).data(Qt.ItemDataRole.ToolTipRole)


def test_the_private_tab_starts_on_the_registry_chosen_before(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    repo = make_repo()
    publish_charts(repo, {"db": {"1.0.0": chart_archive("db", "1.0.0")}})
    for name in ("alpha", "beta", "gamma"):
        register(running_app, repo, name, sync_enabled=False)
    first = AddChartDialog(running_app.context, running_app.window)
    assert first.registry_combo.currentData() == "alpha"  # nothing chosen yet: the first by name
    first.registry_combo.setCurrentIndex(first.registry_combo.findData("gamma"))
    first.reject()
    again = AddChartDialog(running_app.context, running_app.window)
    assert again.registry_combo.currentData() == "gamma"
    again.reject()

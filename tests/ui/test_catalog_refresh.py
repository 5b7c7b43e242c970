"""The window shows what changed the catalog without a relaunch: a bundle's profile appears in the
Profile editor once imported, and a change made by the `chartkeeper` CLI in another process shows in
every tab within the watch's interval (or at once when the window is activated)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.app import RunningApp
from desktop.catalog.db import open_catalog
from desktop.operations.bundle_export import ExportSelection, export_bundle
from desktop.operations.profiles import save_profile
from desktop.profiles.model import Layer, Profile
from desktop.registry import RegistryDraft
from desktop.secrets import CredentialStore
from desktop.ui.registry_model import ENDPOINT, LAST_SYNC, NAME, STATUS, SYNC
from tests.support.catalog_harness import CatalogHarness
from tests.support.charts import chart_archive, publish_charts
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]


def profile_names(running: RunningApp) -> list[str]:
    tab = running.window.profile_editor_tab
    return [tab.profile_list.item(i).text().split("  ")[0].lstrip("✗⚠ ") for i in range(tab.profile_list.count())]


@pytest.fixture
def profile_bundle(tmp_path: Path, make_repo: MakeRepo, credentials: CredentialStore) -> Path:
    """A bundle made by another catalog, holding registry beta and profile edge-observability."""
    repo = make_repo(host="127.0.0.2")
    publish_charts(repo, {"db": {"2.0.0": chart_archive("db", "2.0.0", values="size: 1\n")}})
    db = open_catalog(tmp_path / "other" / "catalog.sqlite3")
    try:
        engine = CatalogHarness(db, credentials)
        beta = engine.register(RegistryDraft("beta", repo.url)).registry
        layer = Layer(beta.uid, "beta", beta.endpoint, "db", "2.0.0", "db", 10, "size: 1\n")
        save_profile(engine.services, Profile(uid=str(uuid.uuid4()), name="edge-observability", layers=(layer,)))
        export_bundle(engine.services, tmp_path / "edge.tar", ExportSelection(charts="latest"))
    finally:
        db.close()
    repo.stop()
    return tmp_path / "edge.tar"


def test_an_imported_profile_shows_in_the_profile_editor_at_once(
    running_app: RunningApp, qtbot: QtBot, profile_bundle: Path
) -> None:
    window = running_app.window
    assert profile_names(running_app) == []
    dialog = window.bundle_actions.open_import(profile_bundle)
    qtbot.waitUntil(dialog.import_button.isEnabled, timeout=20000)
    window.catalog_watch.stop()  # the import's own announcement refreshes the tabs, not the watch
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.summary is not None, timeout=20000)
    assert "profile edge-observability: added" in dialog.report.toPlainText()
    qtbot.waitUntil(lambda: profile_names(running_app) == ["edge-observability"], timeout=5000)
    tab = window.profile_editor_tab
    assert tab.pane.profile is not None and tab.pane.profile.name == "edge-observability"
    assert tab.pane.layer_badges()[0].startswith("db 2.0.0")
    dialog.close()


def test_a_change_made_by_the_cli_in_another_process_shows_without_a_relaunch(
    running_app: RunningApp, qtbot: QtBot, run_cli: Callable[..., object], make_repo: MakeRepo
) -> None:
    window = running_app.window
    worker = running_app.context.worker
    worker.save_profile(Profile(uid=str(uuid.uuid4()), name="kept")).result(20)
    worker.save_profile(Profile(uid=str(uuid.uuid4()), name="scratch")).result(20)
    qtbot.waitUntil(lambda: profile_names(running_app) == ["kept", "scratch"], timeout=5000)

    done = run_cli("profile", "delete", "scratch")
    assert done.returncode == 0, done.stderr  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: profile_names(running_app) == ["kept"], timeout=6000)  # the 2 s watch

    repo = make_repo()
    publish_charts(repo, {"web": {"1.0.0": chart_archive("web", "1.0.0")}})
    window.catalog_watch.stop()  # now only the window's activation looks
    done = run_cli("registry", "add", "cli-made", repo.url)
    assert done.returncode == 0, done.stderr  # type: ignore[attr-defined]
    model = window.registries_tab.model
    assert model.rowCount() == 0
    assert window.catalog_watch.check()  # what activating the window runs
    assert [s.registry.name for s in model.summaries()] == ["cli-made"]
    assert not window.catalog_watch.check()  # nothing new: no second reload


@pytest.mark.parametrize("size", [(1024, 700), (1280, 800)])
def test_after_an_import_the_registries_table_fits_its_columns_and_says_where_the_snapshot_came_from(
    running_app: RunningApp, qtbot: QtBot, profile_bundle: Path, size: tuple[int, int]
) -> None:
    window = running_app.window
    window.resize(*size)
    window.tabs.setCurrentIndex(2)  # imported while the Profile editor shows: the table is fitted when shown
    dialog = window.bundle_actions.open_import(profile_bundle)
    qtbot.waitUntil(dialog.import_button.isEnabled, timeout=20000)
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.summary is not None, timeout=20000)
    dialog.close()
    tab = window.registries_tab
    model = tab.model
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=5000)
    window.tabs.setCurrentIndex(1)
    table, header = tab.table, tab.table.horizontalHeader()
    # Last synced says where the snapshot came from and when, not "never" beside "Snapshot from bundle".
    last = model.data(model.index(0, LAST_SYNC))
    assert last.startswith("bundle of ") and last != "never"
    assert "its snapshot came from bundle of" in model.data(model.index(0, LAST_SYNC), Qt.ItemDataRole.ToolTipRole)
    assert model.data(model.index(0, STATUS)).startswith("Snapshot from bundle of ")

    def fitted() -> bool:
        """The whole width used; the endpoint whole; and a column cut only when no other has room to spare."""
        widths = [header.sectionSize(c) for c in range(model.columnCount())]
        wants = {c: table.sizeHintForColumn(c) for c in (ENDPOINT, SYNC, STATUS)}
        cut = [c for c, want in wants.items() if header.sectionSize(c) < want]
        spare = [c for c, want in wants.items() if header.sectionSize(c) > want + 16]
        return sum(widths) >= table.viewport().width() - 2 and ENDPOINT not in cut and not (cut and spare)

    qtbot.waitUntil(fitted, timeout=3000)  # no third of the width left empty while the others are cut
    if size[0] >= 1280:
        assert all(header.sectionSize(c) >= table.sizeHintForColumn(c) for c in range(model.columnCount()))
    assert header.sectionSize(NAME) >= table.fontMetrics().horizontalAdvance("openfaas") + 20

"""The chart browser says who signed a version (issue 20 item 2): under its files, the Helm provenance
verdict of charts packaged and signed by the real Helm, served with their .prov."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytestqt.qtbot import QtBot

from desktop.app import RunningApp
from desktop.cancellation import CancelToken
from desktop.paths import AppPaths
from desktop.registry import RegistryDraft
from desktop.trust.keys import import_keys
from tests.support.repo_server import RepoServer
from tests.support.signed_charts import Site, build_site

MakeRepo = Callable[..., RepoServer]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return build_site(tmp_path_factory.mktemp("provenance"))


def test_the_browser_shows_each_versions_provenance(
    running_app: RunningApp, qtbot: QtBot, make_repo: MakeRepo, site: Site, app_paths: AppPaths
) -> None:
    repo = make_repo()
    for path, data in site.files.items():
        repo.put(path, data)
    import_keys(app_paths.trusted_keys, site.trusted)
    draft = RegistryDraft("r", repo.url)
    registry = running_app.context.worker.register(draft, CancelToken()).future.result(10).registry
    browser = running_app.window.registries_tab.open_browser(registry)
    details = browser.details
    details.show()
    details.show_chart(registry, "web")
    qtbot.waitUntil(lambda: details.versions_model.rowCount() == 6, timeout=5000)
    for version in ("1.0.0", "1.5.0", "1.3.0"):
        details.select_version(version)
        mark = "" if version == "1.0.0" else "⚠ "
        wanted = f"{mark}Provenance: {site.expected(version)}"
        qtbot.waitUntil(lambda wanted=wanted: details.provenance.text() == wanted, timeout=10000)  # type: ignore[misc]
        assert details.provenance.isVisible()
    browser.reject()

"""Tenant settings: validated as typed, saved on their own; Import from Helm from a real repositories.yaml."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml
from pytestqt.qtbot import QtBot

from desktop.app import RunningApp
from desktop.catalog.db import open_catalog
from desktop.catalog.registries import find_registry
from desktop.catalog.settings_store import load_settings
from desktop.secrets import CredentialStore
from tests.support.charts import simple_index
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]


def test_settings_save_as_typed_and_survive_a_restart(running_app: RunningApp, qtbot: QtBot) -> None:
    tab = running_app.window.settings_tab
    qtbot.keyClicks(tab.tenant_edit, "platform-team")
    tab.timeout_spin.setValue(45)
    tab.credentials_check.setChecked(True)
    qtbot.waitUntil(lambda: tab.saved_label.text() == "✓ Saved", timeout=5000)
    assert running_app.context.worker.settings.request_timeout_seconds == 45
    db = open_catalog(running_app.context.paths.catalog)
    saved = load_settings(db)
    db.close()
    assert (saved.tenant_name, saved.request_timeout_seconds, saved.credentials_to_other_hosts) == (
        "platform-team",
        45.0,
        True,
    )


def test_a_bad_proxy_is_shown_and_not_saved(running_app: RunningApp, qtbot: QtBot) -> None:
    tab = running_app.window.settings_tab
    qtbot.keyClicks(tab.proxy_edit, "not a url")
    assert "Give the proxy as a URL" in tab.proxy_error.text()
    assert tab.saved_label.text() == "Not saved: fix the proxy first."
    qtbot.wait(600)
    assert running_app.context.worker.settings.proxy == ""
    tab.proxy_edit.clear()
    qtbot.keyClicks(tab.proxy_edit, "http://proxy.example.com:3128")
    assert tab.proxy_error.isHidden()
    qtbot.waitUntil(lambda: running_app.context.worker.settings.proxy == "http://proxy.example.com:3128", timeout=5000)


def test_storage_facts_are_shown(running_app: RunningApp, qtbot: QtBot) -> None:
    tab = running_app.window.settings_tab
    assert tab.data_path.text() == str(running_app.context.paths.data_dir)
    qtbot.waitUntil(lambda: tab.keyring_label.text() != "…", timeout=5000)
    assert "SecretService" in tab.keyring_label.text()
    assert tab.size_label.text().endswith("KB") or tab.size_label.text().endswith("MB")


def test_import_from_helm_reports_each_repository(
    running_app: RunningApp,
    qtbot: QtBot,
    make_repo: MakeRepo,
    ca_file: Path,
    tmp_path: Path,
    credentials: CredentialStore,
) -> None:
    public = make_repo()
    public.put("/index.yaml", simple_index({"a": ["1.0.0"]}))
    private = make_repo(tls=True, auth=("helm-user", "helm-pass"))
    private.put("/charts/index.yaml", simple_index({"b": ["2.0.0", "2.1.0"]}))
    helm_config = tmp_path / "helm"
    helm_config.mkdir()
    (helm_config / "ca.crt").write_bytes(ca_file.read_bytes())
    repositories = helm_config / "repositories.yaml"
    repositories.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "",
                "generated": "0001-01-01T00:00:00Z",
                "repositories": [
                    {"name": "public", "url": public.url},
                    {
                        "name": "private",
                        "url": private.url + "/charts",
                        "username": "helm-user",
                        "password": "helm-pass",
                        "caFile": "ca.crt",
                        "insecure_skip_tls_verify": False,
                    },
                    {"name": "down", "url": "http://127.0.0.1:9"},
                    {"name": "oci-one", "url": "oci://registry.example.com/charts"},
                    {"name": "public", "url": public.url},
                ],
            }
        )
    )
    outcomes: list = []
    tab = running_app.window.settings_tab
    tab.import_from(repositories)
    qtbot.waitUntil(lambda: tab._import_dialog is not None and len(tab._import_dialog.outcomes) == 5, timeout=20000)
    outcomes = [(o.name, o.status) for o in tab._import_dialog.outcomes]
    assert outcomes == [
        ("public", "imported"),
        ("private", "imported"),
        ("down", "failed"),
        ("oci-one", "failed"),
        ("public", "skipped"),
    ]
    details = {o.name: o.detail for o in tab._import_dialog.outcomes}
    assert "Connection refused" in details["down"]
    assert "OCI registry" in details["oci-one"]
    assert "2 versions" in details["private"]
    qtbot.waitUntil(lambda: tab._import_dialog.heading.text().startswith("Done:"), timeout=5000)
    registry = find_registry(running_app.context.reader, "private")
    assert registry is not None and registry.username == "helm-user" and registry.ca_pem
    assert credentials.get_password(registry.uid) == "helm-pass"


def test_numbers_set_finer_than_a_field_shows_are_kept_when_another_setting_changes(
    running_app: RunningApp, qtbot: QtBot
) -> None:
    """The command line takes `settings set min_download_rate_kib 0.5`; the tab showed it as 0 in a
    whole-number field, and saving any other change wrote 0: the slow-download guard silently off."""
    from dataclasses import replace

    worker = running_app.context.worker
    worker.save_settings(replace(worker.settings, min_download_rate_kib=0.5, request_timeout_seconds=2.5)).result(10)
    tab = running_app.window.settings_tab
    tab._load()  # as the window opens after the command line changed them
    assert tab.min_rate_spin.text() == "0.5 KiB/s"
    qtbot.keyClicks(tab.tenant_edit, "edge")
    qtbot.waitUntil(lambda: worker.settings.tenant_name == "edge", timeout=5000)
    assert (worker.settings.min_download_rate_kib, worker.settings.request_timeout_seconds) == (0.5, 2.5)
    tab.timeout_spin.setValue(45)  # a field the user changes takes what it shows
    qtbot.waitUntil(lambda: worker.settings.request_timeout_seconds == 45.0, timeout=5000)
    assert worker.settings.min_download_rate_kib == 0.5

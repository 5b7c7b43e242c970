"""Tenant settings → Trust (issue 20): the trusted keys as `chartkeeper keys` keeps them — added from
a file made by the real gpg, listed with fingerprint and expiry, removed — and the bundle-signature
and chart-provenance rules saved as `settings set` saves them; Rendering's Kubernetes version
checked as the CLI checks it."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop.app import RunningApp
from desktop.trust.keys import trusted_keys
from tests.support.gpg_keys import make_key


def test_keys_are_added_listed_and_no_longer_trusted(running_app: RunningApp, qtbot: QtBot, tmp_path: Path) -> None:
    key = make_key(tmp_path / "gpg", "Site Signer <signer@example.com>")
    public = tmp_path / "signer.asc"
    public.write_bytes(key.public)
    tab = running_app.window.settings_tab
    running_app.window.tabs.setCurrentWidget(tab)  # the keys are read when the tab is first shown
    assert "No trusted keys yet" in tab.keys_status.text()
    tab.add_key(public)
    qtbot.waitUntil(lambda: tab.keys_list.count() == 1, timeout=10000)
    assert key.fingerprint in tab.keys_list.item(0).text() and "Site Signer" in tab.keys_list.item(0).text()
    assert [k.fingerprint for k in trusted_keys(running_app.context.paths.trusted_keys)] == [key.fingerprint]
    secret = tmp_path / "secret.asc"
    secret.write_bytes(key.secret)
    tab.add_key(secret)
    qtbot.waitUntil(lambda: tab.keys_status.text().startswith("Not imported:"), timeout=10000)
    assert "secret key" in tab.keys_status.text() and tab.keys_list.count() == 1
    tab.keys_list.setCurrentRow(0)
    assert tab.remove_key_button.isEnabled()
    tab.remove_key_button.click()
    assert (
        tab.keys_list.count() == 0 and tab.keys_status.text() == "No longer trusted: Site Signer <signer@example.com>."
    )


def test_trust_and_rendering_rules_are_saved(running_app: RunningApp, qtbot: QtBot) -> None:
    tab = running_app.window.settings_tab
    worker = running_app.context.worker
    tab.signatures_combo.setCurrentIndex(tab.signatures_combo.findData("require"))
    tab.provenance_combo.setCurrentIndex(tab.provenance_combo.findData("off"))
    qtbot.waitUntil(lambda: worker.settings.bundle_signatures == "require", timeout=10000)
    assert worker.settings.chart_provenance == "off"
    qtbot.keyClicks(tab.kube_edit, "x")
    tab.kube_edit.textEdited.emit(tab.kube_edit.text())
    assert tab.kube_error.isVisibleTo(tab) and tab.saved_label.text() == "Not saved: fix the Kubernetes version first."
    tab.kube_edit.setText("v1.29.4")
    tab.kube_edit.textEdited.emit("v1.29.4")
    qtbot.waitUntil(lambda: worker.settings.kube_version == "1.29.4", timeout=10000)

"""Tenant settings never hold or show a proxy password (the adversarial pass)."""

from __future__ import annotations

import pytest

from desktop.errors import ValidationError
from desktop.net.settings import environment_proxy
from desktop.settings import TenantSettings


def test_the_environments_proxy_is_shown_with_its_password_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://carol:hunter2@proxy.example:3128")
    shown, _ = environment_proxy()
    assert shown == "http://carol:***@proxy.example:3128"


def test_a_proxy_password_is_refused_and_a_user_name_alone_kept() -> None:
    with pytest.raises(ValidationError, match="HTTPS_PROXY") as refused:
        TenantSettings().with_value("proxy", "http://carol:hunter2@proxy.example:3128")
    assert "hunter2" not in str(refused.value)
    assert (
        TenantSettings().with_value("proxy", "http://carol@proxy.example:3128").proxy
        == "http://carol@proxy.example:3128"
    )
    stored = TenantSettings.from_mapping({"proxy": "http://carol:hunter2@proxy.example:3128"})
    assert stored.proxy == ""  # an earlier version's stored value is not used

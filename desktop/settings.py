"""Tenant settings: the tenant's name, sync interval, network rules and limits, with their defaults and
the one set of rules that both the window and `chartkeeper settings set` check values against."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from desktop.errors import ValidationError

# A sync (or bundle import) that would mark more than this share of a snapshot's versions removed is held.
DEFAULT_SHRINK_THRESHOLD_PERCENT = 25.0
# The Kubernetes version charts are rendered for when the tenant names none: a supported release.
DEFAULT_KUBE_VERSION = "1.31.0"


@dataclass(frozen=True)
class SettingRule:
    """What a setting means and which values it takes."""

    key: str
    label: str
    help: str
    low: float | None = None
    high: float | None = None
    unit: str = ""


SETTING_RULES: dict[str, SettingRule] = {
    rule.key: rule
    for rule in (
        SettingRule("tenant_name", "Tenant name", "the tenant this workstation builds profiles for"),
        SettingRule(
            "sync_interval_hours", "Synchronization interval", "how often registries sync", 1, 24 * 14, "hours"
        ),
        SettingRule("proxy", "HTTP(S) proxy", "a proxy URL such as http://proxy:3128; empty: from the environment"),
        SettingRule("no_proxy", "No proxy for", "comma-separated hosts reached without the proxy"),
        SettingRule(
            "request_timeout_seconds",
            "Request timeout",
            "bounds connecting, receiving the headers, and each read",
            1,
            600,
            "s",
        ),
        SettingRule(
            "min_download_rate_kib",
            "Slowest download accepted",
            "a download whose average rate stays below this (over one timeout) is abandoned",
            0,
            1024 * 1024,
            "KiB/s",
        ),
        SettingRule("max_index_mb", "Largest index accepted", "bigger indexes are refused", 1, 4000, "MB"),
        SettingRule(
            "shrink_threshold_percent",
            "Hold a sync that removes more than",
            "of a snapshot's versions at once (a truncated download?) until the user accepts it",
            0,
            100,
            "%",
        ),
        SettingRule(
            "credentials_to_other_hosts",
            "Credentials to other hosts",
            "send a registry's username and password to chart hosts other than its own (off, as in Helm 3.6.1+;"
            " a token never is)",
        ),
        SettingRule(
            "oci_versions_per_sync", "OCI versions per sync", "new versions of a chart read per OCI sync", 1, 100_000
        ),
        SettingRule(
            "kube_version",
            "Kubernetes version",
            "the cluster version charts are rendered for (.Capabilities.KubeVersion), such as 1.31.0",
        ),
        SettingRule(
            "render_timeout_seconds",
            "Render time limit",
            "a chart whose templates take longer to render is stopped",
            1,
            3600,
            "s",
        ),
        SettingRule(
            "render_memory_mb",
            "Render memory limit",
            "a chart whose templates need more memory to render is stopped",
            256,
            64 * 1024,
            "MB",
        ),
        SettingRule(
            "bundle_signatures",
            "Bundle signatures",
            "off | report (say who signed a bundle) | require (import only bundles a trusted key signed)",
        ),
        SettingRule(
            "chart_provenance",
            "Chart provenance",
            "off | report (say who signed a chart's .prov) | require (keep, use and bundle only charts a"
            " trusted key signed)",
        ),
        SettingRule(
            "image_platforms",
            "Image platforms",
            "the platforms of multi-platform images a bundle carries, such as linux/amd64,linux/arm64",
        ),
        SettingRule(
            "oci_requests_per_sync",
            "OCI requests per sync",
            "requests one OCI sync may make (listings, manifests, metadata): a registry whose listings"
            " never end is stopped there",
            100,
            10_000_000,
        ),
    )
}


@dataclass(frozen=True)
class TenantSettings:
    tenant_name: str = ""
    sync_interval_hours: float = 24.0
    proxy: str = ""  # empty: whatever HTTP(S)_PROXY says, read when a request is made
    no_proxy: str = ""
    request_timeout_seconds: float = 30.0
    min_download_rate_kib: float = 1.0
    credentials_to_other_hosts: bool = False
    max_index_mb: float = 100.0
    shrink_threshold_percent: float = DEFAULT_SHRINK_THRESHOLD_PERCENT
    oci_versions_per_sync: int = 50
    kube_version: str = DEFAULT_KUBE_VERSION
    render_timeout_seconds: float = 60.0
    render_memory_mb: int = 1024
    oci_requests_per_sync: int = 100_000
    bundle_signatures: str = "report"
    chart_provenance: str = "report"
    image_platforms: str = "linux/amd64"

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> TenantSettings:
        """Stored values; a hand-edited or damaged one falls back to its default."""
        settings = cls()
        for name, value in values.items():
            if name not in SETTING_RULES:
                continue
            try:
                settings = settings.with_value(name, value)
            except ValidationError:
                continue
        return settings

    def as_mapping(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def sync_interval_seconds(self) -> float:
        return self.sync_interval_hours * 3600

    def with_value(self, key: str, value: Any) -> TenantSettings:
        """A copy with one setting changed, the value checked (text as typed on a command line, or
        the stored type); raises ValidationError saying what the setting takes."""
        rule = SETTING_RULES.get(key)
        if rule is None:
            raise ValidationError(f"'{key}' is not a setting: use one of {', '.join(SETTING_RULES)}.")
        default = getattr(TenantSettings(), key)
        return replace(self, **{key: _checked(rule, type(default), value)})


_TRUE = {"true", "yes", "on", "1"}
_CHOICES = {"bundle_signatures": ("off", "report", "require"), "chart_provenance": ("off", "report", "require")}
_KUBE_VERSION = re.compile(r"v?[0-9]{1,3}\.[0-9]{1,4}(\.[0-9]{1,6})?")
_FALSE = {"false", "no", "off", "0"}
_PLATFORM = re.compile(r"[a-z0-9]+/[a-z0-9]+(/[a-z0-9]+)?")


def _checked(rule: SettingRule, kind: type, value: Any) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise ValidationError(f"{rule.label} is on or off: give true or false.")
    if kind is str:
        if not isinstance(value, str):
            raise ValidationError(f"{rule.label} is text.")
        text = value.strip()
        if len(text) > 2000 or any(ord(ch) < 32 for ch in text):
            raise ValidationError(f"{rule.label} must be one line of at most 2,000 characters.")
        if rule.key == "proxy" and text:
            problem = proxy_problem(text)
            if problem:
                raise ValidationError(problem)
        if rule.key in _CHOICES:
            if text.lower() not in _CHOICES[rule.key]:
                raise ValidationError(f"{rule.label} is one of {', '.join(_CHOICES[rule.key])}.")
            return text.lower()
        if rule.key == "image_platforms":
            platforms = [part.strip() for part in text.split(",") if part.strip()]
            if not platforms or not all(_PLATFORM.fullmatch(part) for part in platforms):
                raise ValidationError(f"{rule.label} are OS/ARCH[/VARIANT], comma-separated, such as linux/amd64.")
            return ",".join(platforms)
        if rule.key == "kube_version":
            if not _KUBE_VERSION.fullmatch(text):
                raise ValidationError(f"{rule.label} is a version such as 1.31.0.")
            return text.removeprefix("v")
        return text
    number = _number(rule, value, integer=kind is int)
    if (rule.low is not None and number < rule.low) or (rule.high is not None and number > rule.high):
        unit = f" {rule.unit}" if rule.unit else ""
        raise ValidationError(f"{rule.label} must be between {rule.low:g} and {rule.high:g}{unit}.")
    return number


def _number(rule: SettingRule, value: Any, *, integer: bool) -> float | int:
    if isinstance(value, bool):
        raise ValidationError(f"{rule.label} is a number.")
    try:
        number = float(str(value).strip()) if not isinstance(value, int | float) else float(value)
    except (ValueError, OverflowError):
        raise ValidationError(f"{rule.label} is a number{f' of {rule.unit}' if rule.unit else ''}.") from None
    if not math.isfinite(number):
        raise ValidationError(f"{rule.label} must be a finite number.")
    if integer:
        if number != int(number):
            raise ValidationError(f"{rule.label} is a whole number.")
        return int(number)
    return number


def proxy_problem(proxy: str) -> str | None:
    """Why `proxy` is not a proxy URL, or None."""
    try:
        parts = urlsplit(proxy)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return "Give the proxy as a URL, such as http://proxy.example.com:3128."
    if parts.scheme not in ("http", "https", "socks5", "socks5h") or not parts.hostname:
        return "Give the proxy as a URL, such as http://proxy.example.com:3128."
    if parts.password is not None:
        # Settings are kept in the catalog, where no password may go: passwords live in the keyring only.
        return (
            "A proxy password cannot be kept in the settings: give the proxy without user:password@, "
            "or set HTTPS_PROXY in the environment that starts Chartkeeper."
        )
    return None

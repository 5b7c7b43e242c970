"""Helm's own list of repositories (`helm repo add` writes it): where it lives and what it holds."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.errors import ValidationError
from desktop.files import read_text_file

MAX_FILE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class HelmRepository:
    name: str
    url: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    cert_file: str | None = None
    insecure_skip_tls_verify: bool = False


def default_repositories_file() -> Path:
    """Where Helm keeps it: $HELM_REPOSITORY_CONFIG, else Helm's configuration folder."""
    explicit = os.environ.get("HELM_REPOSITORY_CONFIG")
    if explicit:
        return Path(explicit)
    if os.environ.get("HELM_CONFIG_HOME"):
        return Path(os.environ["HELM_CONFIG_HOME"]) / "repositories.yaml"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Preferences" / "helm" / "repositories.yaml"
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home())) / "helm" / "repositories.yaml"
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "helm" / "repositories.yaml"


def read_repositories_file(path: Path) -> list[HelmRepository]:
    import yaml

    if not path.exists() and not path.is_symlink():
        raise ValidationError(f"{path} does not exist: Helm has no repositories there (run `helm repo list`).")
    text = read_text_file(path, MAX_FILE_BYTES, "Helm's repositories file")
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ValidationError(f"{path} is not valid YAML ({str(exc).splitlines()[0]}).") from None
    except RecursionError:
        raise ValidationError(f"{path} is nested too deeply to be Helm's repositories.yaml.") from None
    if not isinstance(document, dict) or not isinstance(document.get("repositories") or [], list):
        raise ValidationError(f"{path} is not Helm's repositories.yaml (no 'repositories' list).")
    return [_entry(item) for item in document.get("repositories") or [] if isinstance(item, dict) and item.get("name")]


def _entry(item: dict[str, Any]) -> HelmRepository:
    def text(key: str) -> str | None:
        value = item.get(key)
        return _scalar_text(value) if value not in (None, "") else None

    return HelmRepository(
        name=_scalar_text(item["name"]),
        url=text("url") or "",
        username=text("username"),
        password=text("password"),
        ca_file=text("caFile"),
        cert_file=text("certFile"),
        # Helm reads a boolean here and refuses anything else; a quoted 'false' must not turn checks off.
        insecure_skip_tls_verify=item.get("insecure_skip_tls_verify") is True,
    )


def _scalar_text(value: Any) -> str:
    """A field as text. A list or mapping is no value Helm's file holds there: it reads as a
    placeholder the checks then refuse — never str() of it, which an alias bomb turns into gigabytes."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value)
    return "(not text)"

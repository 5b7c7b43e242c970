"""A cluster profile as Palette has it: name, version, description, tags, and Helm chart layers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from desktop.errors import ValidationError
from desktop.helm.versions import parse_version

NAME_MAX = 64
DEFAULT_VERSION = "1.0.0"
DEFAULT_NAMESPACE = "default"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,62}")
_STRICT_VERSION = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?")


@dataclass(frozen=True)
class Layer:
    """One Helm chart in a profile. The registry is kept by its stable uid, with the name and
    endpoint it had when the layer was made (shown, and exported, if it is later removed)."""

    registry_uid: str
    registry_name: str
    registry_endpoint: str
    chart: str
    version: str
    namespace: str = DEFAULT_NAMESPACE
    install_priority: int = 0
    values_override: str = ""
    id: int | None = None


@dataclass(frozen=True)
class Profile:
    uid: str
    name: str
    version: str = DEFAULT_VERSION
    description: str = ""
    tags: tuple[str, ...] = ()
    layers: tuple[Layer, ...] = field(default=())
    id: int | None = None
    updated_at: float = 0.0


def validate_profile_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ValidationError("Give the profile a name.")
    if len(name) > NAME_MAX or not _NAME.fullmatch(name):
        raise ValidationError(
            f"'{name}' is not a valid profile name: use up to {NAME_MAX} letters, digits, '-', '_' and '.', "
            "starting with a letter or digit."
        )
    return name


def validate_profile_version(version: str) -> str:
    version = version.strip() or DEFAULT_VERSION
    if not _STRICT_VERSION.fullmatch(version):
        raise ValidationError(f"'{version}' is not a profile version: use MAJOR.MINOR.PATCH, such as 1.0.0.")
    return version


def validate_namespace(namespace: str) -> str:
    namespace = namespace.strip() or DEFAULT_NAMESPACE
    if len(namespace) > 63 or not _NAMESPACE.fullmatch(namespace):
        raise ValidationError(
            f"'{namespace}' is not a Kubernetes namespace: use up to 63 lowercase letters, digits and '-', "
            "starting and ending with a letter or digit."
        )
    return namespace


def validate_tags(tags: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    cleaned: list[str] = []
    for raw in tags:
        tag = raw.strip()
        if not tag:
            continue
        if not _TAG.fullmatch(tag):
            raise ValidationError(f"'{tag}' is not a valid tag: use letters, digits and . _ : / - (up to 63).")
        if tag not in cleaned:
            cleaned.append(tag)
    return tuple(cleaned)


def validate_layer_version(version: str) -> str:
    version = version.strip()
    if parse_version(version) is None:
        raise ValidationError(f"'{version}' is not a chart version (Helm needs SemVer, such as 1.2.3).")
    return version

"""The namespace a new layer suggests: the one its chart declares (Rancher's
`catalog.cattle.io/namespace` annotation, which Rancher's Apps install into), else the chart's name."""

from __future__ import annotations

import re
from typing import Any

from desktop.errors import ValidationError
from desktop.profiles.model import DEFAULT_NAMESPACE, validate_namespace

NAMESPACE_ANNOTATIONS = ("catalog.cattle.io/namespace",)
_NOT_IN_A_NAMESPACE = re.compile(r"[^a-z0-9-]+")


def suggested_namespace(chart: str, meta: dict[str, Any] | None) -> str:
    annotations = (meta or {}).get("annotations") or {}
    for key in NAMESPACE_ANNOTATIONS:
        value = annotations.get(key) if isinstance(annotations, dict) else None
        if isinstance(value, str) and value.strip():
            try:
                return validate_namespace(value)
            except ValidationError:
                continue  # a namespace Kubernetes would refuse: fall back to the chart's name
    return namespace_from_name(chart)


def namespace_from_name(name: str) -> str:
    """A chart name as a namespace: lowercase, other characters as '-', at most 63 characters."""
    candidate = _NOT_IN_A_NAMESPACE.sub("-", name.lower())[:63].strip("-")
    return candidate or DEFAULT_NAMESPACE

"""What `helm template` prints from a chart's rendered templates: Helm's manifest split, its install
order by kind, hooks after the manifests, each document under its `# Source:` line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

# Helm's releaseutil.InstallOrder: kinds installed in this order, unknown kinds after them by name.
INSTALL_ORDER = (
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
)
_RANK = {kind: rank for rank, kind in enumerate(INSTALL_ORDER)}
_SEPARATOR = re.compile(r"(?:^|\s*\n)---\s*")
HOOK_ANNOTATION = "helm.sh/hook"


# libyaml's loader when PyYAML has it (its wheels do): five times the pure-Python one on big charts.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Manifest:
    """One YAML document of a template's output, with what Helm reads of it, and its data."""

    source: str  # the template's path, as `# Source:` prints it
    content: str
    kind: str
    name: str
    hook: bool
    data: Any = field(default=None, compare=False, repr=False)


class ManifestError(ValueError):
    """A template's output is not YAML (Helm: 'YAML parse error on …')."""


def split_documents(text: str) -> list[str]:
    """Helm's SplitManifests: documents between `---` lines, trimmed, empty ones dropped."""
    return [doc.strip() for doc in _SEPARATOR.split(text.strip()) if doc.strip()]


def load_document(source: str, document: str) -> Any:
    try:
        return yaml.load(document, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise ManifestError(f"YAML parse error on {source}: {' '.join(str(exc).split())}") from None


def _head(data: Any) -> tuple[str, str, bool]:
    if not isinstance(data, dict):
        return "", "", False
    kind = data.get("kind")
    metadata = data.get("metadata")
    name, hook = "", False
    if isinstance(metadata, dict):
        name = str(metadata.get("name") or "")
        annotations = metadata.get("annotations")
        hook = isinstance(annotations, dict) and HOOK_ANNOTATION in annotations
    return (str(kind) if isinstance(kind, str) else ""), name, hook


def manifests(files: dict[str, str]) -> list[Manifest]:
    """Every document of every rendered template (partials and NOTES.txt left out), in the order
    `helm template` prints them: manifests by install order, then hooks by install order."""
    found: list[Manifest] = []
    for source in sorted(files):
        base = source.rsplit("/", 1)[-1]
        if base.startswith("_") or source.endswith("NOTES.txt") or not files[source].strip():
            continue
        for document in split_documents(files[source]):
            data = load_document(source, document)
            kind, name, hook = _head(data)
            found.append(Manifest(source, document, kind, name, hook, data))
    return sort_by_kind([m for m in found if not m.hook]) + sort_by_kind([m for m in found if m.hook])


def sort_by_kind(items: list[Manifest]) -> list[Manifest]:
    """Helm's stable sort by kind: known kinds by install order, then unknown kinds by name."""
    unknown = len(INSTALL_ORDER)
    return sorted(items, key=lambda m: (_RANK.get(m.kind, unknown), "" if m.kind in _RANK else m.kind))


def template_output(files: dict[str, str]) -> str:
    """The text `helm template` writes for these rendered templates."""
    return "".join(f"---\n# Source: {m.source}\n{m.content}\n" for m in manifests(files))

"""Profile exports written by hand for import tests — in the shape of Palette's import model
(palette-sdk-go's `v1ClusterProfileImportEntity`, `v1PackImportEntity`, `v1PackRegistryMetadata`),
of a real exported add-on profile (ML Ops: Palette packs and labels), and of Chartkeeper's older
exports — plus registries put straight into a catalog for them to match."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from desktop.catalog.db import transaction
from desktop.catalog.registries import find_registry_by_uid, insert_registry
from desktop.registry import Registry, RegistryDraft


def write_palette_export(path: Path, registry_name: str, endpoint: str, chart: str = "a", tag: str = "1.0.0") -> Path:
    """A one-layer profile named 'x' whose layer comes from `registry_name` at `endpoint`, as
    Chartkeeper 0.1 wrote its registries ({name, endpoint})."""
    pack = {"name": chart, "tag": tag, "registry": {"name": registry_name, "endpoint": endpoint}}
    path.write_text(json.dumps({"metadata": {"name": "x"}, "spec": {"template": {"packs": [pack]}}}))
    return path


def registry_metadata(name: str, kind: str = "helm", **fields: Any) -> dict[str, Any]:
    """`v1PackRegistryMetadata` as Palette writes it."""
    return {
        "uid": fields.pop("uid", "64f1c0ffee0123456789abcd"),
        "name": name,
        "kind": kind,
        "isPrivate": fields.pop("isPrivate", False),
        "providerType": fields.pop("providerType", "helm"),
        "isSyncSupported": fields.pop("isSyncSupported", True),
        **fields,
    }


def palette_pack(
    name: str, tag: str, registry: dict[str, Any], *, pack_type: str = "helm", values: str = "", **fields: Any
) -> dict[str, Any]:
    """`v1PackImportEntity`."""
    return {
        "name": name,
        "type": pack_type,
        "layer": fields.pop("layer", "addon"),
        "version": tag,
        "tag": tag,
        "values": values,
        "registry": {"metadata": registry},
        "manifests": fields.pop("manifests", []),
        **fields,
    }


def palette_export(
    name: str, packs: list[dict[str, Any]], *, labels: dict[str, str] | None = None, **fields: Any
) -> dict[str, Any]:
    """`v1ClusterProfileImportEntity`: metadata (name, description, labels) and spec (version,
    template {type, cloudType, packs}, variables)."""
    return {
        "metadata": {"name": name, "description": fields.pop("description", ""), "labels": labels or {}},
        "spec": {
            "version": fields.pop("version", "1.0.0"),
            "template": {"type": fields.pop("type", "add-on"), "cloudType": "all", "packs": packs},
            "variables": fields.pop("variables", []),
        },
    }


PUBLIC_REPO = registry_metadata("Public Repo", "pack", uid="5e2031962f090e2d3d8a3290", providerType="")


def ml_ops_export() -> dict[str, Any]:
    """The shape of a real exported add-on profile: a name with a space and capitals, a bare label,
    and only Palette packs (`type: spectro`, registry kind `pack`)."""
    values = 'pack:\n  namespace: "{ns}"\n  spectrocloud.com/install-priority: "0"\ncharts:\n  {name}:\n    a: 1\n'
    packs = [
        palette_pack(chart, version, PUBLIC_REPO, pack_type="spectro", values=values.format(ns=ns, name=chart))
        for chart, version, ns in (
            ("kubeflow", "1.2.0", "kubeflow-operator"),
            ("argo-cd", "3.26.7", "argocd"),
            ("istio", "1.6.2", "istio-system"),
        )
    ]
    return palette_export(
        "ML Ops",
        packs,
        labels={"AI": "spectro__tag"},
        description="Kubeflow and additional Scaffolding services:\nhttps://www.kubeflow.org/docs/started/architecture/",
    )


def chartkeeper_0_1_export(registry_name: str, endpoint: str, kind: str = "helm") -> dict[str, Any]:
    """What Chartkeeper 0.1 exported: tags as a list, each registry as {name, endpoint}."""
    return {
        "metadata": {"name": "edge", "description": "Edge sites", "tags": ["env:edge", "site"]},
        "spec": {
            "version": "2.0.0",
            "template": {
                "type": "add-on",
                "packs": [
                    {
                        "name": "web",
                        "tag": "1.0.0",
                        "version": "1.0.0",
                        "type": kind,
                        "layer": "addon",
                        "registry": {"name": registry_name, "endpoint": endpoint},
                        "values": 'pack:\n  namespace: web\n  spectrocloud.com/install-priority: "5"\n'
                        "# two replicas\nreplicaCount: 2\n",
                    }
                ],
            },
        },
    }


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def add_registry(db: sqlite3.Connection, name: str, endpoint: str, **fields: Any) -> Registry:
    """A registry row as registration leaves it (no network: for tests of what profiles do with it)."""
    kind = fields.pop("kind", "oci" if endpoint.startswith("oci://") else "helm")
    uid = os.urandom(16).hex()
    with transaction(db):
        insert_registry(db, RegistryDraft(name, endpoint, kind=kind, **fields), uid, time.time())
    registry = find_registry_by_uid(db, uid)
    assert registry is not None
    return registry


def add_snapshot(db: sqlite3.Connection, registry: Registry, versions: dict[str, list[str]]) -> None:
    """The registry's snapshot as a sync would write it: {'web': ['1.0.0']}."""
    from desktop.catalog.snapshots import write_snapshot
    from desktop.helm.index import parse_index
    from tests.support.charts import simple_index

    with transaction(db):
        write_snapshot(db, registry.id, parse_index(simple_index(versions)).charts)


def palette_variables() -> list[dict[str, Any]]:
    """`spec.variables` as Palette's API writes V1Variable (palette-sdk-go's models: fields in the
    struct's order, `description`, `displayName`, `format`, `inputType`, `regex` left out when empty,
    `options` null unless a dropdown's) — a sensitive default masked as Palette masks it."""
    return [
        {
            "defaultValue": "web.example.com",
            "description": "The host name the ingress answers",
            "displayName": "Ingress host",
            "format": "string",
            "hidden": False,
            "immutable": False,
            "inputType": "text",
            "isSensitive": False,
            "name": "ingress_host",
            "options": None,
            "regex": "^[a-z0-9.-]+$",
            "required": True,
        },
        {
            "defaultValue": "********",
            "displayName": "Database password",
            "format": "string",
            "hidden": False,
            "immutable": False,
            "inputType": "text",
            "isSensitive": True,
            "name": "db_password",
            "options": None,
            "required": True,
        },
        {
            "defaultValue": "3",
            "displayName": "Replicas",
            "format": "number",
            "hidden": False,
            "immutable": True,
            "inputType": "text",
            "isSensitive": False,
            "name": "replicas",
            "options": None,
            "required": False,
        },
        {
            "defaultValue": "",
            "displayName": "Size",
            "format": "string",
            "hidden": False,
            "immutable": False,
            "inputType": "dropdown",
            "isSensitive": False,
            "name": "size",
            "options": [
                {"default": False, "description": "for tests", "label": "Small", "value": "small"},
                {"default": True, "label": "Large", "value": "large"},
            ],
            "required": False,
        },
        {
            "defaultValue": "10.0.0.0/16",
            "displayName": "Pod network",
            "format": "ipv4cidr",
            "hidden": True,
            "immutable": False,
            "inputType": "text",
            "isSensitive": False,
            "name": "pod_cidr",
            "options": None,
            "required": False,
        },
        {
            "defaultValue": "line one\nline two",
            "displayName": "Banner",
            "format": "string",
            "hidden": False,
            "immutable": False,
            "inputType": "multiline",
            "isSensitive": False,
            "name": "banner",
            "options": None,
            "required": False,
        },
    ]

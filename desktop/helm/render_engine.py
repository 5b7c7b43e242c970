"""The one module that speaks to Helm's own engine (helm-python-sdk over libhelm_c): render a chart
archive offline, in the calling process — the render child, never the app itself."""

from __future__ import annotations

import json
from typing import Any


class EngineFailure(Exception):
    """The engine refused: `kind` is 'library', 'load', 'values' or 'render'; the message is Helm's."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def engine_versions() -> tuple[str, str]:
    """(libhelm_c's version, the Helm SDK's version), loading the library."""
    try:
        from helm_python import _native
    except Exception as exc:  # ImportError, or the library failing to load
        raise EngineFailure("library", _one_line(str(exc))) from None
    return _native.helm_c_version(), _native.helm_sdk_version()


def render_archive(
    archive: bytes,
    values_yaml: str,
    *,
    release_name: str,
    namespace: str,
    kube_version: str,
    api_versions: list[str],
) -> dict[str, Any]:
    """What `helm template` computes: `files`, every template's output by template path (the
    chart's defaults coalesced with `values_yaml`, read by Helm's own YAML reader and checked
    against the chart's values.schema.json; `.Capabilities` from `kube_version` and
    `api_versions`); `values`, the coalesced values; `charts`, the chart's and each loaded
    subchart's name, version and annotations; `images_lock`, the chart's Images.lock or None."""
    try:
        from helm_python import _native
        from helm_python.chart import Chart, values_from_yaml
        from helm_python.errors import HelmChartInvalidError, HelmChartLoadError, HelmError, HelmValuesError
    except Exception as exc:  # ImportError, or the library failing to load
        raise EngineFailure("library", _one_line(str(exc))) from None
    try:
        chart = Chart.load_archive(archive)
    except (HelmChartLoadError, HelmChartInvalidError) as exc:
        raise EngineFailure("load", _one_line(str(exc))) from None
    except HelmError as exc:
        raise EngineFailure("load", _one_line(str(exc))) from None
    with chart:
        try:
            values: dict[str, Any] | None = values_from_yaml(values_yaml) if values_yaml.strip() else None
        except HelmError as exc:
            raise EngineFailure("values", _one_line(str(exc))) from None
        options: dict[str, Any] = {
            "name": release_name,
            "namespace": namespace,
            "is_install": True,
            # Not in the Python wrapper's signature, but read by libhelm_c's render options (checked
            # against .Capabilities in tests/integration/test_render_helm.py).
            "kube_version": kube_version,
        }
        if api_versions:
            options["api_versions"] = api_versions
        try:
            rendered = _native.call_string(
                "helm_render", chart._raw(), None if values is None else json.dumps(values), json.dumps(options)
            )
        except HelmValuesError as exc:
            raise EngineFailure("values", _one_line(str(exc))) from None
        except HelmError as exc:
            raise EngineFailure("render", _one_line(str(exc))) from None
        try:
            merged = chart.merge_values(values)
            charts = [_chart_summary(chart.metadata)] + [_chart_summary(dep) for dep in chart.dependencies]
            lock = next((f["data"] for f in chart.files if f.get("name") == "Images.lock"), None)
        except HelmError as exc:
            raise EngineFailure("render", _one_line(str(exc))) from None
    return {"files": json.loads(rendered), "values": merged, "charts": charts, "images_lock": lock}


def _chart_summary(metadata: dict[str, Any]) -> dict[str, Any]:
    annotations = metadata.get("annotations")
    declared = metadata.get("dependencies")
    return {
        "name": str(metadata.get("name") or ""),
        "version": str(metadata.get("version") or ""),
        "annotations": annotations if isinstance(annotations, dict) else {},
        "dependencies": [
            str(dep.get("alias") or dep.get("name") or "") for dep in declared or [] if isinstance(dep, dict)
        ],
    }


def _one_line(text: str) -> str:
    return " ".join(text.split())

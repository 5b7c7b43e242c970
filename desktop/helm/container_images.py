"""The container images a rendered chart needs, each with every reason it is there: image fields of
the manifests (and image-naming args and env of their containers), the chart's image annotations,
image groups declared in its values, and its Images.lock."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from desktop.helm.image_refs import join_image, parse_image
from desktop.helm.manifest_order import manifests
from desktop.helm.rendering import ChartSummary, RenderedChart

IMAGE_ANNOTATIONS = ("artifacthub.io/images", "helm.sh/images")
ANNOTATION_MAX = 1024 * 1024
_IMAGE_FLAG = re.compile(r"--?[\w-]*image[\w-]*", re.IGNORECASE)  # `--engine-image X`, `--engine-image=X`
_IMAGE_KEY = re.compile(r"(?:[a-z0-9]+[A-Z_-])*[a-zA-Z0-9]*[iI]mage")  # `image`, `configReloaderImage`


@dataclass(frozen=True)
class ImageSource:
    """Why an image is needed: `kind` is rendered, annotation, values or lock; `where` says where;
    `chart` is the chart or subchart that named it (`epinio/charts/dex`)."""

    kind: str
    where: str
    chart: str

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "where": self.where, "chart": self.chart}


@dataclass
class FoundImage:
    image: str  # fully qualified
    as_written: str  # the first spelling found
    sources: list[ImageSource] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)  # `registry/chart@version` that need it

    def why(self) -> str:
        """Its kinds of reasons, counted: `rendered ×2, annotation, values`."""
        kinds: dict[str, int] = {}
        for source in self.sources:
            kinds[source.kind] = kinds.get(source.kind, 0) + 1
        return ", ".join(f"{kind} ×{count}" if count > 1 else kind for kind, count in kinds.items())

    def as_json(self) -> dict[str, Any]:
        return {
            "image": self.image,
            "as_written": self.as_written,
            "charts": self.charts,
            "sources": [source.as_json() for source in self.sources],
        }


class ImageSet:
    """Images by their fully qualified reference, in the order first found."""

    def __init__(self) -> None:
        self._found: dict[str, FoundImage] = {}

    def add(self, written: str, source: ImageSource, chart_label: str = "") -> bool:
        ref = parse_image(written)
        if ref is None:
            return False
        key = str(ref)
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = FoundImage(key, written.strip())
        if source not in found.sources:
            found.sources.append(source)
        if chart_label and chart_label not in found.charts:
            found.charts.append(chart_label)
        return True

    def merge(self, other: ImageSet) -> None:
        for found in other:
            mine = self._found.setdefault(found.image, FoundImage(found.image, found.as_written))
            mine.sources.extend(source for source in found.sources if source not in mine.sources)
            mine.charts.extend(label for label in found.charts if label not in mine.charts)

    def __iter__(self) -> Iterator[FoundImage]:
        return iter(sorted(self._found.values(), key=lambda found: found.image))

    def __len__(self) -> int:
        return len(self._found)

    def __contains__(self, image: object) -> bool:
        if not isinstance(image, str):
            return False
        ref = parse_image(image)
        return ref is not None and str(ref) in self._found

    def references(self) -> list[str]:
        return [found.image for found in self]


def images_of(rendered: RenderedChart, chart_label: str = "") -> ImageSet:
    """Every image the rendered chart names, with its reasons."""
    found = ImageSet()
    rendered_charts = _charts_that_rendered(rendered)
    for manifest in manifests(rendered.files):
        data = manifest.data
        where = f"{manifest.source}: {manifest.kind or 'document'}/{manifest.name or '?'}"
        chart = _chart_of_template(manifest.source, rendered.charts)
        for path, written in _manifest_images(data, workload=manifest.kind in _WORKLOAD_KINDS):
            found.add(written, ImageSource("rendered", f"{where} {path}", chart), chart_label)
    for summary in rendered.charts:
        if summary.path not in rendered_charts:
            continue
        for key in IMAGE_ANNOTATIONS:
            for written, label in _annotation_images(summary.annotations.get(key, "")):
                where = f"{key}: {label}" if label else key
                found.add(written, ImageSource("annotation", where, summary.path), chart_label)
    for path, written, chart in _values_images(rendered.values, rendered.charts, rendered_charts):
        found.add(written, ImageSource("values", path, chart), chart_label)
    top = rendered.charts[0].path if rendered.charts else ""
    for where, written in _lock_images(rendered.images_lock):
        found.add(written, ImageSource("lock", where, top), chart_label)
    return found


_WORKLOAD_KINDS = frozenset(
    {"Pod", "Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "ReplicationController", "Job", "CronJob"}
)


def _charts_that_rendered(rendered: RenderedChart) -> set[str]:
    """The chart, and the subcharts whose templates gave output (a disabled subchart gives none)."""
    done = {summary.path for summary in rendered.charts[:1]}
    for source, text in rendered.files.items():
        if text.strip() and not source.endswith("NOTES.txt"):
            done.add(_chart_of_template(source, rendered.charts))
    return done


def _chart_of_template(source: str, charts: tuple[ChartSummary, ...]) -> str:
    """`epinio/charts/dex/templates/x.yaml` → `epinio/charts/dex`."""
    head, marker, _ = source.rpartition("/templates/")
    return head if marker else (charts[0].path if charts else "")


def _manifest_images(node: Any, *, workload: bool, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, reference) for every image field: `image` keys anywhere (a string, or a group of
    registry/repository/tag/digest), `…Image` keys of custom resources, and the args and env of
    containers that name an image (`--engine-image X`, `CSI_ATTACHER_IMAGE`)."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and (key == "image" or (not workload and _IMAGE_KEY.fullmatch(key))):
                if isinstance(value, str):
                    if key == "image" or _has_version(value):
                        yield here, value
                    continue
                if isinstance(value, dict) and isinstance(value.get("repository"), str):
                    yield here, _joined(value, "")
                    continue
            if key in {"args", "command"}:
                yield from _argument_images(value, here)
            elif key == "env" and isinstance(value, list):
                for item in value:
                    if (
                        isinstance(item, dict)
                        and isinstance(item.get("value"), str)
                        and "IMAGE" in str(item.get("name", "")).upper()
                        and _has_version(item["value"])
                    ):
                        yield f"{here}[{item.get('name')}]", item["value"]
            else:
                yield from _manifest_images(value, workload=workload, path=here)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            label = item.get("name") if isinstance(item, dict) and isinstance(item.get("name"), str) else index
            yield from _manifest_images(item, workload=workload, path=f"{path}[{label}]")


def _argument_images(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if not isinstance(value, list):
        return
    words = [str(item) for item in value if isinstance(item, str | int | float)]
    for index, word in enumerate(words):
        flag, equals, rest = word.partition("=")
        if not _IMAGE_FLAG.fullmatch(flag):
            continue
        candidate = rest if equals else (words[index + 1] if index + 1 < len(words) else "")
        candidate = candidate.strip().strip("'\"")
        if _has_version(candidate):
            yield f"{path} {flag}", candidate


def _has_version(text: str) -> bool:
    """A reference that names its tag or digest (`x/y:1.2`, `y@sha256:…`): the careful pattern for
    fields that are not plainly `image`."""
    text = text.strip()
    last = text.rsplit("/", 1)[-1]
    return parse_image(text) is not None and (":" in last or "@" in last)


def _scalar(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if isinstance(value, str | int | float) else ""


def _joined(group: dict[str, Any], registry: str) -> str:
    return join_image(
        _scalar(group.get("registry")) or registry,
        _scalar(group.get("repository")),
        _scalar(group.get("tag")),
        _scalar(group.get("digest")),
    )


def _values_images(
    values: dict[str, Any], charts: tuple[ChartSummary, ...], rendered_charts: set[str]
) -> Iterator[tuple[str, str, str]]:
    """(key path, reference, chart) for image groups in the values: a mapping with a
    `repository` and a `tag` or `digest` (Longhorn's `image.longhorn.engine`), or with a
    `repository` under a key naming an image; an `image` string with a tag. Values of
    subcharts that did not render are left out."""
    top = charts[0].path if charts else ""
    subcharts = {summary.name: summary.path for summary in charts[1:]}
    if charts:  # a declared subchart that is off is not loaded, but its values are still there
        subcharts.update({name: f"{top}/charts/{name}" for name in charts[0].dependencies if name not in subcharts})
    for key, value in values.items():
        if key == "global":
            continue
        chart = subcharts.get(str(key), top)
        if chart not in rendered_charts:
            continue
        yield from ((path, ref, chart) for path, ref in _value_groups(value, str(key), under_image=False, depth=0))


def _value_groups(node: Any, path: str, *, under_image: bool, depth: int) -> Iterator[tuple[str, str]]:
    if depth > 40:
        return
    name = path.rsplit(".", 1)[-1]
    naming_image = under_image or "image" in name.lower()
    if isinstance(node, dict):
        repository = node.get("repository")
        versioned = bool(_scalar(node.get("tag")) or _scalar(node.get("digest")))
        if isinstance(repository, str) and repository.strip() and (versioned or naming_image):
            yield path, _joined(node, "")
            return
        for key, value in node.items():
            yield from _value_groups(value, f"{path}.{key}", under_image=naming_image, depth=depth + 1)
    elif isinstance(node, str) and name == "image" and _has_version(node):
        yield path, node
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _value_groups(item, f"{path}[{index}]", under_image=naming_image, depth=depth + 1)


def _annotation_images(text: str) -> Iterator[tuple[str, str]]:
    """(reference, its name) from an `artifacthub.io/images` list (`- name: x` / `image: y`)."""
    if not text or len(text) > ANNOTATION_MAX:
        return
    try:
        entries = yaml.safe_load(text)
    except yaml.YAMLError:
        return
    if not isinstance(entries, list):
        return
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("image"), str):
            yield entry["image"], _scalar(entry.get("name"))
        elif isinstance(entry, str):
            yield entry, ""


def _lock_images(text: str | None) -> Iterator[tuple[str, str]]:
    """(where, reference) from an Images.lock (`images: - name, image, digests`)."""
    if not text or len(text) > ANNOTATION_MAX:
        return
    try:
        lock = yaml.safe_load(text)
    except yaml.YAMLError:
        return
    images = lock.get("images") if isinstance(lock, dict) else None
    if not isinstance(images, list):
        return
    for index, entry in enumerate(images):
        if isinstance(entry, dict) and isinstance(entry.get("image"), str):
            label = _scalar(entry.get("name")) or str(index)
            yield f"Images.lock: images[{label}]", entry["image"]

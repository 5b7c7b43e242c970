"""Rendering a chart version, or every layer of a profile, with Helm's engine from the kept archives,
and the container images they need: the user actions behind `render`, `images` and the layer's
Manifests and Images."""

from __future__ import annotations

import os
import queue
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from desktop.cancellation import CancelToken
from desktop.catalog.profiles import layer_source
from desktop.catalog.registries import get_registry_by_id
from desktop.errors import NetworkError, UserError
from desktop.helm.container_images import ImageSet, images_of
from desktop.helm.manifest_order import ManifestError, template_output
from desktop.helm.rendering import RenderChild, RenderedChart, RenderError, RenderLimits, RenderRequest, render_chart
from desktop.operations.chart_files import chart_archive
from desktop.operations.services import Services
from desktop.profiles.model import Layer, Profile, ProfileVariable, release_names
from desktop.profiles.variables import Substitution, substitute_variables
from desktop.settings import TenantSettings


def render_limits(settings: TenantSettings) -> RenderLimits:
    return RenderLimits(seconds=settings.render_timeout_seconds, memory_mb=settings.render_memory_mb)


def kept_archive(
    services: Services, registry_id: int, chart: str, version: str, *, cancel: CancelToken | None = None
) -> bytes:
    """The version's archive, from the cache or its registry; offline and not kept, one line
    saying how to keep it."""
    try:
        return chart_archive(services, registry_id, chart, version, cancel=cancel)
    except NetworkError as exc:
        registry = services.catalog(get_registry_by_id, registry_id)
        raise NetworkError(
            f"{registry.name}/{chart} {version} is not kept offline and its registry cannot be reached "
            f"({exc.message}); while connected, keep it with: "
            f"chartkeeper pin {registry.name}/{chart} --version {version}"
        ) from None


def render_version(
    services: Services,
    registry_id: int,
    chart: str,
    version: str,
    request: RenderRequest,
    *,
    cancel: CancelToken | None = None,
) -> RenderedChart:
    archive = kept_archive(services, registry_id, chart, version, cancel=cancel)
    try:
        return render_chart(archive, request, render_limits(services.settings), cancel=cancel)
    except RenderError as exc:
        raise RenderError(exc.kind, f"{chart} {version} did not render: {exc.message}") from None


@dataclass(frozen=True)
class LayerRender:
    """One layer's rendering: the manifests, or the one line saying why there are none."""

    layer: Layer
    release: str
    label: str  # registry/chart@version
    rendered: RenderedChart | None = None
    error: UserError | None = None
    notes: tuple[str, ...] = ()  # how profile variables were substituted

    def images(self) -> ImageSet:
        return images_of(self.rendered, self.label) if self.rendered is not None else ImageSet()


def layer_request(
    layer: Layer,
    release: str,
    settings: TenantSettings,
    variables: Sequence[ProfileVariable] = (),
    test_values: Mapping[str, str] | None = None,
) -> tuple[RenderRequest, Substitution]:
    """The layer's render request, its values with the profile's variables substituted (each its
    default, or the test value set); the substitution says how, and what it could not substitute."""
    substitution = substitute_variables(layer.values_override, variables, test_values)
    request = RenderRequest(
        release_name=release,
        namespace=layer.namespace,
        values_yaml=substitution.text,
        kube_version=settings.kube_version,
    )
    return request, substitution


@dataclass(frozen=True)
class _LayerJob:
    layer: Layer
    release: str
    label: str
    archive: bytes | None = None
    error: UserError | None = None
    variables: tuple[ProfileVariable, ...] = ()
    test_values: Mapping[str, str] | None = None


def _prepare_layer(services: Services, layer: Layer, release: str, cancel: CancelToken | None) -> _LayerJob:
    """The layer's registry and archive, found on the catalog (in the calling thread)."""
    source = services.catalog(layer_source, layer)
    label = f"{layer.registry_name}/{layer.chart}@{layer.version}"
    if source.registry is None:
        gone = UserError(f"the registry {layer.registry_name} of layer {layer.chart} was removed from Chartkeeper.")
        return _LayerJob(layer, release, label, error=gone)
    label = f"{source.registry.name}/{layer.chart}@{layer.version}"
    try:
        archive = kept_archive(services, source.registry.id, layer.chart, layer.version, cancel=cancel)
    except UserError as exc:
        return _LayerJob(layer, release, label, error=exc)
    return _LayerJob(layer, release, label, archive=archive)


def _render_job(
    job: _LayerJob, settings: TenantSettings, cancel: CancelToken | None, warm: queue.SimpleQueue[RenderChild]
) -> LayerRender:
    if job.archive is None:
        return LayerRender(job.layer, job.release, job.label, error=job.error)
    request, substitution = layer_request(job.layer, job.release, settings, job.variables, job.test_values)
    notes = tuple(substitution.notes)
    if substitution.problems:
        first = substitution.problems[0]
        more = f" ({len(substitution.problems) - 1} more)" if len(substitution.problems) > 1 else ""
        problem = UserError(f"its values cannot be rendered: {first}{more}.")
        return LayerRender(job.layer, job.release, job.label, error=problem, notes=notes)
    try:
        try:
            child = warm.get_nowait()  # started while the archives were looked for
        except queue.Empty:
            child = RenderChild(render_limits(settings))
        try:
            rendered = child.render(job.archive, request, cancel=cancel)
        finally:
            child.close()
    except RenderError as exc:
        failure = RenderError(exc.kind, f"{job.layer.chart} {job.layer.version} did not render: {exc.message}")
        return LayerRender(job.layer, job.release, job.label, error=failure, notes=notes)
    except UserError as exc:
        return LayerRender(job.layer, job.release, job.label, error=exc, notes=notes)
    return LayerRender(job.layer, job.release, job.label, rendered=rendered, notes=notes)


def render_profile(
    services: Services,
    profile: Profile,
    *,
    only_chart: str | None = None,
    test_values: Mapping[str, str] | None = None,
    cancel: CancelToken | None = None,
    started: list[RenderChild] | None = None,
) -> list[LayerRender]:
    """Every layer rendered with its own values (the profile's variables substituted: each its
    default, or the test value set), namespace and release name, in the layers' order; the archives
    are found first (the catalog is read in this thread), then the children run side by side, one
    per core. A layer that fails says why (a name no variable has, at its line) and the rest go on."""
    pairs = list(zip(profile.layers, release_names(profile.layers), strict=True))
    if only_chart is not None:
        pairs = [(layer, release) for layer, release in pairs if only_chart in (layer.chart, release)]
        if not pairs:
            names = ", ".join(layer.chart for layer in profile.layers) or "none"
            raise UserError(f"The profile {profile.name} has no layer {only_chart} (its layers: {names}).")
    return _render_pairs(services, pairs, profile, test_values, cancel, started)


def start_children(settings: TenantSettings) -> list[RenderChild]:
    """Render children started ahead, one per core: a command that will render starts them first,
    so that Helm's engine loads (a tenth of a second) while it reads its catalog."""
    return [RenderChild(render_limits(settings)) for _ in range(os.cpu_count() or 1)]


def _render_pairs(
    services: Services,
    pairs: list[tuple[Layer, str]],
    profile: Profile,
    test_values: Mapping[str, str] | None,
    cancel: CancelToken | None,
    started: list[RenderChild] | None = None,
) -> list[LayerRender]:
    settings = services.settings
    workers = max(1, min(len(pairs), os.cpu_count() or 1))
    warm: queue.SimpleQueue[RenderChild] = queue.SimpleQueue()
    for child in started or []:
        warm.put(child)
    try:
        for _ in range(workers - warm.qsize()):  # each loads Helm's engine while the archives are found
            warm.put(RenderChild(render_limits(settings)))
        jobs = [
            replace(
                _prepare_layer(services, layer, release, cancel), variables=profile.variables, test_values=test_values
            )
            for layer, release in pairs
        ]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="render") as pool:
            return list(pool.map(lambda job: _render_job(job, settings, cancel, warm), jobs))
    finally:
        while not warm.empty():  # not needed: a layer failed before its render
            warm.get_nowait().close()


@dataclass(frozen=True)
class LayerOutput:
    """A layer as the window shows it: its manifests as `helm template` prints them and its images,
    or the one line saying why there are none."""

    render: LayerRender
    manifests: str = ""
    images: ImageSet = field(default_factory=ImageSet)
    error: str | None = None


def layer_output(render: LayerRender) -> LayerOutput:
    """The manifests' text and the images of a layer's rendering (the costly part after the child)."""
    if render.rendered is None:
        return LayerOutput(render, error=str(render.error or "the layer did not render"))
    try:
        return LayerOutput(render, template_output(render.rendered.files), render.images())
    except ManifestError as exc:
        return LayerOutput(render, error=f"{render.layer.chart} {render.layer.version}: {exc}")


def render_layers(
    services: Services,
    profile: Profile,
    rows: list[int],
    *,
    cancel: CancelToken | None = None,
    test_values: Mapping[str, str] | None = None,
) -> list[LayerOutput]:
    """The profile's layers at `rows`, each rendered with its own values (the profile's variables
    substituted: each its default, or the test value set), namespace and the release name the
    profile gives it, with their manifests' text and images (a layer being edited)."""
    releases = release_names(profile.layers)
    pairs = [(profile.layers[row], releases[row]) for row in rows]
    return [layer_output(render) for render in _render_pairs(services, pairs, profile, test_values, cancel)]


def profile_images(layers: list[LayerRender]) -> ImageSet:
    """The images of every layer that rendered, each with the layers that need it."""
    found = ImageSet()
    for layer in layers:
        found.merge(layer.images())
    return found

"""`chartkeeper images` and `chartkeeper render`: the container images a chart version or a profile
needs, each with its reasons, and the manifests as `helm template` prints them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.cli.context import Context
from desktop.cli.exit_codes import EXIT_ERROR, EXIT_OK
from desktop.errors import ValidationError

if TYPE_CHECKING:
    from desktop.helm.container_images import ImageSet
    from desktop.operations.chart_render import LayerRender
    from desktop.settings import TenantSettings

VALUES_FILE_MAX = 4 * 1024 * 1024


def _values(args: argparse.Namespace) -> str:
    from desktop.files import read_text_file

    if not args.values:
        return ""
    return read_text_file(Path(args.values), VALUES_FILE_MAX, "The values file")


def _check_target(args: argparse.Namespace) -> None:
    if args.profile and args.chart:
        raise ValidationError("Give either REGISTRY/CHART or --profile NAME, not both.")
    if not args.profile and not args.chart:
        raise ValidationError("Give a chart (REGISTRY/CHART --version V) or a profile (--profile NAME).")
    if args.profile and (args.values or args.namespace or args.release or args.version):
        raise ValidationError(
            "--values, --namespace, --release and --version are for a chart; a profile's layers carry their own."
        )
    if args.chart and args.var:
        raise ValidationError("--var sets a profile variable: use it with --profile NAME.")
    if args.chart and not args.version:
        raise ValidationError("Give the chart's exact version with --version.")


def _kube_version(args: argparse.Namespace, settings: TenantSettings) -> str:
    """--kube-version, checked as the setting is, else the tenant's setting."""
    return (
        settings.with_value("kube_version", args.kube_version).kube_version
        if args.kube_version
        else settings.kube_version
    )


def _render_chart_version(ctx: Context, args: argparse.Namespace) -> LayerRender:
    from desktop.cli.charts import _resolve_version
    from desktop.helm.rendering import RenderRequest
    from desktop.operations.chart_render import LayerRender, render_version
    from desktop.profiles.model import Layer, release_name, validate_namespace

    registry, chart, version = _resolve_version(ctx, args.chart, args.version)
    services = ctx.services()
    namespace = validate_namespace(args.namespace or "")
    release = args.release or release_name(chart, set())
    request = RenderRequest(
        release_name=release,
        namespace=namespace,
        values_yaml=_values(args),
        kube_version=_kube_version(args, services.settings),
    )
    rendered = render_version(services, registry.id, chart, version, request)
    layer = Layer(registry.uid, registry.name, registry.endpoint, chart, version, namespace=namespace)
    return LayerRender(layer, release, f"{registry.name}/{chart}@{version}", rendered=rendered)


def _render_profile(ctx: Context, args: argparse.Namespace) -> list[LayerRender]:
    import os
    from dataclasses import replace

    from desktop.helm.rendering import RenderChild, RenderLimits

    services = ctx.services()
    settings = services.settings
    # First of all, so that Helm's engine loads in them while this process imports and reads its catalog.
    limits = RenderLimits(settings.render_timeout_seconds, settings.render_memory_mb)
    started = [RenderChild(limits) for _ in range(os.cpu_count() or 1)]
    try:
        from desktop.catalog.profiles import get_profile
        from desktop.operations.chart_render import render_profile
        from desktop.profiles.variables import parse_test_values

        profile = get_profile(ctx.db, args.profile)
        test_values = parse_test_values(args.var or [], profile.variables)
        if args.kube_version:
            services = replace(services, settings=replace(settings, kube_version=_kube_version(args, settings)))
        only = getattr(args, "layer", None)
        return render_profile(services, profile, only_chart=only, test_values=test_values, started=started)
    finally:
        for child in started:
            child.close()


def _failures(layers: list[LayerRender]) -> int:
    failed = 0
    for layer in layers:
        for note in layer.notes:
            print(f"note: layer {layer.release}: {note}", file=sys.stderr)
        if layer.error is not None:
            print(f"error: layer {layer.release} ({layer.label}): {layer.error}", file=sys.stderr)
            failed += 1
    return failed


def cmd_render(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.helm.manifest_order import ManifestError, template_output

    _check_target(args)
    layers = [_render_chart_version(ctx, args)] if args.chart else _render_profile(ctx, args)
    failed = _failures(layers)
    for layer in layers:
        if layer.rendered is None:
            continue
        try:
            text = template_output(layer.rendered.files)
        except ManifestError as exc:
            print(f"error: layer {layer.release} ({layer.label}): {exc}", file=sys.stderr)
            failed += 1
            continue
        if args.profile:  # a YAML comment: the output stays one stream of manifests
            sys.stdout.write(f"# Layer: {layer.release} ({layer.label}, namespace {layer.layer.namespace})\n")
        sys.stdout.write(text)
    return EXIT_ERROR if failed else EXIT_OK


def _print_images(found: ImageSet, output: str) -> None:
    from desktop.cli.output import print_json, print_table

    if output == "json":
        print_json([image.as_json() for image in found])
    elif output == "text":
        for image in found:
            print(image.image)
    else:
        print_table(("IMAGE", "WHY", "CHARTS"), [(i.image, i.why(), ", ".join(i.charts)) for i in found])


def cmd_images(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.helm.manifest_order import ManifestError
    from desktop.operations.chart_render import profile_images

    _check_target(args)
    layers = [_render_chart_version(ctx, args)] if args.chart else _render_profile(ctx, args)
    failed = _failures(layers)
    try:
        found = profile_images([layer for layer in layers if layer.rendered is not None])
    except ManifestError as exc:
        raise ValidationError(str(exc)) from None
    _print_images(found, args.output)
    if failed:
        print(f"error: {failed} of {len(layers)} layers did not render: their images are not listed.", file=sys.stderr)
    return EXIT_ERROR if failed else EXIT_OK


def add_commands(commands: Any, common: argparse.ArgumentParser, output: argparse.ArgumentParser) -> None:
    for name, handler, text in (
        ("images", cmd_images, "the container images a chart version or a profile needs, with why"),
        ("render", cmd_render, "the manifests of a chart version or a profile, as `helm template` prints them"),
    ):
        command = commands.add_parser(name, parents=[common], help=text, description=text[0].upper() + text[1:] + ".")
        command.add_argument("chart", nargs="?", metavar="REGISTRY/CHART")
        command.add_argument("--version", metavar="VERSION", help="the chart's exact version")
        command.add_argument("--values", metavar="FILE", help="values overriding the chart's defaults (YAML)")
        command.add_argument("--namespace", metavar="NS", help="the release's namespace (default: default)")
        command.add_argument("--release", metavar="NAME", help="the release name (default: the chart's name)")
        command.add_argument("--profile", metavar="NAME", help="every layer of this profile, with its own values")
        command.add_argument(
            "--kube-version", metavar="V", help="the Kubernetes version to render for (default: the tenant setting)"
        )
        command.add_argument(
            "--var",
            action="append",
            metavar="NAME=VALUE",
            help="with --profile: a test value for the profile variable NAME (default: its default; repeatable)",
        )
        if name == "render":
            command.add_argument("--layer", metavar="CHART", help="with --profile: only this layer (chart or release)")
        else:
            command.add_argument(
                "-o", "--output", choices=("table", "json", "text"), default="table", help="text: one reference a line"
            )
        command.set_defaults(handler=handler)

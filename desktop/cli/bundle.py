"""`chartkeeper bundle …` and `chartkeeper mirror`: carry a catalog across an air gap as one verified OCI
image layout, import it there, and publish it into the site's registry."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.cli.access import access_options, read_password
from desktop.cli.bundle_output import bundle_progress, print_push, print_summary, push_progress, summary_document
from desktop.cli.context import Context
from desktop.cli.exit_codes import EXIT_ERROR, EXIT_OK
from desktop.cli.output import end_progress, print_json, print_table, warn
from desktop.errors import ValidationError
from desktop.wording import human_size, plural

if TYPE_CHECKING:
    from desktop.operations.bundle_publish import OciTarget

CHART_MODES = ("none", "pinned", "profiles", "latest", "all")
SHOWN = 20


# --- export, have, inspect, import --------------------------------------------------------------------


def cmd_bundle_export(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.bundle.image_pull import parse_platforms
    from desktop.bundle.parts import parse_size
    from desktop.operations.bundle_export import ExportSelection, export_bundle

    selection = ExportSelection(
        registries=tuple(args.registry or ()),
        profiles=tuple(args.profile or ()),
        charts=args.charts,
        have=Path(args.have) if args.have else None,
        split_size=parse_size(args.split_size) if args.split_size else None,
        images=args.images,
        images_from=Path(args.images_from) if args.images_from else None,
        platforms=parse_platforms(args.platform) if args.platform else (),
    )
    sign = None
    if args.sign_key:
        from desktop.cli.access import read_passphrase
        from desktop.operations.bundle_signing import signer_for

        sign = signer_for(Path(args.sign_key), read_passphrase(args, args.sign_key))
    show = sys.stderr.isatty()
    try:
        result = export_bundle(
            ctx.services(),
            Path(args.file),
            selection,
            confirm_large=lambda _plan: args.yes,
            allow_missing=args.allow_missing,
            sign=sign,
            progress=bundle_progress(show),
        )
    finally:
        end_progress(show)
    for line in result.skipped[:SHOWN]:
        warn(f"not in the bundle: {line}")
    if len(result.skipped) > SHOWN:
        warn(f"… and {len(result.skipped) - SHOWN:,} more left out")
    written = result.written
    plan = result.plan
    image_bytes = sum(image.size for image in result.images)
    delta = f", a delta leaving out {result.left_out:,} blobs" if result.left_out else ""
    files = ", ".join(str(part) for part in written.parts)
    left = f", {len(result.skipped):,} left out (the bundle records which)" if result.skipped else ""
    print(
        f"Wrote {files} ({human_size(written.size)}{delta}): "
        f"{plural(len(plan.registries), 'registry', 'registries')}, {plural(len(plan.profiles), 'profile')}, "
        f"{plural(result.archives, 'chart archive')}{left}"
        + (f", {plural(len(result.images), 'container image')} ({human_size(image_bytes)})" if result.images else "")
        + "."
    )
    print(f"sha256 {written.sha256}")
    if sign is not None:
        print("Signed: `chartkeeper bundle signature` writes index.json.asc out for `gpg --verify`.")
    return EXIT_OK


def cmd_bundle_sign(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.bundle.layout_reader import open_layout
    from desktop.cli.access import read_passphrase
    from desktop.operations.bundle_signing import bundle_verdict, sign_bundle

    sign_bundle(Path(args.file), Path(args.key), read_passphrase(args, args.key))
    verdict = bundle_verdict(open_layout(Path(args.file)), ctx.paths.trusted_keys)
    print(f"Signed {args.file}: {verdict}.")
    return EXIT_OK


def cmd_bundle_signature(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.bundle.errors import BundleError
    from desktop.bundle.layout_reader import open_layout
    from desktop.files import write_output_file

    layout = open_layout(Path(args.file))
    if layout.signature is None:
        raise BundleError(f"{args.file} is not signed: sign it with `chartkeeper bundle sign {args.file} --key KEY`.")
    write_output_file(Path(args.output_file), layout.signature)
    if args.index:
        write_output_file(Path(args.index), layout.index)
    index = args.index or "index.json"
    hint = "" if args.index else f" (tar xf {args.file} index.json)"
    print(f"Wrote {args.output_file}: verify it with gpg --verify {args.output_file} {index}{hint}.")
    return EXIT_OK


def cmd_bundle_have(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.operations.bundle_export import write_have_file

    count = write_have_file(ctx.services(), Path(args.file))
    print(f"Wrote {args.file}: {count:,} blob digests this catalog holds. Take it to the machine that makes bundles.")
    return EXIT_OK


def cmd_bundle_inspect(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.operations.bundle_import import inspect_bundle
    from desktop.timefmt import iso_time

    show = sys.stderr.isatty() and args.output != "json"
    try:
        layout, catalog = inspect_bundle(Path(args.file), progress=bundle_progress(show))
    finally:
        end_progress(show)
    charts = [
        {
            "ref": item.ref,
            "registry": item.registry,
            "chart": item.chart,
            "version": item.version,
            "digest": item.digest,
            "pinned": item.pinned,
            "in_bundle": layout.has_blob(item.digest),
        }
        for item in catalog.archives
    ]
    files = [str(part) for part in layout.parts]
    from desktop.operations.bundle_signing import bundle_verdict

    verdict = bundle_verdict(layout, ctx.paths.trusted_keys)
    registries = [
        {
            "name": registry.name,
            "type": registry.kind,
            "url": registry.endpoint,
            "sync": registry.sync_enabled,
            "needs_login": registry.private,
            "snapshot": iso_time(registry.snapshot_at),
            "charts": len(registry.charts),
        }
        for registry in catalog.registries
    ]
    profiles = [record.name if record else f"(left out: {digest[:19]})" for digest, record in catalog.profiles]
    document: dict[str, Any] = {
        "file": files,
        "size": layout.size,
        "created": iso_time(catalog.mtime),
        "charts_chosen": catalog.config.charts,
        "delta": bool(layout.absent),
        "signature": {"state": verdict.state, "fingerprint": verdict.fingerprint or None, "text": str(verdict)},
        "registries": registries,
        "profiles": profiles,
        "archives": charts,
        "images": [
            {
                "ref": image.ref_name,
                "digest": image.descriptor.digest,
                "media_type": image.descriptor.media_type,
                "platforms": [platform for platform in image.platforms if platform],
                "size": image.size,
                "size_in_bundle": image.size_in_bundle,
                "left_out": list(image.absent),  # layers a delta leaves out: the site registry holds them
            }
            for image in layout.images
        ],
    }
    if args.output == "json":
        print_json(document)
        return EXIT_OK
    kind = "a delta (it leaves out what the target holds)" if layout.absent else "a full bundle"
    print(f"{', '.join(files)}: {human_size(layout.size)}, {kind}, made {document['created']}; every blob verified.")
    print(f"Signature: {verdict}.")
    print()
    print_table(
        ["REGISTRY", "TYPE", "URL", "CHARTS", "SNAPSHOT"],
        [[r["name"], r["type"], r["url"], r["charts"], r["snapshot"] or "never"] for r in registries],
    )
    if profiles:
        print(f"\nProfiles: {', '.join(profiles)}")
    if layout.images:
        print(f"\nContainer images ({len(layout.images):,}):")
        print_table(
            ["IMAGE", "PLATFORMS", "SIZE", "DIGEST", "IN BUNDLE"],
            [
                [
                    i["ref"],
                    ", ".join(i["platforms"]) or "-",
                    human_size(i["size"]),
                    i["digest"][:19],
                    f"{plural(len(i['left_out']), 'layer')} left out" if i["left_out"] else "yes",
                ]
                for i in document["images"]
            ],
        )
    if charts:
        print(f"\nChart archives ({len(charts):,}):")
        print_table(
            ["CHART", "VERSION", "PINNED", "IN BUNDLE"],
            [
                [
                    f"{c['registry']}/{c['chart']}",
                    c["version"],
                    "yes" if c["pinned"] else "",
                    "yes" if c["in_bundle"] else "left out",
                ]
                for c in charts
            ],
        )
    return EXIT_OK


def cmd_bundle_import(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.operations.bundle_import import import_bundle

    show = sys.stderr.isatty() and args.output != "json"
    try:
        summary = import_bundle(
            ctx.services(),
            Path(args.file),
            dry_run=args.dry_run,
            accept_removals=args.accept_removals,
            progress=bundle_progress(show),
        )
    finally:
        end_progress(show)
    if args.output == "json":
        print_json(summary_document(summary))
    else:
        print_summary(summary)
    return EXIT_OK


# --- publishing ------------------------------------------------------------------------------------


def _target(args: argparse.Namespace, endpoint: str) -> OciTarget:
    from desktop.operations.bundle_publish import OciTarget

    ca_pem = None
    if args.ca_file:
        from desktop.certificates import read_certificate_file

        ca_pem = read_certificate_file(Path(args.ca_file)).pem
    return OciTarget(
        endpoint,
        args.username,
        read_password(args),
        ca_pem,
        args.insecure_skip_tls_verify,
        args.plain_http,
    )


def cmd_bundle_push(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.operations.bundle_publish import push_bundle, split_reference

    endpoint, tag = split_reference(args.target)
    if tag is not None:
        raise ValidationError("Push to oci://HOST/PATH without a tag: the catalog is tagged with its date and latest.")
    show = sys.stderr.isatty()
    try:
        summary = push_bundle(ctx.services(), Path(args.file), _target(args, endpoint), progress=push_progress(show))
    finally:
        end_progress(show)
    print_push(summary)
    print(f"Clusters pull the charts as {endpoint}/<chart> --version <version>; workstations subscribe with")
    print(f"  chartkeeper registry add NAME {endpoint} --bundle")
    if summary.image_hosts:
        _print_mirror_config(summary.image_hosts, endpoint, args.plain_http, args.mirror_config)
    return EXIT_OK


def _print_mirror_config(hosts: list[str], endpoint: str, plain_http: bool, folder: str | None) -> None:
    """containerd's hosts.toml per source host, printed; with --mirror-config DIR written as DIR/HOST/hosts.toml."""
    from desktop.bundle.mirror_config import PALETTE_FILE, hosts_toml, palette_image_registry
    from desktop.files import write_output_file

    print("\nClusters pull the images from here with containerd's /etc/containerd/certs.d/<source host>/hosts.toml:")
    for host in hosts:
        text = hosts_toml(host, endpoint, plain_http=plain_http)
        print(f"\n# {host}/hosts.toml\n{text}", end="")
        if folder is not None:
            target = Path(folder) / host
            try:
                target.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ValidationError(
                    f"{target} cannot be made ({exc.strerror or exc}): choose another folder."
                ) from None
            write_output_file(target / "hosts.toml", text.encode())
    palette = palette_image_registry(hosts, endpoint)
    print(f"\nPalette's OCI image registry with mirrors (Helm values, config.ociImageRegistry):\n{palette}", end="")
    if folder is not None:
        write_output_file(Path(folder) / PALETTE_FILE, palette.encode())
        print(f"\nWrote {len(hosts):,} hosts.toml under {folder}: copy them to /etc/containerd/certs.d/ on each node;")
        print(f"and {Path(folder) / PALETTE_FILE} for Palette's image registry.")


def cmd_bundle_pull(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.bundle.parts import parse_size
    from desktop.operations.bundle_publish import pull_bundle, split_reference

    endpoint, tag = split_reference(args.source)
    show = sys.stderr.isatty()
    try:
        written = pull_bundle(
            ctx.services(),
            _target(args, endpoint),
            tag,
            Path(args.file),
            split_size=parse_size(args.split_size) if args.split_size else None,
            progress=push_progress(show),
        )
    finally:
        end_progress(show)
    print(f"Wrote {', '.join(str(p) for p in written.parts)} ({human_size(written.size)})")
    print(f"sha256 {written.sha256}")
    return EXIT_OK


def cmd_mirror(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.cli.charts import split_reference as split_chart
    from desktop.operations.bundle_publish import mirror_charts, profile_charts, profile_images, split_reference

    endpoint, tag = split_reference(args.target)
    if tag is not None:
        raise ValidationError("Mirror to oci://HOST/PATH without a tag: each chart is tagged with its version.")
    services = ctx.services()
    if args.profile:
        if args.chart or args.version:
            raise ValidationError("Give a chart (REGISTRY/CHART --version V) or --profile NAME, not both.")
        charts = profile_charts(services, args.profile)
        images = profile_images(services, args.profile) if args.images else []
    else:
        if args.images:
            raise ValidationError("--images goes with --profile NAME: the images are the profile's.")
        images = []
        if not args.chart or not args.version:
            raise ValidationError("Name what to mirror: REGISTRY/CHART --version V, or --profile NAME.")
        from desktop.catalog.registries import get_registry

        registry_name, chart = split_chart(args.chart)
        charts = [(get_registry(ctx.db, registry_name).id, chart, args.version)]
    show = sys.stderr.isatty()
    try:
        summary = mirror_charts(services, charts, _target(args, endpoint), images=images, progress=push_progress(show))
    finally:
        end_progress(show)
    print_push(summary)
    for _registry_id, chart, version in charts:
        print(f"  helm pull {endpoint}/{chart} --version {version}")
    if summary.image_hosts:
        _print_mirror_config(summary.image_hosts, endpoint, args.plain_http, args.mirror_config)
    return EXIT_OK if summary.pushed or summary.unchanged else EXIT_ERROR


# --- the grammar ---------------------------------------------------------------------------------------


class _IntermixedParser(argparse.ArgumentParser):
    """Positionals on either side of options (`mirror REGISTRY/CHART --version V oci://HOST/PATH`), which
    argparse's usual parsing refuses once an option splits them."""

    _inner = False

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        if self._inner:
            return super().parse_known_args(args, namespace)
        self._inner = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._inner = False


def add_commands(commands: Any, common: argparse.ArgumentParser, output: argparse.ArgumentParser) -> None:
    bundle = commands.add_parser(
        "bundle", parents=[common], help="carry the catalog across an air gap, and publish it into a registry"
    )
    bundle_commands = bundle.add_subparsers(dest="bundle_command", metavar="COMMAND", required=True)

    export = bundle_commands.add_parser(
        "export",
        parents=[common],
        help="write a bundle: an OCI image layout of registries, profiles and chart archives",
        description="Nothing chosen means every registry and profile; a profile brings its registries.",
    )
    export.add_argument("-o", "--output-file", dest="file", metavar="FILE.tar", required=True)
    export.add_argument("--registry", action="append", metavar="NAME", help="a registry to carry (repeatable)")
    export.add_argument("--profile", action="append", metavar="NAME", help="a profile to carry (repeatable)")
    export.add_argument(
        "--charts",
        choices=CHART_MODES,
        default="pinned",
        help="chart archives to carry: pinned ones and the profiles' (default), only the profiles', also the "
        "newest stable version of every chart (latest), every version (all), or none",
    )
    export.add_argument("--have", metavar="HAVE_FILE", help="leave out what the target holds (`bundle have` there)")
    export.add_argument("--split-size", metavar="SIZE", help="cut into FILE.tar.001, .002, … of at most SIZE (4G)")
    export.add_argument("--yes", action="store_true", help="write a --charts all bundle over 2 GB without asking")
    export.add_argument("--sign-key", metavar="KEYFILE", help="sign the bundle with this OpenPGP secret key file")
    export.add_argument("--passphrase-stdin", action="store_true", help="read the key's passphrase from standard input")
    export.add_argument(
        "--images", action="store_true", help="carry every container image the chosen profiles' charts need"
    )
    export.add_argument("--images-from", metavar="FILE", help="carry the images listed in FILE (one reference a line)")
    export.add_argument(
        "--platform",
        metavar="OS/ARCH[,…]",
        help="platforms of multi-platform images (default: the image_platforms setting, linux/amd64)",
    )
    export.add_argument(
        "--allow-missing",
        action="store_true",
        help="write the bundle even when archives it should carry cannot be (it records which, and why)",
    )
    export.set_defaults(handler=cmd_bundle_export)

    have = bundle_commands.add_parser("have", parents=[common], help="list the blobs this catalog holds (for a delta)")
    have.add_argument("-o", "--output-file", dest="file", metavar="HAVE_FILE", required=True)
    have.set_defaults(handler=cmd_bundle_have)

    inspect = bundle_commands.add_parser(
        "inspect", parents=[common, output], help="verify a bundle and list what it holds"
    )
    inspect.add_argument("file", metavar="FILE", help="the bundle (or its first part, FILE.tar.001)")
    inspect.set_defaults(handler=cmd_bundle_inspect)

    sign = bundle_commands.add_parser(
        "sign", parents=[common], help="sign a bundle's index.json with an OpenPGP key (the signature goes inside)"
    )
    sign.add_argument("file", metavar="FILE", help="the bundle (one file; a bundle in parts is signed at export)")
    sign.add_argument("--key", metavar="KEYFILE", required=True, help="the secret key (gpg --export-secret-keys)")
    sign.add_argument("--passphrase-stdin", action="store_true", help="read the key's passphrase from standard input")
    sign.set_defaults(handler=cmd_bundle_sign)

    signature = bundle_commands.add_parser(
        "signature", parents=[common], help="write out a bundle's signature (and index.json) for gpg --verify"
    )
    signature.add_argument("file", metavar="FILE", help="the bundle (or its first part)")
    signature.add_argument("-o", "--output-file", metavar="SIG.asc", required=True, help="where to write it")
    signature.add_argument("--index", metavar="FILE", help="also write the index.json it signs here")
    signature.set_defaults(handler=cmd_bundle_signature)

    do_import = bundle_commands.add_parser(
        "import",
        parents=[common, output],
        help="verify a bundle, then import it in one transaction",
        description="Every blob is verified before anything changes; the import is all or nothing.",
    )
    do_import.add_argument("file", metavar="FILE", help="the bundle (or its first part, FILE.tar.001)")
    do_import.add_argument("--dry-run", action="store_true", help="say what the import would do; change nothing")
    do_import.add_argument(
        "--accept-removals",
        action="store_true",
        help="apply a snapshot that removes many versions at once (one held as a possible truncation)",
    )
    do_import.set_defaults(handler=cmd_bundle_import)

    push = bundle_commands.add_parser(
        "push",
        parents=[common],
        help="publish a bundle into an OCI registry (charts for clusters, the catalog for workstations)",
    )
    push.add_argument("file", metavar="FILE")
    push.add_argument("target", metavar="oci://HOST[:PORT]/PATH")
    push.add_argument(
        "--mirror-config", metavar="DIR", help="write containerd's DIR/<source host>/hosts.toml for the images pushed"
    )
    access_options(push)
    push.set_defaults(handler=cmd_bundle_push)

    pull = bundle_commands.add_parser("pull", parents=[common], help="rebuild a published bundle, byte for byte")
    pull.add_argument("source", metavar="oci://HOST[:PORT]/PATH[:TAG]")
    pull.add_argument("-o", "--output-file", dest="file", metavar="FILE.tar", required=True)
    pull.add_argument("--split-size", metavar="SIZE", help="cut into FILE.tar.001, .002, … of at most SIZE")
    access_options(pull)
    pull.set_defaults(handler=cmd_bundle_pull)

    mirror = commands.add_parser(
        "mirror",
        parents=[common],
        help="push chart versions into an OCI registry as `helm push` would",
        description="chartkeeper mirror REGISTRY/CHART --version V oci://HOST/PATH, or --profile NAME oci://HOST/PATH",
    )
    mirror.__class__ = _IntermixedParser
    mirror.add_argument("chart", nargs="?", metavar="REGISTRY/CHART")
    mirror.add_argument("target", metavar="oci://HOST[:PORT]/PATH")
    mirror.add_argument("--version", metavar="VERSION")
    mirror.add_argument("--profile", metavar="NAME", help="every layer of this profile")
    mirror.add_argument("--images", action="store_true", help="also the container images the profile needs")
    mirror.add_argument(
        "--mirror-config", metavar="DIR", help="write containerd's DIR/<source host>/hosts.toml for the images pushed"
    )
    access_options(mirror)
    mirror.set_defaults(handler=cmd_mirror)

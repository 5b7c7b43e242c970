"""What the bundle commands print: their progress, an import's summary, a push's, and the hooks other
commands use for a registry a bundle or a subscription brought (its origin, `registry add --bundle`)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from desktop.cli.context import Context
from desktop.cli.exit_codes import EXIT_OK
from desktop.wording import human_size

if TYPE_CHECKING:
    from desktop.operations.bundle_import import ImportSummary


def bundle_progress(enabled: bool) -> Callable[[str, int, int | None], None] | None:
    if not enabled:
        return None
    last = [0.0]
    labels = {
        "verify": "verifying",
        "archives": "reading chart archives",
        "catalog": "snapshots",
        "images": "pulling images",
        "write": "writing",
    }

    def report(phase: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - last[0] < 0.2 and (total is None or done < total):
            return
        last[0] = now
        label = labels.get(phase, phase)
        if phase in ("verify", "write"):
            amount = f"{human_size(done)}" + (f" of {human_size(total)}" if total else "")
        else:
            amount = f"{done:,}" + (f" of {total:,}" if total else "")
        print(f"\r\033[K{label}… {amount}", end="", file=sys.stderr, flush=True)

    return report


def push_progress(enabled: bool) -> Callable[[int, int, str], None] | None:
    if not enabled:
        return None
    return lambda done, total, name: print(
        f"\r\033[Kpushing {done:,} of {total:,} {name}", end="", file=sys.stderr, flush=True
    )


def summary_document(summary: ImportSummary) -> dict[str, Any]:
    from desktop.timefmt import iso_time

    return {
        "bundle_created": iso_time(summary.bundle_date),
        "dry_run": summary.dry_run,
        "registries": [
            {
                "name": outcome.name,
                "bundle_name": outcome.bundle_name,
                "result": outcome.action,
                "versions": outcome.versions,
                "added": len(outcome.diff.added),
                "removed": len(outcome.diff.removed),
                "changed": len(outcome.diff.changed),
                "detail": outcome.detail or None,
            }
            for outcome in summary.registries
        ],
        "archives_stored": summary.archives_stored,
        "archives_already_here": summary.archives_present,
        "pins": summary.pins,
        "profiles": [{"name": name, "result": result} for name, result in summary.profiles],
        "conflicts": summary.conflicts,
        "notes": summary.notes,
    }


def print_summary(summary: ImportSummary) -> None:
    from desktop.operations.bundle_import import summary_lines

    print("\n".join(summary_lines(summary)))


def print_push(summary: Any) -> None:
    print(
        f"Pushed {len(summary.pushed):,} tags ({summary.blobs_uploaded:,} blobs uploaded, "
        f"{human_size(summary.bytes_uploaded)}; {summary.blobs_present:,} already there, "
        f"{summary.blobs_mounted:,} mounted)"
        f"; {len(summary.unchanged):,} tags unchanged."
    )


# --- hooks of other commands ---------------------------------------------------------------------------


def origin_text(origin: Any, db: Any) -> str:
    from desktop.bundle.origin_text import origin_text as text
    from desktop.catalog.origins import subscription_endpoints

    if origin is None:
        return ""
    return text(origin, subscription_endpoints(db).get(origin.source))


def origin_document(origin: Any, db: Any) -> dict[str, Any] | None:
    from desktop.catalog.origins import subscription_endpoints
    from desktop.timefmt import iso_time

    if origin is None:
        return None
    return {
        "kind": origin.kind,
        "date": iso_time(origin.at),
        "subscription": subscription_endpoints(db).get(origin.source) if origin.kind == "subscribed" else None,
        "syncs_with_endpoint": origin.upstream_sync,
        "text": origin_text(origin, db),
    }


def subscribe_command(ctx: Context, draft: Any, show_progress: bool) -> int:
    """`registry add NAME oci://HOST/PATH --bundle`: subscribe, and import the published catalog."""
    from desktop.cli.output import end_progress, progress_printer
    from desktop.operations.subscriptions import subscribe

    try:
        result, summary = subscribe(ctx.services(), draft, progress=progress_printer(show_progress))
    finally:
        end_progress(show_progress)
    print(
        f'"{result.registry.name}" has been added: a subscription to the catalog published at '
        f"{result.registry.endpoint}; it serves {len(result.diff.added):,} chart versions."
    )
    print_summary(summary)
    return EXIT_OK

"""The Helm registries table: one row per registry with its snapshot and its live sync state."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from desktop.bundle.origin_text import origin_texts
from desktop.catalog.registries import RegistrySummary, summaries
from desktop.catalog.sync_records import SyncState
from desktop.operations.reachability import Reachability
from desktop.profiles.palette_export import private_in_palette
from desktop.registry import Registry
from desktop.timefmt import clock_or_date, local_time, relative_time, short_date
from desktop.ui.style import accent_colors
from desktop.ui.table_model import ModelIndex, RowsTableModel
from desktop.wording import plural

NAME, ENDPOINT, SYNC, ACCESS, CHARTS, LAST_SYNC, STATUS, ACTIONS = range(8)
HEADERS = ("Name", "Endpoint", "Synchronization", "Access", "Charts", "Last synced", "Status", "")
REGISTRY_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
_PHASES = {"download": "downloading", "parse": "reading index", "write": "saving"}


@dataclass
class LiveSync:
    """A sync in progress, as the background worker last reported it."""

    trigger: str
    phase: str = "starting"
    done: int = 0
    total: int | None = None

    @property
    def percent(self) -> int | None:
        if self.phase == "download" and self.total:
            return min(99, int(self.done * 100 / self.total))
        return None


@dataclass(frozen=True)
class RegistryStatus:
    kind: str  # ok | never | bundle | syncing | held | failed | offline | cancelled
    text: str
    tooltip: str


def registry_status(
    summary: RegistrySummary,
    live: LiveSync | None,
    origin: str = "",
    reach: Reachability | None = None,
    now: float | None = None,
    session_start: float = 0.0,
) -> RegistryStatus:
    """How the Status column reads for a registry; `origin` says where a bundle's or a subscription's
    registry came from ("from bundle of 27 Nov 2026; not synced with its endpoint"); `reach` what
    this session's check found (None: not checked yet, so a good state is only known as of its
    last sync). A sync newer than the check wins."""
    state = summary.state
    attempted = state.last_attempt_at or 0.0
    if reach is not None and attempted > reach.checked_at:
        reach = None  # a sync since the check says more
    if live is not None:
        percent = live.percent
        step = _PHASES.get(live.phase, live.phase)
        text = f"Syncing… {percent}%" if percent is not None else f"Syncing… ({step})"
        return RegistryStatus("syncing", text, "A sync is running; the ⋮ menu can cancel it.")
    if state.last_error_kind == "held":
        snapshot = short_date(state.snapshot_at) if state.snapshot_at else "registration"
        return RegistryStatus(
            "held",
            f"Held — using snapshot of {snapshot}: {state.last_error}",
            f"The last sync was held, not applied: {state.last_error}\nThe snapshot of "
            f"{local_time(state.snapshot_at)} is unchanged. ⋮ → Accept Removals… applies it; a later sync "
            "whose index is whole clears this.",
        )
    if state.offline:
        return _offline(state, f"Registry unreachable: {state.last_error}")
    if state.last_error:
        snapshot = short_date(state.snapshot_at) if state.snapshot_at else "registration"
        return RegistryStatus(
            "failed",
            f"Failed — using snapshot of {snapshot}: {state.last_error}",
            f"The last sync failed: {state.last_error}\nIts charts still work from the snapshot of "
            f"{local_time(state.snapshot_at)}.",
        )
    if state.last_success_at is None and origin.startswith(("from bundle", "subscribed to ")):
        source, _, how = origin.partition("; ")
        source = source.replace("subscribed to ", "from ", 1)
        return RegistryStatus(
            "bundle",
            f"Snapshot {source}",
            f"Its charts come {source}; they are searchable and usable here. It is "
            + (
                "also synced with its own endpoint."
                if how.startswith("syncs")
                else "not synced with its own endpoint until you choose ⋮ → Synchronize."
            ),
        )
    if state.last_success_at is None:
        return RegistryStatus("never", "Not synced yet", "No successful sync yet.")
    if reach is None and attempted >= session_start:
        return RegistryStatus("ok", "OK", f"Synced at {local_time(state.last_success_at)}")
    if reach is None:
        when = clock_or_date(state.last_success_at, now if now is not None else time.time())
        return RegistryStatus(
            "unchecked",
            f"OK as of {when} — not checked since",
            f"The last sync succeeded at {local_time(state.last_success_at)}; whether the registry answers now "
            f"has not been checked yet.\nSnapshot of {local_time(state.snapshot_at)}",
        )
    if not reach.answers:
        return _offline(state, f"Did not answer at {local_time(reach.checked_at)} ({reach.detail}).")
    return RegistryStatus(
        "ok", "OK", f"Answered at {local_time(reach.checked_at)}.\nSnapshot of {local_time(state.snapshot_at)}"
    )


def _offline(state: SyncState, why: str) -> RegistryStatus:
    """Unreachable (its last sync said so, or this launch's check): its snapshot stands in."""
    snapshot = short_date(state.snapshot_at) if state.snapshot_at else "registration"
    return RegistryStatus(
        "offline",
        f"Offline: using snapshot of {snapshot}",
        f"{why}\nIts charts still work from the snapshot of {local_time(state.snapshot_at)}.",
    )


class RegistryTableModel(RowsTableModel[RegistrySummary]):
    def __init__(self, reader: sqlite3.Connection, clock: Callable[[], float], parent: QObject | None = None) -> None:
        super().__init__(HEADERS, parent)
        self._reader = reader
        self._clock = clock
        self._origins: dict[int, str] = {}  # issue 10: "from bundle of 27 Nov 2026", "subscribed to oci://…"
        self._live: dict[int, LiveSync] = {}
        self._reach: dict[int, Reachability] = {}  # this session's checks: does the registry answer now?
        self._session_start = clock()  # what is older than this is known only as of then

    # --- loading ------------------------------------------------------------------------

    def reload(self) -> None:
        self.beginResetModel()
        self.rows = summaries(self._reader)
        self._origins = origin_texts(self._reader)
        self.endResetModel()

    def set_live(self, registry_id: int, live: LiveSync | None) -> None:
        if live is None:
            self._live.pop(registry_id, None)
        else:
            self._live[registry_id] = live
        row = self.row_of(registry_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, ACTIONS))

    def set_reachability(self, reach: Reachability) -> None:
        self._reach[reach.registry_id] = reach
        row = self.row_of(reach.registry_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, ACTIONS))

    def unreachable(self, registry_id: int) -> Reachability | None:
        """This session's check, when it found the registry not answering (and no sync since)."""
        reach = self._reach.get(registry_id)
        return reach if reach is not None and not reach.answers else None

    def status(self, summary: RegistrySummary) -> RegistryStatus:
        return self._status(summary)

    def live(self, registry_id: int) -> LiveSync | None:
        return self._live.get(registry_id)

    def row_of(self, registry_id: int) -> int | None:
        return next((i for i, s in enumerate(self.rows) if s.registry.id == registry_id), None)

    def summary(self, row: int) -> RegistrySummary:
        return self.rows[row]

    def summaries(self) -> list[RegistrySummary]:
        return list(self.rows)

    # --- Qt model -----------------------------------------------------------------------

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        summary = self.row_at(index)
        if summary is None:
            return None
        registry = summary.registry
        column = index.column()
        if role == REGISTRY_ROLE:
            return registry
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(summary, column)
        if role == SORT_ROLE:
            return self._sort_key(summary, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(summary, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == STATUS:
            kind = self._status(summary).kind
            colors = accent_colors(QApplication.palette())
            color = {
                "ok": colors["ok"],
                "bundle": colors["ok"],
                "failed": colors["error"],
                "held": colors["warning"],
                "offline": colors["warning"],
                "never": colors["muted"],
                "unchecked": colors["muted"],
            }.get(kind)
            return color if color is not None else QApplication.palette().color(QPalette.ColorRole.Text)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (CHARTS, ACTIONS):
            return int(
                Qt.AlignmentFlag.AlignCenter
                if column == ACTIONS
                else Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            )
        if role == Qt.ItemDataRole.AccessibleTextRole and column == ACTIONS:
            return f"Actions for {registry.name}"
        return None

    def _display(self, summary: RegistrySummary, column: int) -> str:
        registry = summary.registry
        if column == NAME:
            return registry.name
        if column == ENDPOINT:
            # issue 25: a plain-HTTP registry's row says so (its charts and logins cross unencrypted)
            return registry.shown_endpoint + (" · plain HTTP" if registry.is_oci and registry.plain_http else "")
        if column == SYNC:
            # Where its snapshot came from; whether it also syncs with its endpoint is in the tooltip
            # (beside "On", "not synced with its endpoint" read as a contradiction, and cut the column).
            origin = self._origins.get(registry.id, "").partition("; ")[0]
            return ("On" if registry.sync_enabled else "Off") + (f" · {origin}" if origin else "")
        if column == ACCESS:
            # What it takes to read it: a login or none. "Private" is kept for one meaning, Palette's
            # (isPrivate): a Helm registry not synced, whose charts are named by exact name and version.
            if registry.token_auth:
                return "Token"
            return f"Login ({registry.username})" if registry.username else "No login"
        if column == CHARTS:
            return f"{summary.chart_count:,}"
        if column == LAST_SYNC:
            came = self._snapshot_came(summary)
            return came or relative_time(summary.state.last_success_at, self._clock())
        if column == STATUS:
            return self._status(summary).text
        return "⋮"

    def _snapshot_came(self, summary: RegistrySummary) -> str:
        """For a registry never synced here whose snapshot a bundle or a subscription brought: where
        from and when ("bundle of 7 Dec"), which is what its Last synced reads instead of "never"
        (beside a Status of "Snapshot from bundle" that read as a contradiction); else ''."""
        if summary.state.last_success_at is not None:
            return ""
        source = self._origins.get(summary.registry.id, "").partition("; ")[0]
        if source.startswith("from bundle"):
            return re.sub(r" \d{4}$", "", source.removeprefix("from "))  # "bundle of 7 Dec": the year in its tooltip
        if source.startswith("subscribed to "):
            at = source.rpartition("(catalog of ")[2].rstrip(")")
            return f"catalog of {at}" if "(catalog of " in source else "subscription"
        return ""

    def _status(self, summary: RegistrySummary) -> RegistryStatus:
        registry_id = summary.registry.id
        return registry_status(
            summary,
            self._live.get(registry_id),
            self._origins.get(registry_id, ""),
            self._reach.get(registry_id),
            self._clock(),
            self._session_start,
        )

    def _sort_key(self, summary: RegistrySummary, column: int) -> Any:
        if column == CHARTS:
            return summary.chart_count
        if column == LAST_SYNC:
            return summary.state.last_success_at or 0.0
        return self._display(summary, column).lower()

    def _tooltip(self, summary: RegistrySummary, column: int) -> str | None:
        registry = summary.registry
        if column == LAST_SYNC and self._snapshot_came(summary):
            source = self._origins.get(registry.id, "").partition("; ")[0].replace("subscribed to ", "from ", 1)
            return f"Never synced with its endpoint here: its snapshot came {source}."
        if column == LAST_SYNC:
            return f"Last successful sync: {local_time(summary.state.last_success_at)}"
        if column == STATUS:
            return self._status(summary).tooltip
        if column == CHARTS:
            charts, versions = plural(summary.chart_count, "chart"), plural(summary.version_count, "version")
            return f"{charts}, {versions} in the snapshot"
        if column == ENDPOINT and registry.is_oci and registry.plain_http:
            return (
                f"{registry.shown_endpoint}\nPlain HTTP, without TLS (as helm --plain-http): what it sends and "
                "receives, a login included, crosses the network unencrypted."
            )
        if column == ENDPOINT:
            return registry.shown_endpoint
        if column == ACCESS:
            return _access_tooltip(registry)
        if column == NAME:
            return f"{registry.name}: double-click or Enter to browse its charts"
        if column == SYNC and registry.id in self._origins:
            return f"{self._origins[registry.id][:1].upper()}{self._origins[registry.id][1:]}."
        if column == SYNC:
            return (
                "Synchronized every day; charts are searchable"
                if registry.sync_enabled
                else "Registration snapshot only; reference charts by exact name and version"
            )
        if column == ACTIONS:
            return "Browse charts, Synchronize, Edit, Sync history, Remove"
        return None

    def registry(self, row: int) -> Registry:
        return self.rows[row].registry


def _access_tooltip(registry: Registry) -> str:
    """How reading the registry works here, and what its Palette export says (one meaning of private)."""
    login = (
        "Reached with a token."
        if registry.token_auth
        else f"Reached with the login {registry.username}."
        if registry.username
        else "Reached without a login."
    )
    private = private_in_palette(registry.kind, registry.sync_enabled, registry.is_private)
    if registry.is_oci:
        why = "it needs a login" if private else "it needs no login"
    elif private:
        why = "not synced, its charts are named by exact name and version (Palette's protected mode)"
    else:
        why = "synced, its charts are searchable"
    return f"{login}\nIn Palette exports: isPrivate: {'true' if private else 'false'} — {why}."

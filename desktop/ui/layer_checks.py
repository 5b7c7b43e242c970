"""Values problems of every layer, for the badges in the layer and profile lists and the question
before exporting: YAML checked at once, the chart's schema once its files are here (loaded in the
background, once per version) and then off the UI thread, in the worker's time-bounded child; results
kept per text so lists redraw without re-validating. The profile's variables are substituted first."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future

from PySide6.QtCore import QObject, Signal

from desktop.catalog.registries import find_registry_by_uid
from desktop.errors import UserError
from desktop.helm.chart_archive import ChartFiles
from desktop.profiles.checked_values import CheckedValues, checked_values
from desktop.profiles.model import Layer, Profile
from desktop.profiles.values import ONLY_YAML, ValuesProblem, parse_values
from desktop.ui.context import AppContext
from desktop.ui.failure_text import failure_text

log = logging.getLogger(__name__)
VersionKey = tuple[str, str, str]  # registry uid, chart, version
ResultKey = tuple[VersionKey, str, bool]  # and the values' text, whether a schema checked them
RESULTS_KEPT = 512


class LayerChecker(QObject):
    """`problems(layer)` now (while its schema check runs: the last result for that chart version);
    `files_arrived` when a chart's schema came and `checked` when a check ended, so badges can be
    redrawn. One check runs at a time; a newer text of a chart version replaces one still waiting."""

    files_arrived = Signal()
    checked = Signal()

    def __init__(self, context: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._files: dict[VersionKey, ChartFiles | None] = {}  # None: could not be had
        self._loading: set[VersionKey] = set()
        self._results: dict[ResultKey, list[ValuesProblem]] = {}
        self._latest: dict[VersionKey, list[ValuesProblem]] = {}
        self._wanted: dict[ResultKey, str] = {}  # the schema, for checks not started yet (oldest first)
        self._running: ResultKey | None = None
        self._tasks: set[asyncio.Future[None]] = set()

    def remember(self, layer: Layer, files: ChartFiles) -> None:
        """Files another part of the window already loaded (the layer editor's defaults)."""
        self._files[(layer.registry_uid, layer.chart, layer.version)] = files

    def schema_known(self, layer: Layer) -> bool:
        """The chart's files are here: whether it ships a schema is known."""
        return self._files.get((layer.registry_uid, layer.chart, layer.version)) is not None

    def has_schema(self, layer: Layer) -> bool:
        files = self._files.get((layer.registry_uid, layer.chart, layer.version))
        return files is not None and files.schema is not None

    def problems(self, layer: Layer, profile: Profile | None = None) -> list[ValuesProblem]:
        """The layer's problems, its values checked with `profile`'s variables substituted (each its
        default, or its test value), at the lines typed."""
        checked = self.substituted(layer, profile)
        return checked.problems + checked.mapped(self._text_problems(layer, checked.text))

    def substituted(self, layer: Layer, profile: Profile | None = None) -> CheckedValues:
        """The layer's values as they are checked: `profile`'s variables substituted."""
        variables = profile.variables if profile is not None else ()
        return checked_values(layer.values_override, variables, self.context.test_values_of(profile))

    def _text_problems(self, layer: Layer, text: str) -> list[ValuesProblem]:
        key = (layer.registry_uid, layer.chart, layer.version)
        files = self._files.get(key)
        if key not in self._files:
            self._load(key)
        schema = files.schema if files is not None else None
        result_key = (key, text, schema is not None)
        found = self._results.get(result_key)
        if found is not None:
            return found
        _, problem = parse_values(text)
        if problem is not None or not schema:
            found = [problem] if problem is not None else []
            self._keep(result_key, found)
            return found
        self._ask(result_key, schema)
        return self._latest.get(key, [])

    def checking(self, layer: Layer, profile: Profile | None = None) -> bool:
        """Its values wait for, or are in, a check against the chart's schema."""
        files = self._files.get((layer.registry_uid, layer.chart, layer.version))
        text = self.substituted(layer, profile).text
        result_key = ((layer.registry_uid, layer.chart, layer.version), text, True)
        return files is not None and bool(files.schema) and (result_key in self._wanted or result_key == self._running)

    def profile_problems(self, profile: Profile) -> list[str]:
        """One line per problem, naming its layer, for the profile list and the export question."""
        lines: list[str] = []
        for layer in profile.layers:
            found = self.problems(layer, profile)
            lines.extend(f"{layer.chart} {layer.version}: {problem}" for problem in found[:3])
            if len(found) > 3:
                lines.append(f"{layer.chart} {layer.version}: … and {len(found) - 3} more")
        return lines

    def stop_waiting(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    def _keep(self, result_key: ResultKey, found: list[ValuesProblem]) -> None:
        if len(self._results) >= RESULTS_KEPT:
            self._results.clear()
        self._results[result_key] = found
        self._latest[result_key[0]] = found

    def _ask(self, result_key: ResultKey, schema: str) -> None:
        if result_key == self._running or result_key in self._wanted:
            return
        for waiting in [each for each in self._wanted if each[0] == result_key[0]]:
            del self._wanted[waiting]  # typing: only the newest text of a chart version waits
        self._wanted[result_key] = schema
        self._check_next()

    def _check_next(self) -> None:
        if self._running is not None or not self._wanted:
            return
        result_key = next(reversed(self._wanted))  # the newest: what the user just typed
        schema = self._wanted.pop(result_key)
        self._running = result_key
        future = self.context.worker.check_values(result_key[1], schema)
        task = asyncio.ensure_future(self._wait_check(result_key, future))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _wait_check(self, result_key: ResultKey, future: Future[list[ValuesProblem]]) -> None:
        try:
            found = await asyncio.wrap_future(future)
        except Exception as exc:
            why = failure_text(self.context, exc, "Checking the values against the chart's schema")
            found = [ValuesProblem(0, f"the chart's schema could not be checked ({why}); {ONLY_YAML}")]
        finally:
            self._running = None
        if self.context.outlived(self):
            return
        self._keep(result_key, found)
        self._check_next()
        self.checked.emit()

    def _load(self, key: VersionKey) -> None:
        if key in self._loading:
            return
        registry = find_registry_by_uid(self.context.reader, key[0])
        if registry is None:
            self._files[key] = None
            return
        self._loading.add(key)
        future = self.context.worker.chart_files(registry.id, key[1], key[2])
        task = asyncio.ensure_future(self._wait(key, future))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _wait(self, key: VersionKey, future: Future[ChartFiles]) -> None:
        try:
            files: ChartFiles | None = await asyncio.wrap_future(future)
        except UserError:
            files = None  # offline and not kept here: YAML checks only, until a later load
        except Exception:
            log.exception("loading a chart's files for its schema failed")
            files = None
        finally:
            self._loading.discard(key)
        if self.context.outlived(self):
            return
        self._files[key] = files
        if files is not None and files.schema:
            self.files_arrived.emit()

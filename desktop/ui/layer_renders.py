"""The layers of the profile being edited, rendered off the UI thread for their Manifests and Images
tabs, the profile's image list, the badges and the question before exporting: a render per layer, the
one being typed into first and a moment after the last keystroke, a newer one replacing an older."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.cancellation import CancelToken
from desktop.errors import OperationCancelled
from desktop.helm.container_images import ImageSet
from desktop.jobs.worker import RENDER_POOL_SIZE
from desktop.operations.chart_render import LayerOutput
from desktop.profiles.model import Profile, release_names
from desktop.profiles.variables import substitute_variables
from desktop.ui.context import AppContext

log = logging.getLogger(__name__)
RENDER_DELAY_MS = 600  # after the last edit: typing does not start a render per keystroke
RESULTS_KEPT = 64  # the oldest go first: a rendering holds the chart's whole output
# registry uid, chart, version, namespace, release name, values as rendered, Kubernetes version
RenderKey = tuple[str, str, str, str, str, str, str]
Slot = tuple[int, int]  # profile id, layer row


class LayerRenderer(QObject):
    """`output(profile, row)`: the rendering of that layer as it is now, once it is here; `rendered`
    when any render ended. At most two run at a time (the worker's render threads)."""

    rendered = Signal()

    def __init__(self, context: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._results: dict[RenderKey, LayerOutput] = {}
        self._wanted: dict[Slot, tuple[Profile, int, RenderKey]] = {}  # in the order they start
        self._running: dict[Slot, tuple[RenderKey, CancelToken]] = {}
        self._tasks: set[asyncio.Future[None]] = set()
        self._soon: tuple[Profile, int] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(RENDER_DELAY_MS)
        self._timer.timeout.connect(self._on_timer)

    # --- what is known --------------------------------------------------------------------

    def key(self, profile: Profile, row: int) -> RenderKey:
        """What the rendering depends on: the values as rendered, the profile's variables substituted
        (each its default or its test value), and what could not be substituted."""
        layer = profile.layers[row]
        release = release_names(profile.layers)[row]
        kube = self.context.worker.settings.kube_version
        substitution = substitute_variables(
            layer.values_override, profile.variables, self.context.test_values_of(profile)
        )
        values = substitution.text + "".join(f"\0{problem}" for problem in substitution.problems)
        return (layer.registry_uid, layer.chart, layer.version, layer.namespace, release, values, kube)

    def output(self, profile: Profile, row: int) -> LayerOutput | None:
        if not 0 <= row < len(profile.layers):
            return None
        return self._results.get(self.key(profile, row))

    def rendering(self, profile: Profile, row: int) -> bool:
        """Its render waits for its moment, or runs."""
        if not 0 <= row < len(profile.layers):
            return False
        key = self.key(profile, row)
        slot = (profile.id or 0, row)
        waiting = self._wanted.get(slot)
        running = self._running.get(slot)
        soon = self._soon is not None and (self._soon[0].id or 0, self._soon[1]) == slot and self._timer.isActive()
        return soon or (waiting is not None and waiting[2] == key) or (running is not None and running[0] == key)

    def profile_errors(self, profile: Profile) -> list[str]:
        """One line per layer that did not render, for the export question."""
        lines = []
        for row, layer in enumerate(profile.layers):
            found = self.output(profile, row)
            if found is not None and found.error is not None:
                lines.append(f"{layer.chart} {layer.version}: {found.error}")
        return lines

    def profile_images(self, profile: Profile) -> tuple[ImageSet, int]:
        """The images of the layers rendered so far, and how many layers are not (yet) here."""
        images = ImageSet()
        missing = 0
        for row in range(len(profile.layers)):
            found = self.output(profile, row)
            if found is None or found.error is not None:
                missing += 1
            else:
                images.merge(found.images)
        return images, missing

    # --- asking ---------------------------------------------------------------------------

    def render_profile(self, profile: Profile) -> None:
        """Every layer without its rendering yet, in the layers' order; another profile's layers
        still waiting are no longer wanted."""
        shown = profile.id or 0
        self._wanted = {slot: wanted for slot, wanted in self._wanted.items() if slot[0] == shown}
        for row in range(len(profile.layers)):
            self._want(profile, row, first=False)
        self._start_next()

    def render_now(self, profile: Profile, row: int) -> None:
        """This layer before the others waiting (the one shown)."""
        if self._soon is not None and self._soon[1] == row:
            self._timer.stop()
            self._soon = None
        self._want(profile, row, first=True)
        self._start_next()

    def render_soon(self, profile: Profile, row: int) -> None:
        """After the edits stop for a moment: each new call moves the moment on."""
        if not 0 <= row < len(profile.layers):
            return
        if self._soon is not None and (self._soon[0].id, self._soon[1]) != (profile.id, row):
            self._want(*self._soon, first=False)  # another layer's edits: its render is not dropped
            self._start_next()
        self._soon = (profile, row)
        self._timer.start()

    def stop_waiting(self) -> None:
        self._timer.stop()
        self._soon = None
        self._wanted.clear()
        for _key, token in self._running.values():
            token.cancel()
        for task in list(self._tasks):
            task.cancel()

    def _on_timer(self) -> None:
        soon, self._soon = self._soon, None
        if soon is not None:
            self._want(*soon, first=True)
            self._start_next()

    def _want(self, profile: Profile, row: int, *, first: bool) -> None:
        if not 0 <= row < len(profile.layers):
            return
        key = self.key(profile, row)
        slot = (profile.id or 0, row)
        running = self._running.get(slot)
        if key in self._results or (running is not None and running[0] == key):
            self._wanted.pop(slot, None)
            return
        if running is not None:  # a newer text of the layer: the older render is of no use now
            running[1].cancel()
            del self._running[slot]
        self._wanted.pop(slot, None)
        if first:
            self._wanted = {slot: (profile, row, key), **self._wanted}
        else:
            self._wanted[slot] = (profile, row, key)

    def _start_next(self) -> None:
        while self._wanted and len(self._running) < RENDER_POOL_SIZE:
            slot = next(iter(self._wanted))
            profile, row, key = self._wanted.pop(slot)
            token = CancelToken()
            self._running[slot] = (key, token)
            test_values = self.context.test_values_of(profile)
            future = self.context.worker.render_layers(profile, [row], token, test_values)
            task = asyncio.ensure_future(self._wait(slot, key, token, future))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _wait(self, slot: Slot, key: RenderKey, token: CancelToken, future: Future[list[LayerOutput]]) -> None:
        output: LayerOutput | None = None
        try:
            output = (await asyncio.wrap_future(future))[0]
        except OperationCancelled:
            pass
        except Exception:
            log.exception("rendering a layer failed")
        finally:
            running = self._running.get(slot)
            if running is not None and running[1] is token:  # not a newer render of the layer
                del self._running[slot]
        if self.context.outlived(self):
            return
        cancelled = token.cancelled or (output is not None and isinstance(output.render.error, OperationCancelled))
        if output is not None and not cancelled:
            while len(self._results) >= RESULTS_KEPT:
                del self._results[next(iter(self._results))]
            self._results[key] = output
        self._start_next()
        self.rendered.emit()

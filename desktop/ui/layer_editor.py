"""One layer of a profile: version, namespace, install priority, and its values override — checked
as YAML and against the chart's schema as typed, shown as a diff against the chart's defaults, with
what changed in the defaults when the version changes, and rendered: its manifests and images. The
profile's `{{.spectro.var.NAME}}` references are marked and completed, and substituted (each
variable's default, or its test value) for the checks, the diff and the rendering, which say so."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from PySide6.QtCore import QEvent, QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.catalog.charts import version_rows
from desktop.catalog.profiles import layer_source
from desktop.catalog.registries import find_registry_by_uid
from desktop.errors import UserError, ValidationError
from desktop.helm.chart_archive import ChartFiles
from desktop.profiles.health import layer_health
from desktop.profiles.model import Layer, Profile, validate_namespace
from desktop.profiles.values import ValuesProblem
from desktop.profiles.values_edit import set_value
from desktop.profiles.variables import substitute_variables
from desktop.ui.chart_details import monospace_editor
from desktop.ui.context import AppContext
from desktop.ui.diff_view import DiffView
from desktop.ui.forms import add_row, error_label, stacked
from desktop.ui.layer_checks import LayerChecker
from desktop.ui.layer_rendering_views import ImagesView, ManifestsView
from desktop.ui.layer_renders import LayerRenderer
from desktop.ui.values_form import ValuesForm
from desktop.ui.variable_completer import VariableCompleter
from desktop.ui.yaml_highlighter import YamlHighlighter
from desktop.wording import plural

PROBLEM_ROWS_SHOWN = 3  # the problems list stays compact: more scroll
CHECKING_SHOWN_AFTER_MS = 300
FORM_REFRESH_MS = 300  # the form follows the YAML a moment after the last key typed

log = logging.getLogger(__name__)


class LayerEditor(QWidget):
    """Edits a copy of a layer; `layer_edited` carries every valid change (to be saved)."""

    layer_edited = Signal(object)  # Layer
    problems_changed = Signal(int)  # how many problems the values have now

    def __init__(
        self,
        context: AppContext,
        checker: LayerChecker | None = None,
        renderer: LayerRenderer | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.checker = checker or LayerChecker(context, self)
        self.renderer = renderer or LayerRenderer(context, self)
        self._placement: tuple[Profile, int] | None = None  # the profile as it is now, and the layer's row
        self.profile: Profile | None = None  # whose variables the values use
        self._scope: tuple[object, ...] = ()  # the variables and test values last checked with
        self.layer: Layer | None = None
        self.defaults: ChartFiles | None = None
        self._defaults_problem: str | None = None
        self._loading = False
        self._request = 0
        self._pending: asyncio.Future[None] | None = None
        self._shown: tuple[list[ValuesProblem], bool] | None = None  # the problems shown, and whether still checking
        # "Checking…" only when a check takes a while: most take milliseconds, and the status would flicker
        self._checking_timer = QTimer(self)
        self._checking_timer.setSingleShot(True)
        self._checking_timer.setInterval(CHECKING_SHOWN_AFTER_MS)
        self._form_timer = QTimer(self)
        self._form_timer.setSingleShot(True)
        self._form_timer.setInterval(FORM_REFRESH_MS)
        self._build_ui()
        self._connect()

    def _build_ui(self) -> None:
        self.heading = QLabel()
        self.heading.setObjectName("sectionHeading")
        self.health = QLabel()
        self.health.setObjectName("certificateWarning")
        self.health.setWordWrap(True)
        self.version_combo = QComboBox()
        self.version_combo.setMinimumWidth(180)
        self.namespace_edit = QLineEdit()
        self.namespace_error = error_label()
        self.priority_spin = QSpinBox()
        self.priority_spin.setRange(-1000, 1000)
        self.priority_spin.setToolTip("Lower numbers install first (spectrocloud.com/install-priority)")
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        add_row(form, "Chart versi&on:", self.version_combo)
        add_row(form, "Na&mespace:", stacked(self.namespace_edit, self.namespace_error), self.namespace_edit)
        add_row(form, "Install p&riority:", self.priority_spin)

        self.values_edit = monospace_editor(read_only=False, line_numbers=True)
        self.values_edit.setTabChangesFocus(True)
        self.values_edit.setAccessibleName("Values override (YAML)")
        self._highlighter = YamlHighlighter(self.values_edit.document())
        self.completer = VariableCompleter(self.values_edit)
        self.variables_note = QLabel()
        self.variables_note.setObjectName("formHint")
        self.variables_note.setWordWrap(True)
        self.variables_note.hide()
        self.problems = QListWidget()
        self.problems.setAccessibleName("Problems in the values")
        self.problems.setWordWrap(True)
        self.problems.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.problems.setToolTip("Enter or double-click goes to the line")
        self.problems.viewport().installEventFilter(self)  # wrapped anew when its width changes
        self.values_status = QLabel()
        self.values_status.setObjectName("formHint")
        self.defaults_status = QLabel()
        self.defaults_status.setObjectName("formHint")
        self.defaults_status.setWordWrap(True)
        values_page = QWidget()
        values_layout = QVBoxLayout(values_page)
        values_layout.setContentsMargins(0, 0, 0, 0)
        values_layout.setSpacing(4)
        values_layout.addWidget(self.values_edit, 1)
        values_layout.addWidget(self.values_status)
        # On a line of its own: beside the status, a wrapped reason was squeezed into a narrow column
        # that a row does not grow for, and its end was cut off.
        values_layout.addWidget(self.defaults_status)
        values_layout.addWidget(self.problems)
        self.override_view = DiffView()
        self.version_diff_view = DiffView()
        self.tabs = QTabWidget()
        self.values_form = ValuesForm()
        self.tabs.addTab(values_page, "Valu&es")
        # Beside the YAML, for charts that ship a schema (shown once it is known). No letter: every
        # one is taken on this screen; Ctrl+Tab reaches it.
        self.tabs.addTab(self.values_form, "Form")
        self.tabs.setTabVisible(1, False)
        self.tabs.addTab(self.override_view, "Chan&ges")
        self.tabs.addTab(self.version_diff_view, "&Between versions")
        # Short names so that every tab fits at 1024 px and at 2× (issue 22); the full ones as tips.
        self.tabs.setTabToolTip(self.tabs.indexOf(self.override_view), "Changes from the chart's defaults")
        self.tabs.setTabToolTip(self.tabs.indexOf(self.version_diff_view), "Defaults between chart versions")
        # No letters: every one of theirs is taken on this screen; Ctrl+Tab reaches them.
        self.manifests_view = ManifestsView()
        self.images_view = ImagesView()
        self.tabs.addTab(self.manifests_view, "Manifests")
        self.tabs.addTab(self.images_view, "Images")
        self.render_error = QLabel()
        self.render_error.setObjectName("fieldError")
        self.render_error.setWordWrap(True)
        self.render_error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.render_error.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.health)
        layout.addLayout(form)
        layout.addWidget(self.render_error)
        layout.addWidget(self.variables_note)
        layout.addWidget(self.tabs, 1)

    def _connect(self) -> None:
        self.version_combo.currentIndexChanged.connect(self._on_version_changed)
        self.namespace_edit.textEdited.connect(self._on_namespace_edited)
        self.priority_spin.valueChanged.connect(self._on_priority_changed)
        self.values_edit.textChanged.connect(self._on_values_changed)
        self.values_form.value_set.connect(self._on_form_value)
        self._form_timer.timeout.connect(lambda: self.values_form.show_values(self.values_edit.toPlainText()))
        self.problems.itemActivated.connect(self._on_problem_activated)
        self.checker.files_arrived.connect(self._on_checker_files_arrived)
        self.checker.checked.connect(self._on_checker_checked)
        self._checking_timer.timeout.connect(self._show_checking)
        self.renderer.rendered.connect(self._show_render)

    # --- loading ------------------------------------------------------------------------

    def set_profile(self, profile: Profile, *, recheck: bool = False) -> None:
        """The profile the layer belongs to: its variables are marked, suggested and substituted;
        `recheck`: check the values again when its variables or test values changed."""
        self.profile = profile
        scope = (profile.id, profile.variables, tuple(sorted(self.context.test_values_of(profile).items())))
        changed = scope != self._scope
        self._scope = scope
        names = [variable.name for variable in profile.variables]
        self._highlighter.set_variable_names(frozenset(names))
        if names != self.completer.names():
            self.completer.set_names(names)
        if changed and recheck and self.layer is not None:
            self._check_values()

    def edit(self, layer: Layer) -> None:
        self._loading = True
        try:
            self.layer = layer
            self.defaults = None
            self._defaults_problem = None
            self._show_form(None)
            registry = find_registry_by_uid(self.context.reader, layer.registry_uid)
            registry_name = registry.name if registry is not None else f"{layer.registry_name} (removed)"
            self.heading.setText(f"{layer.chart} — {registry_name}")
            health = layer_health(layer, layer_source(self.context.reader, layer))
            self.health.setText("" if health.ok else f"⚠ {health.message} Its pinned files still work offline.")
            self.health.setVisible(not health.ok)
            self.version_combo.clear()
            versions = (
                [row.version for row in version_rows(self.context.reader, registry, layer.chart)]
                if (registry is not None)
                else []
            )
            if layer.version not in versions:
                versions.insert(0, layer.version)
            for version in versions:
                self.version_combo.addItem(version, version)
            self.version_combo.setCurrentIndex(versions.index(layer.version))
            self.namespace_edit.setText(layer.namespace)
            self.namespace_error.hide()
            self.priority_spin.setValue(layer.install_priority)
            self.values_edit.setPlainText(layer.values_override)
            self.values_form.show_values(layer.values_override)
            self.version_diff_view.set_message("Change the chart version to see what changed in its defaults.")
        finally:
            self._loading = False
        self._placement = None
        self.manifests_view.clear()
        self.images_view.clear()
        self.render_error.hide()
        self._check_values()
        self._load_defaults(layer.version)

    def _load_defaults(self, version: str, previous: str | None = None) -> None:
        layer = self.layer
        registry = find_registry_by_uid(self.context.reader, layer.registry_uid) if layer else None
        if layer is None or registry is None:
            self.defaults_status.setText("The registry was removed: the chart's defaults are not available.")
            return
        self.defaults_status.setText("Loading the chart's defaults…")
        self._request += 1
        request = self._request
        # Started from the event loop, not from here: at startup the window is built before the
        # asyncio loop runs, and a task made then would never run.
        QTimer.singleShot(0, self, lambda: self._start_fetch(request, registry.id, layer.chart, version, previous))

    def stop_waiting(self) -> None:
        """The window is closing: what is being fetched is no longer shown."""
        self._request += 1
        if self._pending is not None:
            self._pending.cancel()
        self.renderer.stop_waiting()

    # --- rendering ----------------------------------------------------------------------

    def place(self, profile: Profile, row: int, *, edited: bool = False) -> None:
        """The layer is `profile.layers[row]`: render it (`edited`: a moment after the last edit)."""
        self._placement = (profile, row)
        if self.renderer.output(profile, row) is None:
            if edited:
                self.renderer.render_soon(profile, row)
            else:
                self.renderer.render_now(profile, row)
        self._show_render()

    def _show_render(self) -> None:
        if self._placement is None:
            return
        profile, row = self._placement
        output = self.renderer.output(profile, row)
        rendering = self.renderer.rendering(profile, row)
        if output is None:  # the previous rendering stays shown until the new one is here
            self.manifests_view.set_rendering(rendering)
            self.images_view.set_rendering(rendering)
            return
        self.render_error.setText(f"✗ {output.error}" if output.error else "")
        self.render_error.setVisible(output.error is not None)
        self.manifests_view.show_output(output)
        self.images_view.show_output(output)

    def _start_fetch(self, request: int, registry_id: int, chart: str, version: str, previous: str | None) -> None:
        if request != self._request:
            return
        self._pending = asyncio.ensure_future(self._fetch_defaults(request, registry_id, chart, version, previous))

    async def _fetch_defaults(
        self, request: int, registry_id: int, chart: str, version: str, previous: str | None
    ) -> None:
        worker = self.context.worker
        try:
            files = await asyncio.wrap_future(worker.chart_files(registry_id, chart, version))
            before: ChartFiles | None = None
            if previous:
                before = await asyncio.wrap_future(worker.chart_files(registry_id, chart, previous))
        except UserError as exc:
            if not self.context.outlived(self) and request == self._request:
                # One short line under the values (a URL-long reason squeezed the editor and was cut
                # off); the reason in full where there is room: the Changes from defaults tab.
                self._defaults_problem = f"The chart's defaults are not available: {exc.message}"
                self.defaults_status.setText(
                    "The chart's defaults are not available: the values are checked as YAML only "
                    "(the Changes tab says why)."
                )
                self.defaults_status.setToolTip(exc.message)
                self._check_values()
            return
        except Exception:
            log.exception("loading a chart's defaults failed")
            return
        if self.context.outlived(self) or request != self._request or self.layer is None:
            return
        self.defaults = files
        self.checker.remember(self.layer, files)
        self._show_form(files.schema)
        self._defaults_problem = None
        self.defaults_status.setText("")
        self.defaults_status.setToolTip("")
        if not self.values_edit.toPlainText().strip() and files.values:
            self.values_edit.setPlainText(files.values)  # a new layer starts from the chart's defaults
        if before is not None:
            self.version_diff_view.set_texts(
                before.values or "",
                files.values or "",
                f"{chart} {previous}",
                f"{chart} {version}",
                f"The default values of {previous} and {version} are the same.",
            )
            self.tabs.setCurrentWidget(self.version_diff_view)
        self._check_values()

    # --- editing ------------------------------------------------------------------------

    def _emit(self, layer: Layer) -> None:
        self.layer = layer
        if not self._loading:
            self.layer_edited.emit(layer)

    def _on_version_changed(self) -> None:
        version = self.version_combo.currentData()
        if self._loading or self.layer is None or version is None or version == self.layer.version:
            return
        previous = self.layer.version
        self._emit(replace(self.layer, version=str(version)))
        self.health.hide()
        self._load_defaults(str(version), previous)

    def _on_namespace_edited(self, text: str) -> None:
        if self.layer is None:
            return
        try:
            namespace = validate_namespace(text)
        except ValidationError as exc:
            self.namespace_error.setText(exc.message)
            self.namespace_error.show()
            return
        self.namespace_error.hide()
        self._emit(replace(self.layer, namespace=namespace))

    def _on_priority_changed(self, value: int) -> None:
        if self.layer is not None and value != self.layer.install_priority:
            self._emit(replace(self.layer, install_priority=value))

    def _on_values_changed(self) -> None:
        if self.layer is None or self._loading:
            return
        self._emit(replace(self.layer, values_override=self.values_edit.toPlainText()))
        self._check_values()
        self._form_timer.start()

    # --- the values form ----------------------------------------------------------------

    def _show_form(self, schema: str | None) -> None:
        """The Form tab for a chart that ships a schema; hidden (the Values tab shown) otherwise."""
        shown = bool(schema and schema.strip())
        if not shown and self.tabs.currentWidget() is self.values_form:
            self.tabs.setCurrentIndex(0)
        self.tabs.setTabVisible(self.tabs.indexOf(self.values_form), shown)
        self.values_form.set_schema(schema if shown else None)
        self.values_form.show_values(self.values_edit.toPlainText())

    def _on_form_value(self, path: tuple[str, ...], value: object) -> None:
        """A field edited: its value written into the YAML, as one undoable edit of only what changed."""
        text = self.values_edit.toPlainText()
        try:
            new = set_value(text, path, value)  # type: ignore[arg-type]  # the form sends scalars only
        except UserError as exc:
            self.values_form.show_refusal(exc.message)
            return
        if new == text:
            return
        start = 0
        limit = min(len(text), len(new))
        while start < limit and text[start] == new[start]:
            start += 1
        end = 0
        while end < limit - start and text[-1 - end] == new[-1 - end]:
            end += 1

        def units(piece: str) -> int:  # the editor counts UTF-16 code units
            return len(piece.encode("utf-16-le")) // 2

        cursor = self.values_edit.textCursor()
        cursor.beginEditBlock()
        cursor.setPosition(units(text[:start]))
        cursor.setPosition(units(text[: len(text) - end]), QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(new[start : len(new) - end])
        cursor.endEditBlock()
        self._form_timer.stop()
        self.values_form.show_values(self.values_edit.toPlainText())

    def values_problems(self) -> list[ValuesProblem]:
        if self.layer is None:
            return []
        layer = replace(self.layer, values_override=self.values_edit.toPlainText())
        return self.checker.problems(layer, self.profile)

    def _checking(self) -> bool:
        return self.layer is not None and self.checker.checking(
            replace(self.layer, values_override=self.values_edit.toPlainText()), self.profile
        )

    def _check_values(self) -> None:
        text = self.values_edit.toPlainText()
        found = self.values_problems()
        checking = self._checking()
        self._shown = (found, checking)
        if checking:
            self._checking_timer.start()
        else:
            self._checking_timer.stop()
        schema = self.defaults is not None and bool(self.defaults.schema)
        files_here = self.defaults is not None
        if self.layer is not None and not schema:
            schema = self.checker.has_schema(self.layer)
            files_here = files_here or self.checker.schema_known(self.layer)
        self.problems.clear()
        for problem in found:
            item = QListWidgetItem(f"⚠ {problem}")
            item.setData(Qt.ItemDataRole.UserRole, problem.line)
            self.problems.addItem(item)
        self._fit_problems()
        self.values_edit.mark_lines([problem.line for problem in found])
        self.values_form.mark(found)
        if schema:
            valid, checked = "✓ Valid (YAML and the chart's schema)", "YAML and the chart's schema"
        elif files_here:  # Longhorn ships no values.schema.json: only the YAML was checked
            valid, checked = "✓ Valid YAML (the chart ships no schema)", "YAML; the chart ships no schema"
        else:
            valid, checked = "✓ Valid (YAML)", "YAML"
        self.values_status.setText(valid if not found else f"✗ {plural(len(found), 'problem')} ({checked})")
        self.values_status.setObjectName("savedIndicator" if not found else "fieldError")
        self.values_status.style().unpolish(self.values_status)
        self.values_status.style().polish(self.values_status)
        defaults = self.defaults.values if self.defaults is not None else None
        variables = self.profile.variables if self.profile is not None else ()
        substitution = substitute_variables(text, variables, self.context.test_values_of(self.profile))
        self._show_variables_note(substitution.notes)
        after = "this layer, variables substituted" if substitution.notes else "this layer"
        if self.defaults is None and self._defaults_problem:
            self.override_view.set_message(self._defaults_problem)  # not every line shown as added
        else:
            self.override_view.set_texts(
                defaults or "", substitution.text, "chart defaults", after, "No changes from the chart's defaults."
            )
        self.problems_changed.emit(len(found))

    def _show_variables_note(self, notes: list[str]) -> None:
        """What the values check, Changes from defaults and the manifests use for each variable."""
        shown = "; ".join(notes[:6]) + (f"; … and {len(notes) - 6} more" if len(notes) > 6 else "")
        self.variables_note.setText(f"Checked, compared and rendered with the variables substituted: {shown}.")
        self.variables_note.setToolTip("\n".join(notes))
        self.variables_note.setVisible(bool(notes))

    def _fit_problems(self) -> None:
        """As tall as its problems, up to a few rows: the editor keeps the room."""
        count = self.problems.count()
        self.problems.setVisible(count > 0)
        if not count:
            return
        # Each problem wrapped at the list's width, whole (issue 25: the list was one line tall and cut
        # its message mid-sentence, a row's size hint being one line before the list had a width).
        width = max(self.problems.viewport().width(), self.width() // 2, 200) - 8
        metrics = self.problems.fontMetrics()
        flags = int(Qt.TextFlag.TextWordWrap)
        heights = [
            metrics.boundingRect(QRect(0, 0, width, 10_000), flags, self.problems.item(row).text()).height() + 6
            for row in range(min(count, PROBLEM_ROWS_SHOWN))
        ]
        self.problems.setFixedHeight(sum(heights) + 2 * self.problems.frameWidth() + 2)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.problems.viewport() and event.type() == QEvent.Type.Resize and self.problems.count():
            QTimer.singleShot(0, self._fit_problems)  # after the resize: fitting resizes the list again
        return super().eventFilter(watched, event)

    def _on_checker_files_arrived(self) -> None:
        if self.layer is not None:
            self._check_values()

    def _on_checker_checked(self) -> None:
        """A check ended, perhaps another layer's: redrawn only when this one's result changed."""
        if self.layer is not None and self._shown != (self.values_problems(), self._checking()):
            self._check_values()

    def _show_checking(self) -> None:
        if self._checking():
            self.values_status.setText("Checking the values against the chart's schema…")
            self.values_status.setObjectName("formHint")
            self.values_status.style().unpolish(self.values_status)
            self.values_status.style().polish(self.values_status)

    def _on_problem_activated(self, item: QListWidgetItem) -> None:
        line = int(item.data(Qt.ItemDataRole.UserRole) or 0)
        if line <= 0:
            return
        self.tabs.setCurrentIndex(0)
        self.values_edit.go_to_line(line)

    def problem_lines(self) -> list[int]:
        return [int(self.problems.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.problems.count())]

"""One profile: name, version, description and tags, its variables, its layers — listed in install
order (by priority), added with Add Helm Chart, edited in the layer editor — and the images they need,
to copy or export. Every change is saved on its own."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.catalog.profiles import find_profile, layer_source
from desktop.errors import ValidationError
from desktop.profiles.health import layer_health
from desktop.profiles.model import (
    Layer,
    Profile,
    ProfileVariable,
    validate_profile_name,
    validate_profile_version,
    validate_tags,
)
from desktop.profiles.variables import variable_problems
from desktop.ui.add_chart_dialog import AddChartDialog
from desktop.ui.context import AppContext
from desktop.ui.file_dialogs import file_dialog
from desktop.ui.forms import add_row, error_label, stacked
from desktop.ui.layer_checks import LayerChecker
from desktop.ui.layer_editor import LayerEditor
from desktop.ui.layer_renders import LayerRenderer
from desktop.ui.variables_section import VariablesSection
from desktop.wording import plural

LAYER_INDEX = Qt.ItemDataRole.UserRole + 1
IMAGE_ROWS_SHOWN = 6


class ProfilePane(QWidget):
    """Edits an in-memory profile; `profile_edited` carries each valid state to be saved."""

    profile_edited = Signal(object)  # Profile
    test_values_changed = Signal()

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
        self.profile: Profile | None = None
        self._loading = False
        self._dialog: AddChartDialog | None = None
        self._images_dialog: QFileDialog | None = None
        self._build_ui()
        self._connect()

    # --- building -----------------------------------------------------------------------

    def _build_ui(self) -> None:
        self.name_edit = QLineEdit()
        self.version_edit = QLineEdit()
        self.version_edit.setPlaceholderText("1.0.0")
        self.version_edit.setMaximumWidth(140)
        self.description_edit = QLineEdit()
        self.tags_edit = QLineEdit()
        self.tags_edit.setPlaceholderText("comma-separated, e.g. env:prod, team-web")
        self.field_errors = {key: error_label() for key in ("name", "version", "tags")}
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        add_row(form, "Profile n&ame:", stacked(self.name_edit, self.field_errors["name"]), self.name_edit)
        add_row(form, "Ver&sion:", stacked(self.version_edit, self.field_errors["version"]), self.version_edit)
        add_row(form, "&Description:", self.description_edit)
        add_row(form, "&Tags:", stacked(self.tags_edit, self.field_errors["tags"]), self.tags_edit)
        type_label = QLabel("Add-on")
        add_row(form, "Type:", type_label)

        self.layers = QListWidget()
        # One order: the one Palette installs in, by install priority (lower first; a tie in the order
        # the layers were added). Dragging would show an order the priorities contradict, so Move Up
        # and Move Down change the priorities instead.
        self.layers.setAccessibleName("Layers, in install order (lower priority first)")
        self.layers.setDragDropMode(QAbstractItemView.DragDropMode.NoDragDrop)
        self.layers.setWordWrap(True)  # a narrow list wraps a row rather than scrolling sideways
        self.layers.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.add_chart_button = QPushButton("Add Helm &Chart…")
        self.remove_layer_button = QPushButton("Remove La&yer")
        self.move_up_button = QPushButton("Move U&p")
        self.move_down_button = QPushButton("Move Do&wn")
        layer_buttons = QVBoxLayout()
        for pair in ((self.add_chart_button, self.remove_layer_button), (self.move_up_button, self.move_down_button)):
            row = QHBoxLayout()
            for button in pair:
                row.addWidget(button)
            layer_buttons.addLayout(row)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        layers_heading = QLabel("Layers, in install order")
        layers_heading.setObjectName("sectionHeading")
        self.order_hint = QLabel("Lower priority first, as Palette installs them")
        self.order_hint.setObjectName("formHint")
        self.order_hint.setWordWrap(True)
        for label in (layers_heading, self.order_hint):
            label.setToolTip(
                "Palette installs the layers by install priority, lowest first. Move Up and Move Down change "
                "the priorities; so does Install priority in the layer editor."
            )
        left_layout.addWidget(layers_heading)
        left_layout.addWidget(self.order_hint)
        left_layout.addWidget(self.layers, 1)
        left_layout.addLayout(layer_buttons)
        left_layout.addWidget(self._build_images())

        self.layer_editor = LayerEditor(self.context, self.checker, self.renderer)
        # Its five tabs stay in view at 2x (QT_SCALE_FACTOR=2), their names cut at the end if they
        # must be, rather than behind scroll arrows that hide Manifests and Images.
        self.layer_editor.tabs.setUsesScrollButtons(False)
        self.layer_editor.tabs.setElideMode(Qt.TextElideMode.ElideRight)
        self.no_layer = QLabel("Add a Helm chart to this profile, or select a layer to edit it.")
        self.no_layer.setObjectName("emptyText")
        self.no_layer.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_layer.setWordWrap(True)
        self.layer_stack = QStackedWidget()
        self.layer_stack.addWidget(self.no_layer)
        self.layer_stack.addWidget(self.layer_editor)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.layer_stack)
        splitter.setSizes([360, 720])

        self.variables_section = VariablesSection(self.context)
        top = QHBoxLayout()
        top.addLayout(form, 2)
        top.addSpacing(12)
        top.addWidget(self.variables_section, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        delete = QShortcut(QKeySequence.StandardKey.Delete, self.layers, context=Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.remove_selected_layer)

    def _build_images(self) -> QWidget:
        """The images every layer needs, as their charts render with the layers' values."""
        heading = QLabel("Images the profile needs")
        heading.setObjectName("sectionHeading")
        self.images_list = QListWidget()
        self.images_list.setAccessibleName("Images the profile needs")
        self.images_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.images_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        rows = self.images_list.fontMetrics().height() + 4
        self.images_list.setMaximumHeight(rows * IMAGE_ROWS_SHOWN + 2 * self.images_list.frameWidth())
        self.images_status = QLabel()
        self.images_status.setObjectName("formHint")
        self.images_status.setWordWrap(True)
        # No letters: Copy's and Export's are all taken on this screen; Tab reaches them.
        self.copy_images_button = QPushButton("Copy")
        self.copy_images_button.setToolTip("Copy every image reference, one a line")
        self.export_images_button = QPushButton("Export…")
        self.export_images_button.setToolTip("Save every image reference, one a line, in a text file")
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_images_button)
        buttons.addWidget(self.export_images_button)
        buttons.addStretch(1)
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(heading)
        layout.addWidget(self.images_list)
        layout.addWidget(self.images_status)
        layout.addLayout(buttons)
        return box

    def _connect(self) -> None:
        self.name_edit.textEdited.connect(self._on_fields_edited)
        self.version_edit.textEdited.connect(self._on_fields_edited)
        self.description_edit.textEdited.connect(self._on_fields_edited)
        self.tags_edit.textEdited.connect(self._on_fields_edited)
        self.layers.currentRowChanged.connect(self._on_layer_selected)
        self.add_chart_button.clicked.connect(self.open_add_chart)
        self.remove_layer_button.clicked.connect(self.remove_selected_layer)
        self.move_up_button.clicked.connect(lambda: self.move_selected_layer(-1))
        self.move_down_button.clicked.connect(lambda: self.move_selected_layer(1))
        self.layer_editor.layer_edited.connect(self._on_layer_edited)
        self.checker.files_arrived.connect(self.refresh_badges)
        self.checker.checked.connect(self.refresh_badges)
        self.renderer.rendered.connect(self.refresh_badges)
        self.renderer.rendered.connect(self._show_images)
        self.copy_images_button.clicked.connect(self.copy_images)
        self.export_images_button.clicked.connect(self.open_export_images)
        self.variables_section.variables_edited.connect(self._on_variables_edited)
        self.variables_section.test_values_changed.connect(self._on_test_values_changed)

    # --- loading ------------------------------------------------------------------------

    def edit(self, profile: Profile) -> None:
        order = install_order(list(profile.layers))  # the catalog reads them so; a profile made elsewhere may not
        profile = replace(profile, layers=tuple(profile.layers[i] for i in order))
        self._loading = True
        try:
            self.profile = profile
            self.name_edit.setText(profile.name)
            self.version_edit.setText(profile.version)
            self.description_edit.setText(profile.description)
            self.tags_edit.setText(", ".join(profile.tags))
            for label in self.field_errors.values():
                label.hide()
        finally:
            self._loading = False
        self.variables_section.show_profile(profile)
        self.layer_editor.set_profile(profile)
        self._fill_layers(0 if profile.layers else -1)

    def _rows(self) -> None:
        """One row a layer, in the profile's order (signals held by the caller)."""
        assert self.profile is not None
        self.layers.clear()
        for index, layer in enumerate(self.profile.layers):
            item = QListWidgetItem()
            item.setData(LAYER_INDEX, index)
            self._describe_layer(item, layer, index)
            self.layers.addItem(item)

    def _fill_layers(self, select: int) -> None:
        assert self.profile is not None
        self.layers.blockSignals(True)
        self._rows()
        self.layers.blockSignals(False)
        if 0 <= select < self.layers.count():
            self.layers.setCurrentRow(select)
        self._on_layer_selected(self.layers.currentRow())
        self.renderer.render_profile(self.profile)  # after the selected layer, which goes first
        self._show_images()

    def _describe_layer(self, item: QListWidgetItem, layer: Layer, row: int) -> None:
        """The row: chart and version, where it installs, and a badge for values errors, a chart that
        does not render, or health."""
        health = layer_health(layer, layer_source(self.context.reader, layer))
        errors = self.checker.problems(layer, self.profile)
        output = self.renderer.output(self.profile, row) if self.profile is not None else None
        failed = output.error if output is not None else None
        mark = "✗ " if errors or failed else ("" if health.ok else "⚠ ")
        badge = f" · {plural(len(errors), 'error')}" if errors else ""
        badge += " · does not render" if failed else ""
        item.setText(
            f"{mark}{layer.chart} {layer.version}{badge}\n   {layer.registry_name} · {layer.namespace}"
            f" · priority {layer.install_priority}"
        )
        where = f"{layer.chart} {layer.version} from {layer.registry_name}, into namespace {layer.namespace}"
        tips = [where, *(str(problem) for problem in errors[:5])]
        if failed:
            tips.append(failed)
        if not health.ok:
            tips.append(health.message)
        item.setToolTip("\n".join(tips))
        item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, "; ".join(tips))

    def layer_badges(self) -> list[str]:
        """The layer rows as shown (for tests and screen readers): their first lines."""
        return [self.layers.item(i).text().split("\n")[0] for i in range(self.layers.count())]

    def refresh_badges(self) -> None:
        if self.profile is None:
            return
        for row in range(min(self.layers.count(), len(self.profile.layers))):
            item = self.layers.item(row)
            index = int(item.data(LAYER_INDEX))
            self._describe_layer(item, self.profile.layers[index], index)

    # --- profile fields -----------------------------------------------------------------

    def field_problems(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        try:
            name = validate_profile_name(self.name_edit.text())
            other = find_profile(self.context.reader, name)
            if other is not None and self.profile is not None and other.id != self.profile.id:
                problems["name"] = f"A profile named '{other.name}' already exists."
        except ValidationError as exc:
            problems["name"] = exc.message
        for key, check in (
            ("version", lambda: validate_profile_version(self.version_edit.text())),
            ("tags", lambda: validate_tags(self.tags_edit.text().split(","))),
        ):
            try:
                check()
            except ValidationError as exc:
                problems[key] = exc.message
        return problems

    def _on_fields_edited(self) -> None:
        if self._loading or self.profile is None:
            return
        problems = self.field_problems()
        for key, label in self.field_errors.items():
            label.setText(problems.get(key, ""))
            label.setVisible(key in problems)
        if problems:
            return  # the last valid state stays saved; the field shows what to fix
        self._emit(
            replace(
                self.profile,
                name=validate_profile_name(self.name_edit.text()),
                version=validate_profile_version(self.version_edit.text()),
                description=self.description_edit.text().strip(),
                tags=validate_tags(self.tags_edit.text().split(",")),
            )
        )

    def _emit(self, profile: Profile) -> None:
        self.profile = profile
        self.layer_editor.set_profile(profile)
        self.profile_edited.emit(profile)

    # --- variables ----------------------------------------------------------------------

    def _on_variables_edited(self, variables: tuple[ProfileVariable, ...]) -> None:
        """Saved when they keep Palette's rules; otherwise the rules broken are shown, one a line,
        and the profile stays as it was saved."""
        if self.profile is None:
            return
        broken = variable_problems(variables)
        if broken:
            self.variables_section.show_problems(["Not saved: the variables would break these rules.", *broken])
            return
        self._emit(replace(self.profile, variables=variables))
        assert self.profile is not None
        self.variables_section.show_profile(self.profile)
        self._variables_changed()

    def _on_test_values_changed(self) -> None:
        self._variables_changed()
        self.test_values_changed.emit()

    def _variables_changed(self) -> None:
        """The layers are checked and rendered again with the variables as they are now."""
        if self.profile is None:
            return
        self.layer_editor.set_profile(self.profile, recheck=True)
        row = self.layers.currentRow()
        if 0 <= row < len(self.profile.layers):
            self.layer_editor.place(self.profile, row)
        self.renderer.render_profile(self.profile)
        self.refresh_badges()
        self._show_images()

    # --- layers -------------------------------------------------------------------------

    def _on_layer_selected(self, row: int) -> None:
        has_layer = self.profile is not None and 0 <= row < len(self.profile.layers)
        for button in (self.remove_layer_button, self.move_up_button, self.move_down_button):
            button.setEnabled(has_layer)
        if not has_layer:
            self.layer_stack.setCurrentWidget(self.no_layer)
            return
        assert self.profile is not None
        self.layer_stack.setCurrentWidget(self.layer_editor)
        self.layer_editor.set_profile(self.profile)
        self.layer_editor.edit(self.profile.layers[row])
        self.layer_editor.place(self.profile, row)

    def _on_layer_edited(self, layer: Layer) -> None:
        row = self.layers.currentRow()
        if self.profile is None or not 0 <= row < len(self.profile.layers):
            return
        layers = list(self.profile.layers)
        layers[row] = layer
        order = install_order(layers)
        self._emit(replace(self.profile, layers=tuple(layers[i] for i in order)))
        assert self.profile is not None
        if order != list(range(len(layers))):  # a new priority: the row moves to its place in the order
            row = order.index(row)
            self._refill_rows(row)
        self.layer_editor.place(self.profile, row, edited=True)
        item = self.layers.item(row)
        if item is not None:
            self._describe_layer(item, layer, row)
        self._show_images()

    def _refill_rows(self, select: int) -> None:
        """The rows again, `select` current, without editing the layer afresh (its editor keeps focus)."""
        assert self.profile is not None
        self.layers.blockSignals(True)
        self._rows()
        self.layers.setCurrentRow(select)
        self.layers.blockSignals(False)

    def move_selected_layer(self, step: int) -> None:
        """Move the layer one place in the install order: it swaps priorities with its neighbour
        (or, when both have the same priority, places with it), so the list stays the install order."""
        row = self.layers.currentRow()
        if self.profile is None or not 0 <= row < len(self.profile.layers):
            return
        target = row + step
        if not 0 <= target < len(self.profile.layers):
            return
        layers = list(self.profile.layers)
        mine, theirs = layers[row].install_priority, layers[target].install_priority
        layers[row], layers[target] = (
            replace(layers[target], install_priority=mine),
            replace(layers[row], install_priority=theirs),
        )
        self._emit(replace(self.profile, layers=tuple(layers)))
        self._fill_layers(target)

    def remove_selected_layer(self) -> None:
        row = self.layers.currentRow()
        if self.profile is None or not 0 <= row < len(self.profile.layers):
            return
        layers = list(self.profile.layers)
        del layers[row]
        self._emit(replace(self.profile, layers=tuple(layers)))
        self._fill_layers(min(row, len(layers) - 1))

    def open_add_chart(self) -> AddChartDialog:
        dialog = AddChartDialog(self.context, self)
        self._dialog = dialog
        dialog.accepted.connect(lambda: self._on_chart_chosen(dialog))
        dialog.open()
        return dialog

    def _on_chart_chosen(self, dialog: AddChartDialog) -> None:
        chosen = dialog.chosen
        if chosen is None or self.profile is None:
            return
        defaults = chosen.files.values if chosen.files is not None and chosen.files.values else ""
        layer = Layer(
            registry_uid=chosen.registry.uid,
            registry_name=chosen.registry.name,
            registry_endpoint=chosen.registry.endpoint,
            chart=chosen.chart,
            version=chosen.version,
            namespace=chosen.namespace,
            # last in the install order, where the list shows it
            install_priority=max((layer.install_priority for layer in self.profile.layers), default=0),
            values_override=defaults,
        )
        self._emit(replace(self.profile, layers=(*self.profile.layers, layer)))
        self._fill_layers(len(self.profile.layers) - 1)

    # --- the profile's images -----------------------------------------------------------

    def image_references(self) -> list[str]:
        return [self.images_list.item(i).text() for i in range(self.images_list.count())]

    def _show_images(self) -> None:
        if self.profile is None:
            return
        images, missing = self.renderer.profile_images(self.profile)
        references = images.references()
        if references != self.image_references():
            self.images_list.clear()
            for image in images:
                item = QListWidgetItem(image.image)
                item.setToolTip(f"{image.image}\nNeeded by {', '.join(image.charts)} ({image.why()})")
                self.images_list.addItem(item)
        rendering = any(self.renderer.rendering(self.profile, row) for row in range(len(self.profile.layers)))
        failed = len(self.renderer.profile_errors(self.profile))
        notes = [plural(len(references), "image")] if self.profile.layers else ["No layers: no images."]
        if failed:
            notes.append(
                f"{plural(failed, 'layer')} did not render: {'its' if failed == 1 else 'their'} images are not listed"
            )
        elif rendering or missing:
            notes.append("rendering the layers…")
        text = "; ".join(notes)
        self.images_status.setText(text if text.endswith(("…", ".")) else f"{text}.")  # not "layers…."
        for button in (self.copy_images_button, self.export_images_button):
            button.setEnabled(bool(references))

    def _images_text(self) -> str:
        return "".join(f"{reference}\n" for reference in self.image_references())

    def copy_images(self) -> None:
        """Every reference, one a line, on the clipboard."""
        QGuiApplication.clipboard().setText(self._images_text())
        self.images_status.setText(f"Copied {plural(self.images_list.count(), 'image reference')}.")

    def open_export_images(self) -> QFileDialog | None:
        if self.profile is None:
            return None
        stem = "".join(ch if ch.isalnum() or ch in "._-" else "-" for ch in self.profile.name)
        dialog = file_dialog(self, "Export the profile's images", "images", file_name=f"{stem}-images.txt")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("Text files (*.txt);;All files (*)")
        dialog.setDefaultSuffix("txt")
        dialog.fileSelected.connect(lambda name: self.export_images(Path(name)))
        self._images_dialog = dialog
        dialog.open()
        return dialog

    def export_images(self, path: Path) -> bool:
        """Write every reference, one a line (a few kilobytes: written here)."""
        try:
            path.write_text(self._images_text(), encoding="utf-8")
        except OSError as exc:
            self.images_status.setText(f"Not exported: {path} could not be written ({exc.strerror or exc}).")
            return False
        self.images_status.setText(f"Exported {plural(self.images_list.count(), 'image reference')} to {path}.")
        return True


def install_order(layers: list[Layer]) -> list[int]:
    """The layers' indexes in the order Palette installs them: by priority, lowest first; a tie as listed."""
    return sorted(range(len(layers)), key=lambda i: (layers[i].install_priority, i))

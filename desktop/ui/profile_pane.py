"""One profile: name, version, description and tags, and its layers — reordered by dragging,
added with Add Helm Chart, edited in the layer editor. Every change is saved on its own."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
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
    validate_profile_name,
    validate_profile_version,
    validate_tags,
)
from desktop.ui.add_chart_dialog import AddChartDialog
from desktop.ui.context import AppContext
from desktop.ui.forms import add_row, error_label, stacked
from desktop.ui.layer_checks import LayerChecker
from desktop.ui.layer_editor import LayerEditor
from desktop.wording import plural

LAYER_INDEX = Qt.ItemDataRole.UserRole + 1


class ProfilePane(QWidget):
    """Edits an in-memory profile; `profile_edited` carries each valid state to be saved."""

    profile_edited = Signal(object)  # Profile

    def __init__(self, context: AppContext, checker: LayerChecker | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.checker = checker or LayerChecker(context, self)
        self.profile: Profile | None = None
        self._loading = False
        self._dialog: AddChartDialog | None = None
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
        self.layers.setAccessibleName("Layers, in install order")
        self.layers.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.layers.setDefaultDropAction(Qt.DropAction.MoveAction)
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
        layers_heading = QLabel("Layers (drag to reorder)")
        layers_heading.setObjectName("sectionHeading")
        left_layout.addWidget(layers_heading)
        left_layout.addWidget(self.layers, 1)
        left_layout.addLayout(layer_buttons)

        self.layer_editor = LayerEditor(self.context, self.checker)
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

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(splitter, 1)
        delete = QShortcut(QKeySequence.StandardKey.Delete, self.layers, context=Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.remove_selected_layer)

    def _connect(self) -> None:
        self.name_edit.textEdited.connect(self._on_fields_edited)
        self.version_edit.textEdited.connect(self._on_fields_edited)
        self.description_edit.textEdited.connect(self._on_fields_edited)
        self.tags_edit.textEdited.connect(self._on_fields_edited)
        self.layers.currentRowChanged.connect(self._on_layer_selected)
        self.layers.model().rowsMoved.connect(lambda *_: self._on_layers_dragged())
        self.add_chart_button.clicked.connect(self.open_add_chart)
        self.remove_layer_button.clicked.connect(self.remove_selected_layer)
        self.move_up_button.clicked.connect(lambda: self.move_selected_layer(-1))
        self.move_down_button.clicked.connect(lambda: self.move_selected_layer(1))
        self.layer_editor.layer_edited.connect(self._on_layer_edited)
        self.checker.files_arrived.connect(self.refresh_badges)
        self.checker.checked.connect(self.refresh_badges)

    # --- loading ------------------------------------------------------------------------

    def edit(self, profile: Profile) -> None:
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
        self._fill_layers(0 if profile.layers else -1)

    def _fill_layers(self, select: int) -> None:
        assert self.profile is not None
        self.layers.blockSignals(True)
        self.layers.clear()
        for index, layer in enumerate(self.profile.layers):
            item = QListWidgetItem()
            item.setData(LAYER_INDEX, index)
            self._describe_layer(item, layer)
            self.layers.addItem(item)
        self.layers.blockSignals(False)
        if 0 <= select < self.layers.count():
            self.layers.setCurrentRow(select)
        self._on_layer_selected(self.layers.currentRow())

    def _describe_layer(self, item: QListWidgetItem, layer: Layer) -> None:
        """The row: chart and version, where it installs, and a badge for values errors or health."""
        health = layer_health(layer, layer_source(self.context.reader, layer))
        errors = self.checker.problems(layer)
        mark = "✗ " if errors else ("" if health.ok else "⚠ ")
        badge = f" · {plural(len(errors), 'error')}" if errors else ""
        item.setText(
            f"{mark}{layer.chart} {layer.version}{badge}\n   {layer.registry_name} · {layer.namespace}"
            f" · priority {layer.install_priority}"
        )
        where = f"{layer.chart} {layer.version} from {layer.registry_name}, into namespace {layer.namespace}"
        tips = [where, *(str(problem) for problem in errors[:5])]
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
            self._describe_layer(item, self.profile.layers[int(item.data(LAYER_INDEX))])

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
        self.profile_edited.emit(profile)

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
        self.layer_editor.edit(self.profile.layers[row])

    def _on_layer_edited(self, layer: Layer) -> None:
        row = self.layers.currentRow()
        if self.profile is None or not 0 <= row < len(self.profile.layers):
            return
        layers = list(self.profile.layers)
        layers[row] = layer
        self._emit(replace(self.profile, layers=tuple(layers)))
        item = self.layers.item(row)
        if item is not None:
            self._describe_layer(item, layer)

    def _on_layers_dragged(self) -> None:
        if self.profile is None:
            return
        order = [int(self.layers.item(i).data(LAYER_INDEX)) for i in range(self.layers.count())]
        layers = tuple(self.profile.layers[i] for i in order)
        self._emit(replace(self.profile, layers=layers))
        self._fill_layers(self.layers.currentRow())

    def move_selected_layer(self, step: int) -> None:
        row = self.layers.currentRow()
        if self.profile is None or not 0 <= row < len(self.profile.layers):
            return
        target = row + step
        if not 0 <= target < len(self.profile.layers):
            return
        layers = list(self.profile.layers)
        layers[row], layers[target] = layers[target], layers[row]
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
            install_priority=0,
            values_override=defaults,
        )
        self._emit(replace(self.profile, layers=(*self.profile.layers, layer)))
        self._fill_layers(len(self.profile.layers) - 1)

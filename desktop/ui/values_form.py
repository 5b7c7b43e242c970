"""The values form beside the YAML editor: the chart's schema as groups of fields (check boxes,
choices, bounded numbers, text), filled from the YAML, each edit asked of the editor as one value."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.profiles.schema_form import FormField, SchemaForm, build_form, problems_by_field
from desktop.profiles.values import ValuesProblem, parse_values
from desktop.ui.forms import error_label, stacked
from desktop.wording import plural

INT_LOW, INT_HIGH = -(2**31), 2**31 - 1  # a QSpinBox's range
OPEN_DEPTH = 1  # groups this deep start open; deeper ones fold (a click or Space opens them)
SHOWN_CHARS = 80


def _escaped(name: str) -> str:
    return name.replace("&", "&&")  # a key's `&` is not a mnemonic


class _Group:
    """A group's rows and, when it folds, the button that opens it."""

    def __init__(self, form: QFormLayout, toggle: QToolButton | None, body: QWidget | None) -> None:
        self.form = form
        self.toggle = toggle
        self.body = body

    def open(self) -> None:
        if self.toggle is not None and not self.toggle.isChecked():
            self.toggle.setChecked(True)


class ValuesForm(QWidget):
    """`value_set(path, value)` when a field is edited: the layer editor writes it into the YAML and
    calls `show_values` with the new text; `mark` puts the checker's problems on their fields."""

    value_set = Signal(tuple, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._schema: str | None = None
        self._built_for: str | None = None  # the schema the fields were built from
        self._pending_text: str | None = None
        self._pending_problems: list[ValuesProblem] = []
        self.form = SchemaForm()
        self.widgets: dict[tuple[str, ...], QWidget] = {}
        self._errors: dict[tuple[str, ...], QLabel] = {}
        self._groups: dict[tuple[str, ...], _Group] = {}
        self._fields: dict[tuple[str, ...], FormField] = {}
        self.status = QLabel()
        self.status.setObjectName("formHint")
        self.status.setWordWrap(True)
        self.status.hide()
        self.area = QScrollArea()
        self.area.setWidgetResizable(True)
        self.area.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.status)
        layout.addWidget(self.area, 1)

    # --- what the layer editor calls ---------------------------------------------------

    def set_schema(self, schema_text: str | None) -> None:
        """The chart's schema: the fields are built when the form is first shown."""
        self._schema = schema_text
        if self.isVisible():
            self._build()

    def show_values(self, text: str) -> None:
        self._pending_text = text
        if self._built_for is not None and self._built_for == self._schema:
            self._fill(text)

    def mark(self, problems: list[ValuesProblem]) -> None:
        self._pending_problems = list(problems)
        if self._built_for is not None and self._built_for == self._schema:
            self._mark(problems)

    def show_refusal(self, message: str) -> None:
        """An edit the YAML could not take, in one line above the fields."""
        self._say(f"✗ The form could not write that: {message}.", error=True)

    def field_error(self, path: tuple[str, ...]) -> str:
        label = self._errors.get(path)
        return label.text() if label is not None and not label.isHidden() else ""

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._built_for != self._schema:
            self._build()

    # --- building ------------------------------------------------------------------------

    def _build(self) -> None:
        self._built_for = self._schema
        self.form = build_form(self._schema)
        self.widgets, self._errors, self._groups, self._fields = {}, {}, {}, {}
        page = QWidget()
        root = QFormLayout(page)
        root.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        root.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._groups[()] = _Group(root, None, None)
        for field in self.form.fields:
            self._fields[field.path] = field
            parent = self._groups.get(field.path[:-1])
            if parent is None:
                continue
            if field.kind == "group":
                self._add_group(parent, field)
            else:
                self._add_field(parent.form, field)
        self.area.setWidget(page)
        notes = [self.form.problem] if self.form.problem else list(self.form.notes)
        self._say(" ".join(notes[:3]) + (f" … and {len(notes) - 3} more." if len(notes) > 3 else ""))
        self.area.setVisible(self.form.problem is None)
        if self._pending_text is not None:
            self._fill(self._pending_text)
        self._mark(self._pending_problems)

    def _add_group(self, parent: _Group, field: FormField) -> None:
        """A group box at the top; deeper, a compact folding row (its button, then its fields indented)."""
        title = _escaped(field.name) + (" *" if field.required else "")
        foldable = len(field.path) > OPEN_DEPTH
        holder: QWidget = QWidget() if foldable else QGroupBox(title)
        holder.setToolTip(field.description)
        outer = QVBoxLayout(holder)
        body = QWidget()
        toggle = None
        if foldable:
            outer.setContentsMargins(0, 0, 0, 0)
            outer.setSpacing(2)
            toggle = QToolButton()
            toggle.setText(title)
            toggle.setCheckable(True)
            toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            toggle.setArrowType(Qt.ArrowType.RightArrow)
            toggle.setAutoRaise(True)
            toggle.setAccessibleName(f"{field.dotted} (group)")
            toggle.toggled.connect(lambda shown, t=toggle, b=body: self._fold(t, b, shown))
            outer.addWidget(toggle)
            body.hide()
        if field.description:
            outer.addWidget(self._help(field.description))
        error = error_label()
        outer.addWidget(error)
        self._errors[field.path] = error
        form = QFormLayout(body)
        form.setContentsMargins(20 if foldable else 0, 0, 0, 0)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        outer.addWidget(body)
        parent.form.addRow(holder)
        self._groups[field.path] = _Group(form, toggle, body)

    @staticmethod
    def _fold(toggle: QToolButton, body: QWidget, shown: bool) -> None:
        toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        body.setVisible(shown)

    def _help(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("formHint")
        label.setWordWrap(True)
        return label

    def _add_field(self, form: QFormLayout, field: FormField) -> None:
        widget = self._widget(field)
        widget.setToolTip(field.description or field.dotted)
        widget.setAccessibleName(field.dotted + (" (required)" if field.required else ""))
        below: list[QWidget] = [self._help(field.description)] if field.description else []
        error = error_label()
        below.append(error)
        label = QLabel(_escaped(field.name) + (" *" if field.required else "") + ":")
        label.setToolTip(field.description)
        label.setBuddy(widget)
        form.addRow(label, stacked(widget, *below))
        self.widgets[field.path] = widget
        self._errors[field.path] = error

    def _widget(self, field: FormField) -> QWidget:
        path = field.path
        if field.kind == "boolean":
            box = QCheckBox()
            box.clicked.connect(lambda checked, p=path: self.value_set.emit(p, bool(checked)))
            return box
        if field.kind == "choice":
            combo = QComboBox()
            combo.addItem("(not set)", None)
            for choice in field.choices:
                combo.addItem(json.dumps(choice) if not isinstance(choice, str) else choice, choice)
            combo.activated.connect(lambda index, p=path, c=combo: self._chosen(p, c, index))
            return combo
        if field.kind == "integer":
            spin = QSpinBox()
            low = INT_LOW if field.minimum is None else max(INT_LOW, int(field.minimum))
            high = INT_HIGH if field.maximum is None else min(INT_HIGH, int(field.maximum))
            spin.setRange(low, max(low, high))
            spin.setKeyboardTracking(False)  # a value when Enter is pressed or the focus leaves, not per digit
            spin.valueChanged.connect(lambda value, p=path: self.value_set.emit(p, int(value)))
            return spin
        if field.kind == "number":
            double = QDoubleSpinBox()
            double.setDecimals(6)
            low_f = -1e15 if field.minimum is None else field.minimum
            high_f = 1e15 if field.maximum is None else field.maximum
            double.setRange(low_f, max(low_f, high_f))
            double.setKeyboardTracking(False)
            double.valueChanged.connect(lambda value, p=path: self.value_set.emit(p, float(value)))
            return double
        if field.kind == "string":
            line = QLineEdit()
            line.editingFinished.connect(lambda p=path, e=line: self._typed(p, e))
            return line
        shown = QLineEdit()
        shown.setReadOnly(True)
        shown.setPlaceholderText(f"Edited in the Values tab ({field.why_other})")
        return shown

    def _chosen(self, path: tuple[str, ...], combo: QComboBox, index: int) -> None:
        if index > 0:
            self.value_set.emit(path, combo.itemData(index))

    def _typed(self, path: tuple[str, ...], line: QLineEdit) -> None:
        if line.isModified():
            line.setModified(False)
            self.value_set.emit(path, line.text())

    # --- filling and marking -----------------------------------------------------------

    def _fill(self, text: str) -> None:
        data, problem = parse_values(text)
        page = self.area.widget()
        if problem is not None:
            if page is not None:
                page.setEnabled(False)
            self._say(f"✗ The values are not valid YAML ({problem}): fix them in the Values tab; the form waits.")
            return
        if page is not None:
            page.setEnabled(True)
        if self.status.objectName() == "fieldError" and "not valid YAML" in self.status.text():
            self._say(" ".join(self.form.notes[:3]))
        for path, widget in self.widgets.items():
            self._show(self._fields[path], widget, _at(data, path))

    def _show(self, field: FormField, widget: QWidget, value: Any) -> None:
        present = value is not _MISSING
        shown = value if present else field.default
        widget.blockSignals(True)
        try:
            if isinstance(widget, QCheckBox):
                widget.setChecked(shown is True)
            elif isinstance(widget, QComboBox):
                index = next((i for i in range(1, widget.count()) if present and _same(widget.itemData(i), value)), 0)
                widget.setCurrentIndex(index)
            elif isinstance(widget, QSpinBox):
                widget.setValue(int(shown) if isinstance(shown, int | float) and not isinstance(shown, bool) else 0)
            elif isinstance(widget, QDoubleSpinBox):
                widget.setValue(float(shown) if isinstance(shown, int | float) and not isinstance(shown, bool) else 0.0)
            elif isinstance(widget, QLineEdit):
                if widget.isReadOnly():
                    text = json.dumps(value, default=str) if present else ""
                    widget.setText(text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…")
                elif not (widget.hasFocus() and widget.isModified()):
                    widget.setText("" if not present or value is None else _scalar_text(value))
                    widget.setPlaceholderText("" if present or field.default is None else f"default: {field.default}")
        finally:
            widget.blockSignals(False)

    def _mark(self, problems: list[ValuesProblem]) -> None:
        marked = problems_by_field(self.form, problems)
        for path, label in self._errors.items():
            messages = marked.get(path)
            label.setText("✗ " + "; ".join(messages[:3]) if messages else "")
            label.setVisible(bool(messages))
            widget = self.widgets.get(path)
            if widget is not None and bool(widget.property("invalid")) != bool(messages):
                widget.setProperty("invalid", bool(messages))
                widget.style().unpolish(widget)
                widget.style().polish(widget)
            if messages:
                for depth in range(1, len(path)):
                    group = self._groups.get(path[:depth])
                    if group is not None:
                        group.open()  # a problem is never folded away
        if marked:
            self._say(
                f"✗ {plural(len(marked), 'field')} with problems, marked below (and in the Values tab).", error=True
            )
        elif self.status.objectName() == "fieldError" and "marked below" in self.status.text():
            self._say(" ".join(self.form.notes[:3]))

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setObjectName("fieldError" if error or text.startswith("✗") else "formHint")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.status.setVisible(bool(text))


_MISSING = object()


def _at(data: Any, path: tuple[str, ...]) -> Any:
    node = data
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return _MISSING
        node = node[key]
    return node


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, default=str)

"""Add or edit one profile variable: every field of Palette's V1Variable, a dropdown's options, and
the rules it breaks among the profile's variables, one line each (OK waits until there are none)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.profiles.model import ProfileVariable, VariableOption
from desktop.profiles.variables import FORMATS, INPUT_TYPES, variable_problems
from desktop.ui.forms import add_row

OPTION_COLUMNS = ("Label", "Value", "Description", "Default")


class VariableDialog(QDialog):
    """`variable()` is the variable as the fields have it; `problems()` the rules it breaks beside
    `others` (the profile's other variables)."""

    def __init__(
        self, variable: ProfileVariable | None, others: Sequence[ProfileVariable], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit Variable" if variable is not None else "Add Variable")
        self.others = tuple(others)
        self._build_ui()
        self._load(variable or ProfileVariable(name=""))
        self._connect()
        self._check()

    def _build_ui(self) -> None:
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("letters, digits and _, as in {{.spectro.var.my_name}}")
        self.display_edit = QLineEdit()
        self.description_edit = QLineEdit()
        self.format_combo = QComboBox()
        self.format_combo.addItems(list(FORMATS))
        self.input_combo = QComboBox()
        self.input_combo.addItems(list(INPUT_TYPES))
        self.default_line = QLineEdit()
        self.default_text = QPlainTextEdit()
        self.default_text.setTabChangesFocus(True)
        self.default_text.setFixedHeight(self.default_text.fontMetrics().height() * 4 + 12)
        self.default_text.hide()
        self.default_box = QWidget()  # one of the two shows: a line, or several for a multiline value
        default_layout = QVBoxLayout(self.default_box)
        default_layout.setContentsMargins(0, 0, 0, 0)
        default_layout.addWidget(self.default_line)
        default_layout.addWidget(self.default_text)
        self.default_box.setFocusProxy(self.default_line)
        self.regex_edit = QLineEdit()
        self.regex_edit.setPlaceholderText("optional: the value must match it")
        self.required_box = QCheckBox("Re&quired (needs a default)")
        self.immutable_box = QCheckBox("I&mmutable (the default is always used)")
        self.hidden_box = QCheckBox("&Hidden (not shown when a cluster is deployed)")
        self.sensitive_box = QCheckBox("&Sensitive (masked wherever shown or exported)")
        flags = QVBoxLayout()
        for box in (self.required_box, self.immutable_box, self.hidden_box, self.sensitive_box):
            flags.addWidget(box)

        self.options = QTableWidget(0, len(OPTION_COLUMNS))
        self.options.setAccessibleName("Dropdown options")
        self.options.setHorizontalHeaderLabels(list(OPTION_COLUMNS))
        self.options.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.options.verticalHeader().hide()
        self.options.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.options.setTabKeyNavigation(False)
        self.options.setMaximumHeight(140)
        self.add_option_button = QPushButton("Add op&tion")
        self.remove_option_button = QPushButton("&Remove option")
        option_buttons = QHBoxLayout()
        option_buttons.addWidget(self.add_option_button)
        option_buttons.addWidget(self.remove_option_button)
        option_buttons.addStretch(1)
        self.options_box = QWidget()
        options_layout = QVBoxLayout(self.options_box)
        options_layout.setContentsMargins(0, 0, 0, 0)
        options_layout.addWidget(self.options)
        options_layout.addLayout(option_buttons)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        add_row(form, "&Name:", self.name_edit)
        add_row(form, "Display n&ame:", self.display_edit)
        add_row(form, "&Description:", self.description_edit)
        add_row(form, "&Format:", self.format_combo)
        add_row(form, "&Input type:", self.input_combo)
        self.default_label = add_row(form, "Default &value:", self.default_box)
        add_row(form, "Rege&x:", self.regex_edit)
        form.addRow("", flags)
        self.options_label = add_row(form, "O&ptions:", self.options_box, self.options)

        self.problem_label = QLabel()
        self.problem_label.setObjectName("fieldError")
        self.problem_label.setWordWrap(True)
        self.problem_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)

    def _connect(self) -> None:
        for edit in (self.name_edit, self.display_edit, self.description_edit, self.default_line, self.regex_edit):
            edit.textChanged.connect(self._check)
        self.default_text.textChanged.connect(self._check)
        for combo in (self.format_combo, self.input_combo):
            combo.currentIndexChanged.connect(self._check)
        for box in (self.required_box, self.immutable_box, self.hidden_box, self.sensitive_box):
            box.toggled.connect(self._check)
        self.options.itemChanged.connect(self._check)
        self.add_option_button.clicked.connect(self.add_option)
        self.remove_option_button.clicked.connect(self.remove_option)
        self.buttons.accepted.connect(self._on_ok)
        self.buttons.rejected.connect(self.reject)

    def _load(self, variable: ProfileVariable) -> None:
        self.name_edit.setText(variable.name)
        self.display_edit.setText(variable.display_name)
        self.description_edit.setText(variable.description)
        self.format_combo.setCurrentText(variable.format)
        self.input_combo.setCurrentText(variable.input_type)
        self.default_line.setText(variable.default_value)
        self.default_text.setPlainText(variable.default_value)
        self.regex_edit.setText(variable.regex)
        self.required_box.setChecked(variable.required)
        self.immutable_box.setChecked(variable.immutable)
        self.hidden_box.setChecked(variable.hidden)
        self.sensitive_box.setChecked(variable.is_sensitive)
        for option in variable.options:
            self._add_option_row(option)

    # --- options ------------------------------------------------------------------------

    def _add_option_row(self, option: VariableOption) -> None:
        row = self.options.rowCount()
        self.options.blockSignals(True)
        self.options.insertRow(row)
        for column, text in enumerate((option.label, option.value, option.description)):
            self.options.setItem(row, column, QTableWidgetItem(text))
        default = QTableWidgetItem()
        default.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        default.setCheckState(Qt.CheckState.Checked if option.default else Qt.CheckState.Unchecked)
        self.options.setItem(row, 3, default)
        self.options.blockSignals(False)

    def add_option(self) -> None:
        self._add_option_row(VariableOption(value=""))
        row = self.options.rowCount() - 1
        self.options.setCurrentCell(row, 0)
        self.options.setFocus()
        item = self.options.item(row, 0)
        if item is not None:
            self.options.editItem(item)
        self._check()

    def remove_option(self) -> None:
        row = self.options.currentRow()
        if row >= 0:
            self.options.removeRow(row)
            self._check()

    def option_values(self) -> tuple[VariableOption, ...]:
        options = []
        for row in range(self.options.rowCount()):
            texts = [(self.options.item(row, column) or QTableWidgetItem()).text() for column in range(3)]
            default = self.options.item(row, 3)
            checked = default is not None and default.checkState() == Qt.CheckState.Checked
            options.append(VariableOption(value=texts[1], label=texts[0], description=texts[2], default=checked))
        return tuple(options)

    # --- the variable -------------------------------------------------------------------

    def _multiline(self) -> bool:
        return self.input_combo.currentText() == "multiline"

    def variable(self) -> ProfileVariable:
        dropdown = self.input_combo.currentText() == "dropdown"
        default = self.default_text.toPlainText() if self._multiline() else self.default_line.text()
        return ProfileVariable(
            name=self.name_edit.text().strip(),
            display_name=self.display_edit.text().strip(),
            description=self.description_edit.text().strip(),
            format=self.format_combo.currentText(),
            default_value=default,
            regex=self.regex_edit.text(),
            required=self.required_box.isChecked(),
            immutable=self.immutable_box.isChecked(),
            hidden=self.hidden_box.isChecked(),
            is_sensitive=self.sensitive_box.isChecked(),
            input_type=self.input_combo.currentText(),
            options=self.option_values() if dropdown else (),
        )

    def problems(self) -> list[str]:
        return variable_problems((*self.others, self.variable()))

    def _check(self) -> None:
        multiline = self._multiline()
        if multiline != (self.default_box.focusProxy() is self.default_text):  # the value carries over
            if multiline:
                self.default_text.setPlainText(self.default_line.text())
            else:
                self.default_line.setText(self.default_text.toPlainText().replace("\n", " "))
            self.default_text.setVisible(multiline)
            self.default_line.setVisible(not multiline)
            self.default_box.setFocusProxy(self.default_text if multiline else self.default_line)
        self.default_line.setEchoMode(
            QLineEdit.EchoMode.Password if self.sensitive_box.isChecked() else QLineEdit.EchoMode.Normal
        )
        dropdown = self.input_combo.currentText() == "dropdown"
        self.options_box.setVisible(dropdown)
        self.options_label.setVisible(dropdown)
        self.remove_option_button.setEnabled(self.options.rowCount() > 0)
        found = self.problems()
        self.problem_label.setText("\n".join(f"✗ {problem}" for problem in found))
        self.problem_label.setVisible(bool(found))
        self.ok_button.setEnabled(not found)

    def _on_ok(self) -> None:
        if not self.problems():
            self.accept()

"""A profile's Variables section: its variables in a table (a sensitive default masked), added, edited
and removed, each with a test value for this session that the layers' checks and renders use."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.profiles.model import MASK, Profile, ProfileVariable
from desktop.profiles.variables import value_problem, variable_problems
from desktop.ui.context import AppContext
from desktop.ui.variable_dialog import VariableDialog

COLUMNS = ("Name", "Display name", "Format", "Default", "Required", "Test value")
TEST_COLUMN = COLUMNS.index("Test value")
SENSITIVE = Qt.ItemDataRole.UserRole + 1
ROWS_SHOWN = 4


class _TestValueDelegate(QStyledItemDelegate):
    """A sensitive variable's test value is masked, shown and typed."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        if index.data(SENSITIVE) and option.text:
            option.text = MASK

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QWidget:
        editor = super().createEditor(parent, option, index)
        if isinstance(editor, QLineEdit):
            editor.setPlaceholderText("empty: the default is used")
            if index.data(SENSITIVE):
                editor.setEchoMode(QLineEdit.EchoMode.Password)
        return editor


class VariablesSection(QWidget):
    """`variables_edited` carries the variables after Add, Edit or Remove (the caller refuses ones
    that break a rule); `test_values_changed` when a test value was set or cleared."""

    variables_edited = Signal(object)  # tuple[ProfileVariable, ...]
    test_values_changed = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.profile: Profile | None = None
        self.dialog: VariableDialog | None = None
        self._filling = False
        self._build_ui()
        self._connect()

    def _build_ui(self) -> None:
        heading = QLabel("Variables")
        heading.setObjectName("sectionHeading")
        hint = QLabel("used in values as {{.spectro.var.NAME}}")
        hint.setObjectName("formHint")
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addWidget(hint, 1)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName("Profile variables")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.table.setItemDelegateForColumn(TEST_COLUMN, _TestValueDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)  # the test value has the room left
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        characters = self.table.fontMetrics().horizontalAdvance("x")
        for column, width in enumerate((11, 12, 10, 12, 9)):
            self.table.setColumnWidth(column, characters * width)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.setToolTip(
            "Enter edits the variable; F2 or typing on its Test value sets the value the layers are "
            "checked and rendered with (this session only); Insert adds, Delete removes"
        )
        row_height = self.table.verticalHeader().defaultSectionSize()
        self.table.setFixedHeight(row_height * ROWS_SHOWN + header.sizeHint().height() + 2 * self.table.frameWidth())
        # No letters: every one that would fit is taken on this screen; Insert, Enter and Delete work
        # in the table, and Tab reaches the buttons.
        self.add_button = QPushButton("Add…")
        self.add_button.setToolTip("Add a variable (Insert in the table)")
        self.edit_button = QPushButton("Edit…")
        self.edit_button.setToolTip("Edit the selected variable (Enter in the table)")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected variable (Delete in the table)")
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.problems_label = QLabel()
        self.problems_label.setObjectName("fieldError")
        self.problems_label.setWordWrap(True)
        self.problems_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problems_label.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addWidget(self.problems_label)

    def _connect(self) -> None:
        self.add_button.clicked.connect(self.open_add)
        self.edit_button.clicked.connect(self.open_edit)
        self.remove_button.clicked.connect(self.remove_selected)
        self.table.itemActivated.connect(lambda _item: self.open_edit())
        self.table.itemChanged.connect(self._on_item_changed)
        self.table.currentCellChanged.connect(lambda *_: self._enable())
        insert = QShortcut(QKeySequence(Qt.Key.Key_Insert), self.table, context=Qt.ShortcutContext.WidgetShortcut)
        insert.activated.connect(self.open_add)
        delete = QShortcut(
            QKeySequence(QKeySequence.StandardKey.Delete), self.table, context=Qt.ShortcutContext.WidgetShortcut
        )
        delete.activated.connect(self.remove_selected)

    # --- showing ------------------------------------------------------------------------

    def show_profile(self, profile: Profile) -> None:
        """The profile's variables, the selected row kept when it is still there."""
        same = self.profile is not None and self.profile.id == profile.id
        row = self.table.currentRow() if same else 0
        self.profile = profile
        tests = self.test_values()
        self._filling = True
        try:
            self.table.setRowCount(len(profile.variables))
            for number, variable in enumerate(profile.variables):
                default = variable.default()  # a dropdown's default option, too
                shown = (
                    variable.name,
                    variable.display_name,
                    variable.format if variable.input_type == "text" else variable.input_type,
                    default.replace("\n", "⏎") if not variable.is_sensitive else (MASK if default else ""),
                    "yes" if variable.required else "",
                )
                about = f"{variable.format}, {variable.input_type}" + "".join(
                    f", {flag}" for flag, on in (("immutable", variable.immutable), ("hidden", variable.hidden)) if on
                )
                for column, text in enumerate(shown):
                    item = QTableWidgetItem(text)
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                    item.setToolTip(f"{variable.description or variable.name} ({about})")
                    self.table.setItem(number, column, item)
                test = QTableWidgetItem(tests.get(variable.name, ""))
                test.setData(SENSITIVE, variable.is_sensitive)
                if variable.fixed:  # Palette deploys its default whatever is set
                    test.setFlags(test.flags() & ~Qt.ItemFlag.ItemIsEditable)
                    test.setToolTip("Immutable or hidden: its default is always used, as Palette deploys it")
                else:
                    test.setToolTip("The value the layers are checked and rendered with, this session (F2)")
                self.table.setItem(number, TEST_COLUMN, test)
        finally:
            self._filling = False
        if self.table.rowCount():
            self.table.setCurrentCell(min(max(row, 0), self.table.rowCount() - 1), 0)
        self._enable()
        self.show_problems()

    def test_values(self) -> dict[str, str]:
        return self.context.test_values_of(self.profile)

    def show_problems(self, extra: list[str] | None = None) -> list[str]:
        """The rules the variables break and the test values that do not fit, one line each."""
        found = list(extra or [])
        if self.profile is not None:
            found += variable_problems(self.profile.variables)
            tests = self.test_values()
            for variable in self.profile.variables:
                value = tests.get(variable.name)
                problem = value_problem(variable, value, "its test value") if value is not None else None
                if problem is not None:
                    found.append(f"Variable '{variable.name}': {problem}.")
        self.problems_label.setText("\n".join(f"✗ {line}" for line in found))
        self.problems_label.setVisible(bool(found))
        return found

    def problems(self) -> list[str]:
        text = self.problems_label.text()
        return [line.removeprefix("✗ ") for line in text.split("\n")] if text else []

    def _enable(self) -> None:
        has = self.profile is not None and 0 <= self.table.currentRow() < len(self.profile.variables)
        self.edit_button.setEnabled(has)
        self.remove_button.setEnabled(has)
        self.add_button.setEnabled(self.profile is not None)

    # --- test values --------------------------------------------------------------------

    def set_test_value(self, name: str, value: str) -> None:
        """`value` for the variable `name` this session; empty: its default again."""
        if self.profile is None:
            return
        kept = self.context.test_values.setdefault(self.profile.id or 0, {})
        if value:
            kept[name] = value
        else:
            kept.pop(name, None)
        self.show_problems()
        self.test_values_changed.emit()

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or self.profile is None or item.column() != TEST_COLUMN:
            return
        row = item.row()
        if 0 <= row < len(self.profile.variables):
            self.set_test_value(self.profile.variables[row].name, item.text())

    # --- adding, editing, removing ------------------------------------------------------

    def open_add(self) -> VariableDialog | None:
        if self.profile is None:
            return None
        return self._open(None, self.profile.variables)

    def open_edit(self) -> VariableDialog | None:
        row = self.table.currentRow()
        if self.profile is None or not 0 <= row < len(self.profile.variables):
            return None
        variables = self.profile.variables
        return self._open(row, variables[:row] + variables[row + 1 :])

    def _open(self, row: int | None, others: tuple[ProfileVariable, ...]) -> VariableDialog:
        assert self.profile is not None
        editing = self.profile.variables[row] if row is not None else None
        dialog = VariableDialog(editing, others, self)
        self.dialog = dialog
        dialog.accepted.connect(lambda: self._on_dialog_accepted(dialog, row))
        dialog.open()
        return dialog

    def _on_dialog_accepted(self, dialog: VariableDialog, row: int | None) -> None:
        if self.profile is None:
            return
        variable = dialog.variable()
        variables = list(self.profile.variables)
        if row is None:
            variables.append(variable)
        else:
            before = variables[row]
            variables[row] = variable
            kept = self.context.test_values.get(self.profile.id or 0, {})
            if before.name != variable.name and before.name in kept:  # the test value follows a rename
                kept[variable.name] = kept.pop(before.name)
        self.variables_edited.emit(tuple(variables))
        self.table.setCurrentCell(len(variables) - 1 if row is None else row, 0)
        self.table.setFocus()

    def remove_selected(self) -> None:
        row = self.table.currentRow()
        if self.profile is None or not 0 <= row < len(self.profile.variables):
            return
        variables = list(self.profile.variables)
        del variables[row]
        self.variables_edited.emit(tuple(variables))

"""Import Profile: review a Palette export before it is saved — its name, the registry each Helm or
OCI pack comes from (asked for when the file's registry matches none here, or several), and the packs
Chartkeeper leaves out."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.errors import ValidationError
from desktop.profiles.model import validate_profile_name
from desktop.profiles.palette_import import Choices, ImportPlan, PackPlan
from desktop.ui.forms import add_row, error_label, stacked

CHOOSE = "Choose a registry…"


class ProfileImportDialog(QDialog):
    def __init__(self, plan: ImportPlan, taken_names: set[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan = plan
        self.taken_names = {name.casefold() for name in taken_names}
        self.registry_combos: dict[int, QComboBox] = {}  # pack number → its registry choice
        self._build_ui()
        self._connect()
        self._load()

    def _build_ui(self) -> None:
        export = self.plan.export
        self.setWindowTitle("Import Profile")
        self.resize(640, 420)
        heading = QLabel(f"“{export.name}” {export.version}: {len(self.plan.packs)} Helm chart layer(s) to import.")
        heading.setWordWrap(True)
        self.name_edit = QLineEdit(export.name)
        self.name_edit.setAccessibleName("Profile name")
        self.name_error = error_label()
        form = QFormLayout()
        add_row(form, "Profile &name:", stacked(self.name_edit, self.name_error), self.name_edit)
        packs = QWidget()
        pack_form = QFormLayout(packs)
        for pack_plan in self.plan.packs:
            combo = self._registry_combo(pack_plan)
            self.registry_combos[pack_plan.pack.number] = combo
            note = error_label()
            pack = pack_plan.pack
            if pack_plan.registry is None:
                note.setText(self._question(pack_plan))
                note.show()
            label = add_row(pack_form, f"{pack.label}\nfrom {pack.registry_label}:", stacked(combo, note), combo)
            label.setWordWrap(True)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(packs)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        left_out = [*self.plan.skipped, *self.plan.export.ignored]
        self.left_out = QLabel("Not imported:\n" + "\n".join(f"• {line}" for line in left_out))
        self.left_out.setWordWrap(True)
        self.left_out.setVisible(bool(left_out))
        self.left_out.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = QPushButton("&Import")
        self.import_button.setDefault(True)
        self.buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.AcceptRole)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.left_out)
        layout.addWidget(self.buttons)

    def _registry_combo(self, pack_plan: PackPlan) -> QComboBox:
        combo = QComboBox()
        combo.setAccessibleName(f"Registry for {pack_plan.pack.label}")
        if pack_plan.registry is None:
            combo.addItem(CHOOSE, None)
        held = {r.uid for r in pack_plan.suggestions}
        for registry in pack_plan.candidates(self.plan.registries):
            note = " — holds this version" if registry.uid in held else ""
            combo.addItem(f"{registry.name}  ({registry.kind}){note}", registry.uid)
        return combo

    def _question(self, pack_plan: PackPlan) -> str:
        kind = pack_plan.pack.kind
        if not any(r.kind == kind for r in self.plan.registries):
            return f"There is no {kind} registry here: add one that holds this chart, then import again."
        if pack_plan.matches:
            return "Several registries here match the file's: choose the one to take it from."
        return f"No {kind} registry here has the file's registry name: choose the one to take it from."

    def _connect(self) -> None:
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.name_edit.textChanged.connect(self._check)
        for combo in self.registry_combos.values():
            combo.currentIndexChanged.connect(self._check)

    def _load(self) -> None:
        self._check()
        first_open = next((c for c in self.registry_combos.values() if c.currentData() is None), None)
        (first_open or self.name_edit).setFocus()

    def problems(self) -> list[str]:
        found = []
        try:
            name = validate_profile_name(self.name_edit.text())
            if name.casefold() in self.taken_names:
                found.append(f"A profile named “{name}” exists already: choose another name.")
        except ValidationError as exc:
            found.append(exc.message)
        self.name_error.setText(found[0] if found else "")
        self.name_error.setVisible(bool(found))
        for number, combo in self.registry_combos.items():
            if combo.currentData() is None:
                if combo.count() == 1:
                    label = next(p.pack.label for p in self.plan.packs if p.pack.number == number)
                    found.append(f"{label}: add a registry that holds it first.")
                else:
                    found.append("Choose a registry for every layer.")
        return found

    def _check(self) -> None:
        found = self.problems()
        self.import_button.setEnabled(not found)
        self.import_button.setToolTip("\n".join(dict.fromkeys(found)))

    def choices(self) -> Choices:
        name = self.name_edit.text().strip()
        chosen = {number: combo.currentData() for number, combo in self.registry_combos.items()}
        return Choices(
            None if name == self.plan.export.name else name,
            {number: uid for number, uid in chosen.items() if uid is not None},
        )

    async def ask(self) -> Choices | None:
        """Open the dialog (not modally-blocking: awaits its `finished`), then the user's choices, or None."""
        finished: asyncio.Future[int] = asyncio.get_event_loop().create_future()

        def settle(code: int) -> None:
            if not finished.done():
                finished.set_result(code)

        self.finished.connect(settle)
        self.open()
        code = await finished
        return self.choices() if code == QDialog.DialogCode.Accepted.value else None

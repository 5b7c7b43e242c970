"""Values diffs people can read: added and removed lines coloured, unified or side by side, long
lines wrapped instead of scrolled sideways."""

from __future__ import annotations

import difflib
import html

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QTextBrowser, QVBoxLayout, QWidget

from desktop.profiles.values import values_diff
from desktop.ui.style import accent_colors
from desktop.wording import plural

CONTEXT_LINES = 3


def _tint(color: QColor, base: QColor, weight: float) -> str:
    return QColor(
        round(color.red() * weight + base.red() * (1 - weight)),
        round(color.green() * weight + base.green() * (1 - weight)),
        round(color.blue() * weight + base.blue() * (1 - weight)),
    ).name()


class DiffView(QWidget):
    """Shows `before` → `after`; `unified_text` is the diff as text (what a copy gives)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.unified_text = ""
        self._before = self._after = ""
        self._labels = ("", "")
        self._empty = ""
        self._build_ui()
        self._connect()

    def _build_ui(self) -> None:
        self.summary = QLabel()
        self.summary.setObjectName("formHint")
        self.summary.setWordWrap(True)
        # No Alt letter: every letter of it is taken in the layer editor (Alt+B is the "Defaults between
        # versions" tab beside it); Tab reaches it and Space toggles it.
        self.side_by_side_check = QCheckBox("Side by side")
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.side_by_side_check)
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)
        self.browser.setLineWrapMode(QTextBrowser.LineWrapMode.WidgetWidth)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.TypeWriter)
        self.browser.setFont(font)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.browser, 1)

    def _connect(self) -> None:
        self.side_by_side_check.toggled.connect(lambda _on: self._render())

    def set_message(self, text: str) -> None:
        self.unified_text = ""
        self._before = self._after = ""
        self._empty = text
        self._render()

    def set_texts(self, before: str, after: str, before_label: str, after_label: str, empty: str) -> None:
        self._before, self._after, self._labels, self._empty = before, after, (before_label, after_label), empty
        self.unified_text = values_diff(before, after, before_label, after_label)
        self._render()

    def toPlainText(self) -> str:  # reads like the text views it replaces
        return self.unified_text or self._empty

    # --- rendering ----------------------------------------------------------------------

    def _render(self) -> None:
        if not self.unified_text:
            self.summary.setText("")
            self.side_by_side_check.setEnabled(False)
            self.browser.setPlainText(self._empty)
            return
        self.side_by_side_check.setEnabled(True)
        old, new = self._before.splitlines(), self._after.splitlines()
        matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
        removed = sum(i2 - i1 for tag, i1, i2, _, _ in matcher.get_opcodes() if tag in ("delete", "replace"))
        added = sum(j2 - j1 for tag, _, _, j1, j2 in matcher.get_opcodes() if tag in ("insert", "replace"))
        self.summary.setText(
            f"{self._labels[0]} → {self._labels[1]}: {plural(added, 'line')} added, {removed:,} removed"
        )
        rows = self._side_by_side(matcher, old, new) if self.side_by_side_check.isChecked() else self._unified()
        self.browser.setHtml(rows)

    def _colors(self) -> dict[str, str]:
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        accents = accent_colors(palette)
        return {
            "added": _tint(accents["ok"], base, 0.22),
            "removed": _tint(accents["error"], base, 0.22),
            "hunk": _tint(palette.color(QPalette.ColorRole.Highlight), base, 0.15),
            "muted": accents["muted"].name(),
            "text": palette.color(QPalette.ColorRole.Text).name(),
        }

    def _unified(self) -> str:
        colors = self._colors()
        lines = []
        for line in self.unified_text.splitlines():
            if line.startswith(("+++", "---")):
                style = f"color: {colors['muted']}"
            elif line.startswith("@@"):
                style = f"background-color: {colors['hunk']}; color: {colors['muted']}"
            elif line.startswith("+"):
                style = f"background-color: {colors['added']}"
            elif line.startswith("-"):
                style = f"background-color: {colors['removed']}"
            else:
                style = ""
            lines.append(f"<div style='white-space: pre-wrap; {style}'>{html.escape(line) or '&nbsp;'}</div>")
        return f"<body style='color: {colors['text']}'>" + "".join(lines) + "</body>"

    def _side_by_side(self, matcher: difflib.SequenceMatcher[str], old: list[str], new: list[str]) -> str:
        colors = self._colors()

        def cell(number: int | None, text: str | None, background: str) -> str:
            style = f"background-color: {background};" if background else ""
            shown = "" if text is None else (html.escape(text) or "&nbsp;")
            mark = "" if number is None else str(number)
            return (
                f"<td style='color: {colors['muted']}; {style}' align='right'>{mark}</td>"
                f"<td width='50%' style='white-space: pre-wrap; {style}'>{shown}</td>"
            )

        rows = [
            f"<tr><th></th><th align='left'>{html.escape(self._labels[0])}</th>"
            f"<th></th><th align='left'>{html.escape(self._labels[1])}</th></tr>"
        ]
        for group in matcher.get_grouped_opcodes(CONTEXT_LINES):
            first = group[0]
            rows.append(
                f"<tr><td colspan='4' style='background-color: {colors['hunk']}; color: {colors['muted']}'>"
                f"lines {first[1] + 1}–{group[-1][2]} → {first[3] + 1}–{group[-1][4]}</td></tr>"
            )
            for tag, i1, i2, j1, j2 in group:
                if tag == "equal":
                    for offset in range(i2 - i1):
                        rows.append(
                            "<tr>"
                            + cell(i1 + offset + 1, old[i1 + offset], "")
                            + cell(j1 + offset + 1, new[j1 + offset], "")
                            + "</tr>"
                        )
                    continue
                for offset in range(max(i2 - i1, j2 - j1)):
                    left = i1 + offset if i1 + offset < i2 else None
                    right = j1 + offset if j1 + offset < j2 else None
                    rows.append(
                        "<tr>"
                        + cell(
                            None if left is None else left + 1,
                            None if left is None else old[left],
                            colors["removed"] if left is not None else "",
                        )
                        + cell(
                            None if right is None else right + 1,
                            None if right is None else new[right],
                            colors["added"] if right is not None else "",
                        )
                        + "</tr>"
                    )
        return (
            f"<body style='color: {colors['text']}'><table width='100%' cellspacing='0' cellpadding='1'>"
            + "".join(rows)
            + "</table></body>"
        )

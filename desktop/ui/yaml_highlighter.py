"""YAML syntax colours for the values editors, from Pygments' YAML lexer, in the palette's tones, and
the profile's `{{.spectro.var.NAME}}` references marked: a defined name stands out, an undefined one
is underlined as an error."""

from __future__ import annotations

from pygments.lexers.data import YamlLexer
from pygments.token import Comment, Keyword, Literal, Name, Number, Punctuation, String, Token
from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import QApplication

from desktop.profiles.variables import REFERENCE
from desktop.ui.style import accent_colors, is_dark

_LIGHT = {
    Comment: "#6a737d",
    Name.Tag: "#005cc5",
    String: "#032f62",
    Number: "#b35900",
    Keyword: "#d73a49",
    Literal: "#6f42c1",
    Punctuation: "#6a737d",
}
_DARK = {
    Comment: "#8b949e",
    Name.Tag: "#79c0ff",
    String: "#a5d6ff",
    Number: "#ffa657",
    Keyword: "#ff7b72",
    Literal: "#d2a8ff",
    Punctuation: "#8b949e",
}


class YamlHighlighter(QSyntaxHighlighter):
    """Colours one line at a time (block scalars spanning lines are coloured as plain text)."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._lexer = YamlLexer(stripnl=False, ensurenl=False)
        colors = _DARK if is_dark(QApplication.palette()) else _LIGHT
        self._formats: dict[object, QTextCharFormat] = {}
        for token, color in colors.items():
            text_format = QTextCharFormat()
            text_format.setForeground(QColor(color))
            if token is Name.Tag:
                text_format.setFontWeight(QFont.Weight.DemiBold)
            if token is Comment:
                text_format.setFontItalic(True)
            self._formats[token] = text_format
        self._names: frozenset[str] | None = None  # None: references are not marked (no profile)
        accents = accent_colors(QApplication.palette())
        self._defined = QTextCharFormat()
        self._defined.setForeground(QColor(colors[Literal]))
        self._defined.setFontWeight(QFont.Weight.Bold)
        background = QColor(colors[Literal])
        background.setAlpha(36)
        self._defined.setBackground(background)
        self._undefined = QTextCharFormat()
        self._undefined.setForeground(QColor(accents["error"]))
        self._undefined.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        self._undefined.setUnderlineColor(QColor(accents["error"]))

    def set_variable_names(self, names: frozenset[str] | None) -> None:
        """The variables the profile defines; their references are marked again when they change."""
        if names != self._names:
            self._names = names
            self.rehighlight()

    def _format_for(self, token: object) -> QTextCharFormat | None:
        while token is not Token:
            found = self._formats.get(token)
            if found is not None:
                return found
            token = token.parent  # type: ignore[attr-defined]
        return None

    def highlightBlock(self, text: str) -> None:
        position = 0
        for token, value in self._lexer.get_tokens(text):
            text_format = self._format_for(token)
            if text_format is not None:
                self.setFormat(position, len(value), text_format)
            position += len(value)
        if self._names is not None and "{{" in text:
            for match in REFERENCE.finditer(text):
                defined = match["name"] in self._names
                self.setFormat(match.start(), len(match[0]), self._defined if defined else self._undefined)

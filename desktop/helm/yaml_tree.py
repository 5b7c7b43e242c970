"""Fast, bounded YAML reading with rapidyaml: exact scalar text, alias-bomb and nesting limits."""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from collections.abc import Iterator
from typing import Any

import orjson
import ryml

from desktop.errors import IndexFormatError
from desktop.helm.metadata import NumberText

MAX_DEPTH = 60  # rapidyaml's emitter stops at 64 levels; an index entry needs fewer than ten
_ALIAS_BUDGET_FLOOR = 100_000
# An alias (`*a`) or anchor (`&a`) stands after `key: `, `- ` or a flow indicator. A miss here is
# harmless: an alias that is not resolved stays the literal text `*a`, never a bomb.
# An anchor or alias stands where YAML allows one: after `key: `, `- `, `[`, `{` or `,` (a `&` in a
# URL's query is none of these).
_ALIAS_CONTEXT = re.compile(rb"(?:[:-][ \t]+|[\[{,][ \t]*)$")
_ALIAS_NAME = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_STDERR_LOCK = threading.Lock()
NONE = ryml.NONE


@contextlib.contextmanager
def quiet_native_errors() -> Iterator[None]:
    """rapidyaml prints its errors to file descriptor 2: wrap parsing in this to keep them out of
    the user's terminal (the errors still arrive as exceptions)."""
    with _STDERR_LOCK, open(os.devnull, "wb") as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


class YamlTree:
    """A parsed YAML document held in rapidyaml's tree; convert the parts you need with
    `to_json` (fast) or `walk` (exact).

    Build and convert it inside `quiet_native_errors()`.
    """

    def __init__(self, data: bytes) -> None:
        self._tree = ryml.Tree()
        # Reserving up front keeps parsing linear: growing the node array costs 2x on 15 MB inputs.
        self._tree.reserve(data.count(b"\n") * 5 // 4 + 64)
        self._tree.reserve_arena(len(data) + 1024)
        try:
            ryml.parse_in_arena(data, tree=self._tree)
        except ryml.ExceptionParse as exc:
            location = exc.errdata_parse.ymlloc
            raise IndexFormatError(
                f"The index is not valid YAML (line {location.line}, column {location.col}: {_reason(exc)})."
            ) from None
        except ryml.ExceptionBasic as exc:
            raise IndexFormatError(f"The index is not valid YAML ({_reason(exc)}).") from None
        self._scratch = bytearray(min(max(2 * len(data), 1 << 16), 1 << 22))
        self.root = self._first_document(self._tree.root_id())
        if may_hold_aliases(data):
            self._expand_aliases()

    def _first_document(self, node: int) -> int:
        tree = self._tree
        if tree.is_stream(node):
            first: int = tree.first_child(node)
            if first == NONE:
                return node
            return first
        return node

    # --- navigation -------------------------------------------------------------------------

    def is_map(self, node: int) -> bool:
        return bool(self._tree.is_map(node))

    def is_seq(self, node: int) -> bool:
        return bool(self._tree.is_seq(node))

    def children(self, node: int) -> Iterator[int]:
        tree = self._tree
        child = tree.first_child(node)
        while child != NONE:
            yield child
            child = tree.next_sibling(child)

    def key(self, node: int) -> str:
        raw = self._tree.key(node)
        return "" if raw is None else bytes(raw).decode("utf-8", "replace")

    def find(self, node: int, key: str) -> int | None:
        found = self._tree.find_child(node, key.encode())
        return None if found == NONE else found

    def scalar_text(self, node: int) -> str | None:
        """The scalar exactly as written (quotes and escapes undone), or None for null or a container."""
        tree = self._tree
        if tree.is_container(node) or tree.val_is_null(node):
            return None
        raw = tree.val(node)
        return "" if raw is None else bytes(raw).decode("utf-8", "replace")

    # --- conversion -------------------------------------------------------------------------

    def child(self, node: int, position: int) -> int | None:
        found = self._tree.child(node, position)
        return None if found == NONE else found

    def to_json(self, node: int, *, exact_numbers: bool = True) -> tuple[bytes, Any] | None:
        """The subtree as UTF-8 JSON (`{"key": …}` for a mapping entry) and its decoded value; None
        when the emitter cannot express it as JSON (then `walk` it).

        The JSON keeps every scalar as written (`1.10` stays `1.10`). With `exact_numbers` the
        decoded numbers are NumberText too; without, they are int and float, decoded faster."""
        text = self._emit_json(node)
        if text is None:
            return None
        for attempt in range(2):
            try:
                if exact_numbers:
                    value = json.loads(text, parse_float=NumberText, parse_int=NumberText, strict=False)
                else:
                    value = orjson.loads(text)
            except (ValueError, RecursionError):
                # Escapes of a surrogate pair come out as invalid UTF-8: repair once, then give up.
                repaired = text.decode("utf-8", "replace").encode()
                if attempt or repaired == text:
                    return None
                text = repaired
            else:
                return text, value
        return None

    def _emit_json(self, node: int) -> bytes | None:
        """rapidyaml's JSON for `node`, written into a reused buffer (no intermediate str)."""
        keyed = bool(self._tree.has_key(node))
        while True:
            view = memoryview(self._scratch)
            try:
                failed, size = ryml.emit_json_to_substr(self._tree, node, view[1:-1] if keyed else view)
            except ryml.ExceptionBasic:
                return None
            if not failed:
                break
            self._scratch = bytearray(size * 2 + 2)
        if not keyed:
            return bytes(self._scratch[:size])
        self._scratch[0] = ord("{")
        self._scratch[size + 1] = ord("}")
        return bytes(self._scratch[: size + 2])

    def walk(self, node: int, depth: int = 0) -> Any:
        """Exact conversion by visiting every node; raises IndexFormatError past MAX_DEPTH."""
        if depth > MAX_DEPTH:
            raise IndexFormatError(f"The index nests deeper than {MAX_DEPTH} levels.")
        tree = self._tree
        if tree.is_map(node):
            return {self.key(child): self.walk(child, depth + 1) for child in self.children(node)}
        if tree.is_seq(node):
            return [self.walk(child, depth + 1) for child in self.children(node)]
        text = self.scalar_text(node)
        if text is not None and tree.is_val_plain(node) and text in ("true", "false"):
            return text == "true"
        return text

    # --- aliases ----------------------------------------------------------------------------

    def _expand_aliases(self) -> None:
        """Resolve `*alias` references, unless they would expand the document past a budget."""
        tree = self._tree
        anchors: dict[bytes, int] = {}
        refs = 0
        for node in range(tree.size()):
            if tree.has_val_anchor(node):
                anchors[bytes(tree.val_anchor(node))] = node
            if tree.has_key_anchor(node):
                anchors[bytes(tree.key_anchor(node))] = node
            if tree.is_val_ref(node) or tree.is_key_ref(node):
                refs += 1
        if not refs:
            return
        budget = max(4 * tree.size(), _ALIAS_BUDGET_FLOOR)
        sizes: dict[int, int] = {}

        def expanded(node: int, depth: int) -> int:
            if depth > MAX_DEPTH:
                raise IndexFormatError(f"The index nests deeper than {MAX_DEPTH} levels through its aliases.")
            if node in sizes:
                return sizes[node]
            if tree.is_val_ref(node):
                target = anchors.get(bytes(tree.val_ref(node)))
                size = 1 if target is None or target == node else expanded(target, depth + 1)
            else:
                size = 1
                for child in self.children(node):
                    size += expanded(child, depth + 1)
                    if size > budget:
                        break
            sizes[node] = size
            if size > budget:
                raise IndexFormatError(
                    f"The index uses excessive aliasing (it would expand past {budget:,} nodes); "
                    "Helm refuses such files too."
                )
            return size

        expanded(self.root, 0)
        try:
            tree.resolve()
        except ryml.ExceptionBasic as exc:
            raise IndexFormatError(f"The index has an alias that cannot be resolved ({_reason(exc)}).") from None


def valid_unicode(text: str) -> str:
    """`text` with unpaired surrogates (from `\\ud83d`-style escapes split in two) made U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


def may_hold_aliases(data: bytes) -> bool:
    """A quick look for anchors and aliases; only then is the (slower) exact check worth it."""
    for mark in (b"&", b"*"):  # bytes.find runs at memory speed; a regex scan of 3 MB does not
        position = data.find(mark)
        while position >= 0:
            follows = data[position + 1 : position + 2]
            if follows and follows[0] in _ALIAS_NAME and _ALIAS_CONTEXT.search(data, max(0, position - 8), position):
                return True
            position = data.find(mark, position + 1)
    return False


def _reason(exc: Exception) -> str:
    message = (getattr(exc, "msg", "") or str(exc)).strip().rstrip(".")
    if message.lower().startswith("parse error"):  # the sentence around it says so already
        message = message[len("parse error") :].lstrip(" :")
    return message or "malformed"

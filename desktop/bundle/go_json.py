"""JSON written byte for byte as Go's encoding/json writes it (what Helm and ORAS put in registries).

Values: `str`, `bool`, `None`, `GoFloat` (a float64 of an `interface{}`), `int`, `list`, `dict`
(a Go map: keys sorted) and `Struct` (a Go struct: fields in declaration order, already filtered
for `omitempty` by the caller)."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

_HEX = "0123456789abcdef"
_SHORT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


class GoFloat(float):
    """A number Go holds as float64 (what `interface{}` gets from JSON)."""

    __slots__ = ()


class Struct(list[tuple[str, Any]]):
    """A Go struct: (json name, value) pairs in declaration order."""

    __slots__ = ()


class GoEncodeError(ValueError):
    """A value Go's encoder refuses (NaN or an infinity)."""


def marshal(value: Any) -> bytes:
    """`json.Marshal(value)` as Go writes it: compact, HTML characters escaped."""
    parts: list[str] = []
    _encode(value, parts)
    return "".join(parts).encode("utf-8")


def _encode(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(quote(value))
    elif isinstance(value, GoFloat):
        out.append(format_float64(float(value)))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(format_float64(value))
    elif isinstance(value, Struct):
        out.append("{")
        for position, (key, item) in enumerate(value):
            if position:
                out.append(",")
            out.append(quote(key))
            out.append(":")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, dict):
        out.append("{")
        for position, key in enumerate(sorted(value, key=lambda k: k.encode("utf-8", "surrogatepass"))):
            if position:
                out.append(",")
            out.append(quote(key))
            out.append(":")
            _encode(value[key], out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for position, item in enumerate(value):
            if position:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise TypeError(f"no Go encoding for {type(value).__name__}")


def quote(text: str) -> str:
    """A Go JSON string: `<`, `>`, `&`, U+2028 and U+2029 as \\u escapes, other controls escaped."""
    if text.isascii() and text.isprintable() and not any(c in text for c in '"\\<>&'):
        return f'"{text}"'
    pieces = ['"']
    for char in text:
        code = ord(char)
        if char in _SHORT_ESCAPES:
            pieces.append(_SHORT_ESCAPES[char])
        elif char in _HTML:
            pieces.append(_HTML[char])
        elif code < 0x20:
            pieces.append("\\u00" + _HEX[code >> 4] + _HEX[code & 0xF])
        elif code in (0x2028, 0x2029):
            pieces.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            pieces.append("\\ufffd")  # Go writes invalid UTF-8 as the replacement character
        else:
            pieces.append(char)
    pieces.append('"')
    return "".join(pieces)


def _shortest_digits(value: float) -> tuple[str, int]:
    """The shortest digits that read back as `value` (a nonzero float64), and where the decimal point goes."""
    _, digit_tuple, exponent = Decimal(repr(abs(value))).as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digit_tuple))
    return text.rstrip("0"), len(text) + exponent


def format_float64(value: float) -> str:
    """Go's encoding of a float64: like %f for 1e-6 ≤ |x| < 1e21, else %e without a padded exponent."""
    if math.isnan(value) or math.isinf(value):
        raise GoEncodeError(f"unsupported value: {value}")
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    digits, point = _shortest_digits(value)
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if magnitude < 1e-6 or magnitude >= 1e21:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        exponent = point - 1
        return f"{sign}{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}".replace("e-0", "e-", 1)
    return sign + _fixed(digits, point)


def _fixed(digits: str, point: int) -> str:
    if point <= 0:
        return "0." + "0" * -point + digits
    if point >= len(digits):
        return digits + "0" * (point - len(digits))
    return digits[:point] + "." + digits[point:]


def format_float32_g(value: float) -> str:
    """`strconv.FormatFloat(v, 'g', -1, 32)`: how sigs.k8s.io/yaml turns a YAML float into a string."""
    import struct

    if math.isnan(value):
        return "NaN"
    try:
        single = struct.unpack("<f", struct.pack("<f", value))[0]
    except OverflowError:
        single = math.copysign(math.inf, value)
    if math.isinf(single):
        return "+Inf" if single > 0 else "-Inf"
    sign = "-" if math.copysign(1.0, single) < 0 else ""
    if single == 0:
        return sign + "0"
    magnitude = abs(single)
    for precision in range(1, 10):
        text = f"{magnitude:.{precision - 1}e}"
        try:
            if struct.unpack("<f", struct.pack("<f", float(text)))[0] == magnitude:
                break
        except OverflowError:  # rounded up past the largest float32
            continue
    mantissa, _, exponent_text = text.partition("e")
    digits = mantissa.replace(".", "").rstrip("0") or "0"
    exponent = int(exponent_text)
    if exponent < -4 or exponent >= 6:  # shortest %g switches to %e from the 6th power of ten
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{body}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    return sign + _fixed(digits, exponent + 1)

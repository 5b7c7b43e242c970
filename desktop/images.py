"""What an icon's bytes are: raster images recognised by their signature, SVG accepted only when it
can neither run a script nor reach outside itself. Decoding is left to the window (Qt)."""

from __future__ import annotations

import base64
import binascii
import io
import re
from xml.etree import ElementTree

from desktop.errors import UserError

ICON_LIMIT = 256 * 1024
SVG_ELEMENT_LIMIT = 20_000
SVG_DEPTH_LIMIT = 64

_SVG_NAMESPACE = "http://www.w3.org/2000/svg"
_FORBIDDEN_ELEMENTS = frozenset(
    {"script", "foreignobject", "iframe", "embed", "object", "audio", "video", "handler", "listener"}
)
_INLINE_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp);base64,", re.IGNORECASE)
_URL_REFERENCE = re.compile(r"url\s*\(\s*['\"]?\s*([^)'\"\s]*)", re.IGNORECASE)
_DATA_URI = re.compile(r"data:(image/[a-z+.-]+)(;base64)?,", re.IGNORECASE)


class IconRefused(UserError):
    """The icon is not an image Chartkeeper will keep (not an image, too large, an unsafe SVG)."""


def image_type(data: bytes) -> str:
    """The media type of an icon's bytes, or IconRefused saying why they are not kept."""
    if len(data) > ICON_LIMIT:
        raise IconRefused(f"the icon is larger than {ICON_LIMIT // 1024} KiB")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if _looks_like_svg(data):
        check_svg(data)
        return "image/svg+xml"
    raise IconRefused("the icon is not a PNG, JPEG, GIF, WebP or SVG image")


def _looks_like_svg(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<svg", b"<?xml", b"<!--", b"<!doctype")) and b"<svg" in data[:65536].lower()


def check_svg(data: bytes) -> None:
    """Refuse an SVG that declares entities or a DTD of its own, holds scripts or event handlers,
    links outside itself (other than inline raster images), or is too deep or large to draw cheaply.
    A DOCTYPE naming SVG's public DTD (as drawing programs write) is fine: nothing fetches it."""
    lowered = data.lower()
    doctype = lowered.find(b"<!doctype")
    if b"<!entity" in lowered or (doctype >= 0 and b"[" in lowered[doctype : lowered.find(b">", doctype)]):
        raise IconRefused("the SVG icon declares entities or a DTD of its own")
    depth = count = 0
    root_seen = False
    try:
        for event, element in ElementTree.iterparse(io.BytesIO(data), events=("start", "end")):
            if event == "end":
                depth -= 1
                element.clear()  # keep memory flat: nothing below needs the tree
                continue
            depth += 1
            count += 1
            if depth > SVG_DEPTH_LIMIT or count > SVG_ELEMENT_LIMIT:
                raise IconRefused("the SVG icon is too complex to draw")
            namespace, name = _split(element.tag)
            if not root_seen:
                root_seen = True
                if name != "svg" or namespace not in ("", _SVG_NAMESPACE):
                    raise IconRefused("the icon is not an SVG document")
            if name.lower() in _FORBIDDEN_ELEMENTS:
                raise IconRefused(f"the SVG icon holds a <{name}> element")
            for key, value in element.attrib.items():
                _check_attribute(_split(key)[1], value)
            if name == "style" and element.text:
                _check_style(element.text)
    except ElementTree.ParseError as exc:
        raise IconRefused(f"the SVG icon is not well-formed XML ({exc})") from None


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def _check_attribute(name: str, value: str) -> None:
    lowered = name.lower()
    if lowered.startswith("on"):
        raise IconRefused(f"the SVG icon has an event handler ({name})")
    if lowered in {"href", "src"}:
        target = value.strip()
        if not (target.startswith("#") or _INLINE_IMAGE.match(target)):
            raise IconRefused("the SVG icon refers to something outside itself")
    if lowered == "style":
        _check_style(value)


def _check_style(text: str) -> None:
    if "@import" in text.lower():
        raise IconRefused("the SVG icon imports a style sheet")
    for target in _URL_REFERENCE.findall(text):
        if not (target.startswith("#") or _INLINE_IMAGE.match(target)):
            raise IconRefused("the SVG icon's style refers to something outside itself")


def decode_data_uri(uri: str) -> bytes:
    """The bytes of a `data:image/…;base64,…` icon written into the index itself."""
    match = _DATA_URI.match(uri)
    if match is None or not match.group(2):
        raise IconRefused("the icon's data: address is not a base64 image")
    payload = uri[match.end() :]
    if len(payload) > ICON_LIMIT * 4 // 3 + 4:
        raise IconRefused(f"the icon is larger than {ICON_LIMIT // 1024} KiB")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise IconRefused("the icon's data: address is not valid base64") from None

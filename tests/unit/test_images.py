"""Icon bytes: raster images by signature, SVG only when it can neither run nor reach anything."""

from __future__ import annotations

import base64
import os

import pytest

from desktop.images import ICON_LIMIT, IconRefused, decode_data_uri, image_type

SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">{}</svg>'
INLINE_PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"\xff\xd8\xff\xe0....JFIF", "image/jpeg"),
        (b"GIF89a....", "image/gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        (SVG.format('<circle r="2"/>').encode(), "image/svg+xml"),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
            b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n' + SVG.format("<g/>").encode(),
            "image/svg+xml",
        ),
        (SVG.format(f'<image xlink:href="{INLINE_PNG}"/><use href="#a"/>').encode(), "image/svg+xml"),
        (SVG.format('<rect style="fill: url(#grad)"/>').encode(), "image/svg+xml"),
    ],
)
def test_images_are_recognised(data: bytes, kind: str) -> None:
    assert image_type(data) == kind


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"<!doctype html><html></html>", "not a PNG"),
        (b"", "not a PNG"),
        (b"\x89PNG\r\n\x1a\n" + b"0" * ICON_LIMIT, "larger than 256 KiB"),
        (SVG.format("<script>alert(1)</script>").encode(), "<script>"),
        (SVG.format("<foreignObject><p>x</p></foreignObject>").encode(), "<foreignObject>"),
        (SVG.format('<rect onclick="x()"/>').encode(), "event handler"),
        (SVG.format('<image href="https://tracker.example/p.png"/>').encode(), "outside itself"),
        (SVG.format('<use xlink:href="other.svg#a"/>').encode(), "outside itself"),
        (SVG.format('<image href="data:image/svg+xml;base64,PHN2Zy8+"/>').encode(), "outside itself"),
        (SVG.format('<rect style="fill: url(https://x.example/a)"/>').encode(), "outside itself"),
        (SVG.format("<style>@import url(https://x.example/a.css);</style>").encode(), "imports a style sheet"),
        (
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
            "entities",
        ),
        (b'<!DOCTYPE svg [<!ATTLIST svg onload CDATA "x()">]><svg/>', "DTD of its own"),
        (SVG.format("<g>" * 100 + "</g>" * 100).encode(), "too complex"),
        (b"<svg><unclosed></svg>", "not well-formed"),
        (b'<?xml version="1.0"?><html><svg/></html>', "not an SVG document"),
    ],
)
def test_anything_else_is_refused_saying_why(data: bytes, why: str) -> None:
    with pytest.raises(IconRefused, match=why.replace("(", r"\(")):
        image_type(data)


def test_random_bytes_are_refused_never_crash() -> None:
    for size in (0, 1, 7, 64, 4096):
        for _ in range(50):
            data = os.urandom(size)
            try:
                image_type(data)
            except IconRefused:
                continue


def test_data_uris() -> None:
    assert decode_data_uri(INLINE_PNG) == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(IconRefused, match="not a base64 image"):
        decode_data_uri("data:text/html,<b>x</b>")
    with pytest.raises(IconRefused, match="not valid base64"):
        decode_data_uri("data:image/png;base64,***")
    with pytest.raises(IconRefused, match="larger than"):
        decode_data_uri("data:image/png;base64," + "A" * (ICON_LIMIT * 2))

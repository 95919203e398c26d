"""Images: a picture counts as a document only when it really is one and shows something.

The size is read from the header (PNG IHDR, JPEG SOF, GIF, BMP, WebP), without decoding
pixels: a file with an image signature whose header cannot be read is not a picture
(rejected as damaged or fake), and one smaller than ``MIN_IMAGE_SIDE`` pixels on a side (an
icon, a 1×1 placeholder) shows no document. Formats whose header duban does not parse
(TIFF, HEIC) count as they are.
"""

from __future__ import annotations

import struct

from duban.evidence.facts import Facts

from . import common
from .common import InspectError

HEAD = 1024 * 1024  # JPEG: the SOF marker sits after the EXIF/ICC segments (each at most 64 KB)


class _Unknown(Exception):
    """The header goes on past what was read: the size is unknown, not wrong."""


def image_size(head: bytes, *, whole: bool = True) -> tuple[int, int] | None:
    """(width, height) from an image header; None when the header is not a valid one.
    ``whole``: ``head`` is the whole file (running out of it means the file is cut short)."""
    try:
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            if head[12:16] != b"IHDR":
                return None
            return struct.unpack(">II", head[16:24])
        if head[:6] in (b"GIF87a", b"GIF89a"):
            return struct.unpack("<HH", head[6:10])
        if head[:2] == b"BM":
            w, h = struct.unpack("<ii", head[18:26])
            return abs(w), abs(h)
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            return _webp(head)
        if head.startswith(b"\xff\xd8"):
            return _jpeg(head, whole)
    except struct.error:
        return None
    return None


def _jpeg(data: bytes, whole: bool) -> tuple[int, int] | None:
    i = 2
    while True:
        if i + 9 >= len(data):
            if whole:
                return None
            raise _Unknown
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return w, h
        if length < 2:
            return None
        i += 2 + length


def _webp(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        w, h = struct.unpack("<HH", data[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L" and data[20] == 0x2F:
        b = int.from_bytes(data[21:25], "little")
        return (b & 0x3FFF) + 1, ((b >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


def _parsed(head: bytes) -> bool:
    """Formats whose header this module reads (others are taken as they are)."""
    return head.startswith((b"\x89PNG", b"GIF8", b"BM", b"\xff\xd8")) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def inspect_image(data: bytes) -> Facts:
    head = data[:HEAD]
    if not _parsed(head):
        return Facts(kind="image", ok=True)
    try:
        size = image_size(head, whole=len(head) < HEAD)
    except _Unknown:
        return Facts(kind="image", ok=True)
    if size is None or min(size) <= 0:
        raise InspectError(common.FAKE_IMAGE)
    w, h = size
    if min(w, h) < common.MIN_IMAGE_SIDE:
        raise InspectError(common.TINY_IMAGE.format(w=w, h=h))
    return Facts(kind="image", ok=True, image_size=(w, h))

"""Test-only writers of files the samples module does not make: real PNG and JPEG pictures of a
chosen size (zlib-compressed scanlines, a baseline JPEG header), and Word 97 files with a real
piece table (see ``helpers_xls.make_doc``)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from duban.testing.samples import set_mtime


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bytes(width: int, height: int) -> bytes:
    """A real RGB PNG: a diagonal gradient, so it is not a flat colour."""
    raw = b"".join(
        b"\0" + bytes(((x + y) % 256, (x * 3) % 256, (y * 5) % 256)[c] for x in range(width) for c in range(3))
        for y in range(height)
    )
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b"")


def make_png(path: Path | str, width: int = 320, height: int = 200, *, mtime=None) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(png_bytes(width, height))
    set_mtime(p, mtime)
    return p


def make_fake_png(path: Path | str, *, mtime=None) -> Path:
    """The PNG signature and then nothing a viewer could open (no IHDR)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"this is not a picture " * 20)
    set_mtime(p, mtime)
    return p

"""Test-only writers of OLE (compound file) formats: ``.xls`` (BIFF8) via xlwt — a dev
dependency, so not in ``duban.testing.samples`` — and a minimal compound-file writer for the
stream layouts xlwt cannot make: a Word 97 ``WordDocument`` stream (.doc / .wps) and an
.xls whose workbook globals carry a FILEPASS record (an encrypted .xls)."""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from duban.tasks_catalog.models import Template
from duban.testing.samples import ledger_rows, set_mtime


# ---------------------------------------------------------------- .xls via xlwt
def make_xls(
    path: Path | str, sheets: dict[str, Sequence[Sequence[Any]]], *, merge_title: bool = False, mtime=None
) -> Path:
    import xlwt

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    wb = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for name, rows in sheets.items():
        ws = wb.add_sheet(name)
        for r, row in enumerate(rows):
            if merge_title and r == 0 and row and row[0] is not None and all(v is None for v in row[1:]):
                ws.write_merge(0, 0, 0, max(len(row) - 1, 0), row[0])
                continue
            for c, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, (dt.date, dt.datetime)):
                    ws.write(r, c, v, date_style)
                else:
                    ws.write(r, c, v)
    wb.save(str(p))
    set_mtime(p, mtime)
    return p


def make_ledger_xls(path: Path | str, template: Template, rows: int, *, mtime=None, **kw) -> Path:
    """The same layout as ``samples.make_ledger_xlsx`` (title merged), as BIFF8 .xls."""
    return make_xls(path, {"台账": ledger_rows(template, rows, **kw)}, merge_title=True, mtime=mtime)


# ---------------------------------------------------------------- a minimal compound file
ENDOFCHAIN, FREESECT, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def _dir_entry(name: str, kind: int, *, left=NOSTREAM, right=NOSTREAM, child=NOSTREAM, start=0, size=0) -> bytes:
    raw = name.encode("utf-16-le") + b"\0\0" if name else b""
    e = raw.ljust(64, b"\0")
    e += struct.pack("<HBB", len(raw), kind, 1)  # name length, type, colour (black)
    e += struct.pack("<III", left, right, child)
    e += b"\0" * 16 + b"\0" * 4 + b"\0" * 16  # clsid, state bits, times
    e += struct.pack("<IQ", start, size)
    return e


def make_ole(path: Path | str, streams: dict[str, bytes], *, mtime=None) -> Path:
    """A version-3 compound file holding ``streams`` (each padded to >= 4096 bytes so it
    lives in regular sectors; at most ~60 KB in all)."""
    names = list(streams)
    datas = [streams[n].ljust(4096, b"\0") for n in names]
    datas = [d + b"\0" * (-len(d) % 512) for d in datas]
    sector = 2  # 0 = FAT, 1 = directory
    fat = [FATSECT, ENDOFCHAIN]
    starts = []
    for d in datas:
        n = len(d) // 512
        starts.append(sector)
        fat += [sector + k + 1 for k in range(n - 1)] + [ENDOFCHAIN]
        sector += n
    if len(fat) > 128:
        raise ValueError("streams too big for this minimal writer")
    fat += [FREESECT] * (128 - len(fat))
    entries = [_dir_entry("Root Entry", 5, child=1 if names else NOSTREAM, start=ENDOFCHAIN)]
    for k, n in enumerate(names):
        right = k + 2 if k + 1 < len(names) else NOSTREAM
        entries.append(
            _dir_entry(n, 2, right=right, start=starts[k], size=len(streams[n]) if len(streams[n]) >= 4096 else 4096)
        )
    if len(entries) > 4:
        raise ValueError("at most 3 streams")
    while len(entries) < 4:
        entries.append(_dir_entry("", 0))
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, ENDOFCHAIN, 0, ENDOFCHAIN, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", FREESECT) * 108
    assert len(header) == 512
    data = header + struct.pack("<128I", *fat) + b"".join(entries) + b"".join(datas)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    set_mtime(p, mtime)
    return p


def word_stream(text: str, *, encrypted: bool = False) -> bytes:
    """A Word 97 WordDocument stream: a FIB (ccpText = len(text), the piece table's place in
    the 1Table stream) and the text in UTF-16LE at 0x800."""
    fib = bytearray(0x800)
    struct.pack_into("<HH", fib, 0, 0xA5EC, 0x00C1)
    struct.pack_into("<H", fib, 0x0A, (0x0100 if encrypted else 0) | 0x0200)  # fEncrypted, fWhichTblStm = 1Table
    struct.pack_into("<H", fib, 0x20, 14)  # csw
    struct.pack_into("<H", fib, 0x3E, 22)  # cslw
    struct.pack_into("<i", fib, 0x4C, len(text))  # ccpText
    struct.pack_into("<H", fib, 0x98, 93)  # cbRgFcLcb (Word 97)
    struct.pack_into("<II", fib, 0x1A2, 0, len(piece_table(text)))  # fcClx, lcbClx
    return bytes(fib) + text.encode("utf-16-le")


def piece_table(text: str) -> bytes:
    """The Clx of a document whose text is one piece, UTF-16 at 0x800 of the WordDocument stream."""
    plc = struct.pack("<II", 0, len(text)) + struct.pack("<HIH", 0, 0x800, 0)
    return b"\x02" + struct.pack("<I", len(plc)) + plc


def make_doc(path: Path | str, text: str = "济南市历下区信用承诺书", *, encrypted: bool = False, mtime=None) -> Path:
    """An OLE Word file (use a .wps name for WPS 文字) with a real FIB, piece table and text."""
    streams = {"WordDocument": word_stream(text, encrypted=encrypted), "1Table": piece_table(text).ljust(4096, b"\0")}
    return make_ole(path, streams, mtime=mtime)


def make_encrypted_xls(path: Path | str, *, mtime=None) -> Path:
    """An .xls whose workbook globals start BOF, FILEPASS (XOR obfuscation), as Excel writes
    a workbook with an open password."""
    bof = struct.pack("<HH", 0x0809, 16) + struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0)
    filepass = struct.pack("<HH", 0x002F, 6) + struct.pack("<HHH", 0, 0x1234, 0x5678)
    eof = struct.pack("<HH", 0x000A, 0)
    return make_ole(path, {"Workbook": bof + filepass + eof}, mtime=mtime)

"""Word documents.

- ``.docx`` (and WPS ``.wps`` saved as docx): ``word/document.xml`` read directly with
  zipfile + defusedxml (faster than python-docx, and nothing executes): characters of
  text, tables row by row (for figures), links from the text, from ``HYPERLINK`` fields
  and from hyperlink relationships. No text and no picture -> rejected (文档没有内容).
- ``.doc`` / ``.wps`` (OLE): valid when the ``WordDocument`` stream has a Word 97+ FIB;
  text length from the FIB (``ccpText``); links and figures from the UTF-16 text runs.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from typing import TYPE_CHECKING

from duban.evidence.facts import Facts
from duban.evidence.limits import Limits
from duban.evidence.spec import InspectSpec

from . import common
from .common import InspectError
from .figures import figures_from_text
from .links import dedup, external_hyperlinks, find_links
from .text import text_chars

if TYPE_CHECKING:
    from .content import Content

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HYPERLINK_FIELD = re.compile(r'HYPERLINK\s+"([^"]+)"')


# ---------------------------------------------------------------- docx
def docx_text(xml: bytes) -> tuple[str, list[str], bool]:
    """(text with one line per paragraph or table row, HYPERLINK field targets, has pictures)."""
    from defusedxml import ElementTree as ET

    try:
        root = ET.fromstring(xml)
    except Exception as e:
        raise InspectError(common.CORRUPT) from e
    body = root.find(W + "body")
    if body is None:
        raise InspectError(common.CORRUPT)
    lines: list[str] = []
    fields: list[str] = []

    def para(p) -> str:
        parts = []
        for el in p.iter():
            tag = el.tag
            if tag == W + "t" and el.text:
                parts.append(el.text)
            elif tag == W + "tab":
                parts.append("\t")
            elif tag in (W + "br", W + "cr"):
                parts.append("\n")
            elif tag == W + "instrText" and el.text:
                fields.append(el.text)
        return "".join(parts)

    def block(el) -> None:
        if el.tag == W + "p":
            lines.append(para(el))
        elif el.tag == W + "tbl":
            for tr in el.iter(W + "tr"):
                cells = []
                for tc in tr.findall(W + "tc"):
                    cells.append(" ".join(para(p) for p in tc.findall(W + "p")))
                lines.append("\t".join(cells))
        else:
            for child in el:
                block(child)

    for child in body:
        block(child)
    pictures = any(True for _ in root.iter(W + "drawing")) or b"imagedata" in xml or b"<w:pict" in xml
    targets = [m.group(1) for f in fields for m in _HYPERLINK_FIELD.finditer(f)]
    return "\n".join(lines), targets, pictures


def _rels_links(z: zipfile.ZipFile) -> list[str]:
    try:
        xml = z.read("word/_rels/document.xml.rels").decode("utf-8", "replace")
    except KeyError:
        return []
    return external_hyperlinks(xml)


def inspect_docx(content: Content, kind: str, spec: InspectSpec, limits: Limits) -> Facts:
    z = content.zip
    if z is None:
        raise InspectError(common.CORRUPT)
    try:
        try:
            xml = z.read("word/document.xml")
        except KeyError as e:
            raise InspectError(common.CORRUPT) from e
        rel_links = _rels_links(z)
        has_media = any(n.startswith("word/media/") for n in z.namelist())
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError) as e:  # CRC: BadZipFile
        raise InspectError(common.CORRUPT) from e
    text, field_links, pictures = docx_text(xml)
    chars = text_chars(text)
    if chars == 0 and not (pictures and has_media):
        raise InspectError(common.EMPTY_DOC)
    facts = Facts(kind=kind, ok=True, text_chars=chars, links=dedup(find_links(text) + field_links + rel_links))
    if spec.figures:
        facts.figures = figures_from_text(text, spec.figures)
    return facts


# ---------------------------------------------------------------- doc / wps (OLE)
_U16_URL = re.compile(rb"(?:h\x00t\x00t\x00p\x00(?:s\x00)?:\x00/\x00/\x00|w\x00w\x00w\x00\.\x00)(?:[\x21-\x7e]\x00)+")
_A8_URL = re.compile(rb"(?:https?://|www\.)[\x21-\x7e]+")


def inspect_doc(content: Content, kind: str, spec: InspectSpec, limits: Limits) -> Facts:
    import olefile

    try:
        with olefile.OleFileIO(content.stream()) as ole:
            if not ole.exists("WordDocument"):
                raise InspectError(common.CORRUPT)
            size = ole.get_size("WordDocument")
            if size > limits.max_part_bytes:
                raise InspectError(common.BOMB_DOC)
            data = ole.openstream("WordDocument").read()
    except InspectError:
        raise
    except Exception as e:
        raise InspectError(common.CORRUPT) from e
    if len(data) < 0x50:
        raise InspectError(common.CORRUPT)
    ident, nfib = struct.unpack_from("<HH", data, 0)
    if ident != 0xA5EC:
        raise InspectError(common.CORRUPT)
    chars = 0
    csw = struct.unpack_from("<H", data, 0x20)[0]
    lw = 0x22 + csw * 2 + 2  # FibRgLw97 after FibRgW97 and cslw
    if lw + 16 <= len(data):
        chars = max(0, struct.unpack_from("<i", data, lw + 12)[0])  # ccpText
    main = _doc_main_text(content, data, chars, limits)
    if main is not None:  # the real text: whitespace, field codes and zero-width characters are not content
        chars = text_chars(main)
    if chars == 0:
        raise InspectError(common.EMPTY_DOC)
    text = data[: len(data) - len(data) % 2].decode("utf-16-le", errors="ignore")
    links = [m.group(0).decode("utf-16-le", "ignore") for m in _U16_URL.finditer(data)]
    links += [m.group(0).decode("ascii", "ignore") for m in _A8_URL.finditer(data)]
    facts = Facts(kind=kind, ok=True, text_chars=chars, links=dedup(u for s in links for u in find_links(s)))
    if spec.figures:
        facts.figures = figures_from_text(text, spec.figures)
    return facts


def _doc_main_text(content: Content, data: bytes, ccp_text: int, limits: Limits) -> str | None:
    """The main document text of a Word 97+ file, read through its piece table (the Clx in the
    table stream, [MS-DOC] 2.9.38), or None when the file has none duban can follow."""
    import olefile

    try:
        flags = struct.unpack_from("<H", data, 0x0A)[0]
        csw = struct.unpack_from("<H", data, 0x20)[0]
        pos = 0x22 + csw * 2
        cslw = struct.unpack_from("<H", data, pos)[0]
        pos += 2 + cslw * 4
        cb_fc_lcb = struct.unpack_from("<H", data, pos)[0]
        pos += 2
        if cb_fc_lcb <= 33:
            return None
        fc_clx, lcb_clx = struct.unpack_from("<II", data, pos + 33 * 8)  # fcClx / lcbClx
        if not lcb_clx or lcb_clx > limits.max_part_bytes:
            return None
        table_name = "1Table" if flags & 0x0200 else "0Table"  # fWhichTblStm
        with olefile.OleFileIO(content.stream()) as ole:
            if not ole.exists(table_name):
                return None
            clx = ole.openstream(table_name).read()[fc_clx : fc_clx + lcb_clx]
        i = 0
        while i < len(clx) and clx[i] == 0x01:  # Prc: formatting, skipped
            i += 3 + struct.unpack_from("<H", clx, i + 1)[0]
        if i + 5 > len(clx) or clx[i] != 0x02:
            return None
        lcb = struct.unpack_from("<I", clx, i + 1)[0]
        plc = clx[i + 5 : i + 5 + lcb]
        n = (len(plc) - 4) // 12
        if n <= 0:
            return None
        cps = struct.unpack_from(f"<{n + 1}I", plc, 0)
        parts: list[str] = []
        for k in range(n):
            fc = struct.unpack_from("<I", plc, 4 * (n + 1) + 8 * k + 2)[0]
            count = max(0, min(cps[k + 1] - cps[k], len(data)))
            if fc & 0x40000000:  # 8-bit text (cp1252) at fc / 2
                start = (fc & 0x3FFFFFFF) // 2
                parts.append(data[start : start + count].decode("cp1252", "replace"))
            else:
                parts.append(data[fc : fc + 2 * count].decode("utf-16-le", "replace"))
        text = "".join(parts)
    except Exception:  # struct, olefile and decoding errors on a damaged file: fall back to ccpText
        return None
    return text[:ccp_text] if ccp_text else text

"""What a file really is, from its content: magic bytes, zip member names, OLE stream
names — never the extension alone. The extension only picks between formats that share
a container (WPS ``.et``/``.wps`` are xls/doc or xlsx/docx inside).

Kinds: ``pdf docx doc wps xlsx xls et ods csv txt html image zip unknown empty`` and
``encrypted-office`` (an Office file with an open password). ``zip`` means an archive
(zip, rar, 7z, gz). Reads at most the first 64 KiB plus the zip central directory or
the OLE directory: well under 2 ms for an ordinary file, whatever its size.
"""

from __future__ import annotations

import codecs
import io
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

KINDS = (
    "pdf",
    "docx",
    "doc",
    "wps",
    "xlsx",
    "xls",
    "et",
    "ods",
    "csv",
    "txt",
    "html",
    "image",
    "zip",
    "unknown",
    "empty",
    "encrypted-office",
)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HEAD = 8192

_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")
_ARCHIVE_MAGIC = (b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")
_HTML_START = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|table|meta|title|style)\b", re.I | re.S
)


@dataclass(frozen=True)
class Sniffed:
    kind: str
    container: str | None = None  # 'zip' | 'ole' | None
    detail: str = ""  # e.g. 'pptx', 'ofd', 'rtf', 'spreadsheetml', 'mht', 'truncated-zip'


def sniff(path: Path | str) -> str:
    """The real kind of a file from its content (see module doc)."""
    return sniff_detail(path).kind


def sniff_detail(path: Path | str) -> Sniffed:
    path = Path(path)
    ext = path.suffix.lower()
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD)
            if not head:
                return Sniffed("empty")
            return _from_head(f, head, ext)
    except OSError:
        return Sniffed("unknown", detail="unreadable")


def sniff_bytes(data: bytes, ext: str, zip_file: zipfile.ZipFile | None = None) -> Sniffed:
    """:func:`sniff_detail` of bytes already read (``ext`` with its dot, lower case);
    ``zip_file``: their zip directory, when the caller has already read it."""
    head = data[:HEAD]
    if not head:
        return Sniffed("empty")
    return _from_head(io.BytesIO(data), head, ext, zip_file)


def _from_head(f, head: bytes, ext: str, zip_file: zipfile.ZipFile | None = None) -> Sniffed:
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(f, head, ext, zip_file)
    if head.startswith(OLE_MAGIC):
        return _ole_kind(f, ext)
    if b"%PDF-" in head[:1024]:
        return Sniffed("pdf")
    if (
        head.startswith(_IMAGE_MAGIC)
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
        or (head[:2] == b"BM" and len(head) > 26 and head[6:10] == b"\0\0\0\0")
        or head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif")
    ):
        return Sniffed("image")
    if head.startswith(_ARCHIVE_MAGIC):
        return Sniffed("zip", detail="archive")
    if head.startswith(b"{\\rtf"):
        return Sniffed("unknown", detail="rtf")
    return _text_kind(head)


# ---------------------------------------------------------------- zip containers
def _zip_kind(f, head: bytes, ext: str, z: zipfile.ZipFile | None = None) -> Sniffed:
    try:
        if z is None:
            f.seek(0)
            z = zipfile.ZipFile(f)
        names = z.namelist()
        mimetype = b""
        if "mimetype" in names:
            info = z.getinfo("mimetype")
            if info.file_size < 200:
                mimetype = z.read("mimetype").strip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, KeyError):
        # no readable central directory: guess from the local headers at the start
        return _truncated_zip_kind(head, ext)
    nameset = set(names)
    if "xl/workbook.xml" in nameset or "xl/workbook.bin" in nameset or any(n.startswith("xl/") for n in names[:50]):
        return Sniffed("et" if ext in (".et", ".ett") else "xlsx", "zip")
    if "word/document.xml" in nameset or any(n.startswith("word/") for n in names[:50]):
        return Sniffed("wps" if ext in (".wps", ".wpt") else "docx", "zip")
    if mimetype:
        if mimetype == b"application/vnd.oasis.opendocument.spreadsheet":
            return Sniffed("ods", "zip")
        if mimetype.startswith(b"application/vnd.oasis.opendocument"):
            return Sniffed("unknown", "zip", "odf")
    if "ppt/presentation.xml" in nameset or any(n.startswith("ppt/") for n in names[:50]):
        return Sniffed("unknown", "zip", "pptx")
    if "OFD.xml" in nameset:
        return Sniffed("unknown", "zip", "ofd")
    return Sniffed("zip", "zip", "archive")


def _truncated_zip_kind(head: bytes, ext: str) -> Sniffed:
    if b"xl/" in head:
        return Sniffed("et" if ext in (".et", ".ett") else "xlsx", "zip", "truncated-zip")
    if b"word/" in head:
        return Sniffed("wps" if ext in (".wps", ".wpt") else "docx", "zip", "truncated-zip")
    if b"application/vnd.oasis.opendocument.spreadsheet" in head:
        return Sniffed("ods", "zip", "truncated-zip")
    return Sniffed("zip", "zip", "truncated-zip")


# ---------------------------------------------------------------- OLE compound files
def _ole_kind(f, ext: str) -> Sniffed:
    import olefile

    try:
        f.seek(0)
        ole = olefile.OleFileIO(f)
    except Exception:
        return Sniffed("unknown", "ole", "bad-ole")
    try:
        streams = {"/".join(p) for p in ole.listdir(streams=True, storages=False)}
        top = {s.split("/")[0] for s in streams}
        if "EncryptionInfo" in top and "EncryptedPackage" in top:
            return Sniffed("encrypted-office", "ole", "ooxml")
        for name in ("Workbook", "Book"):
            if name in top:
                enc = name == "Workbook" and _xls_encrypted(_stream_head(ole, name, 4096))
                if enc:
                    return Sniffed("encrypted-office", "ole", "xls")
                wps = ext in (".et", ".ett") or any(s.startswith("ETExtData") for s in top)
                return Sniffed("et" if wps else "xls", "ole")
        if "WordDocument" in top:
            if _doc_encrypted(_stream_head(ole, "WordDocument", 64)):
                return Sniffed("encrypted-office", "ole", "doc")
            return Sniffed("wps" if ext in (".wps", ".wpt") else "doc", "ole")
        if "PowerPoint Document" in top:
            return Sniffed("unknown", "ole", "ppt")
        return Sniffed("unknown", "ole")
    except Exception:
        return Sniffed("unknown", "ole", "bad-ole")
    finally:
        ole.close()


def _stream_head(ole, name: str, n: int) -> bytes:
    """The first ``n`` bytes of a stream without reading the whole stream (olefile does)."""
    import olefile

    sid = ole._find(name)
    entry = ole.direntries[sid]
    if entry.size < ole.minisectorcutoff:
        return ole.openstream(name).read(n)
    out = bytearray()
    sect, seen = entry.isectStart, 0
    fp, size = ole.fp, ole.sectorsize
    while (
        len(out) < min(n, entry.size)
        and sect < len(ole.fat)
        and seen < 64
        and sect not in (olefile.ENDOFCHAIN, olefile.FREESECT)
    ):
        fp.seek(size * (sect + 1))
        out += fp.read(size)
        sect = ole.fat[sect]
        seen += 1
    return bytes(out[: min(n, entry.size)])


def _xls_encrypted(data: bytes) -> bool:
    """BIFF8: a FILEPASS record (0x002F) in the globals substream, right after BOF."""
    pos = 0
    for _ in range(40):
        if pos + 4 > len(data):
            return False
        num, size = struct.unpack_from("<HH", data, pos)
        if num == 0x002F:
            return True
        if num == 0x000A or (pos and num == 0x0809):  # EOF, or the next substream
            return False
        pos += 4 + size
    return False


def _doc_encrypted(fib: bytes) -> bool:
    """MS-DOC FibBase: fEncrypted is bit 8 of the flags word at offset 0x0A."""
    return len(fib) >= 12 and bool(struct.unpack_from("<H", fib, 0x0A)[0] & 0x0100)


# ---------------------------------------------------------------- text
def decode_head(head: bytes) -> str | None:
    """The text of a file's first bytes, or None when it does not look like text."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return head[2 : len(head) - (len(head) % 2)].decode(
                "utf-16-le" if head[0] == 0xFF else "utf-16-be", errors="strict"
            )
        except UnicodeDecodeError:
            return None
    if b"\x00" in head:
        return None
    text = None
    for enc in ("utf-8-sig", "gb18030"):
        try:  # incremental: a multibyte character cut by the end of the head is fine
            text = codecs.getincrementaldecoder(enc)(errors="strict").decode(head, final=False)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        return None
    if not text:
        return text
    ctrl = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f\v")
    if ctrl > max(2, len(text) // 100):
        return None
    return text


def _text_kind(head: bytes) -> Sniffed:
    text = decode_head(head)
    if text is None:
        return Sniffed("unknown")
    low = text.lstrip("\ufeff \t\r\n").lower()
    raw = low.encode("utf-8", "ignore")
    if _HTML_START.match(raw):
        return Sniffed("html")
    if low.startswith("<?xml"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in low[:4096]:
            return Sniffed("txt", detail="spreadsheetml")
        if "<html" in low[:2048]:
            return Sniffed("html")
        return Sniffed("txt", detail="xml")
    if low.startswith("mime-version:") and "multipart/related" in low[:2048]:
        return Sniffed("html", detail="mht")
    if _looks_csv(text):
        return Sniffed("csv")
    return Sniffed("txt")


def _looks_csv(text: str) -> bool:
    lines = [ln for ln in text.splitlines()[:21] if ln.strip()]
    if len(text) >= HEAD - 4 and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    if len(lines) < 2:
        return False
    for sep in (",", "\t", ";"):
        counts = [ln.count(sep) for ln in lines]
        if counts[0] >= 1 and all(c == counts[0] for c in counts):
            return True
    return False


__all__ = ["KINDS", "Sniffed", "sniff", "sniff_bytes", "sniff_detail", "decode_head"]

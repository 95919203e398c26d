"""Read one evidence file against its task's spec: :func:`inspect_file` -> :class:`Facts`.

A pure function meant to run inside a sandboxed worker (``evidence.sandbox``). Order:

1. the file is opened once (``inspect.content``): not a regular file, empty or over
   ``max_file_bytes`` (from ``fstat``) -> rejected before a byte is read; a file that is
   gone or unreadable -> rejected as ``transient`` (not cached: read again next time);
   every step below works on the bytes read;
2. :func:`evidence.sniff.sniff_bytes`: the real kind from the content;
3. archives, encrypted Office files (OLE ``EncryptionInfo``; msoffcrypto for .xls/.doc)
   and files whose content contradicts their extension are rejected;
4. zip-based Office: the central directory is checked against the limits (entries,
   total and per-part uncompressed size, compression ratio) BEFORE any parser opens it;
5. dispatch to the reader of the kind (sheet, pdf, word, text, image). A document must hold
   something: a table with no data (``Facts.blank``), a Word file with only whitespace or
   zero-width characters, a fake or thumbnail-sized image count for nothing, with the reason.

Every refusal is ``Facts(ok=False, reason=...)`` with a reason in plain Chinese naming
the fix; exceptions never escape for a bad file.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from duban.evidence.facts import Facts
from duban.evidence.limits import Limits, MiB
from duban.evidence.share import reason_for
from duban.evidence.sniff import Sniffed, sniff_bytes
from duban.evidence.spec import InspectSpec

from . import common
from .common import InspectError, disguised
from .content import Content, Rejected, read_content

__all__ = ["inspect_file", "InspectError", "EXT_FAMILY"]
log = logging.getLogger(__name__)

SHEET_KINDS = {"xlsx", "xls", "et", "ods"}
WORD_KINDS = {"docx", "doc", "wps"}
EXT_FAMILY = {
    **dict.fromkeys((".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlt", ".xlsb", ".et", ".ett", ".ods"), "sheet"),
    **dict.fromkeys((".docx", ".docm", ".dotx", ".doc", ".dot", ".wps", ".wpt"), "word"),
    ".pdf": "pdf",
    **dict.fromkeys((".txt", ".csv", ".tsv", ".text", ".md", ".url", ".log"), "text"),
    **dict.fromkeys((".html", ".htm", ".mht", ".mhtml", ".shtml"), "html"),
    **dict.fromkeys((".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".heic", ".heif"), "image"),
    **dict.fromkeys((".zip", ".rar", ".7z", ".gz", ".tgz", ".bz2", ".xz", ".tar"), "archive"),
}
# content kinds each extension family accepts (same family: an xlsx named .xls is read as what it is)
FAMILY_KINDS = {
    "sheet": SHEET_KINDS,
    "word": WORD_KINDS,
    "pdf": {"pdf"},
    "text": {"txt", "csv", "html"},
    "html": {"html", "txt"},
    "image": {"image"},
    "archive": {"zip"},
}


def inspect_file(path: Path, spec: InspectSpec, limits: Limits) -> Facts:
    return inspect_read(path, spec, limits)[0]


def inspect_read(path: Path | str, spec: InspectSpec, limits: Limits) -> tuple[Facts, tuple[int, int, int] | None]:
    """The facts, and the ``(size, mtime_ns, inode)`` of the bytes they come from (None when
    nothing could be read): the file is opened once and every step works on what was read."""
    t0 = time.perf_counter()
    kind = "unknown"
    read: tuple[int, int, int] | None = None
    try:
        content = read_content(path, limits)
        read = content.signature
        sn = _precheck(content, limits)
        kind = sn.kind
        facts = _dispatch(content, sn, spec, limits)
    except common.Unreadable as e:
        facts = Facts.rejected(kind, e.reason)
        facts.transient = True
    except InspectError as e:
        facts = Facts.rejected(getattr(e, "kind", kind), e.reason)
    except OSError as e:  # the file went away or became unreadable while being read
        facts = Facts.rejected(kind, reason_for(e)[1])
        facts.transient = True
    except MemoryError:
        facts = Facts.rejected(kind, common.MEMORY)
    except RecursionError:
        facts = Facts.rejected(kind, common.CORRUPT)
    except Exception:
        log.warning("inspecting %s failed", path, exc_info=True)
        facts = Facts.rejected(kind, common.CORRUPT)
    facts.seconds = round(time.perf_counter() - t0, 6)
    return facts, read


# ---------------------------------------------------------------- pre-checks
def _precheck(content: Content, limits: Limits) -> Sniffed:
    sn = sniff_bytes(content.data, content.ext, content.zip if content.data[:2] == b"PK" else None)
    ext = content.ext
    family = EXT_FAMILY.get(ext)
    if sn.kind == "empty":
        raise Rejected("empty", common.EMPTY)
    if sn.kind == "zip" or family == "archive":
        if family in ("sheet", "word"):  # an Office name over a zip that holds no Office document
            raise Rejected(sn.kind, common.CORRUPT)
        raise Rejected(sn.kind, common.ARCHIVE)
    if sn.kind == "encrypted-office":
        raise Rejected(sn.kind, common.ENCRYPTED)
    if family is not None and sn.kind not in FAMILY_KINDS[family] and not (family == "word" and sn.detail == "rtf"):
        raise Rejected(sn.kind, _mismatch(ext, family, sn))
    if sn.container == "zip" and sn.kind in SHEET_KINDS | WORD_KINDS:
        _check_zip(content, sn, limits)
    if sn.container == "ole" and sn.kind in {"xls", "et", "doc", "wps"} and _msoffcrypto_encrypted(content):
        raise Rejected("encrypted-office", common.ENCRYPTED)
    return sn


def _mismatch(ext: str, family: str, sn: Sniffed) -> str:
    if sn.kind == "html" and family == "sheet":
        return common.HTML_AS_SHEET
    if sn.kind == "html" and family == "word":
        return common.HTML_AS_WORD
    if family == "sheet" and sn.detail == "spreadsheetml":
        return common.SPREADSHEETML
    if family == "sheet" and sn.kind == "csv":
        return common.CSV_AS_SHEET.format(ext=ext)
    if sn.kind == "unknown" and sn.detail in _DOC_DETAIL:
        return common.DISGUISED.format(ext=ext, what=_DOC_DETAIL[sn.detail])
    if sn.kind == "unknown":  # a known extension over unrecognisable bytes: damaged
        return common.CORRUPT
    return disguised(ext, sn.kind)


_DOC_DETAIL = {
    "pptx": "演示文稿（PowerPoint）",
    "ppt": "演示文稿（PowerPoint）",
    "ofd": "OFD 版式文档",
    "odf": "OpenDocument 文档",
    "rtf": "RTF 文档",
}


def _check_zip(content: Content, sn: Sniffed, limits: Limits) -> None:
    """Caps from the central directory, before any parser decompresses anything."""
    bomb = common.BOMB_SHEET if sn.kind in SHEET_KINDS else common.BOMB_DOC
    if content.zip is None:
        raise Rejected(sn.kind, common.CORRUPT)
    infos = content.zip.infolist()
    if len(infos) > limits.max_entries:
        raise Rejected(sn.kind, common.TOO_MANY_ENTRIES.format(n=len(infos), limit=limits.max_entries))
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > limits.max_part_bytes or total > limits.max_uncompressed_bytes:
            raise Rejected(sn.kind, bomb)
        if info.file_size > MiB and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise Rejected(sn.kind, bomb)


def _msoffcrypto_encrypted(content: Content) -> bool:
    """msoffcrypto's verdict on an OLE .xls/.doc (stream names alone miss RC4/XOR encryption)."""
    import msoffcrypto

    try:
        return bool(msoffcrypto.OfficeFile(content.stream()).is_encrypted())
    except Exception:
        return False


# ---------------------------------------------------------------- dispatch
def _dispatch(content: Content, sn: Sniffed, spec: InspectSpec, limits: Limits) -> Facts:
    kind = sn.kind
    if kind in SHEET_KINDS:
        return _sheet(content, sn, spec, limits)
    if kind in ("docx", "wps") and sn.container == "zip":
        from .word import inspect_docx

        return inspect_docx(content, kind, spec, limits)
    if kind in ("doc", "wps"):
        from .word import inspect_doc

        return inspect_doc(content, kind, spec, limits)
    if kind == "pdf":
        from .pdf import inspect_pdf

        return inspect_pdf(content, spec, limits)
    if kind in ("txt", "csv", "html"):
        return _text(content, kind, spec, limits)
    if kind == "image":
        from .image import inspect_image

        return inspect_image(content.data)
    if kind == "unknown" and sn.detail in _DOC_DETAIL:
        # documents duban cannot read inside but that are documents (pptx, ofd, rtf ...)
        return Facts(kind="unknown", ok=True)
    raise InspectError(common.UNKNOWN)


def _sheet(content: Content, sn: Sniffed, spec: InspectSpec, limits: Limits) -> Facts:
    from .sheet import inspect_sheets, read_workbook, sheet_blank, xlsx_hyperlinks

    sheets = read_workbook(content, limits)
    ledgers, links, figures = inspect_sheets(sheets, spec, limits)
    if sn.container == "zip" and sn.kind in ("xlsx", "et"):
        from .links import dedup

        links = dedup(links + xlsx_hyperlinks(content.zip, limits))
    blank = None if (links or figures) else sheet_blank(sheets, limits)
    return Facts(kind=sn.kind, ok=True, ledgers=ledgers, links=links, figures=figures, blank=blank)


def _text(content: Content, kind: str, spec: InspectSpec, limits: Limits) -> Facts:
    from .figures import figures_from_text
    from .links import dedup, find_links, url_shortcut
    from .text import MAX_TEXT_BYTES, csv_rows, decode, html_text, text_chars

    raw = decode(content.data[:MAX_TEXT_BYTES])
    path = content.path
    text, extra = raw, list[str]()
    if kind == "html":
        text, extra = html_text(raw)
    elif content.ext == ".url":
        extra = url_shortcut(raw)
    chars = text_chars(text)
    if chars == 0:
        raise InspectError(common.EMPTY_TEXT)
    facts = Facts(kind=kind, ok=True, text_chars=chars, links=dedup(find_links(text) + extra))
    if spec.figures:
        facts.figures = figures_from_text(text, spec.figures)
    if kind == "csv" and spec.ledgers:
        import csv as _csv

        from .sheet import analyse_sheets

        try:
            rows = csv_rows(raw, limits)
        except _csv.Error:
            rows = []
        if rows:
            facts.ledgers = analyse_sheets([(path.stem, rows, -1)], spec, limits)
    return facts

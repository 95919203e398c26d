"""Read one evidence file against its task's spec: :func:`inspect_file` -> :class:`Facts`.

A pure function meant to run inside a sandboxed worker (``evidence.sandbox``). Order:

1. ``stat``: empty or over ``max_file_bytes`` -> rejected without opening; a file that is
   gone or unreadable -> rejected as ``transient`` (not cached: read again next time);
2. :func:`evidence.sniff.sniff_detail`: the real kind from the content;
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
import os
import stat
import time
import zipfile
from pathlib import Path

from duban.evidence.facts import Facts
from duban.evidence.limits import Limits, MiB
from duban.evidence.share import reason_for
from duban.evidence.sniff import Sniffed, sniff_detail
from duban.evidence.spec import InspectSpec

from . import common
from .common import InspectError, disguised

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
    t0 = time.perf_counter()
    path = Path(path)
    kind = "unknown"
    try:
        sn = _precheck(path, limits)
        kind = sn.kind
        facts = _dispatch(path, sn, spec, limits)
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
    return facts


# ---------------------------------------------------------------- pre-checks
def _precheck(path: Path, limits: Limits) -> Sniffed:
    try:
        st = os.stat(path)
    except OSError as e:
        raise common.Unreadable(reason_for(e)[1]) from e
    if not stat.S_ISREG(st.st_mode):
        raise InspectError("不是普通文件（管道、设备或文件夹），不计入佐证")
    size = st.st_size
    if size == 0:
        raise _Reject("empty", common.EMPTY)
    if size > limits.max_file_bytes:
        raise _Reject("unknown", common.too_big(limits.max_file_bytes))
    sn = sniff_detail(path)
    if sn.detail == "unreadable":  # stat worked, open did not: no permission, or gone since
        try:
            with open(path, "rb"):
                pass
        except OSError as e:
            raise common.Unreadable(reason_for(e)[1]) from e
    ext = path.suffix.lower()
    family = EXT_FAMILY.get(ext)
    if sn.kind == "empty":
        raise _Reject("empty", common.EMPTY)
    if sn.kind == "zip" or family == "archive":
        if family in ("sheet", "word"):  # an Office name over a zip that holds no Office document
            raise _Reject(sn.kind, common.CORRUPT)
        raise _Reject(sn.kind, common.ARCHIVE)
    if sn.kind == "encrypted-office":
        raise _Reject(sn.kind, common.ENCRYPTED)
    if family is not None and sn.kind not in FAMILY_KINDS[family] and not (family == "word" and sn.detail == "rtf"):
        raise _Reject(sn.kind, _mismatch(ext, family, sn))
    if sn.container == "zip" and sn.kind in SHEET_KINDS | WORD_KINDS:
        _check_zip(path, sn, limits)
    if sn.container == "ole" and sn.kind in {"xls", "et", "doc", "wps"} and _msoffcrypto_encrypted(path):
        raise _Reject("encrypted-office", common.ENCRYPTED)
    return sn


class _Reject(InspectError):
    def __init__(self, kind: str, reason: str):
        super().__init__(reason)
        self.kind = kind


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


def _check_zip(path: Path, sn: Sniffed, limits: Limits) -> None:
    """Caps from the central directory, before any parser decompresses anything."""
    bomb = common.BOMB_SHEET if sn.kind in SHEET_KINDS else common.BOMB_DOC
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as e:
        raise _Reject(sn.kind, common.CORRUPT) from e
    if len(infos) > limits.max_entries:
        raise _Reject(sn.kind, common.TOO_MANY_ENTRIES.format(n=len(infos), limit=limits.max_entries))
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > limits.max_part_bytes or total > limits.max_uncompressed_bytes:
            raise _Reject(sn.kind, bomb)
        if info.file_size > MiB and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise _Reject(sn.kind, bomb)


def _msoffcrypto_encrypted(path: Path) -> bool:
    """msoffcrypto's verdict on an OLE .xls/.doc (stream names alone miss RC4/XOR encryption)."""
    import msoffcrypto

    try:
        with open(path, "rb") as f:
            return bool(msoffcrypto.OfficeFile(f).is_encrypted())
    except Exception:
        return False


# ---------------------------------------------------------------- dispatch
def _dispatch(path: Path, sn: Sniffed, spec: InspectSpec, limits: Limits) -> Facts:
    kind = sn.kind
    if kind in SHEET_KINDS:
        return _sheet(path, sn, spec, limits)
    if kind in ("docx", "wps") and sn.container == "zip":
        from .word import inspect_docx

        return inspect_docx(path, kind, spec, limits)
    if kind in ("doc", "wps"):
        from .word import inspect_doc

        return inspect_doc(path, kind, spec, limits)
    if kind == "pdf":
        from .pdf import inspect_pdf

        return inspect_pdf(path, spec, limits)
    if kind in ("txt", "csv", "html"):
        return _text(path, kind, spec, limits)
    if kind == "image":
        from .image import inspect_image

        return inspect_image(path)
    if kind == "unknown" and sn.detail in _DOC_DETAIL:
        # documents duban cannot read inside but that are documents (pptx, ofd, rtf ...)
        return Facts(kind="unknown", ok=True)
    raise InspectError(common.UNKNOWN)


def _sheet(path: Path, sn: Sniffed, spec: InspectSpec, limits: Limits) -> Facts:
    from .sheet import inspect_sheets, read_workbook, sheet_blank, xlsx_hyperlinks

    sheets = read_workbook(path, limits)
    ledgers, links, figures = inspect_sheets(sheets, spec, limits)
    if sn.container == "zip" and sn.kind in ("xlsx", "et"):
        from .links import dedup

        links = dedup(links + xlsx_hyperlinks(path, limits))
    blank = None if (links or figures) else sheet_blank(sheets, limits)
    return Facts(kind=sn.kind, ok=True, ledgers=ledgers, links=links, figures=figures, blank=blank)


def _text(path: Path, kind: str, spec: InspectSpec, limits: Limits) -> Facts:
    from .figures import figures_from_text
    from .links import dedup, find_links, url_shortcut
    from .text import csv_rows, html_text, read_text, text_chars

    raw = read_text(path)
    text, extra = raw, list[str]()
    if kind == "html":
        text, extra = html_text(raw)
    elif path.suffix.lower() == ".url":
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

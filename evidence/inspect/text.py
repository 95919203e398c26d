"""Plain text (.txt, .csv, .url shortcuts, saved web pages): decoding (UTF-8, UTF-8 with
BOM, UTF-16 with BOM, GB18030), characters of text, links, figures; CSV rows for ledgers."""

from __future__ import annotations

import csv
import html as htmllib
import io
import re
import unicodedata

from duban.evidence.limits import Limits

from . import common
from .common import InspectError

MAX_TEXT_BYTES = 20 * 1024 * 1024  # text beyond this is not read (counts, links and figures come from the start)


def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError as e:
            if len(data) >= MAX_TEXT_BYTES and e.start >= len(data) - 4:  # cut inside a character
                return data[: e.start].decode(enc, errors="replace")
    raise InspectError(common.BAD_ENCODING)


# not text a reader sees: whitespace, zero-width and format characters (U+200B, U+FEFF ...),
# control characters (Word's field and cell marks)
_INVISIBLE = {"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"}


def text_chars(text: str) -> int:
    """Characters a reader sees: not whitespace, zero-width, format or control characters."""
    return sum(1 for ch in text if not ch.isspace() and unicodedata.category(ch) not in _INVISIBLE)


_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.S | re.I)
_HREF = re.compile(r"""href\s*=\s*["']?(https?://[^"'\s>]+)""", re.I)


def html_text(src: str) -> tuple[str, list[str]]:
    """(visible text, href targets) of an HTML page, without a parser (good enough to count)."""
    hrefs = [htmllib.unescape(m.group(1)) for m in _HREF.finditer(src)]
    return htmllib.unescape(_TAG.sub(" ", src)), hrefs


def csv_rows(text: str, limits: Limits) -> list[list[object]]:
    sample = text[:8192]
    delim = ","
    for d in (",", "\t", ";"):
        if sample.count(d) > sample.count(delim):
            delim = d
    rows: list[list[object]] = []
    for row in csv.reader(io.StringIO(text), delimiter=delim):
        rows.append(list(row))
        if len(rows) > limits.max_rows + 64:
            break
    return rows

"""Shared pieces of the inspectors: the rejection reasons (plain Chinese, with the fix),
label normalisation and number parsing."""

from __future__ import annotations

import re
import unicodedata


class InspectError(Exception):
    """A file duban refuses; ``reason`` is the whole message for the user."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------- reasons
EMPTY = "空文件（0 字节）：请重新上传"
ENCRYPTED = "文件已加密（设置了打开密码），duban 无法读取：请去掉密码后重新上传"
CORRUPT = "文件损坏，无法打开：请重新导出后上传"
ARCHIVE = "压缩包不计入佐证：请解压后上传其中的文件"
HTML_AS_SHEET = "这是网页文件（HTML），不是 Excel：请用 Excel 打开后另存为 .xlsx"
HTML_AS_WORD = "这是网页文件（HTML），不是 Word 文档：请用 Word 打开后另存为 .docx"
SPREADSHEETML = "这是 Excel 2003 XML 表格，duban 无法读取：请用 Excel 打开后另存为 .xlsx"
CSV_AS_SHEET = "扩展名为 {ext}，但内容是纯文本表格（CSV）：请用 Excel 打开后另存为 .xlsx"
DISGUISED = "扩展名为 {ext}，但内容是{what}：请改正扩展名或重新导出"
TOO_BIG = "文件过大（超过 {size}）：请拆分或压缩内容后重新上传"
BOMB_SHEET = "表格解压后过大（疑似压缩炸弹），已拒绝"
BOMB_DOC = "文档解压后过大（疑似压缩炸弹），已拒绝"
TOO_MANY_ENTRIES = "文件内部条目过多（{n} 个，上限 {limit} 个），疑似异常文件，已拒绝"
EMPTY_DOC = "文档没有内容：请填写后重新上传"
EMPTY_TEXT = "文件没有内容：请填写后重新上传"
NO_PAGES = "PDF 没有页面（文件可能损坏）：请重新导出后上传"
UNKNOWN = "无法识别的文件内容：请上传 PDF、Word、Excel、图片或文本文件"
TIMEOUT = "读取超时（超过 {s} 秒），已跳过：请检查文件是否异常"
MEMORY = "读取时内存超限，已跳过：请检查文件是否异常"
CRASH = "读取时解析程序崩溃（内存超限或文件异常），已跳过：请检查文件是否异常，可用 Office 打开后另存再上传"
BAD_ENCODING = "文本编码无法识别：请另存为 UTF-8 编码后上传"
BLANK_WORKBOOK = "表格是空的（没有任何内容），不计入：请填写后重新上传"
BLANK_TABLE = "表格只有标题或表头，没有填写内容，不计入：请填写后重新上传"
FAKE_IMAGE = "图片文件已损坏或不是真正的图片，无法打开：请重新拍摄或扫描后上传"
TINY_IMAGE = "图片只有 {w}×{h} 像素，看不出内容，不计入：请上传清晰的照片或扫描件"
MIN_IMAGE_SIDE = 64  # pixels: a smaller picture (an icon, a 1×1 placeholder) shows no document


class Unreadable(InspectError):
    """The file could not be read this time (gone, no permission, the share blinked): the
    facts say so but are not cached — the next check reads it again."""


KIND_LABEL = {
    "pdf": "PDF",
    "docx": "Word 文档（.docx）",
    "doc": "Word 97-2003 文档（.doc）",
    "wps": "WPS 文字文档",
    "xlsx": "Excel 工作簿（.xlsx）",
    "xls": "Excel 97-2003 工作簿（.xls）",
    "et": "WPS 表格",
    "ods": "OpenDocument 表格（.ods）",
    "csv": "纯文本表格（CSV）",
    "txt": "纯文本",
    "html": "网页（HTML）",
    "image": "图片",
    "zip": "压缩包",
    "unknown": "无法识别的内容",
    "empty": "空文件",
    "encrypted-office": "加密的 Office 文件",
}


def too_big(limit_bytes: int) -> str:
    """The reason for a file over ``max_file_bytes`` (decided from its size, never opened)."""
    mib = 1024 * 1024
    size = f"{limit_bytes / mib:g} MB" if limit_bytes >= mib else f"{limit_bytes / 1024:g} KB"
    return TOO_BIG.format(size=size)


def kind_label(kind: str) -> str:
    return KIND_LABEL.get(kind, kind)


def disguised(ext: str, kind: str) -> str:
    what = kind_label(kind)
    return DISGUISED.format(ext=ext, what=(" " + what) if what[:1].isascii() else what)


# ---------------------------------------------------------------- labels
_STRIP = re.compile(r"[\s*:：]+")
_PAREN = re.compile(r"\([^()]*\)")


def norm_label(v: object) -> str:
    """A header or label as compared: NFKC, no whitespace (line breaks, ``序 号``), no ``*``/``：``."""
    if v is None:
        return ""
    s = v if isinstance(v, str) else str(v)
    return _STRIP.sub("", unicodedata.normalize("NFKC", s))


def loose_label(s: str) -> str:
    """A normalised label without parenthesised parts: ``统一社会信用代码(必填)`` -> ``统一社会信用代码``."""
    return _PAREN.sub("", s) if "(" in s else s


# ---------------------------------------------------------------- numbers and money
MONEY_UNITS = {"元": 1.0, "万元": 1e4, "亿元": 1e8, "万": 1e4, "亿": 1e8}
_NUM = re.compile(r"^\s*([-+]?\d[\d,]*(?:\.\d+)?|[-+]?\.\d+)\s*(亿元|万元|元|亿|万)?\s*$")


def parse_number(v: object) -> tuple[float, str | None] | None:
    """(value, money unit or None) from a cell: 1200, '1,200.5', '1200万元'; None if not a number."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v), None
    if not isinstance(v, str):
        return None
    m = _NUM.match(unicodedata.normalize("NFKC", v))
    if not m:
        return None
    try:
        return float(m.group(1).replace(",", "")), m.group(2)
    except ValueError:
        return None


def unit_in(text: str) -> str | None:
    """The money unit named in a label such as ``金额（万元）``."""
    for u in ("亿元", "万元", "元"):
        if u in text:
            return u
    return None


def convert(value: float, src: str | None, dst: str) -> float:
    """``value`` in money unit ``src`` expressed in ``dst`` (unknown units: unchanged)."""
    if not src or src not in MONEY_UNITS or dst not in MONEY_UNITS:
        return value
    return value * MONEY_UNITS[src] / MONEY_UNITS[dst]

"""Spreadsheets (.xlsx .xls .et .ods, and .csv rows) read as ledgers.

For each template ledger the best (sheet, header row) is found the way that worked on
every sample (shared/notes/reading-files.md): NFKC-normalise, strip whitespace and
``*``/``：``, score each of the first 30 rows — and each row joined with the next, for
two-level headers — by the template columns (names and variants) it matches, and keep
the best row matching at least half the required columns. Rows under it are counted,
checked and reported with their exact Excel row numbers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from duban.evidence.facts import LedgerFacts
from duban.evidence.limits import Limits
from duban.evidence.spec import InspectSpec, LedgerSpec
from duban.evidence.uscc import normalize_uscc, normalized_problem
from duban.tasks_catalog.models import Template

from . import common
from .common import InspectError, loose_label, norm_label
from .figures import figures_from_rows
from .links import dedup, external_hyperlinks, find_links

if TYPE_CHECKING:
    from .content import Content

HEADER_SCAN = 30  # rows searched for the header
MAX_DETAILS = 20  # entries listed in LedgerFacts detail lists
SEQ_NAMES = {"序号", "编号", "序列号", "行号", "顺序号", "no", "no.", "NO", "NO.", "No", "No."}
Rows = list[list[object]]


# ---------------------------------------------------------------- reading
def read_workbook(content: Content, limits: Limits) -> list[tuple[str, Rows, int]]:
    """[(sheet name, rows from A1, last used 0-based row)] with python-calamine, from the bytes read.

    ``skip_empty_area=False`` keeps exact Excel row numbers; at most
    ``max_rows + HEADER_SCAN + 2`` rows are converted per sheet.
    """
    import python_calamine as pc

    out = []
    try:
        with content.stream() as f:
            wb = pc.CalamineWorkbook.from_filelike(f)
            try:
                metas = {m.name: m for m in wb.sheets_metadata}
                for name in wb.sheet_names:
                    meta = metas.get(name)
                    if meta is not None and meta.typ != pc.SheetTypeEnum.WorkSheet:
                        continue
                    sheet = wb.get_sheet_by_name(name)
                    rows = cast(Rows, sheet.to_python(skip_empty_area=False, nrows=limits.max_rows + HEADER_SCAN + 2))
                    end = sheet.end[0] if sheet.end else -1
                    out.append((name, rows, end))
            finally:
                wb.close()
    except pc.PasswordError as e:
        raise InspectError(common.ENCRYPTED) from e
    except (
        pc.CalamineError,
        pc.ZipError,
        pc.XmlError,
        pc.WorksheetNotFound,
        ValueError,
        OSError,
        EOFError,
        TypeError,
        IndexError,
    ) as e:
        raise InspectError(common.CORRUPT) from e
    return out


def xlsx_hyperlinks(z: zipfile.ZipFile | None, limits: Limits) -> list[str]:
    """External hyperlink targets of an xlsx's worksheets (links not written in the cell text),
    from its zip directory as already read."""
    out: list[str] = []
    if z is None:
        return out
    try:
        for info in z.infolist():
            n = info.filename
            if n.startswith("xl/worksheets/_rels/") and n.endswith(".rels") and info.file_size < limits.max_part_bytes:
                out += external_hyperlinks(z.read(info).decode("utf-8", "replace"))
    except (zipfile.BadZipFile, zlib.error, OSError, KeyError, ValueError, EOFError):
        return []
    return out


# ---------------------------------------------------------------- helpers
def _blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


_TOTAL = re.compile(r"^(合计|总计|累计合计)")
_SUBTOTAL = re.compile(r"^(小计|分计)")
# the template's own example line (示例 / 例： / 某某公司 / XXXX): not data
_EXAMPLE = re.compile(r"^(示例|样例|范例|举例|填写示例|填表示例|例[:：]?$|例[:：])|某某|^[xX×*]{3,}")
_FOOTER = re.compile(
    r"^(填报人|填表人|审核人|制表人|负责人|单位负责人|分管领导|联系人|联系电话|填报日期|填表日期|"
    r"填报单位|备注|说明|填表说明|注)\s*(?:[（(][^）)]{0,8}[）)])?\s*\d*\s*[:：.、]"
)


@dataclass
class _Header:
    row: int  # 0-based index of the (top) header row
    height: int  # 1 or 2
    pos: dict[int, int]  # template column index -> sheet column position
    required: int  # required columns matched
    total: int  # columns matched
    seq_pos: set[int] = field(default_factory=set)  # 序号-like positions (do not make a row non-empty)


class _Matcher:
    def __init__(self, tpl: Template):
        self.tpl = tpl
        self.exact: dict[str, int] = {}
        for ci, c in enumerate(tpl.columns):
            self.exact.setdefault(norm_label(c.name), ci)
        for ci, c in enumerate(tpl.columns):
            for v in c.variants:
                self.exact.setdefault(norm_label(v), ci)
        self.loose: dict[str, int] = {}
        for k, ci in self.exact.items():
            self.loose.setdefault(loose_label(k), ci)
        self.required = [ci for ci, c in enumerate(tpl.columns) if c.required]
        self.seq_cols = {ci for ci, c in enumerate(tpl.columns) if norm_label(c.name) in SEQ_NAMES or c.name == "序号"}

    def cell(self, lab: str) -> int | None:
        if not lab:
            return None
        ci = self.exact.get(lab)
        if ci is None:
            ci = self.loose.get(loose_label(lab))
        return ci

    def match(self, labels: Sequence[Sequence[str]]) -> dict[int, int]:
        """labels[p] = candidate texts at position p -> {template column: position}."""
        pos: dict[int, int] = {}
        for p, cands in enumerate(labels):
            for lab in cands:
                ci = self.cell(lab)
                if ci is not None and ci not in pos:
                    pos[ci] = p
                    break
        return pos

    def find_header(self, rows: Rows) -> _Header | None:
        """The best header in the first HEADER_SCAN rows (most required, then most columns
        matched; the first of equals): rows are normalised and matched only as far as needed —
        a header that matches every column of the template ends the search."""
        scan = rows[: HEADER_SCAN + 1]
        req = set(self.required)
        perfect = (len(self.required), len(self.tpl.columns))
        norm: list[list[str]] = []  # normalised rows 0.., as far as looked at
        singles: list[_Header | None] = []  # each of those rows alone as the header

        def score(i: int, height: int, pos: dict[int, int]) -> _Header:
            return _Header(i, height, pos, sum(1 for ci in pos if ci in req), len(pos))

        def row(i: int) -> list[str]:
            while len(norm) <= i:
                r = [norm_label(v) if not _blank(v) else "" for v in scan[len(norm)]]
                singles.append(score(len(norm), 1, self.match([[x] for x in r])) if any(r) else None)
                norm.append(r)
            return norm[i]

        best: _Header | None = None
        for i in range(min(HEADER_SCAN, len(scan))):
            row(i)
            single = singles[i]
            cands = [single] if single is not None else []
            if i + 1 < len(scan) and single is not None and single.total and any(row(i + 1)):
                top, bot = norm[i], norm[i + 1]
                cells = []
                for p in range(max(len(top), len(bot))):
                    a = top[p] if p < len(top) else ""
                    b = bot[p] if p < len(bot) else ""
                    cells.append([x for x in (b, a, a + b) if x])
                joined = score(i, 2, self.match(cells))
                # two header rows only when together they match more than either row alone
                alone = max((s.required, s.total) for s in (single, singles[i + 1]) if s is not None)
                if (joined.required, joined.total) > alone:
                    cands.append(joined)
            for h in cands:
                if best is None or (h.required, h.total) > (best.required, best.total):
                    best = h
            if best is not None and (best.required, best.total) >= perfect:
                break  # no later row can match more
        if best is None:
            return None
        need = len(self.required)
        if need and (best.required * 2 < need or best.required == 0):
            return None
        if not need and best.total == 0:
            return None
        hdr_rows = norm[best.row : best.row + best.height]
        best.seq_pos = {best.pos[ci] for ci in self.seq_cols if ci in best.pos}
        for hr in hdr_rows:
            best.seq_pos |= {p for p, x in enumerate(hr) if x in SEQ_NAMES}
        return best

    def fraction(self, h: _Header) -> float:
        n = len(self.required) or len(self.tpl.columns)
        return (h.required if self.required else h.total) / n


_MATCHERS: dict[int, tuple[Template, _Matcher]] = {}


def _matcher(tpl: Template) -> _Matcher:
    """The template's matcher, made once per template a worker reads against (its labels
    normalised once, not once a file)."""
    got = _MATCHERS.get(id(tpl))
    if got is None or got[0] is not tpl:
        if len(_MATCHERS) >= 64:
            _MATCHERS.clear()
        got = _MATCHERS[id(tpl)] = (tpl, _Matcher(tpl))
    return got[1]


# ---------------------------------------------------------------- data rows
def _iter_data(
    rows: Rows,
    start: int,
    seq_pos: set[int],
    limits: Limits,
    end_row: int,
    header: Sequence[object] = (),
    *,
    first_only: bool = False,
):
    """([(0-based index, row)] of the rows that hold data, truncated); ``first_only``: stop at
    the first such row (whether a table holds anything at all).

    A row holds data when a cell outside the 序号-like columns is filled (a pre-numbered
    blank template has none); a 合计/总计 row ends the table; footer lines
    (``填报人：``, ``注：``), 小计 rows, the template's example line (``示例``, ``某某公司``)
    and the header repeated on a later page are skipped.
    """
    cap = start + limits.max_rows
    out: list[tuple[int, list[object]]] = []
    heads = {p: norm_label(v) for p, v in enumerate(header) if isinstance(v, str) and norm_label(v)}
    spare = len(heads) - (len(heads) + 1) // 2  # cells that may differ in a repeated header (half match)
    label = _Labels()
    for i in range(start, min(len(rows), cap)):
        row = rows[i]
        if heads and _repeats(row, heads, spare, label):
            continue  # the header again (a printed table repeats it on every page)
        first = lead = None  # the first filled cell; the first outside the 序号 columns
        for p, v in enumerate(row):
            if v is None or (isinstance(v, str) and not v.strip()):  # (_blank, inline: every cell)
                continue
            if first is None:
                first = v
            if p not in seq_pos:
                lead = v
                break
        if lead is None:
            if isinstance(first, str) and _TOTAL.match(label(first)):
                return out, False
            continue
        first_label = label(first) if isinstance(first, str) else None
        lead_label = first_label if lead is first else label(lead) if isinstance(lead, str) else None
        labels = [x for x in (first_label, lead_label) if x is not None]
        if any(_TOTAL.match(x) for x in labels):
            return out, False
        if isinstance(lead, str) and _FOOTER.match(unicodedata.normalize("NFKC", lead).strip()):
            continue
        if any(_SUBTOTAL.match(x) or _EXAMPLE.search(x) for x in labels):
            continue
        out.append((i, row))
        if first_only:
            return out, False
    truncated = end_row >= cap or any(not all(_blank(v) for v in r) for r in rows[cap:])
    return out, truncated


class _Labels:
    """``norm_label`` of a sheet's cell texts, each distinct text normalised once (a column's
    repeated values: 是/否, a district, a category); bounded, so a huge sheet cannot grow it without end."""

    LIMIT = 50_000

    def __init__(self) -> None:
        self.known: dict[str, str] = {}

    def __call__(self, v: str) -> str:
        lab = self.known.get(v)
        if lab is None:
            lab = norm_label(v)
            if len(self.known) < self.LIMIT:
                self.known[v] = lab
        return lab


def _repeats(row: Sequence[object], heads: dict[int, str], spare: int, label: _Labels) -> bool:
    """Does ``row`` repeat the header (at least half of its labels, in their places)?

    Cells that cannot be a label are counted out first, without normalising them: a number or
    date, and a text of ASCII only where the label is not (NFKC keeps ASCII ASCII) — so a data
    row is told apart from the header without normalising its names."""
    misses = 0
    texts = []
    for p, lab in heads.items():
        v = row[p] if p < len(row) else None
        if not isinstance(v, str) or (v.isascii() and not lab.isascii()):
            misses += 1
            if misses > spare:
                return False
        else:
            texts.append((v, lab))
    for v, lab in texts:
        if label(v) != lab:
            misses += 1
            if misses > spare:
                return False
    return True


# ---------------------------------------------------------------- dates and yes/no
_DATE_FULL = re.compile(
    r"^(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*\d{1,2}[:时]\d{1,2}(?:[:分]\d{1,2}(?:\.\d+)?)?秒?)?$"
)
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DATE_MONTH = re.compile(r"^(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*月?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def to_date(v: object) -> tuple[dt.date, dt.date] | None:
    """(first, last) day a cell means: one day, or a whole month for ``2021年3月``; None if unreadable."""
    try:
        if isinstance(v, dt.datetime):
            return v.date(), v.date()
        if isinstance(v, dt.date):
            return v, v
        if isinstance(v, bool):
            return None
        if isinstance(v, (int, float)):
            if float(v).is_integer() and 19000101 <= v <= 21001231:
                d = _compact(str(int(v)))
                if d:
                    return d, d
            if 1 <= v < 2958466:
                d = _EXCEL_EPOCH + dt.timedelta(days=int(v))
                return d, d
            return None
        if isinstance(v, str):
            s = unicodedata.normalize("NFKC", v).strip()
            m = _DATE_FULL.match(s)
            if m:
                d = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                return d, d
            d = _compact(s)
            if d:
                return d, d
            m = _DATE_MONTH.match(s)
            if m:
                y, mo = int(m.group(1)), int(m.group(2))
                first = dt.date(y, mo, 1)
                last = dt.date(y + mo // 12, mo % 12 + 1, 1) - dt.timedelta(days=1)
                return first, last
    except (ValueError, OverflowError):
        return None
    return None


def _compact(s: str) -> dt.date | None:
    m = _DATE_COMPACT.match(s)
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


YES = {"是", "已获贷", "获贷", "√", "✓", "✔", "y", "yes", "1", "true", "有", "已签署", "已履约", "已授权", "已取得"}
NO = {"否", "未获贷", "×", "✗", "✘", "x", "n", "no", "0", "false", "无", "未签署", "未履约", "未授权", "未取得"}


def yes_no(v: object) -> bool | None:
    """True/False for a yes/no cell (是/已获贷/√/Y/1 — 否/未获贷/×/N/0), None if unreadable."""
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return True if v == 1 else False if v == 0 else None
    s = norm_label(v).lower()
    if not s:
        return None
    if s in YES:
        return True
    if s in NO:
        return False
    if s.startswith("是否"):  # a header's words, not an answer
        return None
    if s[0] in "是已获":
        return True
    if s[0] in "否未不没无":
        return False
    return None


# ---------------------------------------------------------------- one ledger
def _cap(lst: list[str], item: str) -> None:
    if len(lst) < MAX_DETAILS:
        lst.append(item)


def _excel_row(i: int) -> int:
    return i + 1


def _column_pos(tpl: Template, h: _Header, name: str) -> int | None:
    """Sheet position of a template column, None when the template or the sheet lacks it."""
    names = [c.name for c in tpl.columns]
    return h.pos.get(names.index(name)) if name in names else None


def analyse_template(
    name: str, rows: Rows, end_row: int, m: _Matcher, h: _Header, ls: LedgerSpec, limits: Limits
) -> LedgerFacts:
    tpl = m.tpl
    start = h.row + h.height
    data, truncated = _iter_data(rows, start, h.seq_pos, limits, end_row, rows[h.row] if h.height == 1 else ())
    lf = LedgerFacts(
        sheet=name,
        template=tpl.id,
        header_row=h.row + 1,
        rows=len(data),
        missing_headers=[c.name for ci, c in enumerate(tpl.columns) if c.required and ci not in h.pos],
        truncated=truncated,
    )
    lf.header_rows = h.height

    usable = dict.fromkeys(i for i, _ in data)  # rows that count: valid code, inside the window
    codes: dict[int, str] = {}  # row -> its (first) valid code

    # USCC: check character and duplicates
    uscc_pos = [h.pos[ci] for ci, c in enumerate(tpl.columns) if c.type == "uscc" and ci in h.pos]
    if uscc_pos:
        seen: dict[str, list[int]] = {}
        for i, row in data:
            for p in uscc_pos:
                v = row[p] if p < len(row) else None
                code = normalize_uscc(v if not isinstance(v, float) else (int(v) if v.is_integer() else v))
                problem = normalized_problem(code)
                if problem:
                    lf.invalid_uscc_count += 1
                    usable.pop(i, None)
                    _cap(
                        lf.invalid_uscc,
                        f"第{_excel_row(i)}行 {code}：{problem}"
                        if code
                        else f"第{_excel_row(i)}行：统一社会信用代码{problem}",
                    )
                else:
                    codes.setdefault(i, code)
                if code:
                    seen.setdefault(code, []).append(_excel_row(i))
        for code, at in seen.items():
            if len(at) > 1:
                lf.duplicate_uscc_count += 1
                lf.duplicate_extra_rows += len(at) - 1
                _cap(
                    lf.duplicate_uscc,
                    f"{code}（第{'、'.join(str(r) for r in at[:10])}{'…' if len(at) > 10 else ''}行）",
                )

    # date window
    w = ls.window
    if w is not None:
        wp = _column_pos(tpl, h, w.column)
        if wp is not None:
            for i, row in data:
                v = row[wp] if wp < len(row) else None
                if _blank(v):
                    continue
                d = to_date(v)
                if d is None:
                    lf.bad_dates += 1
                    usable.pop(i, None)
                    continue
                first, last = d
                if last < w.start or first > w.end:
                    lf.outside_window_count += 1
                    usable.pop(i, None)
                    shown = first.isoformat() if first == last else first.strftime("%Y-%m")
                    _cap(lf.outside_window, f"第{_excel_row(i)}行 {shown}")

    # yes/no ratio
    answers: dict[int, bool | None] = {}
    if ls.ratio_column:
        rp = _column_pos(tpl, h, ls.ratio_column)
        if rp is not None:
            for i, row in data:
                yn = yes_no(row[rp] if rp < len(row) else None)
                answers[i] = yn
                if yn is not None:
                    lf.ratio_rows += 1
                    lf.yes += yn

    # one key per usable row: its code where the template has a USCC column, else the whole row
    keep = [p for p in sorted(h.pos.values()) if p not in h.seq_pos]
    rows_by_index = dict(data)
    lf.row_keys = [
        row_key("u", codes[i]) if uscc_pos else row_key("r", *(_cell_text(rows_by_index[i], p) for p in keep))
        for i in usable
    ]
    lf.row_yes = "".join("-" if answers.get(i) is None else "y" if answers[i] else "n" for i in usable)
    return lf


def row_key(kind: str, *parts: str) -> str:
    """A short stable key for a row (16 hex): the same firm or the same row gives the same key."""
    return hashlib.blake2b("\x1f".join((kind, *parts)).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def _cell_text(row: Sequence[object], p: int) -> str:
    """A cell as compared between files: NFKC, no surrounding or repeated spaces, 12.0 -> 12, dates ISO."""
    v = row[p] if p < len(row) else None
    if _blank(v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return " ".join(unicodedata.normalize("NFKC", str(v)).split())


def analyse_plain(name: str, rows: Rows, end_row: int, limits: Limits, *, keyed: bool = True) -> LedgerFacts | None:
    """A table with no template: header = first row with >= 2 filled cells. ``keyed=False``:
    only whether it holds a data row (``rows`` 0 or 1, no row keys) — what a document needs."""
    header = None
    for i, row in enumerate(rows):
        filled = [v for v in row if not _blank(v)]
        if len(filled) >= 2 and not (
            isinstance(filled[0], str) and _FOOTER.match(unicodedata.normalize("NFKC", filled[0]).strip())
        ):
            header = i  # (a 填报单位：… 填报日期：… line above the table is not its header)
            break
        if i > limits.max_rows:
            break
    if header is None:
        lines = [r for r in rows[: limits.max_rows] if any(not _blank(v) for v in r)]
        if not lines:
            return None
        if not keyed:
            return LedgerFacts(sheet=name, template=None, header_row=0, rows=1)
        keys = [row_key("r", *(_cell_text(r, p) for p in range(len(r)))) for r in lines]
        return LedgerFacts(
            sheet=name, template=None, header_row=0, rows=len(keys), row_keys=keys, row_yes="-" * len(keys)
        )
    seq = {p for p, v in enumerate(rows[header]) if norm_label(v) in SEQ_NAMES}
    data, truncated = _iter_data(rows, header + 1, seq, limits, end_row, first_only=not keyed)
    if not keyed:
        return LedgerFacts(sheet=name, template=None, header_row=header + 1, rows=len(data))
    width = max((len(r) for _, r in data), default=0)
    keep = [p for p in range(width) if p not in seq]
    keys = [row_key("r", *(_cell_text(r, p) for p in keep)) for _, r in data]
    return LedgerFacts(
        sheet=name,
        template=None,
        header_row=header + 1,
        rows=len(data),
        truncated=truncated,
        row_keys=keys,
        row_yes="-" * len(keys),
    )


# ---------------------------------------------------------------- all ledgers of a file
def analyse_sheets(sheets: list[tuple[str, Rows, int]], spec: InspectSpec, limits: Limits) -> list[LedgerFacts]:
    out: list[LedgerFacts] = []
    tpl_specs = [ls for ls in spec.ledgers if ls.template is not None]
    matchers = {id(ls): _matcher(ls.template) for ls in tpl_specs if ls.template is not None}
    # best header of every template on every sheet
    headers: dict[tuple[int, int], _Header] = {}
    for si, (_, rows, _) in enumerate(sheets):
        for ls in tpl_specs:
            h = matchers[id(ls)].find_header(rows)
            if h is not None:
                headers[(id(ls), si)] = h
    for ls in spec.ledgers:
        if ls.template is None:
            for name, rows, end in sheets:
                lf = analyse_plain(name, rows, end, limits)
                if lf is not None:
                    out.append(lf)
            continue
        m = matchers[id(ls)]
        found: list[LedgerFacts] = []
        for si, (name, rows, end) in enumerate(sheets):
            h = headers.get((id(ls), si))
            if h is None:
                continue
            # a sheet that another template of this task matches better belongs to that one
            mine = m.fraction(h)
            if any(
                other is not ls
                and (id(other), si) in headers
                and matchers[id(other)].fraction(headers[(id(other), si)]) > mine
                and getattr(other.template, "id", None) != ls.template.id
                for other in tpl_specs
            ):
                continue
            found.append(analyse_template(name, rows, end, m, h, ls, limits))
        if not found:  # not this template's ledger: say which headers it would need
            first = sheets[0][0] if sheets else ""
            found = [
                LedgerFacts(
                    sheet=first,
                    template=ls.template.id,
                    header_row=0,
                    rows=0,
                    missing_headers=[c.name for c in ls.template.columns if c.required],
                )
            ]
        out.extend(found)
    return out


def sheet_links(sheets: list[tuple[str, Rows, int]]) -> list[str]:
    found: list[str] = []
    for _, rows, _ in sheets:
        for row in rows:
            for v in row:
                if type(v) is str and ("http" in v or "www" in v or "HTTP" in v or "WWW" in v):
                    found += find_links(v)
    return dedup(found)


def sheet_blank(sheets: list[tuple[str, Rows, int]], limits: Limits) -> str | None:
    """Why a workbook holds nothing to read as a document (no data under any header), or None."""
    filled = False
    for name, rows, end in sheets:
        lf = analyse_plain(name, rows, end, limits, keyed=False)
        if lf is None:
            continue
        filled = True
        if lf.rows:
            return None
    if not filled:
        return common.BLANK_WORKBOOK
    return common.BLANK_TABLE


def inspect_sheets(sheets: list[tuple[str, Rows, int]], spec: InspectSpec, limits: Limits):
    """(ledgers, links, figures) of a workbook's sheets."""
    ledgers = analyse_sheets(sheets, spec, limits)
    links = sheet_links(sheets)
    figures = figures_from_rows([rows for _, rows, _ in sheets], spec.figures) if spec.figures else {}
    return ledgers, links, figures

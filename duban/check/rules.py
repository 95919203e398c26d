"""Rules: catalog x inspected evidence -> one Obligation per (task, unit, round).

Plain Python, no I/O: given the files each unit handed in (with their facts and
submission times), the as-of time and the coordinator's confirmations, decide each
obligation's status and say in plain Chinese what is short and by how much.

Status, for a dated evidence obligation:
- ``ok``       every requirement met by files submitted up to the due time (inclusive);
- ``late``     met, but only counting files submitted after the due time;
- ``partial``  evidence there but short of a requirement, due time passed;
- ``missing``  nothing usable and the due time passed;
- ``pending``  not met yet and the due time is still ahead;
- ``unreadable`` not met by what could be read, and a folder or file that may hold the
  evidence could not be read (no permission, gone during the check): never ``missing``.
Files submitted after the as-of time do not exist yet for that check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from duban.check.confirmations import Confirmation, is_confirmed
from duban.evidence.facts import Facts, LedgerFacts
from duban.results import Obligation
from duban.tasks_catalog import Catalog, EvidenceItem, ResolvedTask
from duban.tasks_catalog.views import cn_date, round_name
from duban.timeutil import local

SPREADSHEETS = {"xlsx", "xls", "et", "ods", "csv"}
DOCUMENTS = {"pdf", "docx", "doc", "wps", "image", "xlsx", "xls", "et", "ods"}


@dataclass
class Submitted:
    """One file a unit handed in, as the rules see it."""

    rel: str
    round: dt.date | None  # explicit round folder, or None = loose in the task folder
    at: dt.datetime  # submission time (mtime), Asia/Shanghai
    facts: Facts
    sha: str = ""  # content hash: two copies of one file count once


@dataclass
class Outcome:
    met: bool
    usable: bool  # some evidence counted towards this item
    problems: list[str] = field(default_factory=list)
    used: list[str] = field(default_factory=list)


def evaluate(
    catalog: Catalog,
    submitted: dict[tuple[str, str], list[Submitted]],
    as_of: dt.datetime,
    confirmed: dict[tuple[str, str | None], Confirmation],
    *,
    units: set[str] | None = None,
    tasks: set[str] | None = None,
    extended: Mapping[tuple[str, str | None, dt.date | None], dt.date] | None = None,
) -> list[Obligation]:
    """All obligations of the catalog (optionally only some units / tasks).

    ``extended``: due dates the coordinator moved (``duban decide extend``), keyed by
    (task, unit or None for every unit, round or None for every round): such a round is
    judged against its new date (``decisions.extensions``).
    """
    out: list[Obligation] = []
    for rt in catalog.tasks.values():
        if tasks and rt.id not in tasks:
            continue
        if rt.unassigned:
            if not units:
                out.append(
                    Obligation(
                        rt.id,
                        None,
                        None,
                        None,
                        "unassigned",
                        ["任务清单未写责任单位：请协调人在 tasks_catalog 中指定牵头单位"],
                    )
                )
            continue
        for unit in rt.leads:
            if units and unit not in units:
                continue
            files = [s for s in submitted.get((rt.id, unit), []) if s.at <= as_of]
            out.extend(_unit_obligations(catalog, rt, unit, files, as_of, confirmed, extended or {}))
    return out


def _moved(extended: Mapping, task: str, unit: str, day: dt.date) -> dt.date:
    """The round's due date, or the date the coordinator moved it to (the most specific extension)."""
    for key in ((task, unit, day), (task, unit, None), (task, None, day), (task, None, None)):
        if key in extended:
            return extended[key]
    return day


def _unit_obligations(
    catalog: Catalog,
    rt: ResolvedTask,
    unit: str,
    files: list[Submitted],
    as_of: dt.datetime,
    confirmed: dict,
    extended: Mapping,
) -> list[Obligation]:
    t = rt.task
    kind = t.deadline.kind
    if kind in ("done", "ongoing", "unspecified"):
        status = "done" if kind == "done" else "ongoing"
        problems: list[str] = []
        if t.evidence and files and not t.platform:  # shown for information, never chased
            outcome = _meets(catalog, t.evidence, files)
            problems = outcome.problems if not outcome.met else []
        return [Obligation(t.id, unit, None, None, status, problems, _listed(files))]

    rounds = t.rounds
    assigned = _assign_rounds(catalog, rounds, files)
    obligations = []
    for i, day in enumerate(rounds):
        due = _moved(extended, t.id, unit, day)
        due_at = catalog.due_at(due)
        mine = assigned[day]
        label = f"{round_name(i)}（{cn_date(due)}前）" if len(rounds) > 1 else f"{cn_date(due)}前"
        if t.platform:
            c = is_confirmed(confirmed, t.id, unit)
            status = "ok" if c else "confirm"
            problems = [] if c else [f"系统判定事项，等待协调人确认（duban confirm {t.id} --unit {unit} --note ...）"]
            obligations.append(Obligation(t.id, unit, day, due, status, problems, _listed(mine)))
            continue
        status, problems, used = _judge(catalog, t.evidence, rounds, i, assigned, due_at, as_of)
        if status == "late":
            last = max(s.at for s in mine if s.rel in used) if any(s.rel in used for s in mine) else None
            if last:
                problems = [f"{label}材料于 {last:%m月%d日 %H:%M} 提交，晚于截止时间 {cn_date(due)} 24时"] + problems
        obligations.append(Obligation(t.id, unit, day, due, status, problems, used or _listed(mine)))
    return obligations


def _assign_rounds(catalog: Catalog, rounds: list[dt.date], files: list[Submitted]) -> dict[dt.date, list[Submitted]]:
    """Explicit round folders keep their round; loose files go to the first round whose due time
    their submission meets (after the last due date: the last round)."""
    out: dict[dt.date, list[Submitted]] = {d: [] for d in rounds}
    for s in files:
        if s.round in out:
            out[s.round].append(s)
            continue
        target = rounds[-1]
        for d in rounds:
            if s.at <= catalog.due_at(d):
                target = d
                break
        out[target].append(s)
    return out


def _judge(
    catalog: Catalog,
    items: list[EvidenceItem],
    rounds: list[dt.date],
    index: int,
    assigned: dict[dt.date, list[Submitted]],
    due_at: dt.datetime,
    as_of: dt.datetime,
):
    """Status of one round: compare what was there at the due time with what is there now."""

    def files_for(item: EvidenceItem, until: dt.datetime | None) -> list[Submitted]:
        days = rounds[: index + 1] if item.cumulative else [rounds[index]]
        return [s for d in days for s in assigned[d] if until is None or s.at <= until]

    now = _meets(catalog, items, None, files_for=lambda it: files_for(it, None))
    if now.met:
        on_time = _meets(catalog, items, None, files_for=lambda it: files_for(it, due_at))
        return ("ok" if on_time.met else "late"), [], now.used
    overdue = as_of > due_at
    rejected = [
        f"文件“{_name(s.rel)}”无法使用：{s.facts.reason}" for it in items for s in files_for(it, None) if not s.facts.ok
    ]
    problems = list(dict.fromkeys(now.problems + rejected))
    if not now.usable:
        return ("missing" if overdue else "pending"), problems, now.used
    return ("partial" if overdue else "pending"), problems, now.used


def _meets(catalog: Catalog, items: list[EvidenceItem], files: list[Submitted] | None, *, files_for=None) -> Outcome:
    """Do these files meet every item? Files used by a ledger or PDF item are not counted again as documents."""
    total = Outcome(met=True, usable=False)
    consumed: set[str] = set()
    ordered = sorted(items, key=lambda it: {"ledger": 0, "figures": 1, "pdf": 2, "link": 3, "document": 4}[it.kind])
    for item in ordered:
        pool = files_for(item) if files_for else (files or [])
        usable, copies = _unique([s for s in pool if s.facts.ok])
        o = _ITEM[item.kind](catalog, item, usable, consumed)
        if item.kind not in ("link", "figures"):  # a Word file may hold the plan and its links
            consumed.update(o.used)
        total.met &= o.met
        total.usable |= o.usable
        total.problems += o.problems + [p for p in copies if p not in total.problems]
        total.used += [u for u in o.used if u not in total.used]
    return total


def _unique(files: list[Submitted]) -> tuple[list[Submitted], list[str]]:
    """One file per content (the earliest submitted), and a note for each extra copy."""
    first: dict[str, Submitted] = {}
    keep, notes = [], []
    for s in sorted(files, key=lambda s: (s.at, s.rel)):
        if s.sha and s.sha in first:
            notes.append(f"“{_name(s.rel)}”与“{_name(first[s.sha].rel)}”内容相同，只计一次")
            continue
        if s.sha:
            first[s.sha] = s
        keep.append(s)
    return keep, notes


# ---------------------------------------------------------------- one requirement
def _ledger(catalog: Catalog, item: EvidenceItem, files: list[Submitted], consumed: set[str]) -> Outcome:
    tpl = catalog.templates[item.template] if item.template else None
    found: list[tuple[Submitted, LedgerFacts]] = []
    blank: list[str] = []
    for s in files:
        for lf in s.facts.ledgers:
            if lf.template == (tpl.id if tpl else None):
                if lf.rows:
                    found.append((s, lf))
                elif lf.header_row > 0:  # the template's header, nothing under it
                    blank.append(s.rel)
    name = item.label
    problems: list[str] = []
    if not found:
        sheets = [s for s in files if s.facts.kind in SPREADSHEETS and s.rel not in consumed]
        if blank:
            problems.append(f"缺少{name}：“{_name(blank[0])}”是未填写的空白模板，不计入")
        elif sheets and tpl:
            problems.append(
                f"缺少{name}：表格“{_name(sheets[0].rel)}”的表头与模板 {tpl.id}《{tpl.title}》不符，请使用模板填写"
            )
        else:
            problems.append(f"缺少{name}" + (f"（模板 {tpl.id}《{tpl.title}》）" if tpl else "（Excel 表格）"))
        return Outcome(False, False, problems)

    usable = []
    for s, lf in found:
        where = f"（文件“{_name(s.rel)}”）"
        if lf.missing_headers:
            problems.append(f"{name}缺少表头：{'、'.join(lf.missing_headers)}{where}")
        bad = lf.invalid_uscc_count
        if bad:
            problems.append(f"{name}有 {bad} 个统一社会信用代码有误，如 {lf.invalid_uscc[0]}{where}")
        if lf.outside_window_count and item.window:
            w = item.window
            problems.append(
                f"{name}有 {lf.outside_window_count} 行{w.column}不在 {w.start} 至 {w.end} 之间，"
                f"如 {lf.outside_window[0]}{where}"
            )
        if lf.bad_dates and item.window:
            problems.append(
                f"{name}有 {lf.bad_dates} 行{item.window.column}无法识别为日期"
                f"（请写成 2021-05-31 或 2021年5月31日）{where}"
            )
        if lf.truncated:
            problems.append(f"{name}行数超过读取上限，只统计了前 {lf.rows} 行{where}")
        if not lf.missing_headers:
            usable.append((s, lf))
    rows = _distinct_rows(usable, item, tpl)
    problems += rows.problems(name)
    valid = rows.valid
    met = valid >= max(item.min, 1) and not any("缺少表头" in p for p in problems)
    if valid < max(item.min, 1):
        problems.insert(0, f"{name}：台账有效数据 {valid} 条，要求不少于 {max(item.min, 1)} 条")
    if item.ratio:
        yes, ratio_rows = rows.yes, rows.ratio_rows
        share = yes / ratio_rows if ratio_rows else 0.0
        if share + 1e-9 < item.ratio.min:
            met = False
            problems.append(
                f"{name}：“{item.ratio.column}”为“是”的比例 {share:.1%}（{yes}/{ratio_rows}），"
                f"要求不低于 {item.ratio.min:.0%}"
            )
    return Outcome(met, True, problems, [s.rel for s, _ in found])


@dataclass
class DistinctRows:
    """The usable rows of a ledger across all of a unit's files and sheets for a round, each
    counted once: by USCC where the template has one, else by the whole row."""

    valid: int = 0  # distinct usable rows
    total: int = 0  # usable rows as written (with repeats)
    yes: int = 0  # distinct rows answering yes in the ratio column
    ratio_rows: int = 0  # distinct rows with a readable yes/no
    by_code: bool = True
    example: str = ""  # a repeated code inside one sheet, for the message
    files: int = 0

    @property
    def repeats(self) -> int:
        return self.total - self.valid

    def problems(self, name: str) -> list[str]:
        if not self.repeats:
            return []
        basis = "统一社会信用代码相同" if self.by_code else "内容完全相同"
        spread = f"（{self.files} 个文件合计）" if self.files > 1 else ""
        example = f"，如 {self.example}" if self.example else ""
        return [f"{name}共 {self.total} 行{spread}，其中 {self.repeats} 行与其他行重复（{basis}，只计一次）{example}"]


def _distinct_rows(found: list[tuple[Submitted, LedgerFacts]], item: EvidenceItem, tpl) -> DistinctRows:
    out = DistinctRows(by_code=bool(tpl and any(c.type == "uscc" for c in tpl.columns)))
    out.files = len({s.rel for s, _ in found})
    answers: dict[str, str] = {}
    for _s, lf in found:
        if not out.example and lf.duplicate_uscc:
            out.example = lf.duplicate_uscc[0]
        if lf.row_keys is None:  # facts from before rows were keyed: counted per sheet, as then
            unusable = lf.invalid_uscc_count + lf.duplicate_extra_rows
            if item.window:
                unusable += lf.outside_window_count + lf.bad_dates
            n = max(lf.rows - unusable, 0)
            out.valid += n
            out.total += n + lf.duplicate_extra_rows
            out.yes += lf.yes
            out.ratio_rows += lf.ratio_rows
            continue
        out.total += len(lf.row_keys)
        for k, answer in zip(lf.row_keys, lf.row_yes.ljust(len(lf.row_keys), "-")):
            if k not in answers or answers[k] == "-":
                answers[k] = answer
    out.valid += len(answers)
    out.yes += sum(1 for a in answers.values() if a == "y")
    out.ratio_rows += sum(1 for a in answers.values() if a in "yn")
    return out


def _figures(catalog: Catalog, item: EvidenceItem, files: list[Submitted], consumed: set[str]) -> Outcome:
    assert item.template, "a figures item names its template (checked when the catalog loads)"
    tpl = catalog.templates[item.template]
    values: dict[str, float] = {}
    used: list[str] = []
    for s in files:
        got = {k: v for k, v in s.facts.figures.items() if k in {f.name for f in tpl.fields}}
        if got:
            used.append(s.rel)
            values.update(got)
    missing = [f.name for f in tpl.fields if f.name not in values]
    problems = []
    if missing:
        problems.append(f"{item.label}缺少数据：{'、'.join(missing)}（按《{tpl.title}》填写金额）")
    for r in item.ratios:
        if r.numerator in values and r.denominator in values:
            den = values[r.denominator]
            share = values[r.numerator] / den if den else 0.0
            if share + 1e-9 < r.min:
                problems.append(
                    f"{r.label} {share:.1%}，要求不低于 {r.min:.0%}"
                    f"（{values[r.numerator]:g}/{den:g} {tpl.fields[0].unit}）"
                )
    return Outcome(not problems, bool(used), problems, used)


def _count(kinds: set[str], noun: str):
    def rule(catalog: Catalog, item: EvidenceItem, files: list[Submitted], consumed: set[str]) -> Outcome:
        mine = [s for s in files if s.rel not in consumed and s.facts.kind in kinds and not _is_blank(s)]
        n = len(mine)
        need = max(item.min, 1)
        problems = []
        if n < need:
            problems.append(
                f"缺少{item.label}" if n == 0 else f"{item.label}：已报送 {n} {noun}，要求不少于 {need} {noun}"
            )
            problems += [  # why a file that looks like a document does not count
                f"“{_name(s.rel)}”{s.facts.blank}"
                for s in files
                if s.rel not in consumed and s.facts.kind in kinds and s.facts.blank
            ]
            others = [s for s in files if s.rel not in consumed and s not in mine and s.facts.kind not in ("txt",)]
            if kinds == {"pdf"} and others:
                problems.append(f"“{_name(others[0].rel)}”不是 PDF：{item.label}须为 PDF 文件")
        return Outcome(n >= need, n > 0, problems, [s.rel for s in mine])

    return rule


def _links(catalog: Catalog, item: EvidenceItem, files: list[Submitted], consumed: set[str]) -> Outcome:
    links: list[str] = []
    used: list[str] = []
    for s in files:
        if s.facts.links:
            used.append(s.rel)
            links += [u for u in s.facts.links if u not in links]
    need = max(item.min, 1)
    problems = []
    if len(links) < need:
        problems.append(
            f"缺少{item.label}（把网址写在 .txt、Word 或 Excel 文件中）"
            if not links
            else f"{item.label}：找到 {len(links)} 个，要求不少于 {need} 个"
        )
    return Outcome(len(links) >= need, bool(links), problems, used)


def _is_blank(s: Submitted) -> bool:
    """Opens fine but holds nothing: a table with no data (whatever it was read against)."""
    if s.facts.blank:
        return True
    return s.facts.kind in SPREADSHEETS and bool(s.facts.ledgers) and all(lf.rows == 0 for lf in s.facts.ledgers)


_ITEM = {
    "ledger": _ledger,
    "figures": _figures,
    "pdf": _count({"pdf"}, "份"),
    "document": _count(DOCUMENTS, "份"),
    "link": _links,
}


def _name(rel: str) -> str:
    return rel.rsplit("/", 1)[-1]


def _listed(files: list[Submitted]) -> list[str]:
    return [s.rel for s in files if s.facts.ok and not _is_blank(s)]


def submitted_at(mtime: float) -> dt.datetime:
    return local(mtime)


# ---------------------------------------------------------------- what could not be read
HELD = ("missing", "partial", "pending")  # verdicts an unread folder or file could make wrong


def hold_unreadable(catalog: Catalog, obligations: list[Obligation], unreadable: list) -> None:
    """An obligation whose evidence may lie in a folder or file duban could not read is never
    judged missing or short: its status is ``unreadable`` (无法读取) and the first problem names
    the path and the fix. Met obligations stay met (what was read is enough)."""
    for u in unreadable:
        if u.unit is None:
            continue
        note = f"无法读取“{u.rel}”：{u.reason}"
        for o in obligations:
            open_or_held = o.status in HELD or (o.status == "unreadable" and note not in o.problems)
            if open_or_held and o.unit is not None and _covers(catalog, u, o):
                o.status = "unreadable"
                o.problems.insert(0, note)


def _covers(catalog: Catalog, u, o: Obligation) -> bool:
    """Could the unread path hold evidence for this obligation?"""
    if u.task is not None and o.task != u.task:
        return False
    rt = catalog.tasks[o.task]
    if o.unit != u.unit and not (u.unit in rt.supports and o.unit in rt.leads):
        return False
    if u.round is None or o.round is None or o.round == u.round:
        return True
    return any(item.cumulative for item in rt.task.evidence) and u.round < o.round

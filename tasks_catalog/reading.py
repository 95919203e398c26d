"""Read the Chinese of one task row: who owes it, by when, and what proves it.

Each ``read_*`` function takes the cells of one :class:`~.sources.SourceRow` and returns
what the catalog needs (unit names, a deadline, evidence items as YAML-ready dicts) plus a
:class:`Guess` for every reading that is not certain — the review list is made of them,
and the task file carries the same reasons in ``notes`` / the item's ``note``.

What is read, and how (the words of the lists seen so far):

- units: ``、``/``，`` lists; ``X牵头`` / ``Y配合`` / ``牵头单位：X；配合单位：Y``; group words
  (各区直部门, 各街道办事处, from the unit directory); ``等部门`` / ``等各有关区直部门`` (only
  the named units, flagged) versus ``等各区直部门`` (the whole group); category words that
  name no unit (事业单位); names the directory lacks become proposed units, never dropped;
- deadlines: 已完成, 长期工作, ``X月X日前``, ``第一轮…第二轮…``, ``6月底前``; a date that does
  not exist is a :class:`~.sources.SourceError` naming the row and the cell;
- evidence: 系统判定; 附件N (a template) and ``（X见附件N）`` (reference material); the
  deliverable's kind from its noun (台账/清单/名单 → ledger, PDF → pdf, 链接 → link, 规模/占比
  数据 → figures, 文件/材料/方案/案例 → document); ``不少于 N 条``, ``N 份以上`` and the
  task text's ``每个街道…N家``; percentages (``比例在20%以上`` → a yes/no ratio on the
  template's column; ``A达到B的6%以上`` → a figures form); date windows
  (``4月1日-5月31日``); completion dates (``截止2021年5月31日已履行完毕``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from .sources import SourceError, SourceList, SourceRow
from .workcalendar import day_label, is_workday, previous_workday


@dataclass(frozen=True)
class Guess:
    """One reading that was not certain: the cell, what was chosen, and why."""

    cell: str  # the source column: text / units / due / evidence, or "templates" / "campaign"
    guess: str
    why: str
    item: int | None = None  # the evidence item it concerns


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def squash(text: str) -> str:
    """NFKC without any whitespace: how names are compared."""
    return re.sub(r"\s+", "", nfkc(text))


# ================================================================ units
GENERIC = re.compile(r"^(各)?(有关|相关)?(事业单位|部门|单位|企业|国有企业|社区|村\(居\)委会|村居委会|村委会)$")
ROLE_LABEL = re.compile(r"(牵头(?:单位|部门)?[:：]|配合(?:单位|部门)?[:：]|责任(?:单位|部门)?[:：])")
ROLE_SUFFIX = re.compile(r"[(（]?(牵头|配合|协助|参与)[)）]?$")
UNIT_SEP = re.compile(r"[、，,；;/\n]+")
ETC = re.compile(r"等(各有关|各相关|有关|相关|各)?(.*)$")


class Directory:
    """The unit directory the import resolves names against (the base campaign's units.yaml),
    plus the units it proposes for names the directory lacks."""

    def __init__(self, units: list[dict[str, Any]], group_words: dict[str, list[str]]):
        self.units = [dict(u) for u in units]
        self.group_words = {squash(w): list(g) for w, g in group_words.items()}
        self.words = dict(group_words)
        self._names: dict[str, str] = {}
        for u in self.units:
            self._index(u)
        self.proposed: list[dict[str, Any]] = []

    def _index(self, u: dict[str, Any]) -> None:
        for n in [u["name"], u.get("full_name", ""), *(u.get("aliases") or [])]:
            if n:
                self._names.setdefault(squash(n), u["name"])

    def find(self, name: str) -> str | None:
        return self._names.get(squash(name))

    def group_of(self, name: str) -> str:
        return next(u["group"] for u in self.units if u["name"] == name)

    def group_word(self, word: str) -> str | None:
        """The directory's spelling of a group word (各区直部门), None when it is not one."""
        key = squash(word)
        if key in self.group_words:
            return next(w for w in self.words if squash(w) == key)
        return None

    def groups_of_word(self, word: str) -> list[str]:
        return self.group_words[squash(word)]

    def propose(self, name: str, group: str) -> str:
        name = squash(name)
        if self.find(name) is None:
            u = {"name": name, "full_name": name, "group": group, "emails": [], "proposed": True}
            self.units.append(u)
            self.proposed.append(u)
            self._index(u)
        return name

    def count(self, group: str) -> int:
        return sum(1 for u in self.units if u["group"] == group)


@dataclass
class UnitsReading:
    lead: list[str] = field(default_factory=list)
    support: list[str] = field(default_factory=list)
    guesses: list[Guess] = field(default_factory=list)
    partial: dict[str, str] = field(default_factory=dict)  # role -> why its list is not complete ("等部门")


def _role_tokens(cell: str, support_cell: str) -> tuple[list[tuple[str, str | None]], set[str]]:
    """(name text, role or None) for each listed name; and the role markers seen."""
    tokens: list[tuple[str, str | None]] = []
    markers: set[str] = set()
    for text, forced in ((cell, None), (support_cell, "support")):
        role = forced
        for part in ROLE_LABEL.split(nfkc(text)):
            if ROLE_LABEL.fullmatch(part):
                role = "support" if part.startswith("配合") else "lead"
                markers.add(role)
                continue
            pending: list[str] = []
            for tok in UNIT_SEP.split(part):
                tok = tok.strip()
                if not tok:
                    continue
                m = ROLE_SUFFIX.search(tok)
                if m and role is None:
                    mark = "lead" if m.group(1) == "牵头" else "support"
                    markers.add(mark)
                    tokens += [(p, mark) for p in pending] + [(tok[: m.start()], mark)]
                    pending = []
                elif role is not None:
                    tokens.append((ROLE_SUFFIX.sub("", tok), role))
                else:
                    pending.append(tok)
            tokens += [(p, None) for p in pending]
    return tokens, markers


def section_hint(row: SourceRow, directory: Directory) -> str | None:
    """The section a row belongs to by its units, when every name it lists that the
    directory knows (unit or group word) is of one group; None otherwise."""
    groups: set[str] = set()
    for raw, _ in _role_tokens(row.units, row.support)[0]:
        name = ETC.sub("", squash(raw))
        word = directory.group_word(name)
        if word:
            groups |= set(directory.groups_of_word(word))
        elif directory.find(name):
            groups.add(directory.group_of(directory.find(name) or name))
    return groups.pop() if len(groups) == 1 else None


def read_units(row: SourceRow, directory: Directory, cell_name: str) -> UnitsReading:
    """Lead and supporting units of a row: names as the directory writes them, or group words."""
    out = UnitsReading()
    if not row.units.strip() and not row.support.strip():
        out.guesses.append(
            Guess(
                "units",
                "标记为待分配（unassigned）：不催报，只出现在协调人的每日汇总中，由协调人补充责任单位",
                f"原文未写“{cell_name}”",
            )
        )
        return out
    tokens, markers = _role_tokens(row.units, row.support)
    roles = {"lead": out.lead, "support": out.support}
    unmarked_after_lead = [n for n, r in tokens if r is None] if "lead" in markers and "support" not in markers else []
    for raw, role in tokens:
        if role is None:
            role = "support" if raw in unmarked_after_lead else "lead"
        for name in _names(raw, role, row, directory, out, cell_name):
            if name not in roles[role]:
                roles[role].append(name)
    if unmarked_after_lead:
        out.guesses.append(
            Guess("units", f"“牵头”之后未标明角色的单位按配合单位处理：{'、'.join(out.support)}", "原文只标了牵头单位")
        )
    out.support = [s for s in out.support if s not in out.lead]
    groups = [n for n in out.lead if directory.group_word(n)]
    if groups:  # a group word covers the named units of its group
        covered = {g for w in groups for g in directory.groups_of_word(w)}
        out.lead = [n for n in out.lead if directory.group_word(n) or directory.group_of(n) not in covered]
    for role, why in out.partial.items():
        named = "、".join(roles[role] if role == "lead" else out.support)
        out.guesses.append(
            Guess(
                "units",
                f"{'牵头' if role == 'lead' else '配合'}单位按原文点名的处理：{named}；其他单位需要时在任务文件的 {role} 中增加",
                why,
            )
        )
    if not markers and len(out.lead) > 1 and not groups and "lead" not in out.partial:
        out.guesses.append(
            Guess(
                "units",
                f"{len(out.lead)} 个单位并列，按各自报送（每个单位都要交材料）",
                "原文并列多个单位，未分牵头、配合",
            )
        )
    return out


def _names(raw: str, role: str, row: SourceRow, d: Directory, out: UnitsReading, cell_name: str) -> list[str]:
    """The unit names or group words one listed name stands for (with guesses as needed)."""
    name = squash(raw)
    if not name:
        return []
    etc = ETC.search(name)
    if etc and etc.start() > 0:
        base, qualifier, rest = name[: etc.start()], etc.group(1) or "", etc.group(2)
        named = _names(base, role, row, d, out, cell_name)
        group = d.group_word(rest) or d.group_word("各" + rest)
        if group and qualifier in ("", "各"):
            out.guesses.append(
                Guess("units", f"按全部{group.removeprefix('各')}展开（点名的单位已包含在内）", f"原文写“{raw}”")
            )
            return [group]
        what = "等各有关" if "有关" in qualifier or "相关" in qualifier else "等"
        out.partial[role] = f"“{what}{rest}”没有列全" + ("，“有关”的范围无法确定" if what == "等各有关" else "")
        return named
    group = d.group_word(name)
    if group:
        if row.section not in d.groups_of_word(group):
            out.guesses.append(
                Guess(
                    "units",
                    f"未列入“{group}”：{SECTION_CN[row.section]}部分的任务只由{SECTION_CN[row.section]}承担；需要时在另一部分增加一项任务",
                    f"“{group}”指的是{'、'.join(SECTION_CN[g] for g in d.groups_of_word(group))}",
                )
            )
            return []
        return [group]
    if GENERIC.match(name):
        out.guesses.append(
            Guess(
                "units",
                f"“{name}”不是具体单位，未单列；需要时在任务文件的 {role} 中逐个加入",
                f"单位名录中没有“{name}”这一类单位的清单",
            )
        )
        return []
    found = d.find(name)
    if found:
        group_needed = row.section
        if d.group_of(found) != group_needed:
            out.guesses.append(
                Guess(
                    "units",
                    f"未列入 {found}：{SECTION_CN[row.section]}部分的任务只由{SECTION_CN[row.section]}承担；需要时在另一部分增加一项任务",
                    f"{found} 在名录中属于{SECTION_CN[d.group_of(found)]}",
                )
            )
            return []
        return [found]
    parts = [p for p in re.split(r"[和及与]", name) if p]
    if len(parts) > 1 and all(d.find(p) for p in parts):
        return [d.find(p) or p for p in parts]
    proposed = d.propose(name, row.section)
    out.guesses.append(
        Guess(
            "units",
            f"“{proposed}”作为新单位加入 units.yaml（proposed: true，分组 {row.section}）：核对全称、简称、分组和邮箱后删去 proposed",
            "单位名录中没有这个名称（也不是已知简称）",
        )
    )
    return [proposed]


# ================================================================ deadlines
DATE = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]|(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
MONTH_END = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(?:底|末|末前)")
DONE = re.compile(r"已完成|已经完成|已落实|已办结")
ONGOING = re.compile(r"长期|持续|常态|久久为功")
PERIODIC = re.compile(r"每月|每季|每周|每半年|每年|定期")


def make_date(year: int, month: int, day: int, row: SourceRow, cell_name: str, written: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise SourceError(
            f"{row.where}（任务 {row.id}）：“{cell_name}”中的日期“{written.strip()}”不存在"
            f"（{year} 年 {month} 月没有 {day} 日）。请改正原文中的日期后重新导入"
        ) from None


def read_dates(text: str, year: int, row: SourceRow, cell_name: str) -> list[dt.date]:
    out = []
    for m in DATE.finditer(nfkc(text)):
        if m.group(2):
            y, mo, d = int(m.group(1) or year), int(m.group(2)), int(m.group(3))
        else:
            y, mo, d = int(m.group(4)), int(m.group(5)), int(m.group(6))
        out.append(make_date(y, mo, d, row, cell_name, m.group()))
    return out


@dataclass
class DueReading:
    kind: str  # done | ongoing | rounds | unspecified
    rounds: list[dt.date] = field(default_factory=list)
    guesses: list[Guess] = field(default_factory=list)


def read_due(row: SourceRow, year: int, cell_name: str) -> DueReading:
    text = nfkc(row.due).strip()
    if not text:
        return DueReading(
            "unspecified", guesses=[Guess("due", "不排轮次、不催报，由协调人补充时限", f"原文未写“{cell_name}”")]
        )
    days = read_dates(text, year, row, cell_name)
    guesses: list[Guess] = []
    for m in MONTH_END.finditer(text):
        y, mo = int(m.group(1) or year), int(m.group(2))
        days.append(make_date(y, mo, calendar.monthrange(y, mo)[1], row, cell_name, m.group()))
        guesses.append(Guess("due", f"“{m.group()}”按 {mo} 月最后一天计", "原文没有写具体日期"))
    if re.search(r"年底|年末", text) and not days:
        days.append(dt.date(year, 12, 31))
        guesses.append(Guess("due", f"“年底前”按 {year}-12-31 计", "原文没有写具体日期"))
    if not days:
        if DONE.search(text):
            return DueReading("done")
        if PERIODIC.search(text):
            return DueReading(
                "ongoing",
                guesses=[
                    Guess(
                        "due",
                        "按长期工作处理（不排轮次）；需要逐期督办时在任务文件中写出各期的 rounds",
                        f"原文“{row.due}”是周期性要求",
                    )
                ],
            )
        if ONGOING.search(text):
            return DueReading("ongoing")
        return DueReading(
            "unspecified", guesses=[Guess("due", "不排轮次、不催报，由协调人补充时限", f"无法识别“{row.due}”中的日期")]
        )
    rounds = sorted(set(days))
    if rounds != days and len(set(days)) == len(days):
        guesses.append(
            Guess(
                "due",
                f"各轮按日期先后排列：{'、'.join(d.isoformat() for d in rounds)}",
                "原文各轮日期不是按先后顺序写的",
            )
        )
    if ONGOING.search(text) or DONE.search(text):
        guesses.append(Guess("due", "按写出的日期排轮次，其余文字仅作说明", f"原文“{row.due}”同时写了日期和其他要求"))
    for day in rounds:
        if not is_workday(day):
            before, _ = previous_workday(day)
            guesses.append(
                Guess(
                    "due",
                    f"按原文保留 {day.isoformat()}（当天 24 时前提交都算按时）；如要提前到前一个工作日 {day_label(before)}，改任务文件的 rounds",
                    f"截止日 {day_label(day)} 是休息日",
                )
            )
    return DueReading("rounds", rounds, guesses)


# ================================================================ evidence
ATTACH_PAREN = re.compile(r"[（(]\s*([^（）()]*?)\s*见\s*附件\s*(\d+)\s*[）)]")
ATTACH_TITLED = re.compile(r"附件\s*(\d+)\s*《([^》]+)》")
PLATFORM = re.compile(r"系统判定|平台判定|系统自动判定|系统抓取|平台抓取")
SUBMIT = re.compile(r"报|提供|提交|填写|填报|导出|上传|汇总")
COUNT = re.compile(
    r"(?:不少于|至少(?:应)?(?:提报|报送|上报|召开|组织|提供)?|不低于|(?:应|必须|应必须)?达到)\s*(\d+)\s*"
    r"(条|篇|份|个|家|场|次|件|项|例|张)(以上)?|(\d+)\s*(条|篇|份|个|家|场|次|件|项|例)以上"
)
PER_UNIT_TEXT = re.compile(
    r"(每个?(?:街道|单位|部门|区直部门|乡镇))[^，。；,;]*?(?:至少|不少于)?\s*(?:提报|报送|组织|召开|上报|提供)?\s*"
    r"(\d+)\s*(条|篇|份|个|家|场|次|件|项|例)"
)
DISTRICT_TEXT = re.compile(
    r"((?:每个|每)?区县|全区|本区)[^，。；,;]*?(?:至少|不少于)\s*(?:应)?\s*(?:提报|报送|组织|召开|上报)?\s*(\d+)\s*(条|篇|份|个|家|场|次|件|项|例)"
)
WINDOW = re.compile(r"(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*[-－—~～至到]+\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
COMPLETED = re.compile(
    r"截[止至]\s*(?:(\d{4})\s*年)?\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*(?:前)?\s*已?(?:履行完毕|完成|办结|结束)"
)
FIG_A = re.compile(r"([^，。；,;]+?)达到([^，。；,;]+?)的\s*(\d+(?:\.\d+)?)\s*[%％]\s*以上")
FIG_B = re.compile(r"([^，。；,;]+?)占([^，。；,;]+?)的比例(?:应|须|要)?(?:达到|不低于|在)\s*(\d+(?:\.\d+)?)\s*[%％]")
RATIO = re.compile(r"比例(?:应|须|要)?(?:在|达到|不低于)?\s*(\d+(?:\.\d+)?)\s*[%％]")
SCOPE_WORDS = re.compile(r"^(?:通过|本|辖区内|区内|全部|全区)+")
COUNTABLE_DOCS = re.compile(r"案例|稿件|报道|经验")

AND = re.compile(r"以及|及(?!时)|(?<!参)与")
SECTION_CN = {"departments": "区直部门", "streets": "街道"}
KIND_UNIT = {"ledger": "条", "link": "个", "pdf": "份", "document": "份", "figures": "项"}


def _kind(part: str) -> str | None:
    p = nfkc(part).lower()
    p = re.sub(r"(按照|按|参照)模板", "", p)
    if re.search(r"链接|网址|url", p):
        return "link"
    if "pdf" in p:
        return "pdf"
    if re.search(r"规模|占比|金额", p) and re.search(r"数据|规模|占比", p):
        return "figures"
    if re.search(r"台账|清单|名单|明细|统计表|登记表|汇总表|问卷|(填写|填报).*模板", p):
        return "ledger"
    if re.search(r"文件|材料|方案|案例|报道|稿件|总结|报告|汇编|承诺书|照片|截图|制度|证明|说明", p):
        return "document"
    return None


def _label(part: str) -> str:
    s = ATTACH_PAREN.sub("", part)
    s = COUNT.sub("", s)
    s = re.sub(r"^(?:将|请|并|及时|按要求|按照模板|按模板)+", "", s)
    s = re.sub(r"^(?:平台导出|导出|提供|报送|上报|提报|提交|填写|填报|上传|汇总)+", "", s)
    s = re.sub(r"(?:汇总)?(?:上报|报送|推送|提交)至.*$|一并报送.*$|报送$|上报$", "", s)
    s = re.sub(r"(?:应|须|必须|应必须|数量)+$", "", s)
    s = re.sub(r"^(?:按照|按)(.+?)要求$", r"\1", s)
    s = s.replace("《", "").replace("》", "").strip(" ，,。.；;:：")
    return s or part.strip()


@dataclass
class Deliverable:
    kind: str
    label: str
    part: str  # the source words it was read from
    attachment: int | None = None
    min: int = 1
    count_text: str = ""  # the words that gave min ("不少于200条")
    unit: str = ""  # the list's counting word (条, 篇, 份)
    over: bool = False  # "N 份以上"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class EvidenceReading:
    platform: bool = False
    items: list[Deliverable] = field(default_factory=list)
    references: list[tuple[int, str]] = field(default_factory=list)  # (attachment, title) not to fill in
    guesses: list[Guess] = field(default_factory=list)


def read_evidence(row: SourceRow, due: DueReading, cell_name: str) -> EvidenceReading:
    """The platform flag and the deliverables of a row (templates are matched later)."""
    out = EvidenceReading()
    cell = nfkc(row.evidence).strip()
    for m in ATTACH_TITLED.finditer(nfkc(row.text)):
        out.references.append((int(m.group(1)), m.group(2)))
    if not cell:
        if due.kind == "rounds":
            out.platform = True
            out.guesses.append(
                Guess(
                    "evidence",
                    f"按系统判定处理：由协调人核实后确认（duban confirm {row.id}）",
                    f"原文有完成时限但未写“{cell_name}”，没有要报送的材料",
                )
            )
        return out
    if PLATFORM.search(cell):
        out.platform = True
        rest = PLATFORM.sub("", cell).strip(" ，,。.；;")
        if rest:
            out.guesses.append(
                Guess("evidence", "按系统判定处理，其余文字只作说明", f"原文除“系统判定”外还写了“{rest}”")
            )
        return out
    for m in ATTACH_PAREN.finditer(cell):
        if m.group(1):
            out.references.append((int(m.group(2)), m.group(1)))
            out.guesses.append(
                Guess(
                    "templates", f"附件{m.group(2)}（{m.group(1)}）作为参考材料，不是填报模板", f"原文写“{m.group()}”"
                )
            )
    cell = ATTACH_PAREN.sub(lambda m: "" if m.group(1) else m.group(), cell)
    for sentence in re.split(r"[。；;]", cell):
        for clause in re.split(r"[，,]", sentence):
            _read_clause(clause, out)
    _task_text_counts(row, out)
    if not out.items:
        out.platform = True
        out.guesses.append(
            Guess(
                "evidence",
                f"按系统判定处理：由协调人核实后确认（duban confirm {row.id}）",
                f"原文“{row.evidence.strip()}”没有写要报送的材料",
            )
        )
    return out


def _read_clause(clause: str, out: EvidenceReading) -> None:
    clause = clause.strip()
    if not clause:
        return
    att = ATTACH_PAREN.search(clause)
    attachment = int(att.group(2)) if att else None
    parts = [p for p in AND.split(clause) if p.strip()]
    found = []
    for part in parts:
        kind = _kind(part)
        if kind is None:
            continue
        if re.match(r"^(按|按照|根据|依据)", part.strip()) and not SUBMIT.search(part):
            continue  # an instruction (按比例推荐企业名单), not something to hand in
        d = Deliverable(kind, _label(part), part.strip(), attachment)
        _count(part, d)
        found.append(d)
    if found:
        out.items += found
        return
    for part in parts:  # a clause that only counts (不少于200条) belongs to the deliverable before it
        m = COUNT.search(part)
        if m and out.items and out.items[-1].count_text == "":
            _count(part, out.items[-1])


def _count(text: str, d: Deliverable) -> None:
    m = COUNT.search(nfkc(text))
    if m:
        d.min = int(m.group(1) or m.group(4))
        d.count_text = m.group().strip()
        d.unit = m.group(2) or m.group(5)
        d.over = bool(m.group(3) or m.group(4))


def _task_text_counts(row: SourceRow, out: EvidenceReading) -> None:
    """Counts the task text states per unit (每个街道组织5家) or per district (每个区县2场)."""
    text = nfkc(row.text)
    counted = any(d.count_text for d in out.items)
    m = PER_UNIT_TEXT.search(text)
    if m and not counted and out.items:
        d = next((i for i in out.items if i.kind in ("ledger", "pdf", "document")), None)
        if d is not None:
            d.min, d.count_text, d.unit = int(m.group(2)), m.group(), m.group(3)
            out.guesses.append(
                Guess(
                    "text",
                    f"“{d.label}”不少于 {d.min} {KIND_UNIT[d.kind]}（每单位）",
                    f"数量写在任务原文中：“{m.group()}”",
                    item=out.items.index(d),
                )
            )
    m = DISTRICT_TEXT.search(text)
    if m:
        out.guesses.append(
            Guess(
                "text",
                "不按单位计数：由协调人在报告中核对总数",
                f"“{m.group()}”是全区合计，无法分到各单位",
            )
        )


# ================================================================ the rules of each item
def figures_form(row: SourceRow) -> list[tuple[str, str, float, str]]:
    """(numerator, denominator, minimum, words) for each 'A达到B的6%以上' / 'A占B的比例应达到30%'."""
    text = nfkc(row.text)
    out = []
    for rx in (FIG_A, FIG_B):
        for m in rx.finditer(text):
            num, den = _field_name(m.group(1)), _field_name(m.group(2))
            out.append((num, den, float(m.group(3)) / 100, m.group()))
    return out


def _field_name(words: str) -> str:
    """A figure's name without scope words: 本辖区内全部企业信用贷款规模 -> 企业信用贷款规模."""
    s = re.sub(r"^.*[。；;]", "", words).strip()
    s = SCOPE_WORDS.sub("", s)
    return s.replace("“", "").replace("”", "").strip()


def ratio_target(row: SourceRow) -> tuple[float, str] | None:
    """A yes/no share the task text asks of a ledger: (0.2, '获贷企业比例在 20%以上')."""
    for clause in re.split(r"[，。；,;]", nfkc(row.text)):
        m = RATIO.search(clause)
        if m and not figures_form(row):
            return float(m.group(1)) / 100, clause.strip()
    return None


def window_of(row: SourceRow, year: int, cell_name: str) -> tuple[dt.date, dt.date, str] | None:
    for text in (row.evidence, row.text):
        m = WINDOW.search(nfkc(text))
        if m:
            a = make_date(year, int(m.group(1)), int(m.group(2)), row, cell_name, m.group())
            b = make_date(year, int(m.group(3)), int(m.group(4)), row, cell_name, m.group())
            return a, b, m.group()
    return None


def completed_by(part: str, year: int, row: SourceRow, cell_name: str) -> tuple[dt.date, str] | None:
    m = COMPLETED.search(nfkc(part))
    if not m:
        return None
    return make_date(int(m.group(1) or year), int(m.group(2)), int(m.group(3)), row, cell_name, m.group()), m.group()


def task_title(text: str, limit: int = 16) -> str:
    """A short name for folders and tables: the task's first phrase, without quotes."""
    s = nfkc(text).replace("\n", "")
    s = re.split(r"[，。；,;:：(（]", s, maxsplit=1)[0]
    s = re.sub(r"[“”\"'《》<>/\\|?*]", "", s)
    s = re.sub(r"^(全面|积极|认真|切实|进一步|持续)+", "", s).strip()
    return s[:limit] or f"任务{text[:4]}"


def cells_year(sl: SourceList, year: int | None) -> tuple[int, Guess | None]:
    """The campaign year: ``year`` when given, else the document's, else an error."""
    if year is not None:
        return year, None
    hint, why = sl.year_hint()
    if hint is None:
        raise SourceError(
            f"{sl.path.name} 中没有写年份（标题或完整日期如 2027年5月31日）：请用 --year 指定，例如 --year 2027"
        )
    return hint, Guess("campaign", f"年份按 {hint} 年", why + "；不对时用 --year 重新导入")

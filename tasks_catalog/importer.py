"""Turn a task list as it arrives into a campaign folder: ``duban campaign new DIR --from FILE``.

1. read the rows (``sources``: .docx, .xlsx or tab text);
2. read each row's Chinese (``reading``): units against the base campaign's unit directory
   (the office's units do not change with the list), the deadline in the campaign year,
   the platform flag and the evidence items;
3. match each 附件N the list names to the base campaign's template of that number when
   their titles agree (the same attachment sent again next year), else write a placeholder
   (``placeholder: true``) — both are review entries;
4. write the folder — campaign.yaml, units.yaml (with proposed units), templates.yaml,
   tasks/*.yaml, review.yaml, source/<the file> — into a temporary folder beside ``DIR``,
   load it with the same loader every command uses, and only then move it into place.
   A failed import leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from .directory import append_units_text
from .loader import CATALOG_DIR, Catalog, CatalogError, load_catalog
from .models import Template
from .reading import (
    COUNTABLE_DOCS,
    KIND_UNIT,
    Deliverable,
    Directory,
    DueReading,
    Guess,
    cells_year,
    completed_by,
    figures_form,
    ratio_target,
    read_due,
    read_evidence,
    read_units,
    section_hint,
    squash,
    task_title,
    window_of,
)
from .review import ReviewEntry, write_review
from .sources import SourceError, SourceList, SourceRow, read_source
from .yamlio import dump

SECTION_CN = {"departments": "区直各部门", "streets": "街道办事处"}
CELL_CN = {"templates": "模板", "campaign": "活动设置"}
LEAD_DAYS, TAIL_DAYS = 14, 7  # campaign start / end around the rounds


class ImportFailed(ValueError):
    """The list could not be imported; ``str()`` is the whole message, in Chinese."""


@dataclass
class Draft:
    """A campaign in memory, before it is written."""

    campaign: dict[str, Any]
    units_text: str
    templates: list[dict[str, Any]]
    tasks: dict[str, tuple[str, dict[str, Any]]]  # id -> (header comment, body)
    review: list[ReviewEntry]
    proposed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    folder: Path
    catalog: Catalog
    review: list[ReviewEntry]
    proposed: list[str]
    warnings: list[str]


# ---------------------------------------------------------------- templates
def _bigrams(text: str) -> set[str]:
    s = re.sub(r"[^\w]", "", squash(text)).lower()
    return {s[i : i + 2] for i in range(len(s) - 1)} or ({s} if s else set())


def similarity(label: str, title: str) -> float:
    """How much of ``label`` the title says (share of the label's character pairs)."""
    a = _bigrams(label)
    return len(a & _bigrams(title)) / len(a) if a else 0.0


class Templates:
    """The templates of the new campaign: the base campaign's where the list names the same
    attachment with a matching title, placeholders for the rest, figures forms built from
    the task text."""

    ATTACHMENT_MATCH, TITLE_MATCH = 0.6, 0.7

    def __init__(self, base: dict[str, Template], base_name: str):
        self.base, self.base_name = base, base_name
        self.chosen: dict[str, dict[str, Any]] = {}
        self.placeholders: dict[int, dict[str, Any]] = {}
        self.users: dict[str, list[str]] = {}  # template id -> tasks

    def _use(self, tpl: Template, task: str) -> str:
        self.chosen.setdefault(tpl.id, tpl.model_dump(mode="json", exclude_defaults=True))
        self.users.setdefault(tpl.id, []).append(task)
        return tpl.id

    def attachment(self, n: int, label: str, task: str, reference: bool = False) -> tuple[str, bool]:
        """(template id, is a real template) for 附件n as the list names it."""
        candidates = [t for t in self.base.values() if t.attachment == f"附件{n}"]
        scored = sorted(((similarity(label, t.title + t.id), t) for t in candidates), key=lambda x: -x[0])
        if scored and scored[0][0] >= self.ATTACHMENT_MATCH:
            return self._use(scored[0][1], task), True
        ph = self.placeholders.setdefault(
            n,
            {
                "id": f"附件{n}",
                "attachment": f"附件{n}",
                "kind": "document",
                "title": label,
                "placeholder": True,
                "note": ("参考材料，无需填写；" if reference else "")
                + "原件未随任务清单导入：请把附件放进活动文件夹，核对标题；如是台账，改为 kind: ledger 并写出 columns",
            },
        )
        if label not in ph["title"].split("；"):
            ph["title"] += f"；{label}"
        self.users.setdefault(ph["id"], []).append(task)
        return ph["id"], False

    def by_title(self, label: str, kind: str, task: str) -> str | None:
        """A base template without an attachment number (a platform export) whose title
        matches, for a ledger the list names without 附件N."""
        scored = sorted(
            (
                (similarity(label, t.title + t.id), t)
                for t in self.base.values()
                if t.attachment is None and t.kind == kind
            ),
            key=lambda x: -x[0],
        )
        if scored and scored[0][0] >= self.TITLE_MATCH:
            return self._use(scored[0][1], task)
        return None

    def figures(self, task: str, label: str, ratios: list[tuple[str, str, float, str]]) -> str:
        tid = f"数据表-{task}"
        names = list(dict.fromkeys(n for r in ratios for n in r[:2]))
        self.chosen[tid] = {
            "id": tid,
            "kind": "figures",
            "title": f"{label}数据表",
            "note": "各项金额填写在“项目 / 金额（万元）”两列中；duban 据此计算占比",
            "fields": [{"name": n} for n in names],
        }
        self.users.setdefault(tid, []).append(task)
        return tid

    def template(self, tid: str) -> Template | None:
        return self.base.get(tid) if tid in self.chosen else None

    def all(self) -> list[dict[str, Any]]:
        def order(t: dict[str, Any]) -> tuple[int, str]:
            m = re.search(r"\d+", t.get("attachment") or "")
            return (int(m.group()) if m else 999, t["id"])

        return sorted([*self.chosen.values(), *self.placeholders.values()], key=order)

    def guesses(self) -> list[tuple[str, Guess]]:
        out = []
        for tid, t in self.chosen.items():
            users = "、".join(dict.fromkeys(self.users.get(tid, [])))
            if t["kind"] == "figures":
                continue
            base = self.base[tid]
            cols = f"表头：{'、'.join(c.name for c in base.columns)}" if base.columns else "文档模板"
            out.append(
                (
                    users.split("、")[0],
                    Guess(
                        "templates",
                        f"沿用“{self.base_name}”中的模板 {tid}《{base.title}》（{cols}）",
                        f"本清单的{base.attachment or '台账'}与其标题相符（{users} 使用）；请与本次下发的附件核对表头",
                    ),
                )
            )
        for n, ph in self.placeholders.items():
            users = "、".join(dict.fromkeys(self.users.get(ph["id"], [])))
            out.append(
                (
                    users.split("、")[0],
                    Guess(
                        "templates",
                        f"在 templates.yaml 中为附件{n}写了占位（placeholder: true，标题“{ph['title']}”）",
                        f"清单只提到附件{n}（{users} 使用），没有它的内容；台账要按任意表格计行数，直到补上表头",
                    ),
                )
            )
        return out


# ---------------------------------------------------------------- one task
class TaskBuilder:
    def __init__(self, sl: SourceList, year: int, directory: Directory, templates: Templates):
        self.sl, self.year, self.directory, self.templates = sl, year, directory, templates

    def build(self, row: SourceRow) -> tuple[dict[str, Any], list[Guess]]:
        guesses: list[Guess] = []
        if row.number_guessed:
            guesses.append(Guess("number", f"按位置编为第 {row.number} 项（{row.id}）", "“序号”中没有数字"))
        units = read_units(row, self.directory, self.sl.cell_name("units"))
        due = read_due(row, self.year, self.sl.cell_name("due"))
        ev = read_evidence(row, due, self.sl.cell_name("evidence"))
        guesses += units.guesses + due.guesses
        for n, title in ev.references:
            self.templates.attachment(n, title, row.id, reference=True)
        items: list[dict[str, Any]] = []
        item_guesses: list[Guess] = []
        for d in ev.items:
            item, g = self.item(row, due, d, len(items))
            items.append(item)
            item_guesses += g
        guesses += [g for g in ev.guesses if g.item is None] + item_guesses
        guesses += [g for g in ev.guesses if g.item is not None]
        if not row.evidence.strip() and due.kind == "unspecified":
            guesses.append(
                Guess("evidence", "暂无需报送材料，由协调人补充", f"原文未写“{self.sl.cell_name('evidence')}”")
            )
        if due.kind == "ongoing" and items:
            guesses.append(
                Guess("due", "长期工作：不催报，但报送的材料仍会检查并列入报告", "原文为长期工作，但写了佐证方式")
            )
        body: dict[str, Any] = {
            "id": row.id,
            "title": task_title(row.text),
            "text": row.text,
            "source": {
                "units": row.units + (f"；配合：{row.support}" if row.support else ""),
                "due": row.due,
                "evidence": row.evidence,
            },
            "lead": units.lead,
        }
        if units.support:
            body["support"] = units.support
        body["deadline"] = {"kind": due.kind, **({"rounds": due.rounds} if due.rounds else {})}
        if ev.platform:
            body["platform"] = True
        if items:
            body["evidence"] = items
        for i, item in enumerate(items):
            notes = [f"{g.why}：{g.guess}" for g in guesses if g.item == i]
            if notes:
                item["note"] = "；".join(notes)
        notes = [f"{g.why}：{g.guess}" for g in guesses if g.item is None]
        if notes:
            body["notes"] = notes
        return body, guesses

    def item(self, row: SourceRow, due: DueReading, d: Deliverable, index: int) -> tuple[dict[str, Any], list[Guess]]:
        g: list[Guess] = []
        unit = d.unit or KIND_UNIT[d.kind]
        rounds = len(due.rounds)
        item: dict[str, Any] = {"kind": d.kind, "label": d.label, "min": d.min}
        tpl: Template | None = None
        if d.kind == "figures":
            ratios = figures_form(row)
            if ratios:
                tid = self.templates.figures(row.id, d.label, ratios)
                item["template"] = tid
                item["min"] = len(self.templates.chosen[tid]["fields"])
                item["ratios"] = [
                    {"label": f"{num}占{den}比例", "numerator": num, "denominator": den, "min": m}
                    for num, den, m, _ in ratios
                ]
                words = "；".join(r[3] for r in ratios)
                g.append(
                    Guess(
                        "evidence",
                        f"按数据表报送 {item['min']} 项金额（{'、'.join(f['name'] for f in self.templates.chosen[tid]['fields'])}），"
                        f"由 duban 计算占比："
                        + "；".join(f"{r['label']}不低于 {r['min']:.0%}" for r in item["ratios"]),
                        f"任务原文要求“{words}”；数据项名称由原文推定",
                        index,
                    )
                )
            else:
                item["kind"] = d.kind = "document"
                g.append(
                    Guess("evidence", "按文档报送（任意格式）", f"“{d.part}”是数据，但原文没有写出可计算的比例", index)
                )
        elif d.attachment is not None:
            tid, real = self.templates.attachment(d.attachment, d.label, row.id)
            tpl = self.templates.template(tid) if real else None
            if real and tpl is not None and (tpl.kind == "ledger") == (d.kind == "ledger"):
                item["template"] = tid
            elif d.kind in ("document", "pdf"):
                item["template"] = tid
                tpl = None
            else:
                tpl = None
                g.append(
                    Guess(
                        "evidence",
                        f"暂按任意格式的表格计行数；补上 templates.yaml 中附件{d.attachment}的表头后，在该项写 template",
                        f"附件{d.attachment}的表头未知",
                        index,
                    )
                )
        elif d.kind == "ledger":
            tid2 = self.templates.by_title(d.label, "ledger", row.id)
            if tid2:
                item["template"] = tid2
                tpl = self.templates.template(tid2)
        if d.kind == "ledger":
            self._ledger_rules(row, d, item, tpl, index, g)
        done = completed_by(d.part, self.year, row, self.sl.cell_name("evidence"))
        if done:
            item["completed_by"] = done[0]
            g.append(
                Guess(
                    "evidence",
                    f"须为 {done[0].isoformat()} 前已履行完毕的：人工抽查（duban 无法从文件判断）",
                    f"原文“{done[1]}”",
                    index,
                )
            )
        self._count_guesses(d, item, unit, rounds, index, g)
        return item, g

    def _ledger_rules(
        self, row: SourceRow, d: Deliverable, item: dict, tpl: Template | None, index: int, g: list[Guess]
    ) -> None:
        win = window_of(row, self.year, self.sl.cell_name("evidence"))
        if win:
            dates = [c.name for c in (tpl.columns if tpl else []) if c.type == "date"]
            if len(dates) == 1:
                item["window"] = {"column": dates[0], "start": win[0], "end": win[1]}
                g.append(
                    Guess(
                        "evidence",
                        f"“{dates[0]}”不在 {win[0]} 至 {win[1]} 之间的行列为问题、不计数",
                        f"原文“{win[2]}”",
                        index,
                    )
                )
            else:
                g.append(
                    Guess(
                        "evidence",
                        "暂不核对日期区间；确定台账的日期列后，在该项加 window（column、start、end）",
                        f"原文“{win[2]}”，但不知道台账的哪一列是日期",
                        index,
                    )
                )
        target = ratio_target(row)
        if target:
            share, words = target
            yes = [c for c in (tpl.columns if tpl else []) if c.type == "yesno"]
            col = next((c for c in yes if c.name.removeprefix("是否") in words), yes[0] if len(yes) == 1 else None)
            if col is not None:
                item["ratio"] = {"column": col.name, "min": share}
                g.append(
                    Guess(
                        "evidence",
                        f"比例 =“{col.name}”为“是”的行数 / 有效数据行数，须达到 {share:.0%}",
                        f"任务原文“{words}”",
                        index,
                    )
                )
            else:
                g.append(
                    Guess(
                        "evidence",
                        f"暂不核对比例（{share:.0%}）；模板补上“是/否”列后在该项加 ratio",
                        f"任务原文“{words}”，但模板中没有对应的“是/否”列",
                        index,
                    )
                )

    def _count_guesses(self, d: Deliverable, item: dict, unit: str, rounds: int, index: int, g: list[Guess]) -> None:
        n = item["min"]
        per_file = f"；一个文件算一{unit}" if d.kind in ("document", "pdf") else ""
        if d.count_text and d.over:
            g.append(Guess("evidence", f"按不少于 {n} {unit}计", f"原文“{d.count_text}”", index))
        if rounds > 1 and n > 1 and d.kind != "figures":
            g.append(
                Guess(
                    "evidence",
                    f"按每轮计：{rounds} 轮各自不少于 {n} {unit}（每单位）{per_file}；若应为各轮累计，在该项加 cumulative: true",
                    f"原文“{d.count_text}”未说明按每轮还是累计",
                    index,
                )
            )
        elif n > 1 and per_file:
            g.append(Guess("evidence", f"每单位不少于 {n} 个文件{per_file}", f"原文“{d.count_text}”", index))
        if d.kind == "ledger" and not d.count_text:
            every = "每轮" if rounds > 1 else ""
            any_table = "" if item.get("template") else "；未附模板：任意格式的表格均可（没有内容时写一行“无”）"
            g.append(Guess("evidence", f"{every}至少 1 条有效数据{any_table}", "原文未给条数", index))
        if d.kind == "document" and not d.count_text and COUNTABLE_DOCS.search(d.part):
            g.append(Guess("evidence", "每单位至少 1 份（一个文件算一条）", "原文未给条数", index))
        elif d.kind in ("document", "pdf") and not d.count_text and rounds > 1:
            g.append(
                Guess(
                    "evidence", f"{rounds} 轮各自报送，每轮每单位至少 1 份", "原文未给数量，也未说明各轮的关系", index
                )
            )
        if d.kind == "link":
            g.append(
                Guess(
                    "evidence",
                    "每轮至少 1 个链接；链接可写在 .txt、Word 或 Excel 文件里",
                    "原文只写了“链接”，未写个数和形式",
                    index,
                )
            )


# ---------------------------------------------------------------- the campaign
def _cell_cn(sl: SourceList, cell: str) -> str:
    if cell in CELL_CN:
        return CELL_CN[cell]
    return sl.cell_name(cell)


def _cell_text(row: SourceRow, cell: str) -> str:
    text = {"units": row.units, "due": row.due, "evidence": row.evidence, "text": row.text, "number": ""}.get(cell, "")
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:58] + "……"


def build(sl: SourceList, *, year: int | None, base: Catalog, campaign_id: str | None) -> Draft:
    """The whole campaign in memory (nothing written)."""
    year, year_guess = cells_year(sl, year)
    base_units = yaml.safe_load((base.root / "units.yaml").read_text(encoding="utf-8")) or {}
    directory = Directory(base_units.get("units") or [], base_units.get("group_words") or {})
    templates = Templates(base.templates, base.campaign.name)
    builder = TaskBuilder(sl, year, directory, templates)
    tasks: dict[str, tuple[str, dict[str, Any]]] = {}
    review: list[ReviewEntry] = []
    warnings: list[str] = []
    by_id: dict[str, SourceRow] = {}
    for row in sl.rows:
        moved = None
        hint = None if row.section_stated else section_hint(row, directory)
        if hint and hint != row.section:
            row = replace(row, section=hint)
            moved = Guess(
                "units", f"归入{SECTION_CN[hint]}部分，编号 {row.id}", "文档没有分区直部门、街道两部分，按责任单位归类"
            )
        if row.id in by_id:
            raise ImportFailed(
                f"{row.where}：归类后编号 {row.id} 与{by_id[row.id].where}重复：请在原文中把区直部门和街道的任务分成两部分"
            )
        body, guesses = builder.build(row)
        guesses = ([moved] if moved else []) + guesses
        by_id[row.id] = row
        header = f"# {row.id} {body['title']}（原清单{SECTION_CN[row.section]}第{row.number}项，{row.where}）"
        tasks[row.id] = (header, body)
        items = body.get("evidence") or []
        for g in guesses:
            what = f"“{items[g.item]['label']}”：{g.guess}" if g.item is not None and g.item < len(items) else g.guess
            review.append(ReviewEntry(row.id, row.where, _cell_cn(sl, g.cell), _cell_text(row, g.cell), what, g.why))
        if not row.units.strip() and not row.support.strip():
            warnings.append(f"{row.where}（任务 {row.id}）：“{sl.cell_name('units')}”为空，已标记为待分配")
    for task, g in templates.guesses():
        cited = by_id.get(task)
        review.append(ReviewEntry(task or None, cited.where if cited else "", _cell_cn(sl, g.cell), "", g.guess, g.why))
    rounds = sorted({d for _, b in tasks.values() for d in b["deadline"].get("rounds", [])})
    campaign = _campaign(sl, year, base, campaign_id, rounds, directory)
    camp_guesses = [year_guess] if year_guess else []
    camp_guesses.append(
        Guess(
            "campaign",
            f"活动期间 {campaign['start']} 至 {campaign['end']}（最早截止日前 {LEAD_DAYS} 天到最晚截止日后 {TAIL_DAYS} 天）"
            if rounds
            else f"活动期间 {campaign['start']} 至 {campaign['end']}",
            "原文没有写督办起止日期；每日提醒只在这段时间内发送",
        )
    )
    camp_guesses.append(
        Guess(
            "campaign",
            f"名称“{campaign['name']}”、{campaign['district']}、协调单位{campaign['coordinator']}沿用“{base.campaign.name}”",
            "这些不在任务表格中" if not sl.title else "名称取自文档标题；其余不在任务表格中",
        )
    )
    counts = campaign["groups"]
    camp_guesses.append(
        Guess(
            "campaign",
            f"groups 按名录现有数量填写（区直部门 {counts.get('departments', 0)} 个、街道 {counts.get('streets', 0)} 个）",
            "本区实际的单位数量不在清单中；实际更多时改为实际数量，duban catalog --check 会提示名录缺了单位",
        )
    )
    review = [ReviewEntry(None, "", "活动设置", "", g.guess, g.why) for g in camp_guesses] + review
    return Draft(
        campaign,
        _units_text(base.root / "units.yaml", directory.proposed, year),
        templates.all(),
        tasks,
        review,
        [u["name"] for u in directory.proposed],
        warnings,
    )


def _campaign(
    sl: SourceList, year: int, base: Catalog, campaign_id: str | None, rounds: list[dt.date], directory: Directory
) -> dict[str, Any]:
    bc = base.campaign
    if rounds:
        start, end = rounds[0] - dt.timedelta(days=LEAD_DAYS), rounds[-1] + dt.timedelta(days=TAIL_DAYS)
    else:
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    name = " ".join(sl.title.split()) if sl.title else re.sub(r"^\d{4}年?", "", bc.name)
    if not re.search(r"\d{4}", name):
        name = f"{year}年{name}"
    out: dict[str, Any] = {
        "id": campaign_id,
        "name": name,
        "district": bc.district,
        "year": year,
        "start": start,
        "end": end,
        "timezone": bc.timezone,
        "coordinator": bc.coordinator,
        "coordinator_emails": list(bc.coordinator_emails),
        "groups": {g: directory.count(g) for g in ("departments", "streets") if directory.count(g)},
        "due_time": bc.due_time.strftime("%H:%M:%S"),
    }
    if not campaign_id:
        del out["id"]
    return out


def _units_text(path: Path, proposed: list[dict[str, Any]], year: int) -> str:
    comment = f"导入 {year} 年任务清单时新增（名录中没有这些名称）：核对全称、简称、分组和邮箱后删去 proposed: true"
    return append_units_text(path.read_text(encoding="utf-8"), proposed, comment)


# ---------------------------------------------------------------- writing
CAMPAIGN_HEADER = """\
# 督办活动总设置（由 duban campaign new 从任务清单生成）。协调人可直接编辑；修改后运行 duban catalog --check。
# start/end：督办期间（每日提醒只在期间内发送，各轮截止日期必须在其中）；groups：本区各类单位的实际数量。
"""


def write_draft(draft: Draft, folder: Path, source: Path) -> None:
    (folder / "tasks").mkdir(parents=True)
    (folder / "source").mkdir()
    (folder / "campaign.yaml").write_text(CAMPAIGN_HEADER + dump(draft.campaign), encoding="utf-8")
    (folder / "units.yaml").write_text(draft.units_text, encoding="utf-8")
    tpl_header = (
        "# 附件模板（由 duban campaign new 生成）：placeholder: true 的是清单只提到、内容未知的附件，待补全。\n"
    )
    (folder / "templates.yaml").write_text(tpl_header + dump({"templates": draft.templates}), encoding="utf-8")
    for tid, (header, body) in draft.tasks.items():
        (folder / "tasks" / f"{tid}.yaml").write_text(header + "\n" + dump(body), encoding="utf-8")
    shutil.copy2(source, folder / "source" / source.name)
    write_review(folder, draft.review, f"source/{source.name}")


def import_list(
    source: Path | str,
    folder: Path | str,
    *,
    year: int | None = None,
    base: Path | str | None = None,
    campaign_id: str | None = None,
) -> ImportResult:
    """Import ``source`` into a new campaign folder ``folder`` (which must not exist or be
    empty). All or nothing: the folder appears only once the campaign loads cleanly."""
    source, folder = Path(source), Path(folder).absolute()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ImportFailed(f"{folder} 已存在且不是空文件夹：换一个文件夹名，或先移走原有内容（不会覆盖已有的活动）")
    try:
        base_catalog = load_catalog(base) if base else load_catalog(CATALOG_DIR)
        sl = read_source(source)
        draft = build(sl, year=year, base=base_catalog, campaign_id=campaign_id or folder.name)
    except (SourceError, CatalogError) as e:
        raise ImportFailed(str(e)) from None
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.importing-", dir=folder.parent))
    try:
        write_draft(draft, tmp / "c", source)
        try:
            load_catalog(tmp / "c")
        except CatalogError as e:
            raise ImportFailed(f"导入结果未通过校验，未写入任何文件：{e}") from None
        if folder.exists():
            folder.rmdir()
        (tmp / "c").rename(folder)
    except OSError as e:
        raise ImportFailed(
            f"写入 {folder} 失败（{e.strerror or e}）：未写入任何文件，检查磁盘空间和权限后重试"
        ) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return ImportResult(folder, load_catalog(folder), draft.review, draft.proposed, draft.warnings)

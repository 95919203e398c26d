"""The review list: every reading the importer was not sure of, for the coordinator to check.

``review.yaml`` in the campaign folder holds one entry per guess: the task, where it sits
in the source (row), the cell, the cell's words, what was chosen and why — in Chinese.
The coordinator reads it with ``duban campaign review DIR``, changes the task file where
the guess was wrong, and marks the entry ``ok: true`` (or deletes it). ``duban catalog
--check`` keeps reminding while entries are open.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REVIEW_FILE = "review.yaml"

HEADER = """\
# 待核对清单：导入任务清单时 duban 无法确定、按推定处理的地方，每条一项。
# 逐条核对：推定正确就把 ok 改为 true（或删去该条）；不正确就改对应的任务文件（tasks/编号.yaml）
# 或 units.yaml / templates.yaml，再把 ok 改为 true。修改后运行 duban catalog --check 校验。
# 查看尚未核对的条目：duban campaign review 活动文件夹
"""


@dataclass
class ReviewEntry:
    task: str | None  # D12; None for the campaign as a whole or a template
    where: str  # 第 13 行 / 第1个表格第5行
    cell: str  # 责任部门 / 完成时限 / 佐证方式 / 具体任务 / 模板 / 活动设置
    text: str  # the cell's words (shortened)
    guess: str  # what duban chose
    why: str  # why it is not certain
    ok: bool = False

    def line(self) -> str:
        """One entry as the terminal shows it."""
        head = f"[{self.task}] " if self.task else ""
        where = f"{self.where}，" if self.where else ""
        quoted = f"“{self.text}”" if self.text else ("" if self.task is None or self.cell == "模板" else "（空）")
        return f"{head}{where}{self.cell}{quoted}\n    推定：{self.guess}\n    原因：{self.why}"


def write_review(folder: Path, entries: list[ReviewEntry], source: str) -> Path:
    import yaml

    path = folder / REVIEW_FILE
    body = {"source": source, "entries": [asdict(e) for e in entries]}
    text = yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=4096, default_flow_style=False)
    path.write_text(HEADER + text, encoding="utf-8")
    return path


def read_review(folder: Path) -> list[ReviewEntry]:
    """The entries of ``review.yaml`` ([] when the campaign has none); a mistake in the
    file is a ValueError in Chinese."""
    import yaml

    path = folder / REVIEW_FILE
    if not path.exists():
        return []
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise ValueError(f"{path}：YAML 格式错误：{getattr(e, 'problem', e)}") from None
    out = []
    for i, raw in enumerate(data.get("entries") or [] if isinstance(data, dict) else []):
        if not isinstance(raw, dict):
            raise ValueError(f"{path}：第 {i + 1} 条格式不对")
        out.append(
            ReviewEntry(
                task=raw.get("task"),
                where=str(raw.get("where") or ""),
                cell=str(raw.get("cell") or ""),
                text=str(raw.get("text") or ""),
                guess=str(raw.get("guess") or ""),
                why=str(raw.get("why") or ""),
                ok=bool(raw.get("ok", False)),
            )
        )
    return out


def open_entries(folder: Path) -> list[ReviewEntry]:
    return [e for e in read_review(folder) if not e.ok]

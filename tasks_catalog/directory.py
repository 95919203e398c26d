"""Is the unit directory complete? Checks behind ``duban catalog --check`` (and the helpers
that add units to a campaign's units.yaml).

A group word (各区直部门) expands to the units the directory holds: a directory that lacks
a unit silently leaves it out of every "all departments" task. So:

- campaign.yaml may say how many units each group really has (``groups: {departments: 23}``);
  a directory holding fewer is warned about;
- units the importer proposed (``proposed: true``) are listed until confirmed;
- folders under the shared folder that look like units (区退役军人事务局, 某某街道) but are
  not in the directory are listed with the command that adds them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .loader import Catalog

GROUP_CN = {"departments": "区直部门", "streets": "街道"}
UNIT_LIKE = re.compile(r"(局|部|办|委|中心|街道|办事处|分局|院|所|队|站|会|室|处|科|镇|乡|公司|集团)$")


def group_of_name(name: str) -> str:
    """'streets' for a sub-district office's name, else 'departments'."""
    return "streets" if re.search(r"街道|办事处|镇$|乡$", name) else "departments"


def group_shortfalls(catalog: Catalog) -> list[str]:
    """A warning per group the directory holds fewer units of than campaign.yaml says."""
    out = []
    for group, expected in catalog.campaign.groups.items():
        have = len(catalog.units_in(group))
        if have < expected:
            words = "、".join(w for w, gs in catalog.group_words.items() if group in gs) or GROUP_CN[group]
            out.append(
                f"单位名录（units.yaml）中{GROUP_CN[group]}只有 {have} 个，campaign.yaml 的 groups 写本区有 {expected} 个："
                f"“{words}”展开时会漏掉 {expected - have} 个单位。补上缺的单位："
                f"duban campaign add-unit 单位名称 --group {group}"
            )
    return out


def proposed_units(catalog: Catalog) -> list[str]:
    names = [u.name for u in catalog.units.values() if u.proposed]
    if not names:
        return []
    return [
        f"单位名录中有 {len(names)} 个导入时新增、尚未确认的单位：{'、'.join(names)}。"
        f"在 units.yaml 中核对全称、简称、分组和邮箱后删去 proposed: true"
    ]


def stray_unit_folders(catalog: Catalog, evidence_root: Path | str) -> list[tuple[str, str]]:
    """(folder name, likely group) for each folder at the top of the share that looks like a
    unit but is not in the directory (by name, full name or alias)."""
    root = Path(evidence_root)
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return []
    out = []
    for entry in entries:
        name = entry.name.strip()
        if name.startswith((".", "~$")) or not entry.is_dir() or catalog.find_unit(name):
            continue
        if UNIT_LIKE.search(name):
            out.append((name, group_of_name(name)))
    return out


def _arg(text: str) -> str:
    """A shell word, quoted only when it has to be (Chinese names stay readable)."""
    return f"'{text}'" if re.search(r"[\s'\"$`\\!*?&;|<>(){}\[\]#~]", text) else text


def add_unit_commands(folders: list[tuple[str, str]], campaign_dir: Path | None) -> list[str]:
    """The commands that add these folders' units, one per group."""
    where = f" --campaign {_arg(str(campaign_dir))}" if campaign_dir else ""
    out = []
    for group in ("departments", "streets"):
        names = [n for n, g in folders if g == group]
        if names:
            out.append(f"duban campaign add-unit {' '.join(_arg(n) for n in names)} --group {group}{where}")
    return out


def unit_entries(names: list[str], group: str, *, proposed: bool) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for n in names:
        e: dict[str, Any] = {"name": n, "full_name": n, "group": group, "emails": []}
        if proposed:
            e["proposed"] = True
        entries.append(e)
    return entries


def append_units_text(text: str, entries: list[dict[str, Any]], comment: str) -> str:
    """units.yaml with ``entries`` added to its ``units:`` list, keeping the coordinator's
    comments (the list is the file's last key, as written by duban), else rewritten whole."""
    if not entries:
        return text
    data = yaml.safe_load(text) or {}
    if list(data)[-1:] != ["units"]:
        data["units"] = [*(data.get("units") or []), *entries]
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    block = yaml.safe_dump(entries, allow_unicode=True, sort_keys=False, default_flow_style=None)
    lines = [f"  # {comment}"] + ["  " + line for line in block.splitlines()]
    return text.rstrip("\n") + "\n" + "\n".join(lines) + "\n"


def add_units(catalog: Catalog, names: list[str], group: str) -> list[str]:
    """Add units (by name) to the campaign's units.yaml; returns the names really added
    (a name the directory already knows is skipped). The result must still load."""
    from .loader import load_catalog

    new = [n for n in dict.fromkeys(n.strip() for n in names) if n and not catalog.find_unit(n)]
    if not new:
        return []
    path = catalog.root / "units.yaml"
    old = path.read_text(encoding="utf-8")
    text = append_units_text(
        old, unit_entries(new, group, proposed=False), "用 duban campaign add-unit 添加：补上全称、简称和邮箱"
    )
    path.write_text(text, encoding="utf-8")
    try:
        load_catalog(catalog.root)
    except Exception:
        path.write_text(old, encoding="utf-8")
        raise
    return new

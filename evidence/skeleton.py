"""What duban itself put in the share: the blank templates ``duban init-folders`` placed,
known by content hash (``evidence.blank_templates`` writes the same bytes every time).

A placed template lying in a task folder of a task that uses it is part of the skeleton,
like ``说明.txt``: never evidence, never reported, not counted by the guard. The same bytes
anywhere else (a blank 附件 dropped into a document task, copied under another name) were
handed in by a unit: they count for nothing, and the unit is told why.
"""

from __future__ import annotations

import functools
import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duban.tasks_catalog import Catalog
from duban.tasks_catalog.models import Template


@dataclass(frozen=True)
class Placed:
    template: str  # 附件7
    title: str
    size: int


def placed_templates(catalog: Catalog, known: dict[str, tuple[str, int]] | None = None) -> dict[str, Placed]:
    """sha256 -> the blank template duban writes for it, for every template a task fills in.

    ``known``: (sha256, size) by :func:`fingerprint`, remembered from earlier runs (writing the
    forms takes openpyxl ~0.5 s); new entries are added to it."""
    out: dict[str, Placed] = {}
    for tpl in catalog.templates.values():
        if tpl.kind in ("ledger", "figures"):
            key = fingerprint(tpl)
            if known is not None and key in known:
                sha, size = known[key]
            else:
                sha, size = _hash_of(tpl.model_dump_json())
                if known is not None:
                    known[key] = (sha, size)
            out[sha] = Placed(tpl.id, tpl.title, size)
    return out


def placed_forms(store: Any, catalog: Catalog) -> dict[str, Placed]:
    """:func:`placed_templates`, with the forms' hashes remembered in the store."""
    from . import store as evstore

    known = evstore.known_blank_forms(store)
    before = set(known)
    placed = placed_templates(catalog, known)
    evstore.remember_blank_forms(store, {k: v for k, v in known.items() if k not in before})
    return placed


def fingerprint(tpl: Template) -> str:
    """What the blank form's bytes depend on: the template and the openpyxl that writes it."""
    from importlib.metadata import version

    text = tpl.model_dump_json() + "|openpyxl " + version("openpyxl")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@functools.lru_cache(maxsize=256)
def _hash_of(template_json: str) -> tuple[str, int]:
    """(sha256, size) of the blank form of a template (by its definition: an edited template
    gives a new form)."""
    from .blank_templates import make_blank_template_xlsx

    tpl = Template.model_validate_json(template_json)
    with tempfile.TemporaryDirectory(prefix="duban-blank-") as tmp:
        data = make_blank_template_xlsx(Path(tmp) / "t.xlsx", tpl).read_bytes()
    return hashlib.sha256(data).hexdigest(), len(data)


def task_templates(catalog: Catalog, task_id: str) -> set[str]:
    """The templates whose blank form init-folders places in a task's folders."""
    rt = catalog.tasks[task_id]
    return {
        item.template
        for item in rt.task.evidence
        if item.template and catalog.templates[item.template].kind in ("ledger", "figures")
    }


def misplaced_reason(placed: Placed) -> str:
    return f"这是 duban 下发的空白模板（{placed.template}《{placed.title}》），没有填写，不计入：请按任务要求报送材料"

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
    forms takes importing openpyxl and ~0.1 s a form); new entries are added to it. The forms of
    the shipped catalog's templates are known from ``blank_forms.json`` (:data:`SHIPPED`)."""
    out: dict[str, Placed] = {}
    for tpl in catalog.templates.values():
        if tpl.kind in ("ledger", "figures"):
            key = fingerprint(tpl)
            sha, size = (known or {}).get(key) or shipped_forms().get(key) or _hash_of(tpl.model_dump_json())
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
    text = tpl.model_dump_json() + "|openpyxl " + _openpyxl_version()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@functools.lru_cache(maxsize=1)
def _openpyxl_version() -> str:
    from importlib.metadata import version

    return version("openpyxl")


SHIPPED = Path(__file__).with_name("blank_forms.json")


@functools.lru_cache(maxsize=1)
def shipped_forms() -> dict[str, tuple[str, int]]:
    """(sha256, size) of the blank forms of the shipped catalog's templates by :func:`fingerprint`,
    as ``scripts/blank_forms.py`` wrote them: a new data directory's first check needs neither
    openpyxl nor writing the forms. An edited template or another openpyxl version has another
    fingerprint, so an entry can only be used for the very form it was made from."""
    import json

    try:
        data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: (v[0], int(v[1])) for k, v in data.get("forms", {}).items()}


def shipped_table(catalog: Catalog) -> dict:
    """What ``blank_forms.json`` holds for ``catalog`` with the installed openpyxl (written by
    ``scripts/blank_forms.py``; ``tests/test_skeleton.py`` checks it against the forms)."""
    forms = {}
    for tpl in sorted(catalog.templates.values(), key=lambda t: t.id):
        if tpl.kind in ("ledger", "figures"):
            forms[fingerprint(tpl)] = list(_hash_of(tpl.model_dump_json()))
    return {"openpyxl": _openpyxl_version(), "forms": forms}


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

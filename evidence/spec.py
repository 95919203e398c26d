"""What a file is read against: the ledger templates, date windows, yes/no columns and
figures forms of the task whose folder it sits in. Picklable, so it travels to the
worker processes; its fingerprint is part of the inspection cache key, so editing a
template in the catalog makes duban read the affected files again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from duban.tasks_catalog.models import DateWindow, EvidenceItem, ResolvedTask, Template


@dataclass(frozen=True)
class LedgerSpec:
    template: Template | None  # None: any table counts (a ledger with no template)
    window: DateWindow | None = None
    ratio_column: str | None = None


@dataclass(frozen=True)
class InspectSpec:
    ledgers: tuple[LedgerSpec, ...] = ()
    figures: tuple[Template, ...] = ()

    def fingerprint(self) -> str:
        data = {
            "ledgers": [
                [
                    ls.template.model_dump(mode="json") if ls.template else None,
                    ls.window.model_dump(mode="json") if ls.window else None,
                    ls.ratio_column,
                ]
                for ls in self.ledgers
            ],
            "figures": [t.model_dump(mode="json") for t in self.figures],
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def spec_for(task: ResolvedTask, templates: dict[str, Template]) -> InspectSpec:
    ledgers, figures = [], []
    for item in task.task.evidence:
        if item.kind == "ledger":
            ledgers.append(_ledger_spec(item, templates))
        elif item.kind == "figures" and item.template:
            figures.append(templates[item.template])
    return InspectSpec(tuple(ledgers), tuple(figures))


def _ledger_spec(item: EvidenceItem, templates: dict[str, Template]) -> LedgerSpec:
    tpl = templates[item.template] if item.template else None
    return LedgerSpec(tpl, item.window, item.ratio.column if item.ratio else None)

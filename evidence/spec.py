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
    # the task asks for links: a PDF's text (and its link annotations) is read for them. A PDF
    # read for a task that asks for neither links nor figures is opened for its pages only
    # (extracting text is ~70% of reading a PDF, and nothing else uses it)
    links: bool = False

    @property
    def reads_text(self) -> bool:
        """Whether a PDF's text matters: for links or for figures written in the text."""
        return self.links or bool(self.figures)

    def fingerprint(self) -> str:
        data: dict = {
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
        if self.links:  # (absent when False: the facts cached before the flag existed stay valid)
            data["links"] = True
        return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def spec_for(task: ResolvedTask, templates: dict[str, Template]) -> InspectSpec:
    ledgers, figures = [], []
    for item in task.task.evidence:
        if item.kind == "ledger":
            ledgers.append(_ledger_spec(item, templates))
        elif item.kind == "figures" and item.template:
            figures.append(templates[item.template])
    links = any(item.kind == "link" for item in task.task.evidence)
    return InspectSpec(tuple(ledgers), tuple(figures), links)


def _ledger_spec(item: EvidenceItem, templates: dict[str, Template]) -> LedgerSpec:
    tpl = templates[item.template] if item.template else None
    return LedgerSpec(tpl, item.window, item.ratio.column if item.ratio else None)

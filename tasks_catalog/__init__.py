"""What is owed: the task list, the unit directory and the ledger templates, as data.

The YAML files beside this module are the source of truth and are edited by the
coordinator; ``load_catalog()`` reads and validates them.

The models (pydantic) are imported on first use, not with the package: a command that
prints a cached view of the catalog (``duban catalog --json``) never pays for them.
"""

from typing import TYPE_CHECKING

from .loader import CATALOG_DIR, Catalog, CatalogError, load_catalog

if TYPE_CHECKING:
    from .models import EvidenceItem, ResolvedTask, Task, Template, Unit

__all__ = [
    "CATALOG_DIR",
    "Catalog",
    "CatalogError",
    "load_catalog",
    "EvidenceItem",
    "ResolvedTask",
    "Task",
    "Template",
    "Unit",
]

_MODELS = {"EvidenceItem", "ResolvedTask", "Task", "Template", "Unit"}


def __getattr__(name: str):
    if name in _MODELS:
        from . import models

        return getattr(models, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

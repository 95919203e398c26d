"""What is owed: the task list, the unit directory and the ledger templates, as data.

The YAML files beside this module are the source of truth and are edited by the
coordinator; ``load_catalog()`` reads and validates them.
"""

from .loader import CATALOG_DIR, Catalog, CatalogError, load_catalog
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

"""Write ``evidence/blank_forms.json``: the hash and size of the blank form of every template of
the shipped catalog, as the installed openpyxl writes it (``evidence/skeleton.py``).

    .venv/bin/python scripts/blank_forms.py

Run it after editing a shipped template or upgrading openpyxl (``tests/test_skeleton.py`` says
when): without a current table a new data directory's first check writes the forms itself
(importing openpyxl, ~0.7 s), with the same result.
"""

from __future__ import annotations

import json

from duban.evidence.skeleton import SHIPPED, shipped_table
from duban.tasks_catalog import load_catalog

if __name__ == "__main__":
    table = shipped_table(load_catalog())
    SHIPPED.write_text(json.dumps(table, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{SHIPPED}: {len(table['forms'])} forms, openpyxl {table['openpyxl']}")

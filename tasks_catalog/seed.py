"""The source task list the shipped catalog was transcribed from (``source/seed.txt``).

The seed is the document the lead office sent: two sections (区直各部门, 街道办事处), each
a table flattened to tab-indented lines, one blank line between rows. Tests compare the
shipped catalog with it, and the importer (``duban campaign new --from``) reads it like any
other list (``sources.read_source``).
"""

from __future__ import annotations

from pathlib import Path

from .sources import SourceRow, read_source

SEED_PATH = Path(__file__).parent / "source" / "seed.txt"

SeedRow = SourceRow


def parse_seed(path: Path = SEED_PATH) -> list[SourceRow]:
    return read_source(path).rows

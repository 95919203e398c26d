"""Parse the source task list (``source/seed.txt``) into plain rows.

The seed is the document the lead office sent: two sections (区直各部门, 街道办事处),
each a table flattened to tab-indented lines, one blank line between rows. This parser
exists so tests (and a coordinator who edits the catalog) can compare the catalog with
the original text; duban itself reads only the YAML catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SEED_PATH = Path(__file__).parent / "source" / "seed.txt"


@dataclass(frozen=True)
class SeedRow:
    section: str  # "departments" | "streets"
    number: int
    text: str
    units: str
    due: str
    evidence: str

    @property
    def id(self) -> str:
        return ("D" if self.section == "departments" else "S") + f"{self.number:02d}"


def parse_seed(path: Path = SEED_PATH) -> list[SeedRow]:
    lines = path.read_text(encoding="utf-8").splitlines()
    rows: list[SeedRow] = []
    section = None
    block: list[str] = []

    def flush() -> None:
        if not block or section is None:
            return
        fields = [f.strip() for f in block]
        block.clear()
        if fields[0] == "序号":  # the table header
            return
        fields += [""] * (5 - len(fields))
        number, text, units, due, evidence = fields[:5]
        rows.append(SeedRow(section, int(number), text, units, due, evidence))

    for line in lines:
        if not line.startswith("\t") and ("区直各部门" in line or "街道办事处" in line) and not block:
            section = "departments" if "区直各部门" in line else "streets"
            continue
        if line.strip() == "" and not line.startswith("\t"):
            flush()
            continue
        if line.startswith("\t"):
            block.append(line[1:].replace("[bookmark: _GoBack]", ""))
        elif block:  # a field that wrapped onto the next line
            block[-1] += "\n" + line
    flush()
    return rows

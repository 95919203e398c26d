"""Cities for tests and benchmarks: the shipped 2021 list as another district's campaign, its
demo share, and a city.yaml over several districts.

:func:`district_campaign` copies the shipped campaign folder and renames every unit of the
directory for the district (``区发改局`` -> ``历城区发改局``, ``解放路街道`` -> ``历城解放路街道``),
in units.yaml and wherever a task or campaign.yaml names it, puts the emails on the district's
own domain and gives the campaign the district's name and id. Its share
(``duban.testing.demo_tree.build_tree``) then has other unit folders than any other
district's: a run that read the wrong share, or mailed the wrong units, shows at once.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import yaml

from duban.tasks_catalog import CATALOG_DIR, load_catalog
from duban.testing.demo_tree import build_tree

COPIED = ("campaign.yaml", "units.yaml", "templates.yaml")


def _shipped_units() -> list[dict[str, Any]]:
    return yaml.safe_load((CATALOG_DIR / "units.yaml").read_text(encoding="utf-8"))["units"]


def renames(district: str) -> dict[str, str]:
    """Each shipped unit name -> the district's (区发改局 -> 历城区发改局, 解放路街道 -> 历城解放路街道)."""
    out = {}
    for u in _shipped_units():
        name = u["name"]
        out[name] = f"{district}{name[1:]}" if name.startswith("区") else f"{district.removesuffix('区')}{name}"
    return out


def _replace_all(text: str, renames: dict[str, str]) -> str:
    """Every old name to its new one, longest first, never renaming a new name again."""
    tokens: dict[str, str] = {}
    for i, old in enumerate(sorted(renames, key=len, reverse=True)):
        token = f"\x00{i}\x00"
        tokens[token] = renames[old]
        text = text.replace(old, token)
    for token, new in tokens.items():
        text = text.replace(token, new)
    return text


def district_campaign(dst: Path | str, district: str, *, domain: str, campaign_id: str | None = None) -> Path:
    """A campaign folder for ``district`` (e.g. ``历城区``) made from the shipped list; returns it."""
    dst = Path(dst)
    (dst / "tasks").mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        shutil.copy(CATALOG_DIR / name, dst / name)
    for f in sorted((CATALOG_DIR / "tasks").glob("*.yaml")):
        shutil.copy(f, dst / "tasks" / f.name)
    directory = yaml.safe_load((dst / "units.yaml").read_text(encoding="utf-8"))
    new_names = renames(district)
    old_district = yaml.safe_load((CATALOG_DIR / "campaign.yaml").read_text(encoding="utf-8"))["district"]
    short_old = old_district.removeprefix("济南市")
    for u in directory["units"]:
        u["name"] = new_names[u["name"]]
        u["full_name"] = u["full_name"].replace(short_old, district)
        u["aliases"] = []
        u["emails"] = [re.sub(r"@.*$", f"@{domain}", e) for e in u.get("emails") or []]
    (dst / "units.yaml").write_text(yaml.safe_dump(directory, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for f in [dst / "campaign.yaml", *sorted((dst / "tasks").glob("*.yaml"))]:
        f.write_text(_replace_all(f.read_text(encoding="utf-8"), new_names), encoding="utf-8")
    camp = yaml.safe_load((dst / "campaign.yaml").read_text(encoding="utf-8"))
    camp["district"] = f"济南市{district}"
    camp["id"] = campaign_id or f"{camp['year']}-{district}-信用示范"
    camp["coordinator_emails"] = [f"duban@{domain}"]
    (dst / "campaign.yaml").write_text(yaml.safe_dump(camp, allow_unicode=True, sort_keys=False), encoding="utf-8")
    load_catalog(dst)  # a campaign that loads, or the test stops here
    return dst


def district_share(root: Path | str, district: str | None = None, *, seed: int = 2021) -> Path:
    """The demo share (about 800 files of every kind, its special cases included), its unit
    folders renamed for ``district`` (:func:`district_campaign`'s units); the shipped names
    without one."""
    root = Path(root)
    build_tree(load_catalog(), root, seed=seed)
    if district:
        new_names = renames(district)
        for u in _shipped_units():
            for old in (u["name"], *u.get("aliases", [])):
                if (root / old).is_dir():
                    (root / old).rename(root / new_names[u["name"]])
    return root


def city_yaml(path: Path | str, districts: list[dict[str, Any]], **top: Any) -> Path:
    """Write a city.yaml (``top``: name, pool, home, env) listing ``districts``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {**top, "districts": districts}
    data = _plain(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _plain(value: Any) -> Any:
    """Paths as text, for YAML."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, Path) else value

"""Which campaign folder a command or a flow works on, and pointing the settings at one.

A campaign is a folder of YAML outside the installed code (``duban campaign new`` makes
one). The one in use is, in this order:

1. ``--catalog DIR`` on the command line, or ``DUBAN_CATALOG`` (a flow run started by
   the CLI or a deployment's environment);
2. ``campaign:`` in ``<home>/settings.yaml`` (a relative path is taken from the folder
   that holds settings.yaml);
3. the 2021 list shipped with duban, as the example.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from duban.home import Home
from duban.settings import load as load_settings

from .loader import CATALOG_DIR, Catalog, CatalogError, load_catalog

CATALOG_ENV = "DUBAN_CATALOG"


def settings_path(home: Any = None) -> Path:
    """``<home>/settings.yaml`` for a Home, a data-directory path, or None (``DUBAN_HOME``,
    else ``./var``: ``Home.located``) — without creating the data directory."""
    if home is not None and hasattr(home, "settings_file"):
        return Path(home.settings_file)
    return Home.located(home).settings_file


def campaign_root(explicit: str | Path | None = None, home: Any = None) -> Path | None:
    """The campaign folder in use; None for the shipped example."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(CATALOG_ENV)
    if env:
        return Path(env)
    sfile = settings_path(home)
    value = load_settings(sfile).value("campaign")
    if not value:
        return None
    folder = Path(str(value)).expanduser()
    if not folder.is_absolute():
        folder = sfile.parent / folder
    if not (folder / "campaign.yaml").is_file():
        raise CatalogError(
            sfile,
            "campaign",
            f"设置的活动文件夹 {folder} 不存在或其中没有 campaign.yaml",
            "改正 campaign: 的路径，或用 duban campaign new 文件夹 --from 任务清单 新建；删去这一行则使用随程序附带的 2021 年示例",
        )
    return folder


def load_campaign(explicit: str | Path | None = None, home: Any = None) -> Catalog:
    """The catalog of the campaign in use (see the module docstring for the order)."""
    return load_catalog(campaign_root(explicit, home))


def is_example(catalog: Catalog) -> bool:
    """True for the list shipped inside the installed package (never edited in place)."""
    return catalog.root.resolve() == CATALOG_DIR.resolve()


def use_campaign(home: Any, folder: Path) -> str | None:
    """Point ``campaign:`` in settings.yaml at ``folder`` (the file is created when absent,
    other lines are kept). Returns the previous value, if any."""
    sfile = settings_path(home)
    previous = load_settings(sfile).value("campaign")
    line = f"campaign: '{Path(folder).absolute()}'"
    text = sfile.read_text(encoding="utf-8") if sfile.exists() else ""
    if re.search(r"(?m)^campaign\s*:", text):
        text = re.sub(r"(?m)^campaign\s*:.*$", lambda _: line, text, count=1)
    else:
        text = text + ("" if not text or text.endswith("\n") else "\n") + line + "  # 当前督办活动（任务清单）文件夹\n"
    sfile.parent.mkdir(parents=True, exist_ok=True)
    sfile.write_text(text, encoding="utf-8")
    load_settings(sfile)  # still a valid settings file
    return str(previous) if previous else None

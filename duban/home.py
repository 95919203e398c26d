"""The data directory: every piece of state duban writes lives under one folder.

``--home`` on the command line, else ``DUBAN_HOME``, else ``./var``. Layout::

    <home>/duban.sqlite   the store (inspections, check runs, confirmations, sent-log)
    <home>/outbox/        reminder emails as .eml files (the embedded transport)
    <home>/reports/       round reports, one folder per round and run time
    <home>/prefect/       PREFECT_HOME for the embedded Prefect
    <home>/settings.yaml  optional local settings (SMTP host, policy overrides)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from duban.settings import Settings, SettingsError
from duban.settings import load as load_settings

HOME_ENV = "DUBAN_HOME"  # the data directory when --home is not given
EVIDENCE_ENV = "DUBAN_EVIDENCE"
DATABASE_ENV = "DUBAN_DATABASE_URL"


@dataclass(frozen=True)
class Home:
    root: Path

    @classmethod
    def resolve(cls, home: str | Path | None = None) -> Home:
        """The data directory, created when absent."""
        found = cls.located(home)
        found.root.mkdir(parents=True, exist_ok=True)
        return found

    @classmethod
    def located(cls, home: str | Path | None = None) -> Home:
        """Where the data directory is (``--home``, else ``DUBAN_HOME``, else ``./var``), not created."""
        return cls(Path(home or os.environ.get(HOME_ENV) or "var").expanduser().resolve())

    @property
    def db(self) -> Path:
        return self.root / "duban.sqlite"

    @property
    def outbox(self) -> Path:
        return self._dir("outbox")

    @property
    def reports(self) -> Path:
        return self._dir("reports")

    @property
    def prefect(self) -> Path:
        return self._dir("prefect")

    @property
    def settings_file(self) -> Path:
        return self.root / "settings.yaml"

    @property
    def settings(self) -> Settings:
        """``settings.yaml``, read and checked (an absent file is empty settings)."""
        return load_settings(self.settings_file)

    def evidence_root(self, explicit: str | Path | None = None) -> str:
        """The shared evidence folder: ``explicit`` (``--evidence``, a flow parameter), else
        ``DUBAN_EVIDENCE``, else ``evidence_root:`` in ``settings.yaml``."""
        root = explicit or os.environ.get(EVIDENCE_ENV) or self.settings.value("evidence_root")
        if not root:
            raise SettingsError(
                self.settings_file,
                "没有指定共享文件夹（证据目录）",
                f"用 --evidence 指定，或设置环境变量 {EVIDENCE_ENV}，或在本文件中写 evidence_root: 共享文件夹路径",
            )
        return str(root)

    def _dir(self, name: str) -> Path:
        p = self.root / name
        p.mkdir(parents=True, exist_ok=True)
        return p


def database_url(home: Home) -> str:
    """``DUBAN_DATABASE_URL``, else the SQLite file under the data directory."""
    url = os.environ.get(DATABASE_ENV, "").strip()
    if url:
        if url.startswith("postgresql://"):  # the plain form people copy: use the installed sync driver
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url
    return f"sqlite:///{Path(home.db)}"


def keep_file(path: Path, text: str) -> None:
    """Write a cache file of the data directory atomically (a reader never sees half of it);
    a cache that cannot be written is no error, so this never raises."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass

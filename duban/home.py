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

EVIDENCE_ENV = "DUBAN_EVIDENCE"


class ConfigError(ValueError):
    """A missing or wrong setting; the message (Chinese) says what to set."""


@dataclass(frozen=True)
class Home:
    root: Path

    @classmethod
    def resolve(cls, home: str | Path | None = None) -> "Home":
        root = Path(home or os.environ.get("DUBAN_HOME") or "var").expanduser().resolve()
        root.mkdir(parents=True, exist_ok=True)
        return cls(root)

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

    def settings_section(self, name: str) -> dict:
        """One top-level mapping of ``settings.yaml`` ({} when absent)."""
        if not self.settings_file.exists():
            return {}
        import yaml

        try:
            data = yaml.safe_load(self.settings_file.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError, UnicodeDecodeError) as e:
            raise ConfigError(f"无法读取 {self.settings_file}：{e}") from None
        value = data.get(name) if isinstance(data, dict) else None
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ConfigError(f"{self.settings_file}：'{name}' 部分应当是“键: 值”的映射")
        return value

    def evidence_root(self, explicit: str | Path | None = None) -> str:
        """The shared evidence folder: ``explicit`` (``--evidence``, a flow parameter), else
        ``DUBAN_EVIDENCE``, else ``evidence_root:`` in ``settings.yaml``."""
        root = explicit or os.environ.get(EVIDENCE_ENV)
        if not root and self.settings_file.exists():
            import yaml

            try:
                data = yaml.safe_load(self.settings_file.read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError, UnicodeDecodeError) as e:
                raise ConfigError(f"无法读取 {self.settings_file}：{e}") from None
            root = data.get("evidence_root") if isinstance(data, dict) else None
        if not root:
            raise ConfigError(f"没有指定共享文件夹（证据目录）：请用 --evidence 指定，或设置环境变量 {EVIDENCE_ENV}，"
                              f"或在 {self.settings_file} 中写 evidence_root: 共享文件夹路径")
        return str(root)

    def _dir(self, name: str) -> Path:
        p = self.root / name
        p.mkdir(parents=True, exist_ok=True)
        return p

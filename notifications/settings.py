"""``<home>/settings.yaml``: the office's local settings (SMTP server, reminder policy).

Read once per call, validated, errors in Chinese naming the file and the fix. The SMTP
password never belongs here: it comes from ``DUBAN_SMTP_PASSWORD`` or the system keyring.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class SettingsError(Exception):
    """A mistake in settings.yaml or policy.yaml; ``str()`` is the whole message."""

    def __init__(self, file: Path | str, problem: str, fix: str | None = None):
        self.file, self.problem, self.fix = str(file), problem, fix
        msg = f"设置文件有误：{file}：{problem}"
        if fix:
            msg += f"\n  怎么改：{fix}"
        super().__init__(msg)


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping, {} when the file does not exist."""
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise SettingsError(path, "不是 UTF-8 编码", "用记事本“另存为”UTF-8 编码") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f"第 {mark.line + 1} 行" if mark else ""
        raise SettingsError(path, f"YAML 格式错误 {line}：{getattr(e, 'problem', e)}",
                            "检查缩进（用空格，不要用 Tab）和冒号后的空格") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SettingsError(path, "内容应当是“键: 值”的映射", "参照 README 中 settings.yaml 的示例")
    return data


def section(path: Path, name: str) -> dict[str, Any]:
    """One top-level section (``smtp:``, ``reminders:``) of a settings file, {} if absent."""
    value = read_yaml(path).get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SettingsError(path, f"'{name}' 部分应当是“键: 值”的映射", f"在 {name}: 下一行缩进写各项设置")
    return value


DISPLAY_ENV = "DUBAN_EVIDENCE_DISPLAY"


def display_root(home) -> str | None:
    """How units reach the shared folder (``\\\\server\\信用示范创建`` or ``Z:\\信用示范创建``),
    shown in reminders instead of the server-side path: ``DUBAN_EVIDENCE_DISPLAY`` or
    ``evidence_display_root:`` in ``<home>/settings.yaml``. None = the path duban scanned."""
    import os

    value = os.environ.get(DISPLAY_ENV) or read_yaml(home.settings_file).get("evidence_display_root")
    return str(value) if value else None

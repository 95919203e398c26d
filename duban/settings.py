"""``<home>/settings.yaml``: the office's local settings, read in one place.

Every section is optional. The file is read once per change (cached by its stat), its
top-level keys are checked strictly — a misspelt ``smpt:`` is an error naming the key, the
file and the key that was probably meant, never a silently ignored setting — and each
section's owner validates the inside of its section with :func:`check_keys` and raises
:class:`SettingsError`, the one error type for every settings mistake::

    evidence_root: /srv/share/信用示范创建      # duban.home
    evidence_display_root: '\\\\fileserver\\信用示范创建'
    campaign: /srv/duban/2026-信用示范          # the campaign folder (tasks_catalog)
    smtp: {...}                                 # duban.notifications.transport
    reminders: {...}                            # duban.notifications.policy
    limits: {...}                               # duban.evidence.limits
    report: {...}                               # duban.reports.scoring

Packaged defaults (``policy.yaml``, ``reports/settings.yaml``) are read with
:func:`read_yaml` too, so their mistakes read the same way. Secrets never live here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# top-level key -> what it holds (shown when a key is unknown)
SECTIONS: dict[str, str] = {
    "evidence_root": "共享文件夹（佐证材料根目录）的路径",
    "evidence_display_root": "各单位看到的共享文件夹路径（显示在提醒邮件中）",
    "campaign": "任务清单（督办活动）文件夹",
    "district": "本区名称（多个区共用一个 Prefect 服务器时区分部署）",
    "smtp": "邮件服务器",
    "reminders": "催报提醒策略",
    "limits": "读取文件的上限",
    "report": "报告评分和颜色",
    "desk": "督办工作台（网页）",
}


class SettingsError(ValueError):
    """A mistake in a settings file; ``str()`` is the whole message, in Chinese."""

    def __init__(self, file: Path | str, problem: str, fix: str | None = None):
        self.file, self.problem, self.fix = str(file), problem, fix
        msg = f"设置文件有误：{file}：{problem}"
        if fix:
            msg += f"\n  怎么改：{fix}"
        super().__init__(msg)


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping; {} when the file does not exist or is empty."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError:
        raise SettingsError(path, "不是 UTF-8 编码", "用记事本“另存为”UTF-8 编码") from None
    except OSError as e:
        raise SettingsError(path, f"无法读取（{e.strerror or e}）", "检查文件权限") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f"第 {mark.line + 1} 行" if mark else ""
        raise SettingsError(
            path, f"YAML 格式错误 {line}：{getattr(e, 'problem', e)}", "检查缩进（用空格，不要用 Tab）和冒号后的空格"
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SettingsError(path, "内容应当是“键: 值”的映射", "参照 README 中 settings.yaml 的示例")
    return data


def check_keys(data: dict[str, Any], allowed: Iterable[str], *, file: Path | str, where: str = "") -> None:
    """Raise :class:`SettingsError` for the first key of ``data`` not in ``allowed``,
    naming the key that was probably meant."""
    allowed = list(allowed)
    for key in data:
        if key not in allowed:
            import difflib  # only for the message

            guess = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.5)
            name = f"{where}.{key}" if where else str(key)
            raise SettingsError(
                file,
                f"未知设置 '{name}'",
                (f"是不是 '{guess[0]}'？" if guess else "") + f"可用设置：{', '.join(allowed)}",
            )


@dataclass(frozen=True)
class Settings:
    """One settings file, read and checked."""

    file: Path
    data: dict[str, Any]

    def section(self, name: str) -> dict[str, Any]:
        """One section (``smtp:``, ``reminders:`` ...), {} when absent."""
        value = self.data.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise SettingsError(self.file, f"'{name}' 部分应当是“键: 值”的映射", f"在 {name}: 下一行缩进写各项设置")
        return dict(value)

    def value(self, name: str) -> Any:
        """A plain top-level value (``evidence_root``), None when absent."""
        return self.data.get(name)


_CACHE: dict[Path, tuple[tuple[int, int], Settings]] = {}


def load(path: Path | str) -> Settings:
    """The settings file at ``path`` (an absent file is empty settings), top-level keys checked."""
    path = Path(path)
    try:
        st = os.stat(path)
        stamp = (st.st_mtime_ns, st.st_size)
    except FileNotFoundError:
        return Settings(path, {})
    except OSError as e:
        raise SettingsError(path, f"无法读取（{e.strerror or e}）", "检查文件权限") from None
    hit = _CACHE.get(path)
    if hit and hit[0] == stamp:
        return hit[1]
    data = read_yaml(path)
    check_keys(data, SECTIONS, file=path)
    settings = Settings(path, data)
    _CACHE[path] = (stamp, settings)
    return settings

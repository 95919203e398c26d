"""Bounds on reading one evidence file, so a hostile or broken file cannot exhaust memory
or stall a round (see ``shared/notes/reading-files.md``).

The defaults suit one office server; a settings file may override any of them::

    Limits.from_dict({"max_rows": 200000, "timeout_s": 120})
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from duban.settings import Settings, SettingsError, check_keys

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 200 * MiB  # a bigger file is rejected before it is opened
    max_uncompressed_bytes: int = 500 * MiB  # zip-based Office: total of the declared member sizes
    max_part_bytes: int = 100 * MiB  # zip-based Office: one member (a worksheet, document.xml ...)
    max_ratio: float = 200  # zip-based Office: uncompressed / compressed, for members over 1 MiB
    max_entries: int = 10000  # zip-based Office: members in the central directory
    max_rows: int = 100_000  # data rows read per sheet (more: truncated=True)
    memory_mb: int = 1536  # RLIMIT_AS of each worker process
    timeout_s: float = 60  # per file, enforced by killing the worker

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ValueError(f"limit '{f.name}' must be a number, got {v!r}")
            if v <= 0:
                raise ValueError(f"limit '{f.name}' must be positive, got {v!r}")
            if f.type == "int" and not float(v).is_integer():
                raise ValueError(f"limit '{f.name}' must be a whole number, got {v!r}")

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Limits:
        """Limits from a settings mapping; unknown keys are an error naming the key."""
        d = dict(d or {})
        known = {f.name: f for f in fields(cls)}
        for key in d:
            if key not in known:
                raise ValueError(f"unknown limit '{key}': known limits are {', '.join(known)}")
        out = {}
        for key, v in d.items():
            if known[key].type == "int" and isinstance(v, float) and v.is_integer():
                v = int(v)
            out[key] = v
        return cls(**out)

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        """The ``limits:`` section of ``settings.yaml`` over the defaults, e.g.
        ``limits: {max_file_bytes: 524288000, timeout_s: 120}``."""
        data = settings.section("limits")
        check_keys(data, [f.name for f in fields(cls)], file=settings.file, where="limits")
        try:
            return cls.from_dict(data)
        except (TypeError, ValueError) as e:
            raise SettingsError(settings.file, f"limits 设置有误：{e}", "写正数，整数项不要带小数") from None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

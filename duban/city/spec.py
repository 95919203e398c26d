"""``city.yaml``: the districts of a city, read and checked in one place.

::

    name: 济南市                       # the city (report titles)
    pool: duban                        # the Prefect work pool (default duban)
    home: /srv/duban/data              # data directories on the workers (default: ./data beside city.yaml)
    env:                               # environment of every run (no secrets): SMTP server, limits ...
      DUBAN_SMTP_HOST: smtp.jinan.gov.cn
    districts:
      - name: 历下区
        campaign: /srv/duban/campaigns/历下-2027     # campaign folder (default: the 2021 example)
        evidence: /mnt/share/历下区/信用示范创建        # the district's share, as the workers mount it
        coordinators: [xyb@lixia.gov.cn]            # the district's coordinator: digest and alerts
        queue: lixia                                # optional: pins runs to workers of this queue
        home: /srv/duban/data/历下区                 # optional: default <home>/<name>[/<campaign>]
        env: {DUBAN_SMTP_PORT: "25"}                # optional, over the city's env

A district may be listed several times with different campaigns (several task lists at
once): its deployments and data directories are then keyed by campaign too. Relative paths
are taken from the folder that holds city.yaml; every path must be the same on every worker.
Secrets (passwords, the database URL) never go here: each worker's own environment holds
them (``DUBAN_SMTP_PASSWORD``, ``DUBAN_DATABASE_URL``).

Every mistake is one :class:`CityError` naming the file, the entry (第 2 个区（历城区）) and
the fix, in Chinese. Each campaign folder is loaded and checked as ``duban catalog --check``
would (its mistakes name the district too).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from duban.home import HOME_ENV
from duban.settings import SettingsError, read_yaml
from duban.store import DISTRICT_ENV, Scope
from duban.tasks_catalog import Catalog, CatalogError, load_catalog
from duban.tasks_catalog.campaigns import CATALOG_ENV
from duban.tasks_catalog.models import _email as check_email

EVIDENCE_ENV = "DUBAN_EVIDENCE"
COORDINATORS_ENV = "DUBAN_COORDINATOR_EMAILS"
CITY_KEYS = {
    "name": "城市名称（报告标题）",
    "pool": "Prefect 工作池（默认 duban）",
    "home": "各区数据目录的上级文件夹（worker 上的路径）",
    "env": "每次运行的环境变量（不含密码）",
    "districts": "各区的列表",
}
DISTRICT_KEYS = {
    "name": "区名",
    "campaign": "督办活动（任务清单）文件夹",
    "evidence": "共享文件夹（佐证材料根目录）",
    "coordinators": "本区协调人邮箱",
    "queue": "工作队列（可选）",
    "home": "本区数据目录（可选）",
    "env": "本区的环境变量（可选）",
}
# what must never be written in a file: the worker's own environment holds it
SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN", "KEY", "DATABASE_URL", "AUTH")
FORBIDDEN_CHARS = set("/%&><\\")


class CityError(ValueError):
    """A mistake in city.yaml; ``str()`` is the whole message, in Chinese."""

    def __init__(self, file: Path | str, entry: str | None, problem: str, fix: str | None = None):
        self.file, self.entry, self.problem, self.fix = str(file), entry, problem, fix
        where = str(file) + (f"，{entry}" if entry else "")
        msg = f"城市文件有误：{where}：{problem}"
        if fix:
            msg += f"\n  怎么改：{fix}"
        super().__init__(msg)


@dataclass(frozen=True)
class District:
    """One district's campaign, as the city runs it."""

    name: str
    campaign: Path | None  # None: the 2021 example shipped with duban
    evidence: str
    coordinators: tuple[str, ...]
    queue: str | None
    home: Path
    env: dict[str, str]
    catalog: Catalog = field(repr=False, compare=False)
    keyed: bool = False  # several campaigns in this district: names carry the campaign

    @property
    def campaign_key(self) -> str:
        return self.catalog.campaign.key

    @property
    def label(self) -> str:
        """How reports and messages name it: 历下区, or 历下区 · <campaign> when keyed."""
        return f"{self.name} · {self.campaign_key}" if self.keyed else self.name

    @property
    def scope(self) -> Scope:
        """Its rows in the store (the district's name in the city, the campaign's key)."""
        return Scope(self.name, self.campaign_key)

    def deployment(self, flow: str) -> str:
        """``round-历下区`` (``round-历下区-<campaign>`` when keyed): the deployment's name."""
        from duban.flows.deployments import deployment_name

        return deployment_name(flow, self.name, self.campaign_key if self.keyed else None)

    def environment(self, city_env: dict[str, str] | None = None) -> dict[str, str]:
        """``job_variables.env`` of its deployments: the city's env, its own, and where it works."""
        out = {**(city_env or {}), **self.env}
        out[HOME_ENV] = str(self.home)
        out[EVIDENCE_ENV] = self.evidence
        out[DISTRICT_ENV] = self.name
        if self.campaign is not None:
            out[CATALOG_ENV] = str(self.campaign)
        if self.coordinators:
            out[COORDINATORS_ENV] = ",".join(self.coordinators)
        return out

    def to_param(self) -> dict[str, Any]:
        """What the ``city`` flow needs to run and read this district (its deployment parameter)."""
        return {
            "name": self.name,
            "label": self.label,
            "deployment": f"recheck/{self.deployment('recheck')}",
            "campaign": str(self.campaign) if self.campaign else None,
            "campaign_key": self.campaign_key,
            "home": str(self.home),
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class City:
    file: Path
    name: str
    pool: str
    home: Path
    env: dict[str, str]
    districts: list[District]

    @property
    def folder(self) -> Path:
        return self.file.parent


# ---------------------------------------------------------------- reading
def _entry(i: int, raw: Any) -> str:
    name = raw.get("name") if isinstance(raw, dict) else None
    return f"第 {i + 1} 个区" + (f"（{name}）" if isinstance(name, str) and name.strip() else "")


def _keys(data: dict, allowed: dict[str, str], file: Path, entry: str | None) -> None:
    for key in data:
        if key not in allowed:
            guess = difflib.get_close_matches(str(key), list(allowed), n=1, cutoff=0.5)
            raise CityError(
                file,
                entry,
                f"未知字段 '{key}'",
                (f"是不是 '{guess[0]}'？" if guess else "")
                + "可用字段："
                + "、".join(f"{k}（{v}）" for k, v in allowed.items()),
            )


def _text(value: Any, file: Path, entry: str | None, key: str, *, required: bool = True) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise CityError(
                file, entry, f"缺少 {key}（{DISTRICT_KEYS.get(key) or CITY_KEYS.get(key)}）", f"补上 {key}: …"
            )
        return None
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise CityError(file, entry, f"{key} 应当是一段文字，而不是 {type(value).__name__}", f"写成 {key}: 文字")
    return str(value).strip()


def _path(value: str, base: Path) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p).resolve()


def _env(value: Any, file: Path, entry: str | None) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CityError(
            file, entry, "env 应当是“变量名: 值”的映射", "在 env: 下一行缩进写 DUBAN_SMTP_HOST: smtp.example.gov.cn"
        )
    out = {}
    for k, v in value.items():
        name = str(k).strip()
        if not name.isidentifier() or name.upper() != name:
            raise CityError(file, entry, f"环境变量名 '{k}' 无效", "用大写字母、数字和下划线，如 DUBAN_SMTP_HOST")
        if any(w in name for w in SECRET_WORDS):
            raise CityError(
                file,
                entry,
                f"{name} 是密码或连接串，不能写在文件里（部署会把它显示在 Prefect 界面中）",
                f"在每台 worker 启动前设置环境变量 {name}，或用 keyring 保存",
            )
        if v is None or isinstance(v, (dict, list)):
            raise CityError(file, entry, f"环境变量 {name} 的值应当是一段文字", f'写成 {name}: "值"')
        out[name] = str(v)
    return out


def _coordinators(value: Any, file: Path, entry: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise CityError(file, entry, "coordinators 应当是邮箱列表", "写成 coordinators: [xyb@lixia.gov.cn]")
    out = []
    for e in items:
        try:
            out.append(check_email(str(e).strip()))
        except ValueError as err:
            raise CityError(file, entry, f"coordinators 中 {err}", "写成 name@example.gov.cn") from None
    return tuple(out)


def _name(value: Any, file: Path, entry: str) -> str:
    name = _text(value, file, entry, "name")
    assert name is not None
    bad = sorted(set(name) & FORBIDDEN_CHARS)
    if bad:
        raise CityError(file, entry, f"区名 '{name}' 含有不能用于部署名的字符 {' '.join(bad)}", "去掉这些字符")
    return name


def _catalog(folder: Path | None, file: Path, entry: str) -> Catalog:
    try:
        return load_catalog(folder)
    except (CatalogError, SettingsError) as e:
        raise CityError(
            file,
            entry,
            f"督办活动文件夹 {folder or '（随程序附带的示例）'} 无法使用：\n{e}",
            "改正该文件夹，或 campaign: 的路径",
        ) from None


def load_city(path: Path | str) -> City:
    """Read and check ``city.yaml``; every district's campaign is loaded too."""
    file = Path(path).expanduser().resolve()
    if not file.is_file():
        raise CityError(file, None, "文件不存在", "检查路径，或参照 README 的“一个城市”一节新建 city.yaml")
    try:
        data = read_yaml(file)
    except SettingsError as err:
        raise CityError(file, None, err.problem, err.fix) from None
    _keys(data, CITY_KEYS, file, None)
    base = file.parent
    city_name = _text(data.get("name"), file, None, "name", required=False) or base.name
    pool = _text(data.get("pool"), file, None, "pool", required=False) or "duban"
    home_text = _text(data.get("home"), file, None, "home", required=False)
    city_home = _path(home_text, base) if home_text else base / "data"
    city_env = _env(data.get("env"), file, "env")
    raw = data.get("districts")
    if not isinstance(raw, list) or not raw:
        raise CityError(
            file, None, "没有 districts（各区的列表）", "写 districts: 并在下面逐个列出各区（- name: 历下区 …）"
        )

    entries: list[dict[str, Any]] = []
    for i, item in enumerate(raw):
        entry = _entry(i, item)
        if not isinstance(item, dict):
            raise CityError(
                file, entry, "每个区应当是“字段: 值”的映射", "写成 - name: 历下区 并缩进写 campaign、evidence 等"
            )
        _keys(item, DISTRICT_KEYS, file, entry)
        name = _name(item.get("name"), file, entry)
        camp_text = _text(item.get("campaign"), file, entry, "campaign", required=False)
        campaign = _path(camp_text, base) if camp_text else None
        evidence = _text(item.get("evidence"), file, entry, "evidence")
        assert evidence is not None
        entries.append(
            {
                "entry": entry,
                "name": name,
                "campaign": campaign,
                "catalog": _catalog(campaign, file, entry),
                "evidence": str(_path(evidence, base)),
                "coordinators": _coordinators(item.get("coordinators"), file, entry),
                "queue": _text(item.get("queue"), file, entry, "queue", required=False),
                "home": _text(item.get("home"), file, entry, "home", required=False),
                "env": _env(item.get("env"), file, entry),
            }
        )

    districts = []
    campaigns: dict[str, list[str]] = {}
    for row in entries:
        campaigns.setdefault(row["name"], []).append(row["catalog"].campaign.key)
    for row in entries:
        keys = campaigns[row["name"]]
        if keys.count(row["catalog"].campaign.key) > 1:
            raise CityError(
                file,
                row["entry"],
                f"{row['name']} 的督办活动 {row['catalog'].campaign.key} 列了不止一次",
                "删去重复的一项；同一个区的多个督办活动要用不同的活动文件夹（campaign.yaml 的 id 不同）",
            )
        keyed = len(keys) > 1
        default_home = city_home / row["name"] / row["catalog"].campaign.key if keyed else city_home / row["name"]
        districts.append(
            District(
                name=row["name"],
                campaign=row["campaign"],
                evidence=row["evidence"],
                coordinators=row["coordinators"],
                queue=row["queue"],
                home=_path(row["home"], base) if row["home"] else default_home,
                env=row["env"],
                catalog=row["catalog"],
                keyed=keyed,
            )
        )
    homes: dict[Path, str] = {}
    for d in districts:
        if d.home in homes:
            raise CityError(
                file,
                d.label,
                f"数据目录 {d.home} 与 {homes[d.home]} 相同",
                "每个区（每个督办活动）要有自己的数据目录：改 home:，或删去让 duban 按区名生成",
            )
        homes[d.home] = d.label
    return City(file, city_name, pool, city_home, city_env, districts)

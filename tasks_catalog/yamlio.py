"""How the catalog's YAML is read and written.

Read with :class:`DatesAsText`: a SafeLoader that leaves dates as text, so pydantic (or the
reader of calendar.yaml) parses them and a date that does not exist (2021-06-31) becomes a
message naming the field, not a traceback from YAML. It is libyaml's ``CSafeLoader`` where
PyYAML was built with it (parsing the 2021 list: ~7 ms instead of ~54 ms), the pure-Python
SafeLoader elsewhere — the same documents, the same errors with their line numbers. Written with :func:`dump`: block
style, Chinese as is, keys in the order given, multi-line text as ``|`` blocks.
"""

from __future__ import annotations

from typing import Any

import yaml

_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DatesAsText(_SafeLoader):  # type: ignore[valid-type,misc]
    pass


DatesAsText.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in _SafeLoader.yaml_implicit_resolvers.items()
}


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _str)


def load(text: str) -> Any:
    return yaml.load(text, Loader=DatesAsText)  # noqa: S506 (a SafeLoader)


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=4096)

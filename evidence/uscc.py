"""统一社会信用代码 (unified social credit code, GB 32100-2015): check character.

18 characters: registration authority (1), organisation category (1), administrative
division (6 digits), organisation code (9, GB 11714), check character (1). The character
set has 31 symbols — digits and capitals without I, O, S, V, Z — and the check character
is ``31 - (sum(value_i * 3^i mod 31) mod 31)``.
"""

from __future__ import annotations

import random
import unicodedata
from operator import mul

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(CHARSET)}
_CHARS = frozenset(CHARSET)
_WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]  # GB 11714 organisation code


def normalize_uscc(code: object) -> str:
    """Full-width to half-width, spaces removed, upper case (as clerks paste codes)."""
    if code is None:
        return ""
    s = unicodedata.normalize("NFKC", str(code))
    return "".join(s.split()).upper()


def check_char(first17: str) -> str:
    """The 18th character for 17 valid characters."""
    total = sum(map(mul, map(_VALUE.__getitem__, first17), _WEIGHTS))
    return CHARSET[(31 - total % 31) % 31]


def uscc_problem(code: object) -> str | None:
    """None when ``code`` is a valid code, else what is wrong, in Chinese."""
    return normalized_problem(normalize_uscc(code))


def normalized_problem(s: str) -> str | None:
    """``uscc_problem`` of a code already passed through ``normalize_uscc`` (a ledger's every row)."""
    if len(s) == 18 and _CHARS.issuperset(s) and s[2:8].isdigit() and s[17] == check_char(s[:17]):
        return None  # the common case, checked once
    if not s:
        return "未填写"
    if len(s) != 18:
        return f"长度应为 18 位（实为 {len(s)} 位）"
    bad = sorted({c for c in s if c not in _VALUE})
    if bad:
        return f"含无效字符 {'、'.join(bad)}（统一社会信用代码不使用 I、O、S、V、Z 及符号）"
    if not s[2:8].isdigit():
        return "第 3-8 位应为行政区划代码（数字）"
    want = check_char(s[:17])
    if s[17] != want:
        return f"校验位错误（末位应为 {want}）"
    return None


def valid_uscc(code: object) -> bool:
    return uscc_problem(code) is None


def _org_code(rng: random.Random) -> str:
    body = "".join(rng.choice("0123456789") for _ in range(8))
    c = 11 - sum(int(ch) * w for ch, w in zip(body, _ORG_WEIGHTS)) % 11
    return body + ("X" if c == 10 else "0" if c == 11 else str(c))


def make_uscc(seed: int) -> str:
    """A valid, realistic-looking code (企业, 济南市历下区 area), the same for the same seed."""
    rng = random.Random(f"uscc-{seed}")
    head = "91" if rng.random() < 0.9 else rng.choice(["92", "93", "12", "52"])
    area = rng.choice(["370102", "370103", "370104", "370105", "370112"])
    first17 = head + area + _org_code(rng)
    return first17 + check_char(first17)


def break_uscc(code: str) -> str:
    """The same code with a wrong check character (for samples and tests)."""
    want = code[17]
    wrong = CHARSET[(_VALUE[want] + 1) % 31]
    return code[:17] + wrong

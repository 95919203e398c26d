"""统一社会信用代码 check character (GB 32100-2015)."""

import pytest

from duban.evidence.uscc import CHARSET, break_uscc, check_char, make_uscc, normalize_uscc, uscc_problem, valid_uscc

# codes of real, well-known companies (public registration data)
REAL = ["91350100M000100Y43", "91440300708461136T", "9144030071526726XG", "91110108551385082Q"]


@pytest.mark.parametrize("code", REAL)
def test_real_codes_are_valid(code):
    assert valid_uscc(code)
    assert uscc_problem(code) is None


def test_full_width_spaces_and_lower_case_are_normalised():
    assert normalize_uscc(" ９１３５０１００ｍ０００１００ｙ４３ ") == "91350100M000100Y43"
    assert valid_uscc("9135 0100 m000 100y 43")


def test_every_wrong_check_character_is_caught():
    code = REAL[0]
    for c in CHARSET:
        if c != code[17]:
            assert not valid_uscc(code[:17] + c)
    assert uscc_problem(code[:17] + "0") == "校验位错误（末位应为 3）"


@pytest.mark.parametrize(
    "code, problem",
    [
        ("", "未填写"),
        (None, "未填写"),
        ("91350100M000100Y4", "长度应为 18 位（实为 17 位）"),
        ("91350100M000100Y433", "长度应为 18 位（实为 19 位）"),
        ("9135010OM000100Y43", "含无效字符 O（统一社会信用代码不使用 I、O、S、V、Z 及符号）"),
        ("91A50100M000100Y43", "第 3-8 位应为行政区划代码（数字）"),
    ],
)
def test_problems_are_named_in_chinese(code, problem):
    assert uscc_problem(code) == problem


def test_make_uscc_is_valid_deterministic_and_varied():
    codes = [make_uscc(i) for i in range(2000)]
    assert all(valid_uscc(c) for c in codes)
    assert len(set(codes)) == 2000
    assert make_uscc(42) == make_uscc(42)
    assert all(len(c) == 18 and c[2:8].isdigit() for c in codes)


def test_break_uscc_gives_a_wrong_check_character():
    for i in range(100):
        good = make_uscc(i)
        bad = break_uscc(good)
        assert bad[:17] == good[:17] and not valid_uscc(bad)
        assert uscc_problem(bad) == f"校验位错误（末位应为 {check_char(good[:17])}）"

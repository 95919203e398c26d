"""sniff(): the real kind from the content, never from the extension."""

import statistics
import time
import zipfile

import pytest
from helpers_xls import make_doc, make_encrypted_xls, make_ledger_xls

from duban.evidence.sniff import KINDS, sniff, sniff_detail
from duban.testing import samples as S


def _zip_archive(p):
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("台账/说明.txt", "压缩包里的文件")
    return p


def _png(p):
    return S.make_disguised(p, "png")


# (file name, maker, expected kind)
CASES = [
    ("a.pdf", lambda p, templates: S.make_pdf(p, 2), "pdf"),
    ("a.docx", lambda p, templates: S.make_docx(p, ["正文"]), "docx"),
    ("a.doc", lambda p, templates: make_doc(p), "doc"),
    ("a.wps", lambda p, templates: make_doc(p), "wps"),  # WPS 文字, binary (OLE)
    ("b.wps", lambda p, templates: S.make_docx(p, ["正文"]), "wps"),  # WPS 文字 saved as docx
    ("a.xlsx", lambda p, templates: S.make_ledger_xlsx(p, templates["附件8"], 3), "xlsx"),
    ("a.xls", lambda p, templates: make_ledger_xls(p, templates["附件8"], 3), "xls"),
    ("a.et", lambda p, templates: make_ledger_xls(p, templates["附件8"], 3), "et"),  # WPS 表格, binary (OLE)
    ("b.et", lambda p, templates: S.make_ledger_xlsx(p, templates["附件8"], 3), "et"),  # WPS 表格 saved as xlsx
    ("a.ods", lambda p, templates: S.make_ods(p, {"S": [["a", 1]]}), "ods"),
    ("a.csv", lambda p, templates: S.make_disguised(p, "csv"), "csv"),
    ("a.txt", lambda p, templates: S.make_txt_links(p, ["http://a.cn"]), "txt"),
    ("gbk.txt", lambda p, templates: S.make_txt_links(p, ["http://a.cn"], encoding="gb18030"), "txt"),
    ("utf16.txt", lambda p, templates: S.make_txt_links(p, ["http://a.cn"], encoding="utf-16"), "txt"),
    ("a.url", lambda p, templates: S.make_url_shortcut(p, "https://www.creditchina.gov.cn/"), "txt"),
    ("a.html", lambda p, templates: S.make_html_as_xls(p), "html"),
    ("a.png", lambda p, templates: _png(p), "image"),
    ("a.zip", lambda p, templates: _zip_archive(p), "zip"),
    ("a.bin", lambda p, templates: p.write_bytes(bytes(range(256)) * 8) or p, "unknown"),
    ("a.xlsx.empty", lambda p, templates: S.make_empty(p), "empty"),
    ("enc.xlsx", lambda p, templates: S.make_encrypted_xlsx(p), "encrypted-office"),
    ("enc.xls", lambda p, templates: make_encrypted_xls(p), "encrypted-office"),
    ("enc.doc", lambda p, templates: make_doc(p, encrypted=True), "encrypted-office"),
    # disguised: the content wins over the name
    ("pdf.xlsx", lambda p, templates: S.make_disguised(p, "pdf"), "pdf"),
    ("csv.xlsx", lambda p, templates: S.make_disguised(p, "csv"), "csv"),
    ("text.xlsx", lambda p, templates: S.make_disguised(p, "txt"), "txt"),
    ("html.xls", lambda p, templates: S.make_html_as_xls(p), "html"),
    ("docx.pdf", lambda p, templates: S.make_disguised(p, "docx"), "docx"),
    ("xls.xlsx", lambda p, templates: make_ledger_xls(p, templates["附件8"], 3), "xls"),
    ("png.docx", lambda p, templates: _png(p), "image"),
    ("truncated.xlsx", lambda p, templates: S.make_corrupt(p), "xlsx"),  # no central directory: local headers say xl/
    ("truncated.pdf", lambda p, templates: S.make_corrupt(p), "pdf"),
]


@pytest.mark.parametrize("name, make, kind", CASES, ids=[c[0] for c in CASES])
def test_kind_from_content(tmp_path, templates, name, make, kind):
    p = tmp_path / name
    make(p, templates)
    assert sniff(p) == kind
    assert kind in KINDS


def test_every_kind_is_covered():
    assert {c[2] for c in CASES} == set(KINDS)


def test_containers_are_reported(tmp_path, templates):
    assert sniff_detail(S.make_ledger_xlsx(tmp_path / "a.xlsx", templates["附件8"], 2)).container == "zip"
    assert sniff_detail(make_ledger_xls(tmp_path / "a.xls", templates["附件8"], 2)).container == "ole"
    assert sniff_detail(S.make_html_as_xls(tmp_path / "h.xls")).container is None


def test_missing_file_is_unknown(tmp_path):
    assert sniff(tmp_path / "nope.xlsx") == "unknown"


def test_fast_and_bounded_on_big_files(tmp_path, templates):
    """Under 2 ms for ordinary files, and a 2 GB (sparse) file is not read whole."""
    files = [
        S.make_ledger_xlsx(tmp_path / "l.xlsx", templates["附件8"], 200),
        S.make_pdf(tmp_path / "a.pdf", 5),
        make_ledger_xls(tmp_path / "l.xls", templates["附件8"], 200),
        S.make_docx(tmp_path / "a.docx", ["x"] * 50),
        S.make_txt_links(tmp_path / "a.txt", ["http://a.cn"] * 100),
    ]
    big = tmp_path / "big.pdf"
    with open(big, "wb") as f:
        f.write(b"%PDF-1.4\n")
        f.truncate(2 * 1024**3)
    files.append(big)
    for p in files:
        sniff(p)  # warm
        times = []
        for _ in range(15):
            t = time.perf_counter()
            sniff(p)
            times.append(time.perf_counter() - t)
        assert statistics.median(times) < 0.002, (p.name, statistics.median(times))

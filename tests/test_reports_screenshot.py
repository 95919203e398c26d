"""The HTML report renders in headless Chromium with no request leaving the machine
(runs when Chromium is installed; `scripts/screenshot_report.py` installs it and keeps the shots)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import shutil
from pathlib import Path

import pytest

from duban.home import Home
from duban.reports import write_report
from duban.tasks_catalog import load_catalog
from duban.testing.report_sample import sample_result

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "screenshot_report.py"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (shutil.which("chromium") or shutil.which("chromium-browser")),
        reason="Chromium not installed (make test installs Debian's chromium)",
    ),
]


@pytest.fixture(scope="module")
def shot():
    spec = importlib.util.spec_from_file_location("screenshot_report", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_report_renders_at_phone_width_without_any_request(shot, tmp_path):
    catalog = load_catalog()
    paths = write_report(
        catalog, sample_result(catalog, "2021-06-20"), Home.resolve(tmp_path / "home"), round_date=dt.date(2021, 6, 20)
    )
    chromium = shot.find_chromium()
    png = tmp_path / "phone.png"
    net = shot.shoot(chromium, paths.html, png, (390, 844), shot.isolation())
    assert png.stat().st_size > 20_000  # a rendered page, not a blank one
    assert net["page"] == [] and net["connected"] == []

    # the check can see a request when there is one
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><img src="http://example.invalid/pixel.png">', encoding="utf-8")
    net = shot.shoot(chromium, bad, tmp_path / "bad.png", (200, 200), shot.isolation())
    assert any("example.invalid" in u for u in net["page"])

#!/usr/bin/env python3
"""Screenshots of the desk for the README: the overview and a unit page, at desktop and
phone width (``make screenshots``).

    .venv/bin/python scripts/screenshot_desk.py [--out docs/screenshots]

It builds the demo share in a scratch folder, checks it as of 2021-06-21 09:00, records a
waiver and an extension, starts the desk on a loopback port and drives Debian's headless
Chromium (selenium + chromium-driver) through the login to each page.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from duban.home import Home  # noqa: E402
from duban.tasks_catalog import load_catalog  # noqa: E402
from duban.testing.desk import (  # noqa: E402
    DESK_NOW,
    chromium,
    chromium_missing,
    demo_home,
    full_page_png,
    login,
    running_desk,
)

SHOTS = {"desktop": 1280, "phone": 400}
UNIT = "区工信局"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    why = chromium_missing()
    if why:
        print(f"cannot take screenshots: {why}", file=sys.stderr)
        return 2
    catalog = load_catalog()
    with tempfile.TemporaryDirectory(prefix="duban-desk-shots-") as tmp:
        home = Home.resolve(Path(tmp) / "home")
        demo_home(catalog, home, Path(tmp) / "share")
        with running_desk(catalog, home, now=DESK_NOW) as url:
            for name, width in SHOTS.items():
                with chromium(width=width) as browser:
                    login(browser, url)
                    browser.get(url + "/")
                    print(full_page_png(browser, args.out / f"desk-overview-{name}.png", width))
                    browser.get(f"{url}/unit/{quote(UNIT)}")
                    print(full_page_png(browser, args.out / f"desk-unit-{name}.png", width))
    return 0


if __name__ == "__main__":
    sys.exit(main())

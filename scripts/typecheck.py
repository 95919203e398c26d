"""Type-check the installed shape of duban: one package, ``duban``, whose stages live in the
repository's top-level folders (``[tool.setuptools.package-dir]`` in pyproject.toml).

mypy cannot follow setuptools' editable-install import hook, so this builds the package as
it installs — ``build/typecheck/duban`` with links to the real folders — runs mypy on it and
prints every error with the repository path of the file. Exit status is mypy's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TREE = REPO / "build" / "typecheck"


def build_tree() -> Path:
    mapping = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-dir"]
    shutil.rmtree(TREE, ignore_errors=True)
    pkg = TREE / "duban"
    pkg.mkdir(parents=True)
    sub = {name.split(".", 1)[1]: REPO / folder for name, folder in mapping.items() if "." in name}
    for entry in (REPO / mapping["duban"]).iterdir():
        if entry.name != "__pycache__" and entry.name not in sub:
            os.symlink(entry, pkg / entry.name)
    for name, folder in sub.items():
        os.symlink(folder, pkg / name)
    return pkg


def main() -> int:
    pkg = build_tree()
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml"), str(pkg)],
        cwd=TREE,
        capture_output=True,
        text=True,
    )
    prefix = re.compile(r"^(duban/[^:]+)(:.*)$")
    for line in (proc.stdout + proc.stderr).splitlines():
        m = prefix.match(line)
        if m:
            real = Path(os.path.realpath(TREE / m.group(1)))
            try:
                line = f"{real.relative_to(REPO)}{m.group(2)}"
            except ValueError:
                pass
        print(line)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())

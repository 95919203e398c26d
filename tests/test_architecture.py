"""The shape of the package: one import name, data flowing one way, no Prefect in the core,
test data generators kept out of the product.

Stages, bottom to top (DESIGN.md, "The data flow"):

    vocabulary (results, statuses, time, settings, home, store, access)
      -> catalog -> evidence -> check -> notify | report -> flows | watch -> desk | city -> cli

A module may import its own stage and the stages below it; ``notify`` and ``report`` sit
side by side and never import each other. Imports inside functions count too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE_DIRS = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-dir"]

# module prefix -> (rank, stage name); the longest matching prefix decides
STAGES: dict[str, tuple[int, str]] = {
    "duban": (0, "vocabulary"),
    "duban.tasks_catalog": (1, "catalog"),
    "duban.evidence": (2, "evidence"),
    "duban.check": (3, "check"),
    "duban.notifications": (4, "notify"),
    "duban.reports": (4, "report"),
    "duban.prefect_env": (5, "flows"),
    "duban.flows": (5, "flows"),
    "duban.watch": (5, "watch"),  # the share watcher: emits Prefect events, beside the flows
    "duban.desk": (6, "desk"),  # the web desk: above the flows, below the CLI
    "duban.city": (6, "city"),  # many districts on one server: deploys and runs the flows, rolls them up
    "duban.flows.city": (6, "city"),  # the city flow lives with the flows but is the city's
    "duban.cli": (7, "cli"),
    "duban.__main__": (7, "cli"),
    "duban.testing": (8, "testing"),
}
# the only product modules allowed to import duban.testing
TESTING_USERS = {"duban.cli.demo"}


def stage_of(module: str) -> tuple[int, str]:
    best = max((p for p in STAGES if module == p or module.startswith(p + ".")), key=len)
    return STAGES[best]


def package_files() -> dict[str, Path]:
    """Every module of the installed package, by its import name (as pyproject maps it)."""
    out: dict[str, Path] = {}
    for name, folder in sorted(PACKAGE_DIRS.items(), key=lambda kv: len(kv[0])):
        base = REPO / folder
        for path in base.rglob("*.py"):
            rel = path.relative_to(base).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            mod = ".".join([name, *parts])
            if name == "duban" and parts and f"duban.{parts[0]}" in PACKAGE_DIRS:
                continue  # a mapped stage owns it
            out[mod] = path
    return out


def imports_of(module: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found |= {f"{target}.{a.name}" for a in node.names}  # `from duban import x` names a module
    return found


MODULES = package_files()


def test_every_package_folder_is_listed_for_installation():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    packages = {m for m, p in MODULES.items() if p.name == "__init__.py"}
    assert packages == listed, f"pyproject [tool.setuptools] packages is missing {packages - listed}"


def test_no_stage_imports_a_stage_after_it():
    back_edges = []
    for module, path in MODULES.items():
        rank, stage = stage_of(module)
        for target in imports_of(module, path):
            if target.split(".")[0] in {"tasks_catalog", "evidence", "notifications", "reports", "flows"}:
                back_edges.append(f"{module} imports '{target}': use duban.{target}")
                continue
            if not target.startswith("duban") or target not in MODULES and target.rsplit(".", 1)[0] not in MODULES:
                continue
            t_rank, t_stage = stage_of(target)
            if t_stage == "testing":
                if stage != "testing" and module not in TESTING_USERS:
                    back_edges.append(f"{module} ({stage}) imports test data generators {target}")
            elif t_rank > rank or (t_rank == rank and t_stage != stage):
                back_edges.append(f"{module} ({stage}) imports {target} ({t_stage})")
    assert not back_edges, "imports against the data flow:\n" + "\n".join(sorted(set(back_edges)))


def test_the_back_edge_check_sees_function_level_and_relative_imports(tmp_path):
    mod = tmp_path / "x.py"
    mod.write_text("def f():\n    from duban.reports import view\n    from ..check import rules\n", encoding="utf-8")
    found = imports_of("duban.notifications.plan", mod)
    assert "duban.reports.view" in found and "duban.check.rules" in found
    assert stage_of("duban.reports.view")[0] == stage_of("duban.notifications.plan")[0]


CORE_WITHOUT_PREFECT = r"""
import importlib, pkgutil, sys
import duban.cli, duban.cli.check, duban.cli.schedule, duban.flows.deployments, duban.prefect_env
for pkg in ("duban.check", "duban.tasks_catalog", "duban.evidence", "duban.notifications", "duban.reports",
            "duban.testing"):
    mod = importlib.import_module(pkg)
    for info in pkgutil.walk_packages(mod.__path__, pkg + "."):
        importlib.import_module(info.name)
bad = sorted(m for m in sys.modules if m == "prefect" or m.startswith("prefect."))
print("PREFECT:" + ",".join(bad[:5]))
"""


def test_library_core_does_not_import_prefect(tmp_path):
    """The check, evidence, notifications and reports stay fast and testable without Prefect."""
    r = subprocess.run(
        [sys.executable, "-c", CORE_WITHOUT_PREFECT], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith("PREFECT:"), r.stdout


@pytest.mark.prefect
def test_the_wheel_installs_one_name_and_the_demo_runs_from_it(tmp_path):
    """``pip install .`` puts one top-level name, ``duban``, into site-packages, with every data
    file; the demo runs from that install in an empty folder (nothing read from the checkout)."""
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("duban-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {
        "duban",
        wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info",
    }
    for data in (
        "duban/tasks_catalog/tasks/D20.yaml",
        "duban/tasks_catalog/source/seed.txt",
        "duban/notifications/templates/overdue.html.j2",
        "duban/notifications/policy.yaml",
        "duban/reports/settings.yaml",
        "duban/reports/templates/report.html.j2",
    ):
        assert data in names
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(target), "HOME": str(tmp_path)}
    code = "import duban.flows.round, sys; print(duban.flows.round.__file__)"
    where = subprocess.run([sys.executable, "-c", code], cwd=empty, env=env, capture_output=True, text=True)
    assert where.stdout.startswith(str(target)), where.stderr
    demo = subprocess.run(
        [sys.executable, "-m", "duban", "demo", "--quick"],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert (empty / "var" / "demo" / "reports" / "index.html").is_file()
    assert not (target / "duban" / "prefect.yaml").exists()

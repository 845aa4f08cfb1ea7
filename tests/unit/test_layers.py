"""The layer rule: model/, storage/ and ui_adapters/ never pull in each other's heavy stacks.

Each package (and every module in it) is imported in a fresh interpreter; we then look at which
top-level modules got loaded.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN = {
    "model": {"storage", "ui_adapters", "flows", "prefect", "sqlmodel", "sqlalchemy", "minio",
              "label_studio_sdk", "mlflow", "psycopg"},
    "storage": {"torch", "model", "ui_adapters", "flows", "prefect", "label_studio_sdk", "mlflow"},
    "ui_adapters": {"torch", "model", "storage", "flows", "prefect", "mlflow"},
}

PROBE = """
import importlib, json, pkgutil, sys
pkg = sys.argv[1]
mod = importlib.import_module(pkg)
names = [pkg] + [m.name for m in pkgutil.walk_packages(mod.__path__, pkg + ".")
                 if ".tests" not in m.name and not m.name.endswith("__main__")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"modules": sorted({m.split(".")[0] for m in sys.modules}), "imported": names}))
"""


def _loaded_top_level(package: str) -> tuple[set[str], list[str]]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, package], cwd=ROOT, capture_output=True, text=True, check=True
    )
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return set(data["modules"]), data["imported"]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_imports_nothing_forbidden(package: str) -> None:
    loaded, imported = _loaded_top_level(package)
    assert imported and imported[0] == package
    leaked = FORBIDDEN[package] & loaded
    assert not leaked, f"importing {package} (all of its modules) loaded {sorted(leaked)}"


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_init_has_no_side_effects(package: str) -> None:
    """Importing the bare package loads nothing heavy at all (empty __init__)."""
    out = subprocess.run(
        [sys.executable, "-c", f"import sys, {package}; print(len([m for m in sys.modules if m.split('.')[0] in ('torch','numpy','sqlalchemy','minio','pandas')]))"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    assert out.stdout.strip() == "0"


def test_walk_finds_every_module() -> None:
    """Sanity: the probe really walks sub-packages (guards against a vacuous pass)."""
    import flows

    names = [m.name for m in pkgutil.walk_packages(flows.__path__, "flows.")]
    assert "flows.cli.main" in names


# Inside flows/: one way down. A module may import flows modules of its own sub-package, of a
# lower rank, or the flat helpers at the flows/ root; the root helpers import no sub-package.
FLOWS_RANK = {"": 0, "stack": 1, "orchestration": 1, "cycle": 2, "report": 3, "programs": 4,
              "api": 5, "cli": 6}


def _flows_imports() -> list[tuple[str, str, int]]:
    """(importing file, imported flows module, line) for every ``flows.*`` import in flows/."""
    import ast

    found = []
    for path in sorted((ROOT / "flows").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([node.module] if isinstance(node, ast.ImportFrom) and node.module else
                     [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            found += [(str(path.relative_to(ROOT)), n, node.lineno) for n in names if n.startswith("flows.")]
    return found


def _sub_package(module_path: str) -> str:
    """'flows/cycle/x.py' or 'flows.cycle.x' -> 'cycle'; a flows/ root module -> ''."""
    parts = module_path.removesuffix(".py").replace("/", ".").split(".")
    return parts[1] if len(parts) > 2 and (ROOT / "flows" / parts[1]).is_dir() else ""


def test_flows_sub_packages_import_one_way() -> None:
    imports = _flows_imports()
    assert len(imports) > 100  # the walk really sees flows/ (guards against a vacuous pass)
    assert set(FLOWS_RANK) - {""} == {p.name for p in (ROOT / "flows").iterdir()
                                       if p.is_dir() and (p / "__init__.py").exists()}
    wrong = []
    for source, target, line in imports:
        src, tgt = _sub_package(source), _sub_package(target)
        if src != tgt and tgt and FLOWS_RANK[tgt] >= FLOWS_RANK[src]:
            wrong.append(f"{source}:{line} imports {target} ({src or 'root'} -> {tgt})")
    assert not wrong, "flows/ imports against its direction:\n" + "\n".join(wrong)

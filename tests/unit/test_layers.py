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

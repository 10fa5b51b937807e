"""environment.yml (conda) and requirements*.txt (pip) must list the same packages."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions

import nbformat
import yaml

from bench.paths import REPO

# conda-forge packages with no pip counterpart: system tools, not Python packages.
CONDA_ONLY = {"python", "pip", "nginx", "redis-server", "wrk"}
OWN_PACKAGES = {"bench", "course", "sample_app", "conftest", "jupyter_lab", "__future__"}


def _requirements() -> dict[str, str]:
    specs = {}
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (REPO / name).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line:
                match = re.match(r"([A-Za-z0-9_.\-]+)(.*)", line)
                assert match, line
                specs[match.group(1).lower()] = match.group(2).replace(" ", "")
    return specs


def _conda() -> dict[str, str]:
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    specs = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):  # a pip: section
            for line in dep.get("pip", []):
                match = re.match(r"([A-Za-z0-9_.\-]+)(.*)", line)
                specs[match.group(1).lower()] = match.group(2).replace(" ", "")
            continue
        match = re.match(r"([A-Za-z0-9_.\-]+)(.*)", dep)
        specs[match.group(1).lower()] = match.group(2).replace(" ", "")
    return specs


def test_conda_environment_lists_every_requirement_with_the_same_bounds() -> None:
    pip, conda = _requirements(), _conda()
    assert {k: v for k, v in conda.items() if k not in CONDA_ONLY} == pip


def test_environment_uses_conda_forge() -> None:
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]


def _imported_packages() -> set[str]:
    """Top-level modules imported by the course's code, tests, labs and notebooks, outside the standard library."""
    found: set[str] = set()
    sources = [p.read_text() for p in REPO.glob("**/*.py") if ".venv" not in p.parts and "mine" not in p.parts]
    for notebook in REPO.glob("notebooks/*.ipynb"):
        cells = nbformat.read(notebook, as_version=4).cells
        sources += ["\n".join(line for line in c.source.splitlines() if not line.startswith(("%", "!")))
                    for c in cells if c.cell_type == "code"]
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {name for name in found if name not in sys.stdlib_module_names} - OWN_PACKAGES


def test_every_imported_package_is_declared() -> None:
    distributions = packages_distributions()
    declared = set(_requirements())
    undeclared = {name: distributions.get(name) for name in _imported_packages()
                  if not {d.lower() for d in distributions.get(name, [name])} & declared}
    assert not undeclared, f"imported but not in requirements*.txt: {undeclared}"

"""environment.yml (conda) and requirements*.txt (pip) must list the same packages."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions

import nbformat
import yaml

from bench.core.paths import REPO

# conda-forge packages with no pip counterpart: system tools, not Python packages.
CONDA_ONLY = {"python", "pip", "nginx", "redis-server"}
PLATFORMS = {"linux-64", "osx-64", "osx-arm64"}  # Linux and WSL, Intel Macs, Apple Silicon
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


def _conda_section() -> list[str]:
    """The names environment.yml takes from conda (not its pip: section)."""
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    return [re.match(r"[A-Za-z0-9_.\-]+", dep).group(0).lower() for dep in env["dependencies"] if isinstance(dep, str)]


def _conda_forge_platforms() -> dict[str, set[str]]:
    """tests/data/conda-forge.tsv: the platforms conda-forge builds each package for (noarch: all of them)."""
    rows = [line.split("\t") for line in (REPO / "tests" / "data" / "conda-forge.tsv").read_text().splitlines()
            if line and not line.startswith("#")]
    return {name: PLATFORMS if where == "noarch" else set(where.split()) for name, where, _ in rows[1:]}


def test_every_conda_package_is_built_for_linux_and_both_macs() -> None:
    """A package conda-forge lacks for one platform makes the whole environment unsolvable there."""
    known = _conda_forge_platforms()
    unlisted = [name for name in _conda_section() if name not in known]
    assert not unlisted, f"add these to tests/data/conda-forge.tsv with their platforms and source: {unlisted}"
    short = {name: sorted(PLATFORMS - known[name]) for name in _conda_section() if PLATFORMS - known[name]}
    assert not short, f"move these to the pip: section (conda-forge lacks these platforms): {short}"


def test_the_list_catches_a_package_conda_forge_lacks() -> None:
    known = _conda_forge_platforms()
    assert PLATFORMS - known["wrk"] == {"osx-64", "osx-arm64"} and "flask-sock" not in known
    assert "wrk" not in _conda_section() and "flask-sock" not in _conda_section()


def test_environment_uses_conda_forge() -> None:
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]


def _imported_packages() -> set[str]:
    """Top-level modules imported by the course's code, tests, labs and notebooks, outside the standard library."""
    found: set[str] = set()
    sources = [p.read_text() for p in REPO.glob("**/*.py")  # not hidden folders: .venv, .cache (npm's packages)
               if not any(part.startswith(".") for part in p.relative_to(REPO).parts) and "mine" not in p.parts]
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

"""environment.yml (conda) and requirements*.txt (pip) must list the same packages."""

from __future__ import annotations

import re

import yaml

from bench.paths import REPO

# conda-forge packages with no pip counterpart: system tools, not Python packages.
CONDA_ONLY = {"python", "pip", "nginx", "redis-server", "wrk"}


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

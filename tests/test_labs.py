"""Every lab's check passes on its solution and fails on its starter."""

from __future__ import annotations

import pytest

from course import needs, stages
from course.labs import LABS, run_check

LAB_NUMBERS = stages.labs()  # course/stages.py; tests/test_stage_registry.py holds the folders to it


def _skip_without_what_it_needs(lab: str) -> None:
    text = (LABS / lab / "check.py").read_text()
    for what in needs.CHECKS:
        if f'NEEDS = "{what}"' in text and needs.missing(what):
            pytest.skip(f"lab {lab} needs {what}: {needs.missing(what)}")


@pytest.mark.parametrize("lab", LAB_NUMBERS)
def test_solution_passes(lab: str) -> None:
    _skip_without_what_it_needs(lab)
    results = run_check(lab, LABS / lab / "solution")
    assert results and all(r.ok for r in results) and any(r.passed for r in results), "\n".join(map(str, results))


@pytest.mark.parametrize("lab", LAB_NUMBERS)
def test_starter_fails(lab: str) -> None:
    _skip_without_what_it_needs(lab)
    results = run_check(lab, LABS / lab / "starter")
    assert results and not all(r.ok for r in results), "\n".join(map(str, results))


def test_every_lab_has_its_parts() -> None:
    assert LAB_NUMBERS, "no labs found"
    for lab in LAB_NUMBERS:
        folder = LABS / lab
        assert (folder / "README.md").exists() and (folder / "starter").is_dir() and (folder / "solution").is_dir()


def test_lab_08_fails_a_config_that_leaves_streams_unlimited(tmp_path) -> None:
    """The solution with its limit_conn lines taken out: everything works, and one client can hold any number."""
    solution = (LABS / "08" / "solution" / "nginx.conf").read_text()
    unlimited = "\n".join(line for line in solution.splitlines() if "limit_conn" not in line)
    (tmp_path / "nginx.conf").write_text(unlimited + "\n")
    results = {r.requirement: r for r in run_check("08", tmp_path)}
    failed = [name for name, r in results.items() if not r.ok]
    assert len(failed) == 1 and "refused" in failed[0], "\n".join(map(str, results.values()))

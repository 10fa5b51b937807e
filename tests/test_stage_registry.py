"""The stage registry (course/stages.py) is the one list of stages: the notebooks, the labs, the tools table,
the README, the labs' README and the instructor guide all agree with it."""

from __future__ import annotations

import json
import os
import re
from itertools import takewhile
from pathlib import Path

import nbformat
import pytest

from bench.core.paths import REPO
from bench.host import env
from course import full_run, stages
from course.stages import LABS, NOTEBOOKS, STAGES


def _table_rows(markdown: str, heading: str) -> list[str]:
    """The body rows of the first table under `heading` (past its header and --- lines)."""
    lines = markdown.split(heading, 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    return list(takewhile(lambda line: line.startswith("|"), lines[start:]))[2:]


def test_every_notebook_and_lab_folder_is_a_stage() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("[0-9]*.ipynb")) == [s.notebook for s in STAGES]
    assert sorted(p.name for p in LABS.iterdir() if p.is_dir() and re.fullmatch(r"\d\d[a-z]?", p.name)) == stages.labs()
    assert [s.number for s in STAGES] == sorted(s.number for s in STAGES)
    for stage in STAGES:
        assert stage.notebook.startswith(stage.number + "_")
        assert stage.lab in (None, stage.number)


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.number)
def test_the_notebook_opens_with_its_stage_title(stage: stages.Stage) -> None:
    first = nbformat.read(NOTEBOOKS / stage.notebook, as_version=4).cells[0].source.splitlines()[0]
    assert first.startswith(f"# {stage.number} · {stage.title}"), first


def test_every_tool_a_stage_needs_is_one_the_bench_knows() -> None:
    named = {tool for stage in STAGES for tool in stage.tools} | set(stages.TEST_TOOLS)
    assert named <= set(env.TOOLS), sorted(named - set(env.TOOLS))
    assert set(env.TOOLS) <= named, f"needed by no stage: {sorted(set(env.TOOLS) - named)}"
    assert all(row["needed by"] != "—" for row in stages.tools_table())


def test_the_readme_stage_table_is_the_registry() -> None:
    rows = _table_rows((REPO / "README.md").read_text(), "## The stages")
    assert len(rows) == len(STAGES)
    for stage, row in zip(STAGES, rows, strict=True):
        assert row.startswith(f"| [{stage.number} {stage.title}](notebooks/{stage.notebook}) |"), row
        *_, study, machine = row.rstrip(" |").split(" | ")
        assert study == f"{stage.teaching_minutes} + {stage.exercise_minutes} min" and machine.startswith(
            f"{stage.quick_seconds} s / {stage.full_minutes} min"), row


def test_the_recorded_full_run_is_within_the_full_mode_budgets() -> None:
    """`make full-run` timed every stage in full mode, and each took no longer than its registry budget."""
    record = full_run.recorded()
    seconds = record.get("seconds", {})
    assert sorted(seconds) == [s.number for s in STAGES], "stages without a full-mode time: run `make full-run`"
    over = {s.number: seconds[s.number] for s in STAGES
            if s.full_minutes is None or seconds[s.number] > 60 * s.full_minutes}
    assert not over, f"over the full-mode budget in course/stages.py (seconds, on {record['machine']}): {over}"


def test_a_full_run_records_each_stage_it_ran(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("COURSE_MODE", "BENCH_PROGRESS", "COURSE_RECORDING"):  # main() sets them: give them back after
        monkeypatch.setenv(name, os.environ.get(name, ""))
    monkeypatch.setattr(full_run, "RECORD", tmp_path / "times.json")
    monkeypatch.setattr(full_run, "run", lambda stage, folder: 61.25)  # no notebook runs here
    (tmp_path / "times.json").write_text(json.dumps({"seconds": {"00": 50.0, "04b": 900.0},
                                                     "commits": {"00": "abc", "04b": "abc"}}))
    assert full_run.main(["04b", "07"]) == 0
    written = full_run.recorded()
    assert written["seconds"] == {"00": 50.0, "04b": 61.2, "07": 61.2}  # the others kept, the two replaced
    assert written["machine"] and written["commits"]["00"] == "abc" and written["commits"]["07"] != "abc"
    assert os.environ["COURSE_MODE"] == "full"
    assert written["runs"]["04b"] == written["runs"]["07"] == os.environ["COURSE_RECORDING"]  # the figure's title
    assert os.environ["COURSE_RECORDING"].startswith("full-run-")


@pytest.mark.parametrize("readme, link", [("README.md", "labs/{}/README.md"), ("labs/README.md", "{}/README.md")])
def test_the_lab_tables_are_the_registry(readme: str, link: str) -> None:
    heading = "## Labs" if readme == "README.md" else "# Labs"
    rows = _table_rows((REPO / readme).read_text(), heading)
    assert [re.match(r"\| \[(\d\d[a-z]?)\]\(([^)]+)\)", row).groups() for row in rows] == \
        [(lab, link.format(lab)) for lab in stages.labs()]


def test_the_instructor_guide_schedules_every_stage() -> None:
    guide = (REPO / "docs" / "instructor-guide.md").read_text()
    full_day = guide.split("### Two days", 1)[1].split("\n## ", 1)[0]
    for stage in STAGES:
        row = re.search(rf"^\| [\w ,:]+ \| {stage.number}\b.*$", full_day, re.MULTILINE)
        assert row, f"stage {stage.number} is not in the two-day timetable"
        assert f"| {stage.study_minutes} min |" in row.group(0), f"{stage.number}: not the registry's study time"
    for lab in stages.labs():
        assert re.search(rf"\| {lab}( \(\d+ min\))? \|", full_day), f"lab {lab} is not in the two-day timetable"


def test_results_and_labs_name_registered_stages() -> None:
    from course import results

    with pytest.raises(ValueError, match="no stage's result label"):
        results.record("08 websockets", "gunicorn", "http://127.0.0.1:9")
    with pytest.raises(SystemExit, match="the labs are"):
        from course.labs import lab_dir

        lab_dir("99")


def test_the_library_knows_nothing_of_the_course() -> None:
    importing = [p.name for p in (REPO / "bench").glob("*.py")
                 if re.search(r"^\s*(from|import) course\b", p.read_text(), re.MULTILINE)]
    assert not importing, f"bench modules importing the course package: {importing}"


@pytest.mark.parametrize("index", range(len(STAGES)), ids=lambda i: STAGES[i].number)
def test_every_notebook_ends_with_its_lab_and_the_next_stage(index: int) -> None:
    stage = STAGES[index]
    cells = [c for c in nbformat.read(NOTEBOOKS / stage.notebook, as_version=4).cells if c.cell_type == "markdown"]
    closing = next(c.source for c in reversed(cells) if c.source.startswith("## Your turn, and next"))
    if stage.lab:
        assert f"(../labs/{stage.lab}/README.md)" in closing and f"make check LAB={stage.lab}" in closing
    if index + 1 < len(STAGES):
        assert f"]({STAGES[index + 1].notebook})" in closing
    else:  # the appendix leads back to the start
        assert f"]({STAGES[0].notebook})" in closing
    assert any(re.search(r"^## Key points$", c.source, re.MULTILINE) for c in cells), "a ## Key points section"


def test_the_readme_and_the_guide_name_the_stages_the_registry_does() -> None:
    """Where nginx is needed and which notebooks use what macOS denies is said once, in the registry."""
    from course.stages import denied_on_macos, needing

    readme = (REPO / "README.md").read_text()
    nginx_line = next(line for line in readme.splitlines() if "`nginx is not installed`" in line)
    assert re.findall(r"\b0\d[a-z]?\b", nginx_line.split(";")[0]) == needing("nginx")
    guide = (REPO / "docs" / "instructor-guide.md").read_text()
    macos = re.search(r"notebooks ([\da-z, ]+) \(the ones that use what macOS denies", guide).group(1)
    assert re.findall(r"\d\d[a-z]?", macos) == [s.number for s in denied_on_macos()]

"""The committed notebooks are one recording: one `make record` pass, in stage order, stamped with one id
(course/recording.py); notebook 07 compares the stage results of that pass; and each row of 08's closing table
names cells of it that ran."""

from __future__ import annotations

import re

import nbformat
import pytest

from course import recording
from course.stages import NOTEBOOKS, STAGES

ID = re.compile(r"record-\d{8}T\d{4}Z-[0-9a-z-]+")


def _outputs(cell: nbformat.NotebookNode) -> str:
    texts = []
    for output in cell.get("outputs", []):
        texts.append("".join(output.get("text", "")))
        texts += ["".join(v) for k, v in output.get("data", {}).items() if k.startswith("text/")]
    return "\n".join(texts)


def _cell(notebook: str, cell_id: str) -> nbformat.NotebookNode:
    found = [c for c in nbformat.read(NOTEBOOKS / notebook, as_version=4).cells if c.get("id") == cell_id]
    assert found, f"{notebook} has no cell with id {cell_id!r}"
    return found[0]


def test_every_committed_notebook_comes_from_one_recording() -> None:
    ids = {stage.notebook: recording.of(NOTEBOOKS / stage.notebook) for stage in STAGES}
    assert all(ID.fullmatch(i) for i in ids.values()), f"notebooks without a recording id: {ids}"
    assert len(set(ids.values())) == 1, (f"the committed notebooks come from different recordings: {ids}. "
                                         "Re-record them all in one pass: make record")


def test_no_solution_or_check_cell_keeps_its_timing() -> None:
    """How long a solution's search ran would hint at its answer on the recording machine."""
    timed = [f"{stage.notebook} {cell.get('id')}" for stage in STAGES
             for cell in nbformat.read(NOTEBOOKS / stage.notebook, as_version=4).cells
             if set(cell.metadata.get("tags", [])) & set(recording.HIDDEN) and "execution" in cell.metadata]
    assert not timed, f"solution or check cells with their timing: {timed} (make record strips it)"


def test_notebook_07_compares_the_results_of_its_own_recording() -> None:
    """Each row of 07's comparison shows the recording it was measured in: this one."""
    stamped = recording.of(NOTEBOOKS / "07_scaling_and_caching.ipynb")
    shown = ID.findall(_outputs(_cell("07_scaling_and_caching.ipynb", "stage-results")))
    assert shown and set(shown) == {stamped}, f"07's stage results come from {set(shown)}, not {stamped}"


def _closing_table() -> list[str]:
    cells = nbformat.read(NOTEBOOKS / "08_long_lived_connections.ipynb", as_version=4).cells
    table = next(c.source for c in cells if c.source.startswith("## The course in one table"))
    return [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| your app")]


def rests_on(row: str) -> list[tuple[str, str]]:
    """The (notebook, cell id) pairs a row of the closing table names: "[02a](02a_gunicorn_workers.ipynb): …,
    cell `worker-sweep`" or "cells `a`, `b`", each after the link to its notebook."""
    pairs, notebook = [], None
    for match in re.finditer(r"\]\((\w+\.ipynb)\)|cells? ((?:`[\w-]+`(?:, )?)+)", row.rsplit(" | ", 1)[-1]):
        if match.group(1):
            notebook = match.group(1)
        else:
            assert notebook, f"cells named before any notebook in: {row}"
            pairs += [(notebook, cell_id) for cell_id in re.findall(r"`([\w-]+)`", match.group(2))]
    return pairs


def test_rests_on_reads_the_cells_after_each_link() -> None:
    row = ("| a | b | [02a](02a_gunicorn_workers.ipynb): x, cell `one`; "
           "[04b](04b_nginx_many_apps.ipynb): cells `two`, `three` |")
    assert rests_on(row) == [("02a_gunicorn_workers.ipynb", "one"), ("04b_nginx_many_apps.ipynb", "two"),
                             ("04b_nginx_many_apps.ipynb", "three")]


@pytest.mark.parametrize("row", _closing_table(), ids=lambda row: row.split(" | ")[0].strip("| ")[:40])
def test_each_row_of_the_closing_table_rests_on_cells_that_ran(row: str) -> None:
    pairs = rests_on(row)
    assert pairs, f"this row names no cell it rests on: {row}"
    for notebook, cell_id in pairs:
        cell = _cell(notebook, cell_id)
        assert cell.cell_type == "code" and cell.execution_count, f"{notebook} cell {cell_id} was not run"
        assert "SKIPPED" not in _outputs(cell), f"{notebook} cell {cell_id} was skipped in the committed recording"
        assert "claim(" in cell.source or "assert" in cell.source, f"{notebook} cell {cell_id} asserts nothing"

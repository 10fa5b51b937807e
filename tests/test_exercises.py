"""The exercises inside the notebooks: the helpers, and every "your turn" task tested both ways. `make test` runs
each notebook with its solution filled in (so the solution passes); here each task's own check cell runs with a
wrong answer, and must say ✗."""

from __future__ import annotations

import copy
import time

import nbformat
import pytest
import requests

import bench
from bench import k8s
from bench.servers import proxy
from bench.streams import holding
from course import exercises
from course.stages import NOTEBOOKS


def test_compare_says_how_far_off_a_guess_was(capsys: pytest.CaptureFixture[str]) -> None:
    assert exercises.compare("q", None, 120.0, "req/s") is None
    assert "measured 120 req/s" in capsys.readouterr().out
    assert exercises.compare("q", 100.0, 110.0, "req/s") == pytest.approx(1.1)
    assert "within 20%" in capsys.readouterr().out
    exercises.compare("q", 10.0, 40.0, "×")
    assert "4.00× your guess" in capsys.readouterr().out


def test_a_blank_answer_takes_the_solution_and_a_written_one_stays() -> None:
    assert exercises.or_solution(None, 6) == 6
    assert exercises.or_solution(3, 6) == 3


def test_check_says_what_is_wrong_and_how_to_fix_it() -> None:
    exercises.check("t", True, "e", "h")
    with pytest.raises(exercises.NotYet, match="✗ t — e\n  hint: h"):
        exercises.check("t", False, "e", "h")


@pytest.mark.parametrize("notebook", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_no_committed_solution_cell_shows_its_output(notebook: str) -> None:
    """`make record` empties solution cells' outputs (course/recording.py): the answer stays hidden until tried."""
    cells = nbformat.read(NOTEBOOKS / notebook, as_version=4).cells
    shown = [i for i, c in enumerate(cells) if "solution" in c.metadata.get("tags", []) and c.get("outputs")]
    assert not shown, f"solution cell(s) {shown} carry recorded outputs: run python -m course.recording {notebook}"


def test_recording_empties_solution_cells(tmp_path) -> None:
    from course.recording import hide_solutions

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["solution"]},
                                          outputs=[nbformat.v4.new_output("stream", text="the answer\n")]),
                nbformat.v4.new_code_cell("y = 2", outputs=[nbformat.v4.new_output("stream", text="kept\n")])]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    assert hide_solutions(path) == 1 and hide_solutions(path) == 0
    cells = nbformat.read(path, as_version=4).cells
    assert cells[0].outputs == [] and cells[1].outputs[0].text == "kept\n"


def _check_cell(notebook: str, answer: str) -> str:
    """The cell that checks the task whose answer cell starts with `answer =` (two cells after it)."""
    cells = nbformat.read(NOTEBOOKS / notebook, as_version=4).cells
    index = next(i for i, c in enumerate(cells) if c.cell_type == "code" and c.source.startswith(f"{answer} = None"))
    assert cells[index + 1].source.startswith("# Solution:") and "source_hidden" in cells[index + 1].metadata["jupyter"]
    source = cells[index + 2].source
    return source.split("\n", 1)[1] if source.startswith("%%needs") else source  # the magic's line is not Python


TASKS = [
    ("02_gunicorn.ipynb", "my_threads", 1),  # one thread: 20 requests/s
    ("04_nginx.ipynb", "my_edit", {}),  # no edit: nginx waits 35 s, the app answers 200 after 3 s
    ("06_kubernetes.ipynb", "my_rolling_update", {"maxUnavailable": 1, "maxSurge": 0}),  # one pod short
    ("06_kubernetes.ipynb", "my_rolling_update", {"maxUnavailable": 0, "maxSurge": 0}),  # never progresses
    ("06_kubernetes.ipynb", "my_rolling_update", {"maxUnavailible": 0, "maxSurge": 1}),  # a typo: strict fails it
    ("08_long_lived_connections.ipynb", "my_threads", 4),  # 4 threads for 12 streams
    ("08_long_lived_connections.ipynb", "my_threads", 40),  # enough, but far more than needed
]


@pytest.mark.load
@pytest.mark.parametrize("notebook, answer, wrong", TASKS, ids=[f"{t[0]}-{i}" for i, t in enumerate(TASKS)])
def test_every_your_turn_task_fails_a_wrong_answer(notebook: str, answer: str, wrong: object) -> None:
    namespace = {"bench": bench, "exercises": exercises, "proxy": proxy, "time": time, "requests": requests,
                 "copy": copy, "k8s": k8s, answer: wrong}
    if notebook.startswith("06"):
        namespace["deployment"] = k8s.find(k8s.render("base"), "Deployment", "web")
    if notebook.startswith("08"):
        namespace.update(TARGET=12, holding=holding)
    with pytest.raises(exercises.NotYet):
        exec(_check_cell(notebook, answer), namespace)

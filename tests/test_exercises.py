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
from bench.containers import images
from bench.core.paths import REPO
from bench.host import docker_engine
from bench.lessons import flags, preload_threads, rate_limit, runaway, word_counts
from bench.lessons.streams import holding
from bench.servers import proxy
from bench.servers.gunicorn import extended_config, resolved
from course import exercises
from course.stages import NOTEBOOKS, STAGES


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


def _texts(cell: nbformat.NotebookNode) -> list[str]:
    return [line for output in cell.get("outputs", []) for line in "".join(output.get("text", "")).splitlines()]


@pytest.mark.parametrize("notebook", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_no_committed_solution_or_check_cell_gives_the_answer_away(notebook: str) -> None:
    """Solution and check cells are recorded like every cell, but what they print holds no answer: the solution
    cell says it used the collapsed solution, the check says ✓ without its evidence (course.exercises.check while
    `make record` runs), and a load it ran is labelled "your answer"."""
    for index, cell in enumerate(nbformat.read(NOTEBOOKS / notebook, as_version=4).cells):
        tags = set(cell.metadata.get("tags", []))
        if "solution" in tags:
            assert _texts(cell) == ["(no answer written: the collapsed solution is used)"], (notebook, index)
        if "check" in tags:
            lines = [line for line in _texts(cell) if not line.startswith("your answer: ")]
            assert len(lines) == 1 and lines[0].startswith("✓ ") and lines[0].endswith(exercises.RECORDED), \
                (notebook, index, _texts(cell))


def test_a_check_leaves_its_evidence_out_while_a_recording_runs(monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("COURSE_RECORDING", raising=False)
    exercises.check("t", True, "6 threads", "h")
    assert "6 threads" in capsys.readouterr().out
    monkeypatch.setenv("COURSE_RECORDING", "record-x")
    exercises.check("t", True, "6 threads", "h")
    assert capsys.readouterr().out == f"✓ t — {exercises.RECORDED}\n"


@pytest.mark.parametrize("stage", [s for s in STAGES if s.lab], ids=lambda s: s.number)
def test_every_stage_has_a_checked_task_with_a_wrong_answer(stage) -> None:
    """Every stage with a lab has a "your turn" task in its notebook: answer, solution and check cells, tagged,
    and a wrong answer in TASKS that its check must fail."""
    answers = [name for notebook, name, _ in TASKS if notebook == stage.notebook]
    assert answers, f"{stage.notebook} has no task in TASKS"
    cells = nbformat.read(NOTEBOOKS / stage.notebook, as_version=4).cells
    for answer in answers:
        index = next(i for i, c in enumerate(cells) if c.cell_type == "code" and c.source.startswith(f"{answer} ="))
        assert "solution" in cells[index + 1].metadata.get("tags", []), f"{answer}: the solution cell is not tagged"
        assert "check" in cells[index + 2].metadata.get("tags", []), f"{answer}: the check cell is not tagged"
        assert "exercises.check(" in cells[index + 2].source


def test_recording_stamps_its_id(tmp_path) -> None:
    from course.recording import of, stamp

    path = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), path)
    assert of(path) == ""
    stamp(path, "record-x")
    assert of(path) == "record-x"


def _check_cell(notebook: str, answer: str) -> str:
    """The cell that checks the task whose answer cell starts with `answer =` (two cells after it)."""
    cells = nbformat.read(NOTEBOOKS / notebook, as_version=4).cells
    index = next(i for i, c in enumerate(cells) if c.cell_type == "code" and c.source.startswith(f"{answer} = None"))
    assert cells[index + 1].source.startswith("# Solution:") and "source_hidden" in cells[index + 1].metadata["jupyter"]
    source = cells[index + 2].source
    return source.split("\n", 1)[1] if source.startswith("%%needs") else source  # the magic's line is not Python


def _passing_through(app):  # a middleware that changes nothing: the pages answer 200 during "maintenance"
    return app


OVERLAY_HEAD = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../fixed-replicas]\n"
TASKS = [
    ("01_wsgi_first_principles.ipynb", "my_middleware", _passing_through),
    ("02a_gunicorn_workers.ipynb", "my_lines", 'worker_class = "gthread"\nthreads = 4\n'),  # 50 requests/s
    ("02a_gunicorn_workers.ipynb", "my_lines", "threads = 40\n"),  # enough, but far more threads than needed
    ("02b_gunicorn_in_operation.ipynb", "my_hook", "def post_fork(server, worker):\n    pass\n"),  # no thread
    ("03_uwsgi.ipynb", "my_changes", {"harakiri": "3"}),  # the report waits behind the stuck request
    ("03_uwsgi.ipynb", "my_changes", {"processes": "2"}),  # harakiri stays 30: the stuck request runs its 8 s
    ("03_uwsgi.ipynb", "my_changes", {"threads": "2", "harakiri": "3"}),  # the report clears the worker's harakiri
    ("03_uwsgi.ipynb", "my_changes", {"processes": "2", "harakiri": "1"}),  # no margin: 1 s would cut the report
    ("05_docker.ipynb", "my_command",  # no exec: the shell stays PID 1 and ignores SIGTERM
     ["/bin/sh", "-c", "echo migrations done && gunicorn --config /app/gunicorn.conf.py sample_app.wsgi:app"]),
    ("07_scaling_and_caching.ipynb", "my_top_words", word_counts.top_words),  # the same function: not faster
    ("07_scaling_and_caching.ipynb", "my_top_words", lambda rows, n: []),  # fast, but not the same answer
    ("04a_nginx_one_app.ipynb", "my_edit", {}),  # no edit: nginx waits 35 s, the app answers 200 after 3 s
    ("04b_nginx_many_apps.ipynb", "my_limit", {}),  # no edit: 50 requests/s get through
    ("04b_nginx_many_apps.ipynb", "my_limit", {  # right for /cpu, but the short keys rewrite /report's limit too
        "limit_req_zone $binary_remote_addr": "limit_req_zone $binary_remote_addr zone=expensive:1m rate=20r/s;",
        "limit_req zone=": "limit_req zone=expensive burst=5 nodelay;"}),
    ("04b_nginx_many_apps.ipynb", "my_limit", {  # bare directive names: /report's zone is gone, nginx would not start
        "limit_req_zone": "limit_req_zone $binary_remote_addr zone=expensive:1m rate=20r/s;",
        "limit_req ": "limit_req zone=expensive burst=5 nodelay;"}),
    ("06_kubernetes.ipynb", "my_overlay", OVERLAY_HEAD),  # fixed-replicas unchanged: 2 replicas
    ("06_kubernetes.ipynb", "my_overlay", OVERLAY_HEAD + "replicas: [{name: web, count: 6}]\n"),  # 6, 7 at most
    ("06_kubernetes.ipynb", "my_overlay", OVERLAY_HEAD + "replicas: [{name: web, count: 6}]\npatches:\n"
     "  - target: {kind: Deployment, name: web}\n    patch: |-\n      - {op: replace, path: "
     '/spec/strategy/rollingUpdate, value: {maxUnavailable: 0, maxSurge: \"34%\"}}\n'),  # 34% rounds up to 3
    ("09_how_this_course_measures.ipynb", "my_paths",  # a bracket far too wide: nothing found
     {"clean": "/cpu?ms=500", "flagged": "/cpu?ms=1"}),
    ("09_how_this_course_measures.ipynb", "my_paths",  # too little work: the clean run is flagged too
     {"clean": "/cpu?ms=2", "flagged": "/cpu?ms=1"}),
    ("08_long_lived_connections.ipynb", "my_lines", 'worker_class = "gthread"\nthreads = 4\n'),  # 4 of 12 streams
    ("08_long_lived_connections.ipynb", "my_lines", 'worker_class = "gthread"\nthreads = 40\n'),  # far too many
]


@pytest.mark.load
@pytest.mark.parametrize("notebook, answer, wrong", TASKS, ids=[f"{t[0]}-{i}" for i, t in enumerate(TASKS)])
def test_every_your_turn_task_fails_a_wrong_answer(notebook: str, answer: str, wrong: object) -> None:
    namespace = {"bench": bench, "exercises": exercises, "proxy": proxy, "time": time, "requests": requests,
                 "copy": copy, "k8s": k8s, answer: wrong}
    if notebook.startswith("01"):
        from sample_app import create_app

        namespace["app"] = create_app()
    if notebook.startswith("05"):
        if not docker_engine.available():
            pytest.skip("no Docker engine answers (make test starts one)")
        from bench.containers.container import AppContainer
        from bench.containers.images import build

        build()  # the production image, as notebook 05 builds it (from the layer cache when it exists)
        namespace["AppContainer"] = AppContainer
    if notebook.startswith("06"):
        namespace["image_uid"] = images.dockerfile_uid(REPO / "docker" / "Dockerfile")
    if notebook.startswith("02a"):
        namespace["extended_config"] = extended_config
    if notebook.startswith("02b"):
        namespace.update(counted_while_idle=preload_threads.counted_while_idle,
                         every_worker_counted=preload_threads.every_worker_counted)
    if notebook.startswith("03"):
        namespace["runaway"] = runaway
    if notebook.startswith("04b"):
        namespace["rate_limit"] = rate_limit
    if notebook.startswith("07"):
        from sample_app.quotes import catalogue
        from sample_app.settings import Settings

        namespace.update(word_counts=word_counts, rows_in_report=catalogue(Settings.from_env().quotes_db, 30))
    if notebook.startswith("09"):
        namespace.update(flags=flags, facts=bench.machine.facts())
    if notebook.startswith("08"):
        namespace.update(TARGET=12, holding=holding, extended_config=extended_config, resolved=resolved)
    with pytest.raises(exercises.NotYet):
        exec(_check_cell(notebook, answer), namespace)

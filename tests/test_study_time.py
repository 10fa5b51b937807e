"""The study times the registry states (and every notebook's header with it) stay near what the read-through model
in course/study_time.py gives for the notebook as it is now: a notebook that grows gets a longer study time, or
gets split."""

from __future__ import annotations

import pytest

from course import study_time
from course.stages import STAGES

MOST_MINUTES = 60  # a lesson a learner finishes in one sitting (issue #35)


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.number)
def test_the_registry_states_the_models_study_time(stage) -> None:
    assert stage.study_minutes <= MOST_MINUTES, f"{stage.number}: split it (CONTRIBUTING.md)"
    if stage.timed_by:
        pytest.skip(f"{stage.number}: a read-through timed by {stage.timed_by} replaces the model")
    teaching, exercises = study_time.model(stage)
    assert abs(stage.teaching_minutes - teaching) <= max(5, 0.2 * teaching), (stage.number, teaching)
    assert abs(stage.exercise_minutes - exercises) <= 5, (stage.number, exercises)
    assert stage.study_minutes <= MOST_MINUTES, f"{stage.number}: split it (CONTRIBUTING.md)"


def test_the_model_counts_reading_running_and_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    stage = next(s for s in STAGES if s.number == "00")
    monkeypatch.setattr(study_time.full_run, "recorded", lambda: {"seconds": {"00": 600.0}})
    slow, _ = study_time.model(stage)
    monkeypatch.setattr(study_time.full_run, "recorded", lambda: {"seconds": {"00": 0.0}})
    fast, _ = study_time.model(stage)
    assert slow - fast == 10  # ten minutes more of waiting for the cells
    assert study_time.model(next(s for s in STAGES if s.lab))[1] >= study_time.TASK_MINUTES


def test_a_timed_read_through_splits_teaching_from_the_tasks(tmp_path) -> None:
    import nbformat

    from course import recording

    def cell(source: str, start: int, end: int, tags: tuple[str, ...] = ()) -> nbformat.NotebookNode:
        stamp = "2026-12-07T10:{:02d}:00.000000Z".format
        return nbformat.v4.new_code_cell(source, metadata={"tags": list(tags), "execution": {
            "iopub.execute_input": stamp(start), "shell.execute_reply": stamp(end)}})

    notebook = nbformat.v4.new_notebook(cells=[
        cell("import bench", 0, 0), cell("run()", 5, 8),  # 8 minutes of teaching
        cell("guess_ratio = 2", 10, 10), cell("run()", 12, 14),  # a 2-minute guess, 4 of teaching
        cell("def my_app(app):\n    return app", 18, 18), cell("# Solution: …", 19, 19, ("solution",)),
        cell("check()", 24, 24, ("check",)),  # 10 of task
        nbformat.v4.new_markdown_cell("## Next"), cell("print()", 26, 26)])  # 2 of teaching
    path = tmp_path / "timed.ipynb"
    nbformat.write(notebook, path)
    assert study_time.timed(path) == (14, 12)
    notebook.cells.insert(1, cell("print()", 59, 59))  # run again 33 minutes after the rest: a break
    nbformat.write(notebook, path)
    assert study_time.timed(path) == (14, 12)
    recording.stamp(path, "record-x")
    with pytest.raises(ValueError, match="machine's recording"):
        study_time.timed(path)


def test_a_fresh_copy_to_time_keeps_the_committed_notebook(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat

    (tmp_path / "00_setup_check.ipynb").write_bytes((study_time.NOTEBOOKS / "00_setup_check.ipynb").read_bytes())
    monkeypatch.setattr(study_time, "NOTEBOOKS", tmp_path)
    path = study_time.fresh("00")
    assert path == tmp_path / "timed" / "00_setup_check.ipynb"
    copy = nbformat.read(path, as_version=4)
    assert copy.metadata.get("course") is None and not any(c.get("outputs") for c in copy.cells)
    assert not any("execution" in c.metadata for c in copy.cells)

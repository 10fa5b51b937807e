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

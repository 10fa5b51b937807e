"""course.results keeps the latest result of each stage from this machine and mode."""

from __future__ import annotations

import json

import pytest

from bench.core import mode
from course import results


def test_saved_keeps_each_stages_latest_row_from_this_machine(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("COURSE_RECORDING", raising=False)
    here, now = results.machine_id(), mode.current().name
    rows = [
        {"stage": "02a gunicorn", "rps": 100.0, "machine": here, "mode": now, "t": 1.0},
        {"stage": "01 WSGI", "rps": 50.0, "machine": here, "mode": now, "t": 2.0},
        {"stage": "02a gunicorn", "rps": 120.0, "machine": here, "mode": now, "t": 3.0},
        {"stage": "02a gunicorn", "rps": 999.0, "machine": "another laptop", "mode": now, "t": 4.0},
        {"stage": "01 WSGI", "rps": 77.0, "machine": here, "mode": "other mode", "t": 5.0},
    ]
    (tmp_path / "stage-results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    saved = results.saved()
    assert saved[["stage", "rps"]].values.tolist() == [["01 WSGI", 50.0], ["02a gunicorn", 120.0]]
    assert len(results.saved(this_machine=False)) == 2


def test_while_a_recording_runs_only_its_results_count(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """make record's notebook 07 compares the results of its own pass, never a row left by an earlier one."""
    monkeypatch.setenv("BENCH_STATE_DIR", str(tmp_path))
    here, now = results.machine_id(), mode.current().name
    rows = [{"stage": "03 uWSGI", "rps": 460.0, "machine": here, "mode": now, "t": 1.0, "recording": "record-a"},
            {"stage": "01 WSGI", "rps": 50.0, "machine": here, "mode": now, "t": 2.0, "recording": "record-b"},
            {"stage": "03 uWSGI", "rps": 410.0, "machine": here, "mode": now, "t": 3.0}]  # saved outside any
    (tmp_path / "stage-results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    monkeypatch.setenv("COURSE_RECORDING", "record-b")
    assert results.saved()[["stage", "recording"]].values.tolist() == [["01 WSGI", "record-b"]]
    monkeypatch.delenv("COURSE_RECORDING")
    assert results.saved()["rps"].tolist() == [50.0, 410.0]


def test_nothing_saved_yet_is_an_empty_table(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_STATE_DIR", str(tmp_path))
    assert results.saved().empty

"""The helpers behind the tasks that extend an experiment (02a, 02b, 04b, 06, 07), without load: what they count
and the arithmetic of their checks."""

from __future__ import annotations

import pandas as pd
import pytest

from bench.containers import images
from bench.core.paths import CONFIG
from bench.lessons import flags, preload_threads, profiling, rate_limit, scaling, word_counts
from bench.servers.base import ANSI_ESCAPE
from bench.servers.gunicorn import extended_config
from bench.sizing.plans import Scaling
from course import exercises


def test_a_config_with_lines_added_keeps_the_course_file_and_lets_the_lines_win(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("BENCH_STATE_DIR", str(tmp_path))
    path = extended_config('worker_class = "gthread"\nthreads = 10\n', "t")
    settings: dict[str, object] = {}
    exec(path.read_text(), settings)  # a gunicorn config is Python: later assignments win
    assert settings["worker_class"] == "gthread" and settings["threads"] == 10
    assert path.read_text().startswith((CONFIG / "gunicorn.conf.py").read_text())


def test_every_worker_counted_needs_both_workers_and_half_the_ticks() -> None:
    row = {"workers answering": 2, "fewest counts in a worker": 60, "if it always ran (idle ÷ tick)": 100}
    assert preload_threads.every_worker_counted(row)
    assert not preload_threads.every_worker_counted({**row, "fewest counts in a worker": 0})  # a thread missing
    assert not preload_threads.every_worker_counted({**row, "workers answering": 1})


def _flood(accepted: int, requests: int, rps: float) -> rate_limit.Flood:
    class Run:
        pass

    run = Run()
    run.requests, run.rps, run.failures = requests, rps, requests - accepted  # type: ignore[attr-defined]
    return rate_limit.Flood(run, accepted, accepted, ("429",))  # type: ignore[arg-type]


def test_a_flood_keeps_to_a_rate_within_its_slack_and_burst() -> None:
    ten_seconds = 10_000  # requests at 1,000 req/s: a 10 s run
    assert _flood(210, ten_seconds, 1000).keeps_to(20, burst=5)  # 21 req/s: inside 20 × 1.15 + 5/10
    assert not _flood(500, ten_seconds, 1000).keeps_to(20, burst=5)  # 50 req/s: the old limit
    assert not _flood(100, ten_seconds, 1000).keeps_to(20, burst=5)  # 10 req/s: a limit set too low


def test_top_words_counts_and_the_one_pass_version_agrees() -> None:
    rows = [("The cat and the hat", "a"), ("the end", "b")]
    assert word_counts.top_words(rows, 2) == [("the", 3), ("and", 1)]
    profile = profiling.profile_call(word_counts.top_words, rows * 50, 2)
    assert "<method 'count' of 'list' objects>" in set(profile["function"])
    assert word_counts.best_ms(word_counts.top_words, rows, 2) >= 0


def test_a_base_is_described_as_pulled_or_as_a_stand_in() -> None:
    assert images.describe_base("python:3.12") == "python:3.12, from the registry"
    stand_in = images.OFFLINE_BASES["python:3.12-slim"].tag
    assert images.describe_base(stand_in).startswith("stand-in built from Debian's python3")


def test_log_text_drops_terminal_colours() -> None:
    assert ANSI_ESCAPE.sub("", '\x1b[31m\x1b[1mGET / HTTP/1.1\x1b[0m" 200 -') == 'GET / HTTP/1.1" 200 -'


def test_a_computed_answer_is_not_called_measured(capsys: pytest.CaptureFixture[str]) -> None:
    exercises.compare("pods", None, 3, "pods", how="computed")
    assert "computed 3 pods" in capsys.readouterr().out


def test_an_overlay_written_as_text_renders_beside_the_courses_own() -> None:
    from bench import k8s
    from bench.host import env

    if not env.find("kubectl"):
        pytest.skip("kubectl is not installed")
    docs = k8s.render_overlay("resources: [../fixed-replicas]\nreplicas: [{name: web, count: 6}]\n")
    assert k8s.find(docs, "Deployment", "web")["spec"]["replicas"] == 6
    assert "HorizontalPodAutoscaler" not in pd.Series([d["kind"] for d in docs]).tolist()


def test_log_count_waits_for_late_lines(tmp_path, monkeypatch) -> None:
    import threading

    from bench.servers import Gunicorn

    server = Gunicorn(workers=1)
    server.log_path = tmp_path / "server.log"
    server.log_path.write_text("app created in pid 1\n")
    late = threading.Timer(0.3, lambda: server.log_path.write_text("app created in pid 1\napp created in pid 2\n"))
    late.start()
    assert server.log_count("app created in pid", at_least=2, timeout=5) == 2  # waited for the second
    assert server.log_count("app created in pid", at_least=3, timeout=0.3) == 2  # gave up: there were two


class _Run:
    """Just enough of a LoadResult for Measurement.row()."""

    def __init__(self, label: str, rps: float) -> None:
        self.label, self.rps, self.generator_bound, self.interfered = label, rps, False, False

    def row(self) -> dict[str, object]:
        figures = dict.fromkeys(("mean ms", "p50 ms", "p95 ms", "p99 ms", "server CPU ms/req"), 1.0)
        return {"label": self.label, "rps": self.rps, **figures, "requests": 10, "failures": 0,
                "generator CPU %": 5, "generator share %": 1}


def test_up_vs_out_runs_both_ways_at_every_count_there_and_back(monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []

    def run_on(make: object, path: str, **load: object) -> _Run:
        order.append(str(load["label"]))
        assert path == "/cpu?ms=9" and load["users"] == 8 and load["duration"] == 2
        return _Run(str(load["label"]), 10.0 * len(order))

    monkeypatch.setattr(scaling, "run_on", run_on)
    table = scaling.up_vs_out("/cpu?ms=9", Scaling(2, [1, 2, 4], 8, True), duration=2)
    names = ["up 1", "out 1", "up 2", "out 2", "up 4", "out 4"]
    assert order == names + names[::-1]  # 1 → most, then back
    assert list(zip(table["how"], table["n"], strict=True)) == [
        (how, n) for n in (1, 2, 4) for how in (scaling.UP, scaling.OUT)]
    assert table.loc[0, "rps"] == (10 + 120) / 2  # "up 1" ran first and last: both runs averaged


def test_work_ms_reads_only_a_cpu_path() -> None:
    assert flags.work_ms("/cpu?ms=18") == 18
    assert [flags.work_ms(p) for p in ("/", "/io?ms=5", "/cpu", "/cpu?ms=x", "/cpu?ms=1&ms=2")] == [None] * 5


def test_reports_changed_names_the_report_lines_a_short_key_would_rewrite() -> None:
    exact = {"limit_req_zone $binary_remote_addr zone=expensive:1m": "", "limit_req zone=expensive": ""}
    assert rate_limit.reports_changed(exact) == [] and rate_limit.reports_changed(None) == []
    changed = rate_limit.reports_changed({"limit_req_zone": "", "limit_req zone=": ""})
    assert len(changed) == 2 and all("zone=reports" in line for line in changed)

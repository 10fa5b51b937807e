"""Load runs: parsing, honesty flags, and what happens when things go wrong."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

from bench.core.errors import BenchError, LoadError
from bench.load import measuring
from bench.load.measuring import Measurement, measure, there_and_back
from bench.load.result import GENERATOR_BOUND_CPU
from bench.load.runner import _percentile, _read_history, _timeseries, first_sent, run_load
from bench.servers import DevServer, Gunicorn
from bench.sizing.machine import generator_ceiling

pytestmark = pytest.mark.load


def test_result_from_a_real_run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("BENCH_PROGRESS", "line")  # as `make record` runs: no bar, and nothing printed unflagged
    with Gunicorn(workers=2) as server:
        result = run_load(server, "/io?ms=20", users=4, duration=3)
    printed = capsys.readouterr()
    assert printed.out == result.flag_line() + ("\n" if result.flag_line() else "") and "█" not in printed.err
    assert result.requests > 50 and result.failures == 0
    assert result.p50 >= 20  # every request waits 20 ms
    assert 0 < result.rps <= 4 / 0.020  # 4 users, each at most one request per 20 ms
    ts = result.timeseries
    assert list(ts.columns) == ["t", "users", "rps", "failures/s", "p50", "p95", "requests", "failures"]
    assert ts["requests"].iloc[-1] == result.requests
    assert "req/s" in str(result) and result.row()["users"] == 4
    assert 0 < result.server_cpu_ms < 20  # /io mostly waits: little server CPU per request


def test_generator_bound_flag_is_raised_against_nginx_from_memory() -> None:
    result = generator_ceiling(users=32, duration=3)
    assert result.generator_bound, str(result)
    assert "generator-bound" in result.flag_line()
    # said once: by run_load where the run ended, or else by the result when it is printed
    assert ("generator-bound" in str(result)) != result.flag_shown


def test_generator_bound_flag_stays_down_when_the_server_is_the_limit() -> None:
    with Gunicorn(workers=1) as server:
        result = run_load(server, "/io?ms=100", users=4, duration=3)
    assert not result.generator_bound, str(result)
    assert result.generator_cpu < GENERATOR_BOUND_CPU


def test_server_dying_mid_run_counts_failures_without_crashing() -> None:
    server = DevServer(threaded=True).start()
    # stopped 1.5 s after the load starts (not after the server did: locust takes seconds to start on a slow machine)
    result = run_load(server.url, "/io?ms=10", users=4, duration=4, events=[(1.5, "server stopped", server.stop)])
    assert result.failures > 0 and result.requests > result.failures
    assert not result.failure_messages.empty
    assert result.timeseries["failures/s"].max() > 0


def test_an_event_is_marked_where_its_effect_shows() -> None:
    """A kill that takes a while to return is marked when it began, on the timeseries' clock: the first
    failures fall in the second the marker is in (or the next, for requests already under way)."""
    def slow_kill() -> None:
        server.kill()
        time.sleep(1.5)

    with Gunicorn(workers=1) as server:
        result = run_load(server, "/io?ms=10", users=4, duration=5, user_class="plain",
                          events=[(1.5, "killed", slow_kill)])
    failing = result.timeseries.loc[result.timeseries["failures/s"] > 0, "t"]
    assert not failing.empty, result.timeseries
    assert 0 <= failing.iloc[0] - int(result.events["killed"]) <= 1, (result.events, result.timeseries)


def test_several_generator_processes() -> None:
    with Gunicorn(workers=1) as server:
        result = run_load(server, ["/io?ms=5", "/"], users=4, duration=3, processes=2)
    assert result.processes == 2 and result.requests > 0 and result.failures == 0


@pytest.mark.parametrize("url", ["http://10.0.0.1:8000", "http://example.com", "http://192.168.1.1"])
def test_load_goes_only_to_loopback(url: str) -> None:
    with pytest.raises(BenchError, match="load goes only to this machine"):
        run_load(url, duration=1)


def test_bad_arguments() -> None:
    with pytest.raises(BenchError, match="user_class must be one of"):
        run_load("http://127.0.0.1:1", user_class="turbo")
    with pytest.raises(BenchError, match="at least 1"):
        run_load("http://127.0.0.1:1", users=0)


def test_percentiles_from_locust_histogram() -> None:
    histogram = {"10": 50, "20": 40, "300": 9, "1000": 1}
    assert _percentile(histogram, 0.5) == 10
    assert _percentile(histogram, 0.95) == 300
    assert _percentile(histogram, 0.99) == 300
    assert _percentile(histogram, 1.0) == 1000
    assert _percentile({}, 0.5) != _percentile({}, 0.5)  # NaN when nothing was measured


def test_timeseries_rates_cover_partial_seconds(tmp_path: Path) -> None:
    csv = tmp_path / "h.csv"
    csv.write_text("Timestamp,User Count,Type,Name,50%,95%\n101,4,,Aggregated,20,30\n102,4,,Aggregated,N/A,N/A\n")
    entries = [
        {"start_time": 100.5, "last_request_timestamp": 102.25, "num_reqs_per_sec": {"100": 10, "101": 30, "102": 5},
         "num_fail_per_sec": {"102": 1}},
        {"start_time": 100.5, "last_request_timestamp": 101.0, "num_reqs_per_sec": {"100": 2},
         "num_fail_per_sec": {}},
    ]
    ts = _timeseries(entries, _read_history(csv))
    assert ts["t"].tolist() == [0, 1, 2]
    assert ts["rps"].tolist() == [24.0, 30.0, 20.0]  # 12 in half a second, 30 in one, 5 in a quarter
    assert ts["failures/s"].tolist() == [0.0, 0.0, 4.0]
    assert ts["requests"].tolist() == [12, 42, 47]
    assert ts["users"].tolist()[1] == 4 and ts["p95"].tolist()[1] == 30


def test_a_rate_counts_from_the_first_request_sent_not_the_first_answer(tmp_path: Path) -> None:
    entries = [{"start_time": 100.5}, {"start_time": 100.4}]
    assert first_sent(tmp_path, entries) == 100.4  # nothing noted: locust's start of statistics
    (tmp_path / "started.11").write_text("100.2\n")
    (tmp_path / "started.12").write_text("100.1\n")
    assert first_sent(tmp_path, entries) == 100.1
    with Gunicorn(workers=1, worker_class="sync") as server:  # one request at a time, 200 ms each: 5 a second
        result = run_load(server, "/io?ms=200", users=1, duration=3, progress=False)
    assert result.rps <= 5.0, result.rps  # counted from the first answer, about 5.4


def test_two_generator_processes_sharing_a_small_machine_are_flagged() -> None:
    result = generator_ceiling(users=32, duration=3, processes=2)
    assert result.generator_bound, str(result)


def test_totals_count_the_last_second() -> None:
    # locust's CSV files can miss the run's last second; the totals come from its final JSON stats.
    with Gunicorn(workers=2, worker_class="gthread", threads=4, args=["--access-logfile", "-"]) as server:
        result = run_load(server, "/io?ms=20", users=8, duration=3)
        time.sleep(0.5)
        served = server.log_tail(100_000).count('"GET /io?ms=20')
    assert abs(served - result.requests) <= 8, (served, result.requests)  # at most one in flight per user


def test_measure_repeats_and_reports_the_spread() -> None:
    with Gunicorn(workers=1) as server:
        m = measure(server, "/io?ms=10", repeats=2, users=2, duration=2)
    row = m.row()
    assert len(m.runs) == 2 and row["runs"] == 2 and row["requests"] == sum(r.requests for r in m.runs)
    assert abs(row["rps"] - sum(r.rps for r in m.runs) / 2) < 0.1 and row["rps sd"] >= 0
    assert "± " in str(m)


def test_saturate_ramps_until_throughput_stops_rising() -> None:
    from bench.lessons.matrix import saturate

    with Gunicorn(workers=1) as server:  # one sync worker: 2 users cannot do better than 1 on /io
        best, ramp = saturate(server, "/io?ms=20", [1, 2, 4], gain=1.3, repeats=2, duration=2)
    assert len(ramp) == 2  # 1 user, then 2 users gained nothing: stop
    assert len(best.runs) == 2 and {r.users for r in best.runs} == {best.runs[0].users}


def test_rate_offers_a_fixed_load_whatever_the_server_could_take() -> None:
    with Gunicorn(workers=2) as server:
        result = run_load(server, "/", users=4, rate=50, duration=4)
    assert 0.7 * 50 <= result.rps <= 1.15 * 50, result.rps
    assert not result.generator_bound


def test_paced_users_keep_apart_and_do_not_queue_in_waves() -> None:
    """16 paced users on 4 workers at about half their capacity: spread over each interval, a request rarely waits
    for a worker (in step, they queued in waves: a median of two waits, a p95 of four)."""
    with Gunicorn(workers=4) as server:
        result = run_load(server, "/io?ms=50", users=16, rate=40, duration=4)
    assert 0.85 * 40 <= result.rps <= 1.1 * 40, result.rps
    assert result.p50 < 80, (result.p50, result.p95)  # one wait of 50 ms, and a little


def test_there_and_back_runs_each_experiment_in_order_then_in_reverse() -> None:
    calls: list[str] = []
    experiments = {name: (lambda name=name: calls.append(name) or name) for name in "abc"}
    measured = there_and_back(experiments)  # type: ignore[arg-type]
    assert calls == ["a", "b", "c", "c", "b", "a"]
    assert {name: m.runs for name, m in measured.items()} == {"a": ["a", "a"], "b": ["b", "b"], "c": ["c", "c"]}


def test_servers_there_and_back_labels_each_server_and_loads_them_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str, object]] = []

    def run_on(make: object, path: str, **load: object) -> str:
        calls.append((str(load.pop("label")), path, load))
        return str(make)

    monkeypatch.setattr(measuring, "run_on", run_on)
    measured = measuring.servers_there_and_back({"a": "make a", "b": "make b"}, "/x", users=3)  # type: ignore[dict-item]
    assert calls == [(n, "/x", {"users": 3}) for n in "abba"]
    assert measured["b"].runs == ["make b", "make b"]


def _queue_left_behind(repeats_settle: bool, monkeypatch: pytest.MonkeyPatch) -> Measurement:
    """One sync worker, 40 users waiting 100 ms each: every run leaves 4 s of queued requests behind it."""
    if not repeats_settle:
        monkeypatch.setattr(measuring, "settle", lambda target, timeout=0: None)
    with Gunicorn(workers=1) as server:
        return measure(server, "/io?ms=100", repeats=2, users=40, duration=2, progress=False)


def test_repeats_start_once_the_last_runs_queue_is_served(monkeypatch: pytest.MonkeyPatch) -> None:
    measured = _queue_left_behind(True, monkeypatch)
    assert [run.requests > 0 for run in measured.runs] == [True, True]
    with pytest.raises(LoadError, match="sent no requests"):  # without settle: the second run measures the queue
        _queue_left_behind(False, monkeypatch)


def test_a_process_tree_s_cpu_counts_workers_that_stop_before_the_end() -> None:
    from bench.load.cpu import _tree_rate

    master = [(0.0, 0.0), (1.0, 0.1), (2.0, 0.2), (3.0, 0.3)]  # 0.1 core
    worker = [(1.0, 0.5), (2.0, 1.0)]  # half a core, gone before the last sample
    late = [(2.0, 0.2)]  # started after the window opened: all its CPU counts
    assert _tree_rate({1: master, 2: worker, 3: late}, (1.0, 3.0)) == pytest.approx((0.2 + 0.5 + 0.2) / 2.0)
    assert math.isnan(_tree_rate({1: [(0.0, 0.0)]}, (1.0, 3.0)))  # too short: NaN


def test_the_cpu_figures_count_only_the_time_locust_sent_requests() -> None:
    from bench.load.cpu import LOAD_WARMUP, _tree_rate, load_window

    # locust's start-up takes a core for a second and a half, then it sends requests at a tenth of a core
    locust = [(0.5, 0.5), (1.0, 1.0), (1.5, 1.5), (2.0, 1.55), (2.5, 1.6), (3.0, 1.65), (3.5, 1.7)]
    window = load_window(started=1.5, ended=3.5)
    assert window == (1.5 + LOAD_WARMUP, 3.5)
    assert _tree_rate({1: locust}, window) == pytest.approx(0.1)
    assert load_window(10.0, 10.4)[0] == pytest.approx(10.1)  # a very short run keeps most of itself

"""Load runs: parsing, honesty flags, and what happens when things go wrong."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bench import load
from bench.errors import BenchError
from bench.load import _read_history, generator_ceiling, run_load
from bench.servers import DevServer, Gunicorn

pytestmark = pytest.mark.load


def test_result_from_a_real_run() -> None:
    with Gunicorn(workers=2) as server:
        result = run_load(server, "/io?ms=20", users=4, duration=3)
    assert result.requests > 50 and result.failures == 0
    assert result.p50 >= 20  # every request waits 20 ms
    assert 0 < result.rps <= 4 / 0.020  # 4 users, each at most one request per 20 ms
    ts = result.timeseries
    assert list(ts.columns) == ["t", "users", "rps", "failures/s", "p50", "p95", "requests", "failures"]
    assert ts["requests"].iloc[-1] == result.requests
    assert "req/s" in str(result) and result.row()["users"] == 4


def test_generator_bound_flag_is_raised_against_nginx_from_memory() -> None:
    result = generator_ceiling(users=32, duration=3)
    assert result.generator_bound, str(result)
    assert "generator-bound" in str(result)


def test_generator_bound_flag_stays_down_when_the_server_is_the_limit() -> None:
    with Gunicorn(workers=1) as server:
        result = run_load(server, "/io?ms=100", users=4, duration=3)
    assert not result.generator_bound, str(result)
    assert result.generator_cpu < load.GENERATOR_BOUND_CPU


def test_server_dying_mid_run_counts_failures_without_crashing() -> None:
    server = DevServer(threaded=True).start()
    threading.Timer(1.5, server.stop).start()
    result = run_load(server.url, "/io?ms=10", users=4, duration=4)
    assert result.failures > 0 and result.requests > result.failures
    assert not result.failure_messages.empty
    assert result.timeseries["failures/s"].max() > 0


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


def test_history_parsing(tmp_path: Path) -> None:
    csv = tmp_path / "h.csv"
    csv.write_text(
        "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,95%,Total Request Count,Total Failure Count\n"
        "100,4,,Aggregated,0,0,N/A,N/A,0,0\n"
        "101,4,GET,/io,5,0,20,30,50,0\n"
        "101,4,,Aggregated,5,0,20,30,50,0\n"
        "103,4,,Aggregated,5,0,21,31,250,10\n"
    )
    ts = _read_history(csv)
    assert ts["t"].tolist() == [1, 3]  # the spawn-time snapshot is dropped
    assert ts["rps"].tolist() == [50, 100]
    assert ts["failures/s"].tolist() == [0, 5]
    assert _read_history(tmp_path / "missing.csv").empty


def test_two_generator_processes_sharing_a_small_machine_are_flagged() -> None:
    result = generator_ceiling(users=32, duration=3, processes=2)
    assert result.generator_bound, str(result)

"""The bench against wrk, the independent yardstick: every run the bench does not flag is within ±15% of
what wrk measures on the same server, endpoint and connection count.

A yardstick is only as good as it repeats. Where wrk's own runs on a target stay within ±15% of their median, every
unflagged bench run must too. The threaded development server does not hold still that well, under wrk either
(consecutive 4 s runs here: 576 and 991 req/s): no single run of anything can be held to ±15% there, so on such a
target the bench must not be biased: the median of its unflagged runs' ratios to wrk is within ±15% (measured
here: 10 paired runs, median ratio 0.96, single ratios 0.78-1.19)."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import replace
from itertools import pairwise

import pandas as pd
import pytest

from bench.core.errors import BenchError, LoadError
from bench.host import env
from bench.load import claims, cpu, wrk
from bench.load.result import LoadResult
from bench.load.runner import run_load
from bench.servers import DevServer, Gunicorn, Server

TOLERANCE = 0.15
SECONDS = 4.0
WINDOWS = 4  # bench runs per target, each between two wrk runs
# (server, path, connections): gunicorn with 2 sync workers on cheap, CPU-bound and waiting requests, and the
# development server (one process under the GIL: a busy machine, yet with CPU to spare for locust).
TARGETS: list[tuple[Callable[[], Server], str, int]] = [
    (lambda: Gunicorn(workers=2), "/quote", 16),
    (lambda: Gunicorn(workers=2), "/cpu?ms=5", 16),
    (lambda: Gunicorn(workers=2), "/io?ms=20", 16),
    (lambda: DevServer(threaded=True), "/quote", 16),
]

SAMPLE = """Running 3s test @ http://127.0.0.1:8000/quote
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     6.30ms    1.01ms  14.11ms   80.00%
    Req/Sec     2.54k   120.00     2.70k    70.00%
  7612 requests in 3.00s, 1.53MB read
Requests/sec:   2537.05
Transfer/sec:    521.12KB
"""


def test_parse_reads_the_rate_and_the_count() -> None:
    result = wrk.parse(SAMPLE, "http://127.0.0.1:8000/quote", 16, 3.0)
    assert (result.requests, result.rps) == (7612, 2537.05)
    with pytest.raises(LoadError, match="errors"):
        wrk.parse(SAMPLE.replace("Requests/sec", "  Non-2xx or 3xx responses: 12\nRequests/sec"), "u", 16, 3.0)
    with pytest.raises(LoadError, match="no summary"):
        wrk.parse("unable to connect", "u", 16, 3.0)


def test_a_wrk_run_is_flagged_by_the_rules_locust_runs_are_held_to(monkeypatch: pytest.MonkeyPatch) -> None:
    result = wrk.parse(SAMPLE, "http://127.0.0.1:8000/quote", 16, 3.0)
    assert result.generator_bound and result.interfered  # its CPU not measured: not evidence
    clean = replace(result, generator_cores=0.05, generator_share=0.0, label="dev (wrk)")
    assert not clean.generator_bound and not clean.interfered
    assert replace(clean, generator_share=0.1).interfered
    assert replace(clean, generator_cores=0.9).generator_bound
    monkeypatch.setenv(cpu.CPU_SHARE, "0.49")  # a half-speed core: bound at half the CPU, as locust is
    assert replace(clean, generator_cores=0.5).generator_bound
    monkeypatch.delenv(cpu.CPU_SHARE)
    assert claims._flagged([replace(clean, generator_share=0.1)], "interfered") == [
        "dev (wrk) (generator cores 0.050, generator share of the busy CPU 0.10)"]
    assert "⚠" in str(replace(clean, generator_share=0.1)) and "⚠" not in str(clean)


@pytest.mark.skipif(env.find("wrk") is None, reason="wrk is not installed (make test installs it)")
def test_a_wrk_run_measures_its_own_cpu_and_the_server_s() -> None:
    with DevServer(threaded=True) as server:
        result = wrk.run(server, "/quote", connections=4, duration=1, label="dev (wrk)")
    assert result.requests > 0 and result.label == "dev (wrk)"
    assert 0 < result.generator_cores < 0.8 and 0 <= result.generator_share < 1


def test_wrk_goes_only_to_this_machine() -> None:
    with pytest.raises(BenchError, match=r"127\.0\.0\.1"):
        wrk.run("http://example.com", "/")
    with pytest.raises(BenchError, match="path"):
        wrk.run("http://127.0.0.1:9", "http://example.com/")
Measured = tuple[LoadResult, float]  # a bench run and its ratio to wrk


def _flagged(run: LoadResult) -> bool:
    return run.generator_bound or run.interfered


def _measure(server_factory: Callable[[], Server], path: str, connections: int) -> tuple[list[float], list[Measured]]:
    """WINDOWS bench runs, each between two wrk runs (there and back: a slow drift of the machine favours neither),
    with its ratio to the mean of the two. Returns wrk's rates and the bench runs."""
    with server_factory() as server:
        label = f"{type(server).__name__} {path} ×{connections}"
        rates = [wrk.run(server, path, connections, SECONDS).rps]
        runs = []
        for _ in range(WINDOWS):
            runs.append(run_load(server, path, users=connections, duration=SECONDS, progress=False, label=label))
            rates.append(wrk.run(server, path, connections, SECONDS).rps)
    windows = zip(runs, pairwise(rates), strict=True)
    return rates, [(run, run.rps / ((before + after) / 2)) for run, (before, after) in windows]


def _steady(rates: list[float]) -> bool:
    """wrk repeats itself on this target: every one of its runs within the tolerance of their median."""
    middle = statistics.median(rates)
    return all(abs(rate / middle - 1) <= TOLERANCE for rate in rates)


def _line(run: LoadResult, ratio: float) -> str:
    return (f"{run.label}: bench {run.rps:,.0f} req/s = {ratio:.2f} × wrk, generator share {run.generator_share:.0%}, "
            f"busy {run.machine_busy:.2f} cores" + (" (flagged)" if _flagged(run) else ""))


def _disagreeing(rates: list[float], measured: list[Measured]) -> list[str]:
    """What disagrees with wrk: unflagged runs outside the tolerance on a steady target, the median of their ratios
    on one that is not."""
    ratios = [ratio for run, ratio in measured if not _flagged(run)]
    if _steady(rates):
        return [f"{ratio:.2f} × wrk" for ratio in ratios if abs(ratio - 1) > TOLERANCE]
    middle = statistics.median(ratios) if ratios else 1.0
    return [f"median {middle:.2f} × wrk (wrk itself unsteady)"] if abs(middle - 1) > TOLERANCE else []


def _report(rates: list[float], measured: list[Measured]) -> list[str]:
    spread = "steady" if _steady(rates) else "unsteady: judged by the median ratio"
    return [f"wrk {', '.join(f'{rate:,.0f}' for rate in rates)} req/s ({spread})"] + [_line(*m) for m in measured]


@pytest.mark.load
@pytest.mark.skipif(env.find("wrk") is None, reason="wrk is not installed (make test installs it)")
def test_every_unflagged_run_agrees_with_wrk() -> None:
    """A target that disagrees is measured once more: the machine drifts ±20% from one minute to the next, and one
    disagreement can be drift. A bench that is really low (the flag missing a cause) is low both times, and fails."""
    report, unflagged = [], []
    for server_factory, path, connections in TARGETS:
        rates, measured = _measure(server_factory, path, connections)
        report += _report(rates, measured)
        if _disagreeing(rates, measured):
            report.append("  disagreed: measured again")
            rates, measured = _measure(server_factory, path, connections)
            report += _report(rates, measured)
            assert not _disagreeing(rates, measured), "\n".join(report)
        unflagged += [path for run, _ in measured if not _flagged(run)]
    print("\n".join(report))
    # The flag is not simply always up: runs of waiting requests leave the machine idle and pass unflagged.
    assert unflagged.count("/io?ms=20") == WINDOWS, "\n".join(report)


def test_a_steady_target_is_judged_run_by_run_an_unsteady_one_by_its_median() -> None:
    def run(rps: float) -> LoadResult:
        return LoadResult("t", "http://127.0.0.1:1", ["/"], 1, 1.0, 1, "fast", 1, 0, rps, 1, 1, 1, 0.0, 0.0, False,
                          pd.DataFrame(), pd.DataFrame())

    measured = [(run(r), r / 100) for r in (100, 80, 104, 98)]
    assert _disagreeing([100, 101, 99, 100, 102], measured) == ["0.80 × wrk"]
    assert _disagreeing([100, 70, 120, 100, 90], measured) == []  # median 0.99: one low run is wrk's own swing
    low = [(run(r), r / 100) for r in (80, 82, 120, 78)]
    assert _disagreeing([100, 70, 120, 100, 90], low) == ["median 0.81 × wrk (wrk itself unsteady)"]

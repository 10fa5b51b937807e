"""The claim helper and the machine's measured facts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.load import claims, cpu
from bench.load.claims import ClaimFailed, Needs, claim
from bench.load.comparisons import faster, not_faster
from bench.load.result import LoadResult
from bench.sizing import machine, plans
from sample_app.limits import cpu_limit

BOUND = {"label": "too fast for locust", "generator-bound": True}
FINE = {"label": "a fair run", "generator-bound": False}


@pytest.fixture(autouse=True)
def private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Claims stated here must not reach the suite's record of the notebooks' claims."""
    monkeypatch.setenv("BENCH_STATE_DIR", str(tmp_path))
    monkeypatch.setattr(claims, "usable_cpus", lambda: 2.0)


def test_a_claim_that_holds_is_printed_with_its_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = claim("more is more", 3.0 > 2.0, evidence={"a": 3.0, "b": 2.0, "ratio": 0.123456}, runs=[FINE])
    out = capsys.readouterr().out
    assert outcome.status == claims.HELD and out.startswith("✓ more is more — a 3.00, b 2.00, ratio 0.12")
    assert [o.status for o in claims.recorded()] == [claims.HELD]


def test_a_false_claim_raises_with_its_numbers() -> None:
    with pytest.raises(ClaimFailed, match=r"✗ less is more — a 1,234"):
        claim("less is more", False, evidence={"a": 1234.0})
    assert claims.recorded()[-1].status == claims.FAILED


def test_evidence_from_a_generator_bound_run_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = claim("the server is fast", True, runs=[FINE, BOUND])  # would "hold", but proves nothing
    assert outcome.status == claims.REFUSED
    assert "not measurable on this machine" in capsys.readouterr().out and "too fast for locust" in outcome.reason


def test_refusal_reads_dataframes_and_measurements() -> None:
    pd = pytest.importorskip("pandas")
    assert claim("x", True, runs=pd.DataFrame([FINE, BOUND])).status == claims.REFUSED

    class Run:
        label, generator_bound = "an object", True

    assert claim("x", True, runs=[Run()]).status == claims.REFUSED


def test_an_interfered_run_stands_only_as_a_lower_bound() -> None:
    shared = {"label": "locust took the server's CPU", "generator-bound": False, "interfered": True, "rps": 300.0}
    slow = {**FINE, "rps": 100.0}
    assert claim("A serves at least 1.5× B", faster(shared, than=slow, by=1.5)).status == claims.HELD
    plateau = not_faster(slow, than=shared, by=1.5)  # `shared` must stay ahead: interference only made that harder
    assert claim("B is not 1.5× A", plateau).status == claims.HELD
    lost = claim("B serves 1.5× A", faster({**slow, "rps": 900.0}, than=shared, by=1.5))
    assert lost.status == claims.REFUSED  # the interfered run lost: it may have lost only because of it
    fell_short = claim("A is not 1.5× B", not_faster(shared, than=slow, by=4.0))
    assert fell_short.status == claims.REFUSED  # the interfered run fell short: maybe only because of it
    refused = claim("A and B are about equal", True, runs=[FINE, shared])
    assert refused.status == claims.REFUSED and "locust took the server's CPU" in refused.reason
    assert claim("x", True, runs=[{**shared, "generator share %": 12}]).reason.count("generator share % 12") == 1
    bound = {**BOUND, "rps": 900.0}
    assert claim("x", faster(bound, than=slow)).status == claims.REFUSED  # a generator-bound run never stands


def test_a_comparison_reads_each_side_strictly_and_says_its_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    pd = pytest.importorskip("pandas")
    table = pd.DataFrame([{**FINE, "label": f"w{n}", "rps": rps} for n, rps in enumerate((100.0, 190.0, 210.0))])
    compared = faster(table.iloc[1:], than=table.iloc[:1], by=2.0)  # median of 190 and 210 against 100
    assert compared.holds and compared.evidence == {"the median of 2 (w1 + w2):": "200 req/s", "w0:": "100 req/s",
                                                    "ratio": "2.00 (needed 2)"}
    assert not faster(table.iloc[1:], than=table, by=1.0).holds  # the best of the other side: 210
    plateau = not_faster(table.iloc[1:], than=table.iloc[:1], by=2.05)  # its best, 210, against 100: over 2.05
    assert not plateau.holds and plateau.evidence["ratio"] == "2.10 (must stay under 2.05)"
    b = {**FINE, "label": "b", "p50 ms": 51.0}
    latency = faster({**FINE, "p50 ms": 4.0}, than=50, figure="p50 ms") & faster(50, than=b, figure="p50 ms")
    assert latency.holds and not (latency & faster({**FINE, "p50 ms": 60.0}, than=50, figure="p50 ms")).holds
    claim("a cache answers within the wait", latency)
    assert "— a fair run: p50 4.00 ms, limit 50: p50 50.0 ms, b: p50 51.0 ms" in capsys.readouterr().out
    stacks = pd.DataFrame([{"stack": s, "generator-bound": False, "rps": 9.0} for s in "abc"]).set_index("stack")
    assert "a (the median of 3):" in faster(stacks, than=1.0).evidence  # the one run read
    assert "w2 (the best of 3):" in not_faster(table, than=1.0, by=2).evidence
    sweep = pd.DataFrame([{**FINE, "label": "one at a time", "users": u, "rps": 10.0 + u} for u in (1, 4, 16)])
    assert "one at a time at 16 users (the best of 3 user levels):" in not_faster(sweep, than=1.0, by=30).evidence
    row = stacks.loc["b"]  # one row of a table: a Series, named by its index label, flags read
    assert faster(row, than=1.0).evidence == {"b:": "9.00 req/s", "limit 1:": "1.00 req/s"}
    assert claim("x", faster({**row.to_dict(), "label": "b", "generator-bound": True}, than=1.0)).status == \
        claims.REFUSED
    assert claim("x", faster(pd.Series({"generator-bound": True, "rps": 9.0}, name="b"), than=1.0)).status == \
        claims.REFUSED


def test_a_comparison_refuses_what_it_cannot_read() -> None:
    with pytest.raises(ValueError, match="nothing to compare"):
        faster([], than=1.0)
    with pytest.raises(ValueError, match="nothing to compare"):
        faster({**FINE, "rps": float("nan")}, than=1.0)
    with pytest.raises(ValueError, match="which way is better"):
        faster(FINE, than=1.0, figure="server CPU ms/req")
    with pytest.raises(TypeError, match="combine comparisons with &"):
        bool(faster(2.0, than=1.0))
    with pytest.raises(TypeError, match="its own evidence"):
        claim("x", faster(2.0, than=1.0), evidence="more")
    merged = faster({**FINE, "rps": 3.0}, than=1.0, by=2) & faster({**FINE, "rps": 3.0}, than=2.0, by=1.2)
    assert merged.evidence["ratio"] == "3.00 (needed 2)" and merged.evidence["ratio (2)"] == "1.50 (needed 1.2)"


def test_a_refusal_names_the_figures_the_flag_came_from() -> None:
    from bench.load.measuring import Measurement
    from bench.load.result import LoadResult

    fields = dict(url="", paths=[], users=16, duration=5, processes=1, user_class="", requests=1000, failures=0,
                  rps=200.0, p50=1, p95=2, p99=3, generator_cpu=20.0, generator_cpu_total=25.0, generator_bound=False,
                  timeseries=None, failure_messages=None)
    quiet = LoadResult(label="quiet", machine_busy=0.5, **fields)
    busy = LoadResult(label="busy", machine_busy=1.9, generator_share=0.13, **fields)
    reason = claim("x", True, runs=[Measurement([quiet, busy])]).reason
    assert "quiet (" in reason and "machine busy cores 1.90" in reason
    assert "generator share of the busy CPU 0.13" in reason  # the flagged run's figures, not the first run's


def test_interference_counts_only_on_a_contended_machine() -> None:
    from bench.load.result import generator_share

    assert generator_share(0.6, 1.5, 2.0) == pytest.approx(0.4)  # less idle than locust used: its part of the CPU
    assert generator_share(0.1, 0.3, 2.0) == 0.0  # mostly idle: locust took nothing the server wanted
    assert generator_share(0.4, 1.4, 2.0) == 0.0  # one process under the GIL left a core's worth idle
    assert generator_share(0.2, float("nan"), 2.0) == 0.0  # too short to tell
    # a contended machine, but the dev server's one process had all of its core: locust ran on the other
    assert generator_share(0.6, 1.6, 2.0, server_cores=0.95, server_ceiling=1.0) == 0.0
    assert generator_share(0.6, 1.6, 2.0, server_cores=0.6, server_ceiling=1.0) == pytest.approx(0.6 / 1.6)
    # half-speed cores: idle CPU in slices between the busy loops' is worth less, so the margin is wider
    assert generator_share(0.27, 0.65, 0.98) == 0.0
    assert generator_share(0.27, 0.65, 0.98, share=0.49) == pytest.approx(0.27 / 0.65)
    # ... and one process there is not held to one core's share: no exemption for a "saturated" one
    exempt_at_full_speed = {"server_cores": 0.48, "server_ceiling": 0.5}
    assert generator_share(0.3, 0.8, 0.98, **exempt_at_full_speed) == 0.0
    assert generator_share(0.3, 0.8, 0.98, **exempt_at_full_speed, share=0.49) == pytest.approx(0.3 / 0.8)
    # a server that could use every core is not exempt, however busy it was
    assert generator_share(0.35, 1.9, 2.0, server_cores=1.5, server_ceiling=2.0) == pytest.approx(0.35 / 1.9)


def test_interference_is_the_same_share_of_the_busy_cpu_on_half_speed_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace


    run = LoadResult("r", "http://127.0.0.1:1", ["/"], 16, 4.0, 1, "fast", 100, 0, 25.0, 1, 2, 3, 10.0, 10.0,
                          False, None, None, generator_share=0.05)  # type: ignore[arg-type]
    for share in ("1", "0.49"):  # against wrk: 4.4-5.9% cost 3-8%, 9-14% cost 8-23%, both at full and half speed
        monkeypatch.setenv(cpu.CPU_SHARE, share)
        assert not run.interfered and replace(run, generator_share=0.09).interfered


def test_a_simulated_slower_machine_is_not_counted_as_other_work(monkeypatch: pytest.MonkeyPatch) -> None:

    monkeypatch.setattr(cpu, "usable_cpus", lambda: 2.0)
    monkeypatch.delenv(cpu.CPU_SHARE, raising=False)  # as on a machine not under portability.sh half
    monkeypatch.delenv(cpu.BACKGROUND_PIDS, raising=False)
    assert cpu.capacity_cores() == 2.0 and cpu._background_seconds() == 0.0
    monkeypatch.setenv(cpu.CPU_SHARE, "0.5")
    monkeypatch.setenv(cpu.BACKGROUND_PIDS, f"{os.getpid()} not-a-pid 999999999")
    assert cpu.capacity_cores() == 1.0  # each core gives half: one core's worth in all
    assert cpu._background_seconds() > 0  # the busy loops' CPU (here: this process's own) is known


def test_a_claim_this_machine_cannot_measure_does_not_fail(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(claims, "usable_cpus", lambda: 1.0)
    outcome = claim("two workers beat one", False, needs=Needs(2, "nothing to scale to"))
    assert outcome.status == claims.UNMEASURABLE
    out = capsys.readouterr().out
    assert "needs 2 usable cores" in out and "may use 1" in out and "nothing to scale to" in out


def test_a_claim_in_docker_counts_the_engines_cpus(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from bench.host import docker_engine

    monkeypatch.setattr(claims, "usable_cpus", lambda: 10.0)  # a 10-core Mac whose Docker Desktop VM has 2 CPUs
    monkeypatch.setattr(docker_engine, "engine_cpus", lambda: 2)
    outcome = claim("three replicas beat one", True, needs=Needs(4, "pods share the cores", in_docker=True))
    assert outcome.status == claims.UNMEASURABLE and "Docker's engine has 2" in capsys.readouterr().out
    assert claim("three replicas beat one", True, needs=Needs(4, "pods share the cores")).status == claims.HELD


V1 = "12:cpu,cpuacct:/course/half\n11:memory:/course/half\n0::/\n"
V2 = "0::/course/half\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_cgroup_v1_quota_of_this_process_or_a_parent(tmp_path: Path) -> None:
    _write(tmp_path / "cpu,cpuacct/course/half/cpu.cfs_quota_us", "-1\n")
    _write(tmp_path / "cpu,cpuacct/course/half/cpu.cfs_period_us", "100000\n")
    _write(tmp_path / "cpu,cpuacct/course/cpu.cfs_quota_us", "150000\n")
    _write(tmp_path / "cpu,cpuacct/course/cpu.cfs_period_us", "100000\n")
    assert cpu_limit(tmp_path, V1) == 1.5


def test_cgroup_v2_cpu_max(tmp_path: Path) -> None:
    _write(tmp_path / "course/half/cpu.max", "50000 100000\n")
    _write(tmp_path / "course/cpu.max", "max 100000\n")
    assert cpu_limit(tmp_path, V2) == 0.5
    assert cpu_limit(tmp_path / "nowhere", V2) is None


def _facts(cores: float, ceiling: float, app: float = 100_000, generator_ms: float = 0.1,
           generator_cores: int = 0) -> machine.Facts:
    return machine.Facts(logical_cores=8, affinity_cores=int(cores), cgroup_cpus=None, usable_cores=cores,
                         generator_cores=generator_cores,
                         generator_rps=ceiling, app_rps=app, generator_ms=generator_ms, python_loop_ms=60.0,
                         measured_at=0.0, key="k")


def test_plans_follow_the_machine() -> None:
    assert plans.scaling(_facts(2, 10_000)).counts == [1, 2, 4]
    assert plans.scaling(_facts(8, 10_000)).counts == [1, 8, 16]
    assert plans.scaling(_facts(1, 10_000)).counts == [1, 2]
    assert plans.scaling(_facts(8, 10_000, generator_cores=2)).counts == [1, 6, 12]  # locust keeps two cores
    fast, slow = _facts(2, 10_000), _facts(2, 2_400)
    assert fast.wait_ms_for(200, at_least=5) < slow.wait_ms_for(200, at_least=5)  # longer waits, not more requests
    for facts in (fast, slow):
        assert 200 / (facts.wait_ms_for(200) / 1000) <= facts.safe_rps
    assert fast.wait_ms_for(1) == 100  # the lessons' usual wait, where the generator has room to spare
    slow_app = _facts(2, 10_000, app=1_000)  # the app, not locust, is what limits this machine
    assert slow_app.safe_rps == 500 and slow_app.wait_ms_for(200) == 400


def test_cpu_bound_work_grows_with_the_generators_cost() -> None:
    cheap, costly = _facts(2, 10_000, generator_ms=0.1), _facts(2, 2_400, generator_ms=0.8)
    assert cheap.cpu_ms == 6 and costly.cpu_ms == 48  # a slow machine's locust gets heavier requests to send
    for facts in (cheap, costly):
        assert facts.generator_ms / facts.cpu_ms <= 0.05  # locust's CPU: a small part of the server's
    paced = costly.paced_rps(1.0)
    assert paced * (1.0 + 1000 / costly.app_rps + costly.generator_ms) / 1000 == pytest.approx(machine.PACED_CORES)
    assert _facts(2, 400, generator_ms=0.8).paced_rps(1.0) == _facts(2, 400).safe_rps  # never past the safe load


def test_facts_are_cached_per_key(monkeypatch: pytest.MonkeyPatch) -> None:
    measured = []

    def fake_measure() -> machine.Facts:
        facts = _facts(2, 5_000)
        facts = machine.Facts(**{**facts.__dict__, "key": machine.cache_key()})
        machine._cache_path().write_text(__import__("json").dumps(facts.__dict__))
        measured.append(facts)
        return facts

    monkeypatch.setattr(machine, "measure", fake_measure)
    monkeypatch.setattr(machine, "python_loop_ms", lambda: 60.0)  # the speed the fake facts were measured at
    first, again = machine.facts(), machine.facts()
    assert first == again and len(measured) == 1
    other_cores = machine.affinity_cores() + 1  # taskset, or another machine: new plans
    monkeypatch.setattr(machine, "affinity_cores", lambda: other_cores)
    machine.facts()
    assert len(measured) == 2
    monkeypatch.setattr(machine, "python_loop_ms", lambda: 2 * 60.0)  # the same machine, now at half speed
    machine.facts()
    assert len(measured) == 3
    monkeypatch.setattr(machine, "python_loop_ms", lambda: 1.2 * 60.0)  # `portability.sh half`, a loop run lucky
    monkeypatch.setenv(cpu.CPU_SHARE, "0.49")
    machine.facts()
    assert len(measured) == 4
    assert {row["fact"] for row in first.table()} >= {"usable cores", "load generator ceiling"}


def test_a_notebook_can_say_why_the_machine_cannot_measure() -> None:
    outcome = claim("x", False, cannot="the generator's ceiling is below the load the claim needs")
    assert outcome.status == claims.UNMEASURABLE and "ceiling" in outcome.reason

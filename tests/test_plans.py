"""Every experiment's plan on machines the course has never run on: 1 to 64 cores, with and without SMT.

The facts are this reference machine's speeds (one locust process ~8,000 req/s against nginx, one app worker
~1,600 req/s on `/`, locust ~0.4 ms of CPU per request) on machines of other sizes; the cores kept for the
generator come from `bench.host.partition.plan`, as `machine.measure` takes them."""

from __future__ import annotations

import pytest

from bench.host import partition
from bench.sizing import plans
from bench.sizing.machine import Facts

CORES = [1, 2, 4, 8, 16, 64]


def facts_for(logical: int, smt: bool) -> Facts:
    """A machine of `logical` CPUs; with SMT, two per physical core (Linux numbers the second threads last)."""
    half = logical // 2
    cores = [(i, i + half) for i in range(half)] if smt and logical > 1 else None
    split = partition.plan(range(logical), cores=cores)
    return Facts(logical_cores=logical, affinity_cores=logical, cgroup_cpus=None, usable_cores=float(logical),
                 generator_cores=len(split.generator) if split else 0, generator_rps=8000.0, app_rps=1600.0,
                 generator_ms=0.4, python_loop_ms=65.0, measured_at=0.0, key="test")


MACHINES = [pytest.param(facts_for(n, smt), id=f"{n}-cpus{'-smt' if smt else ''}")
            for n in CORES for smt in (False, True) if not (smt and n == 1)]


@pytest.fixture(params=["quick", "full"])
def course_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COURSE_MODE", request.param)
    return request.param


@pytest.mark.parametrize("facts", MACHINES)
def test_no_stack_in_the_matrix_can_outrun_its_generator(facts: Facts, course_mode: str) -> None:
    plan = plans.matrix(facts)
    assert 1 <= plan.workers <= plans.server_cores(facts)
    assert plan.workers * facts.app_rps <= plans.MATRIX_GENERATOR_SHARE * facts.generator_rps
    assert max(plan.levels) >= plan.workers  # at least one user per process


@pytest.mark.parametrize("facts", MACHINES)
def test_cpu_bound_sweeps_ask_no_more_than_the_generator_can_send(facts: Facts, course_mode: str) -> None:
    sweep = plans.worker_sweep(facts)
    assert sweep.users >= max(sweep.levels)  # a closed loop: a user per busy worker at least
    assert plans.cpu_bound_rps(facts, max(sweep.levels)) <= plans.generator_safe_rps(facts)
    scale = plans.scaling(facts)
    assert plans.cpu_bound_rps(facts, max(scale.counts)) <= plans.generator_safe_rps(facts)


@pytest.mark.parametrize("facts", MACHINES)
def test_scaling_starts_what_its_budget_allows_and_users_grow_with_it(facts: Facts, course_mode: str) -> None:
    plan = plans.scaling(facts)
    assert max(plan.counts) <= plans.MAX_SCALING_PROCESSES
    assert plan.users >= plans.USERS_PER_PROCESS * max(plan.counts)
    assert plan.whole_machine == (plan.cores == plans.server_cores(facts))
    assert bool(plan.why_not_past_the_cores(facts)) != plan.whole_machine


@pytest.mark.parametrize("facts", MACHINES)
def test_streams_outnumber_threads(facts: Facts) -> None:
    plan = plans.streams(facts)
    assert plan.workers * plan.threads < plan.streams <= 5 * 4 * plan.threads


def test_smt_keeps_the_generator_on_whole_cores() -> None:
    smt, flat = facts_for(16, smt=True), facts_for(16, smt=False)
    assert smt.generator_cores == 2 and flat.generator_cores == 1  # one whole core: both of its threads
    assert partition.plan(range(16), cores=[(i, i + 8) for i in range(8)]).generator == (7, 15)
    assert partition.plan(range(16), cores=[(i, i + 8) for i in range(8)], generator_processes=2).generator == (
        6, 7, 14, 15)


def test_the_reference_machine_keeps_its_plans(monkeypatch: pytest.MonkeyPatch) -> None:
    """2 cores: the plans the recorded notebooks ran with."""
    monkeypatch.setenv("COURSE_MODE", "quick")
    facts = facts_for(2, smt=False)
    assert plans.worker_sweep(facts) == plans.WorkerSweep(cores=2, levels=[1, 2, 5], users=16)
    assert plans.matrix(facts) == plans.Matrix(workers=2, levels=[16])
    assert plans.scaling(facts) == plans.Scaling(cores=2, counts=[1, 2, 4], users=16, whole_machine=True)
    assert plans.streams(facts) == plans.Streams(workers=2, threads=4, streams=40)
    assert facts.cpu_ms == 24

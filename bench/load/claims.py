"""One way to state a claim: in words, with the numbers that support it, asserted, honestly.

    claim("gevent overlaps waiting far better than one thread", faster(gevent_run, than=sync_run, by=5))
    claim("its rate is what one core serves", abs(rps / one_core - 1) <= 0.2, evidence={...}, runs=[run])

- prints `✓ claim — numbers` when the measurement supports it;
- raises `ClaimFailed` with the numbers when it does not;
- refuses evidence from a run where the load generator was the bottleneck or took CPU the server
  needed (`refused`; an interfered run may still stand on the winning side of a comparison, `faster`), and says
  "not measurable on this machine" with the reason when the machine lacks what the claim needs
  (`needs`, e.g. `TWO_CORES`), instead of failing. Both are recorded: the test suite fails if any claim was
  refused or not measurable on a machine with a spare core (the CI machine).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from bench.core.numbers import evidence_text
from bench.core.paths import state_dir
from bench.load.comparisons import Comparison, rows_of
from sample_app.limits import usable_cpus

HELD, FAILED, REFUSED, UNMEASURABLE = "held", "failed", "refused", "not measurable"


class ClaimFailed(AssertionError):
    """The measurement contradicts the claim."""


@dataclass(frozen=True)
class Outcome:
    statement: str
    status: str
    evidence: str
    reason: str
    at: float

    def _ipython_display_(self) -> None:
        """Shown once, by `claim` itself: nothing more when a cell ends with a claim."""

    def __str__(self) -> str:
        mark = {HELD: "✓", FAILED: "✗", REFUSED: "–", UNMEASURABLE: "–"}[self.status]
        text = f"{mark} {self.statement}" + (f" — {self.evidence}" if self.evidence else "")
        if self.status in (REFUSED, UNMEASURABLE):
            text += f"\n  not measurable on this machine: {self.reason}"
        return text


# The figures a flag is decided from (bench.load, bench.wrk), named for the refusal's reason: what fired, and why.
_FIGURES = {"generator_cpu": "locust's busiest process % of a core", "generator_cpu_total": "locust % of a core",
            "generator_cores": "generator cores", "generator_share": "generator share of the busy CPU",
            "machine_busy": "machine busy cores", "server_busy": "server busy cores",
            "generator CPU %": "generator % of a core", "generator share %": "generator share %"}


def _figures(run: Any) -> str:
    """The figures behind a run's flag, e.g. " (machine busy cores 1.6, …)"; a Measurement's first flagged run's."""
    flagged = [r for r in getattr(run, "runs", ()) if r.generator_bound or r.interfered]
    if flagged:
        return _figures(flagged[0])
    get = run.get if isinstance(run, Mapping) else lambda name: getattr(run, name, None)
    found = {label: value for name, label in _FIGURES.items()
             if isinstance(value := get(name), int | float) and value == value}  # NaN: not measured, not shown
    return f" ({evidence_text(found)})" if found else ""


def _flagged(runs: Iterable[Any], column: str) -> list[str]:
    """The runs (LoadResult, Measurement, WrkResult, or rows of their `row()`) with the flag `column` set:
    "generator-bound" (locust limited the run) or "interfered" (locust took CPU the server needed), each named by
    its label and the figures the flag was decided from."""
    found = []
    for run in runs:
        if isinstance(run, Mapping):
            flag, label = run.get(column), run.get("label") or run.get("stage")
        else:
            flag, label = getattr(run, column.replace("-", "_"), False), getattr(run, "label", "")
        if bool(flag):
            found.append(f"{label}{_figures(run)}")
    return found


def _log(outcome: Outcome) -> None:
    with (state_dir() / "claims.jsonl").open("a") as f:
        f.write(json.dumps(asdict(outcome)) + "\n")


@dataclass(frozen=True)
class Needs:
    """What a claim needs of the machine to mean anything: `cores` usable cores, and why. `in_docker`: the
    experiment runs in Docker's engine, so its CPUs count too (Docker Desktop's and colima's VM may have fewer
    than the Mac, and kind's nodes run in it)."""

    cores: float
    why: str
    in_docker: bool = False

    def usable(self) -> tuple[float, str]:
        """The usable cores the claim is measured on, and whose they are."""
        here = usable_cpus()
        if self.in_docker:
            from bench.host.docker_engine import engine_cpus

            engine = float(engine_cpus())
            if engine < here:
                return engine, "Docker's engine has"
        return here, "this process may use"


# The claims that compare one process with several: on one usable core every process shares it, so more of them
# cannot add CPU, and the comparison says nothing about the servers.
TWO_CORES = Needs(2, "on one usable core every process shares it: more processes cannot add CPU")
# The claims about one server process's own rate: on one core the load generator runs on the server's core.
SPARE_CORE = Needs(2, "on one usable core the load generator shares the server's: the rate is not the server's own")


def claim(statement: str, holds: bool | Comparison, evidence: Mapping[str, object] | str = "", runs: Any = (),
          needs: Needs | None = None, cannot: str = "") -> Outcome:
    """State a claim from a fresh measurement: print it with its evidence, or raise ClaimFailed.

    `holds`: whether the measurement supports it; a comparison (`faster`, `not_faster`) brings its evidence and
    its runs, each on its side: an interfered run may stand on the winning side (interference can only make a
    server look worse: a lower rate, a higher latency); a generator-bound one may stand on neither.
    `runs`: the load runs the evidence comes from (a generator-bound or interfered one makes the claim
    "refused").
    `needs`: what the experiment needs of the machine to mean anything (usable cores, and why).
    `cannot`: a reason this machine cannot measure the claim, found by the notebook (empty: it can).
    """
    runs, winners = rows_of(runs), []
    if isinstance(holds, Comparison):
        if isinstance(evidence, str) and evidence:
            raise TypeError("a comparison brings its own evidence: add to it with a mapping, not a string")
        evidence = {**holds.evidence, **(evidence or {})}
        runs, winners, holds = [*runs, *holds.losers], holds.winners, holds.holds
    text, now = evidence_text(evidence), time.time()
    usable, whose = needs.usable() if needs else (0.0, "")
    bound = _flagged(runs + winners, "generator-bound")
    bound += [label for label in _flagged(runs, "interfered") if label not in bound]
    if cannot:
        outcome = Outcome(statement, UNMEASURABLE, text, cannot, now)
    elif needs and usable < needs.cores:
        reason = f"it needs {needs.cores:g} usable cores and {whose} {usable:g} ({needs.why})"
        outcome = Outcome(statement, UNMEASURABLE, text, reason, now)
    elif bound:
        reason = (f"the load generator limited or took CPU from the server in: {', '.join(bound)}. "
                  "Close other programs and run again, or use a machine with a spare core.")
        outcome = Outcome(statement, REFUSED, text, reason, now)
    else:
        outcome = Outcome(statement, HELD if holds else FAILED, text, "", now)
    _log(outcome)
    if outcome.status == FAILED:
        raise ClaimFailed(str(outcome))
    print(outcome)
    return outcome


def recorded(since: float = 0.0) -> list[Outcome]:
    """Every claim stated since `since` (unix time), from any kernel on this machine."""
    path = state_dir() / "claims.jsonl"
    if not path.exists():
        return []
    rows = [Outcome(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]
    return [o for o in rows if o.at >= since]

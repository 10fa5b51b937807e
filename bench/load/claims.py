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

import pandas as pd

from bench.core.numbers import readable
from bench.core.paths import state_dir
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


def _evidence(evidence: Mapping[str, object] | str) -> str:
    if isinstance(evidence, str):
        return evidence
    return ", ".join(f"{name} {readable(value)}" for name, value in evidence.items())


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
    return f" ({_evidence(found)})" if found else ""


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


def _rows(runs: Any) -> list[Any]:
    """Accept a DataFrame (its rows, a named index kept as a column) or any iterable of runs."""
    if hasattr(runs, "to_dict") and hasattr(runs, "columns"):
        return list((runs.reset_index() if runs.index.name else runs).to_dict("records"))
    return list(runs)


def _log(outcome: Outcome) -> None:
    with (state_dir() / "claims.jsonl").open("a") as f:
        f.write(json.dumps(asdict(outcome)) + "\n")


@dataclass(frozen=True)
class Needs:
    """What a claim needs of the machine to mean anything: `cores` usable cores, and why."""

    cores: float
    why: str


# The claims that compare one process with several: on one usable core every process shares it, so more of them
# cannot add CPU, and the comparison says nothing about the servers.
TWO_CORES = Needs(2, "on one usable core every process shares it: more processes cannot add CPU")
# The claims about one server process's own rate: on one core the load generator runs on the server's core.
SPARE_CORE = Needs(2, "on one usable core the load generator shares the server's: the rate is not the server's own")


@dataclass(frozen=True)
class Comparison:
    """One side against the other on one figure, and which side's runs interference could not have helped."""

    holds: bool
    evidence: dict[str, object]
    winners: list[Any]  # interfered, they only looked worse: the claim stands all the same
    losers: list[Any]  # interfered, they may have lost only because of it: the claim is refused

    def __and__(self, other: Comparison) -> Comparison:
        """Both comparisons at once (e.g. a cache under a threshold that an uncached answer is over)."""
        return Comparison(self.holds and other.holds, {**self.evidence, **other.evidence},
                          self.winners + other.winners, self.losers + other.losers)


def _label(run: Any) -> str:
    if isinstance(run, Mapping):
        return next((str(run[key]) for key in ("label", "stack", "stage", "cache") if run.get(key)), "?")
    return str(getattr(run, "label", ""))


def _value(run: Any, figure: str) -> float:
    if isinstance(run, Mapping):
        return float(run[figure])
    return float(run.rps if figure == "rps" else run.row()[figure])


def _side(side: Any, figure: str) -> tuple[list[Any], list[float], str]:
    """A side's runs (none for a plain number), their figures, and its name."""
    if isinstance(side, int | float):
        return [], [float(side)], "limit"
    rows = _rows(side) if hasattr(side, "columns") or isinstance(side, list | tuple) else [side]
    labels = list(dict.fromkeys(_label(r) for r in rows))
    name = " + ".join(labels) if len(labels) <= 2 else f"the median of {len(labels)} ({labels[0]}, …)"
    return rows, [_value(r, figure) for r in rows], name


def faster(side: Any, than: Any, by: float = 1.0, figure: str = "rps") -> Comparison:
    """Whether `side` beats `than` on `figure` by the factor `by`: a rate `by` times as high ("rps"), or a latency
    (a figure in ms) `by` times as low. Each side is a run, runs, a table's rows or a plain number (a threshold).
    Read strictly: `side`'s median against the best of `than`'s runs.

    Interference (the load generator taking CPU the server needed) can only make a server look worse, so an
    interfered run may stand on the winning side of a claim, never on the losing side (bench/load/result.py)."""
    lower_is_better = figure.endswith("ms")
    won, won_values, won_name = _side(side, figure)
    lost, lost_values, lost_name = _side(than, figure)
    mine = float(pd.Series(won_values).median())
    theirs = min(lost_values) if lower_is_better else max(lost_values)
    holds = bool(mine * by <= theirs if lower_is_better else mine >= by * theirs)
    def shown(value: float, side: Any) -> str:
        number = readable(side if isinstance(side, int | float) else value)  # a limit as it was given
        return f"{figure.removesuffix(' ms')} {number} ms" if lower_is_better else f"{number} req/s"

    evidence: dict[str, object] = {f"{won_name}:": shown(mine, side), f"{lost_name}:": shown(theirs, than)}
    if by != 1.0:
        ratio = theirs / mine if lower_is_better else mine / theirs
        evidence["ratio"] = f"{readable(ratio)} (needed {by:g})"
    return Comparison(holds, evidence, won, lost)


def not_faster(side: Any, than: Any, by: float, figure: str = "rps") -> Comparison:
    """Whether `side` falls short of beating `than` by `by` (a plateau: more workers, little more). The sides
    swap: `than` is now the one that interference could only have made the claim harder for."""
    beats = faster(side, than, by, figure)
    return Comparison(not beats.holds, beats.evidence, winners=beats.losers, losers=beats.winners)


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
    runs, winners = _rows(runs), []
    if isinstance(holds, Comparison):
        evidence = {**holds.evidence, **(evidence if isinstance(evidence, Mapping) else {})}
        runs, winners, holds = [*runs, *holds.losers], holds.winners, holds.holds
    text, now = _evidence(evidence), time.time()
    usable = usable_cpus()
    bound = _flagged(runs + winners, "generator-bound")
    bound += [label for label in _flagged(runs, "interfered") if label not in bound]
    if cannot:
        outcome = Outcome(statement, UNMEASURABLE, text, cannot, now)
    elif needs and usable < needs.cores:
        reason = f"it needs {needs.cores:g} usable cores and this process may use {usable:g} ({needs.why})"
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

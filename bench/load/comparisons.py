"""A claim that compares two sides, each run on its side: `bench.claim(statement, faster(a, than=b, by=1.5))`.

Interference (the load generator taking CPU the server needed, bench/load/result.py) can only make a server look
worse: a lower rate, and, at the same load, a higher latency. So an interfered run may stand on the side that
wins the claim (it won in spite of it) and never on the side that loses (it may have lost because of it); a
generator-bound run stands on neither. Each side is read strictly: the side that must win by its median, the
other by its best run. (Latency: at a fixed offered rate a starved generator may also send less, and a server that
queues then looks faster; so compare latencies at a rate well under what the winning side serves, as notebook 07
offers its caches what uncached workers can serve.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real
from statistics import median
from typing import Any

from bench.core.numbers import readable

HIGHER_IS_BETTER = {"rps"}
LOWER_IS_BETTER = {"mean ms", "p50 ms", "p95 ms", "p99 ms"}  # at the same offered load


@dataclass(frozen=True)
class Comparison:
    """Whether one side beat the other, the numbers, and which side each run stood on."""

    holds: bool
    evidence: dict[str, object]
    winners: list[Any]  # interfered, they only looked worse: the claim stands all the same
    losers: list[Any]  # interfered, they may have lost only because of it: the claim is refused

    def __and__(self, other: Comparison) -> Comparison:
        """Both comparisons at once (e.g. a cache under a limit that an uncached answer is over)."""
        evidence = dict(self.evidence)
        for key, value in other.evidence.items():
            if evidence.get(key, value) != value:  # the same name with another number: keep both
                key = f"{key.rstrip(':')} (2):" if key.endswith(":") else f"{key} (2)"
            evidence[key] = value
        return Comparison(self.holds and other.holds, evidence, self.winners + other.winners,
                          self.losers + other.losers)

    def __bool__(self) -> bool:
        raise TypeError("combine comparisons with &, and pass one to bench.claim: `and`/`if` would drop one")


def rows_of(runs: Any) -> list[Any]:
    """Runs from a DataFrame (its rows, a named index kept as a column), a Series (one row), or any iterable."""
    if hasattr(runs, "to_dict") and hasattr(runs, "columns"):
        return list((runs.reset_index() if runs.index.name else runs).to_dict("records"))
    if hasattr(runs, "to_dict") and hasattr(runs, "index"):  # a Series: one table row, named by its index label
        return [{"label": runs.name, **runs.to_dict()}]
    return list(runs)


def _label(run: Any) -> str:
    if isinstance(run, Mapping):
        return next((str(run[key]) for key in ("label", "stack", "stage", "cache") if run.get(key)), "?")
    return str(getattr(run, "label", ""))


def _users_if_swept(runs: list[Any]) -> list[Any]:
    """Each run's users where runs of one label differ in users (a sweep, not repeats), else []."""
    users = [run.get("users") if isinstance(run, Mapping) else getattr(run, "users", None) for run in runs]
    return users if len({_label(run) for run in runs}) == 1 and len(set(users)) > 1 else []


def _value(run: Any, figure: str) -> float:
    if isinstance(run, Mapping):
        return float(run[figure])
    return float(run.rps if figure == "rps" else run.row()[figure])


@dataclass(frozen=True)
class _Side:
    runs: list[Any]  # none for a plain number (a limit)
    values: list[float]
    labels: list[str]

    @classmethod
    def of(cls, side: Any, figure: str) -> _Side:
        if isinstance(side, Real):
            return cls([], [float(side)], [f"limit {float(side):g}"])
        runs = rows_of(side) if hasattr(side, "to_dict") or isinstance(side, list | tuple) else [side]
        values = [_value(run, figure) for run in runs]
        if not values or any(math.isnan(v) for v in values):
            raise ValueError(f"nothing to compare on {figure!r}: {len(values)} runs, values {values}")
        return cls(runs, values, list(dict.fromkeys(_label(run) for run in runs)))

    def name(self, how: str, value: float) -> str:
        """The run read, e.g. "run 3 (the best of 3)"; "the median of 4 (gunicorn, …)" where no one run was."""
        count = len(self.values)
        if count == 1:
            return " + ".join(self.labels)
        if self.runs and value in self.values:  # the best, or the median of an odd count: one run
            index, users = self.values.index(value), _users_if_swept(self.runs)
            at, of = (f" at {users[index]} users", f"{count} user levels") if users else ("", str(count))
            return f"{_label(self.runs[index])}{at} (the {how} of {of})"
        runs = f"{self.labels[0]}, …" if len(self.labels) > 2 else " + ".join(self.labels)
        return f"the {how} of {count} ({runs})"


def _compare(side: Any, than: Any, by: float, figure: str, beat: bool) -> Comparison:
    """`beat`: `side`'s median beats `than`'s best by `by`; otherwise: `side`'s best falls short of beating
    `than`'s median by `by`. Either way the side that must come out ahead is read by its median."""
    if figure not in HIGHER_IS_BETTER | LOWER_IS_BETTER:
        raise ValueError(f"which way is better for {figure!r}? {sorted(HIGHER_IS_BETTER | LOWER_IS_BETTER)}")
    lower = figure in LOWER_IS_BETTER
    a, b = _Side.of(side, figure), _Side.of(than, figure)
    best = min if lower else max
    mine, theirs = (median(a.values), best(b.values)) if beat else (best(a.values), median(b.values))
    gain = (theirs / mine if mine else math.inf) if lower else (mine / theirs if theirs else math.inf)
    holds = gain >= by if beat else gain < by

    def shown(value: float) -> str:
        return f"{figure.removesuffix(' ms')} {readable(value)} ms" if lower else f"{readable(value)} req/s"

    a_how, b_how = ("median", "best") if beat else ("best", "median")
    evidence: dict[str, object] = {f"{a.name(a_how, mine)}:": shown(mine), f"{b.name(b_how, theirs)}:": shown(theirs)}
    if by != 1.0:
        evidence["ratio"] = f"{readable(gain)} ({'needed' if beat else 'must stay under'} {by:g})"
    if beat:  # side must win: interference on it only made that harder
        return Comparison(holds, evidence, winners=a.runs, losers=b.runs)
    return Comparison(holds, evidence, winners=b.runs, losers=a.runs)  # `than` must stay ahead


def faster(side: Any, than: Any, by: float = 1.0, figure: str = "rps") -> Comparison:
    """Whether `side` beats `than` by the factor `by`: a rate ("rps") `by` times as high, or a latency ("p50 ms",
    …) `by` times as low. A side is a run, a list of runs, a table's rows or a plain number (a limit)."""
    return _compare(side, than, by, figure, beat=True)


def not_faster(side: Any, than: Any, by: float, figure: str = "rps") -> Comparison:
    """Whether `side` falls short of beating `than` by `by` (a plateau: more workers, little more). Now `than`
    is the side that must come out ahead, and `side`'s runs may not be interfered."""
    return _compare(side, than, by, figure, beat=False)

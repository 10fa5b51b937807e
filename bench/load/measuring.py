"""Measurements made of several load runs: repeated (`measure`), or there and back (`there_and_back`), each
run on a server started for it (`run_on`) or once the last one's queue is served (`settle`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import pandas as pd
import requests

from bench.core import mode
from bench.core.errors import LoadError
from bench.load.result import LoadResult, Target
from bench.load.runner import run_load

SETTLE_SECONDS = 120.0  # the longest a server may take to serve what a load left queued (see settle)


def run_on(make: Callable[[], Target], path: str | list[str] = "/", **load: Any) -> LoadResult:
    """Start the server `make()` builds, run `run_load(server, path, **load)` against it, and stop it: one
    experiment for `there_and_back`."""
    with make() as server:  # type: ignore[attr-defined]
        return run_load(server, path, **load)


@dataclass
class Measurement:
    """Several runs of the same load (COURSE_MODE decides how many): mean and spread."""

    runs: list[LoadResult]

    @property
    def label(self) -> str:
        return self.runs[0].label

    @property
    def generator_bound(self) -> bool:
        return any(r.generator_bound for r in self.runs)

    @property
    def interfered(self) -> bool:
        return any(r.interfered for r in self.runs)

    @property
    def rps(self) -> float:
        """Mean requests/s over the runs."""
        return sum(r.rps for r in self.runs) / len(self.runs)

    def row(self) -> dict[str, object]:
        """Like LoadResult.row(), averaged over the runs, plus the standard deviation of requests/s."""
        frame = pd.DataFrame([r.row() for r in self.runs])
        row = self.runs[0].row()
        for column in ("rps", "mean ms", "p50 ms", "p95 ms", "p99 ms", "server CPU ms/req"):
            row[column] = round(float(frame[column].mean()), 3)
        row.update({"rps sd": round(float(frame["rps"].std(ddof=1)), 1) if len(frame) > 1 else 0.0,
                    "runs": len(self.runs), "requests": int(frame["requests"].sum()),
                    "failures": int(frame["failures"].sum()), "generator CPU %": int(frame["generator CPU %"].max()),
                    "generator share %": int(frame["generator share %"].max()), "interfered": self.interfered,
                    "generator-bound": self.generator_bound})
        return row

    def __str__(self) -> str:
        row = self.row()
        return (f"{self.label}: {row['rps']:,.0f} ± {row['rps sd']:,.0f} req/s over {len(self.runs)} run(s), "
                f"p95 {row['p95 ms']:.0f} ms" + ("  ⚠ generator-bound" if self.generator_bound
                                                 else "  ⚠ interfered" if self.interfered else ""))


def settle(target: Target | str, timeout: float = SETTLE_SECONDS) -> None:
    """Wait until a bench server answers a request again. When a load stops, every user's last request is still
    queued in the server (a sync worker serves the requests it has accepted, whoever is left to read the answer):
    200 users on 2 sync workers and a 200 ms wait leave 20 s of work, and a run started before it is done
    measures that queue, not the server. One request on the ready path comes back once the queue is served."""
    path = getattr(target, "ready_path", None)
    if isinstance(target, str) or path is None:
        return
    try:
        requests.get(target.url + path, timeout=timeout)
    except requests.RequestException as error:
        raise LoadError(f"{target.url} did not answer within {timeout:g} s of the last load ending: {error}") from None


def measure(target: Target | str, path: str | list[str] = "/", repeats: int | None = None,
            **kwargs: object) -> Measurement:
    """`run_load` repeated `repeats` times (the mode's default: 1 in quick mode, 3 in full), each once the
    server has served what the one before left queued (`settle`)."""
    count = repeats if repeats is not None else mode.current().repeats
    runs = []
    for repeat in range(count):
        if repeat:
            settle(target)
        runs.append(run_load(target, path, **kwargs))  # type: ignore[arg-type]
    return Measurement(runs)


def there_and_back(experiments: Mapping[str, Callable[[], LoadResult]]) -> dict[str, Measurement]:
    """Run each experiment in the order given, then in reverse, and keep both runs of each.

    A machine's speed drifts from minute to minute (notebook 09 measures by how much); measured there and
    back, a slow drift favours no experiment in the averages (`Measurement.row()`).
    """
    order = list(experiments)
    runs: dict[str, list[LoadResult]] = {name: [] for name in order}
    for name in [*order, *order[::-1]]:
        runs[name].append(experiments[name]())
    return {name: Measurement(results) for name, results in runs.items()}


def servers_there_and_back(servers: Mapping[str, Callable[[], Target]], path: str | list[str] = "/",
                           **load: Any) -> dict[str, Measurement]:
    """Each server `make()` builds, under the same load (`run_on`, labelled with its name), there and back."""
    return there_and_back({name: partial(run_on, make, path, label=name, **load) for name, make in servers.items()})

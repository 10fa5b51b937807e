"""What happens within a second of a load run: requests counted in short bins from `run_load(per_request=True)`.

A worker killed under load is replaced in well under a second, so locust's per-second counts average the dip
away; bins a fraction of that long show it.
"""

from __future__ import annotations

import math

import pandas as pd

from bench.load.result import LoadResult


def binned(result: LoadResult, width: float, edge: float | None = None) -> pd.DataFrame:
    """Requests that ended, were answered and failed, per second, in bins of `width` seconds over the run; one
    bin starts at `edge` (an event's time) when given, so that the bin after the event is a whole bin."""
    ends = result.completions
    if ends.empty:
        raise ValueError(f"{result.label}: no request times; run it with run_load(..., per_request=True)")
    start = math.floor(ends["t"].min())
    if edge is not None:
        start = edge - math.ceil((edge - start) / width) * width
    bins = range(math.floor((ends["t"].max() - start) / width) + 1)
    index = ((ends["t"] - start) // width).astype(int)
    counts = index.value_counts().reindex(bins, fill_value=0)
    failed = index[ends["failed"] == 1].value_counts().reindex(bins, fill_value=0)
    return pd.DataFrame({"t": [start + i * width for i in bins], "rps": counts.to_numpy() / width,
                         "answered/s": (counts - failed).to_numpy() / width, "failures/s": failed.to_numpy() / width})


def dip(result: LoadResult, event: str, width: float) -> float:
    """Answered requests in the bin that starts at `event`, as a share of the median whole bin before it (the
    first bin, the load's ramp, left out). A request that failed at the event (the one a killed worker held)
    ends quickly, so counting it would hide part of the dip."""
    at = result.events[event]
    bins = binned(result, width, edge=at)
    before = bins[bins["t"] < at].iloc[1:]
    after = bins.loc[bins["t"] == at, "answered/s"]
    return float(after.iloc[0] / before["answered/s"].median())

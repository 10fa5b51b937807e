"""bench.load.timeline: requests counted in bins shorter than a second, and the dip after an event."""

from __future__ import annotations

import pandas as pd

from bench.load import timeline
from bench.load.result import LoadResult


def _result(ends: list[float], failed: list[int], events: dict[str, float]) -> LoadResult:
    result = LoadResult("run", "http://127.0.0.1:1", ["/"], 1, 4.0, 1, "plain", len(ends), sum(failed), 1.0, 1, 2,
                        3, 10.0, 10.0, False, pd.DataFrame(), pd.DataFrame(), events=events)
    result.completions = pd.DataFrame({"t": ends, "ms": [1.0] * len(ends), "failed": failed})
    return result


def test_requests_are_counted_per_bin_and_the_dip_after_an_event_is_its_share_of_the_median() -> None:
    # ten requests a second (one per 100 ms) for 2 s, then five in the next 0.5 s, then ten again
    ends = [i / 10 for i in range(20)] + [2 + i / 10 for i in range(0, 10, 2)] + [3 + i / 10 for i in range(10)]
    failed = [0] * len(ends)
    failed[20] = 1
    result = _result(ends, failed, {"kill": 2.0})
    bins = timeline.binned(result, 0.5)
    assert bins["t"].tolist()[:6] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]
    assert bins["rps"].tolist()[:6] == [10.0, 10.0, 10.0, 10.0, 6.0, 4.0]
    assert bins["failures/s"].tolist()[4] == 2.0 and bins["answered/s"].tolist()[4] == 4.0
    assert timeline.dip(result, "kill", 0.5) == 0.4  # answered: the failed request does not count


def test_a_bin_can_start_at_an_event() -> None:
    ends = [i / 10 for i in range(30)]
    bins = timeline.binned(_result(ends, [0] * 30, {"kill": 1.25}), 0.5, edge=1.25)
    assert 1.25 in bins["t"].tolist() and bins["t"].iloc[0] <= 0
    assert bins.loc[bins["t"] == 1.25, "rps"].iloc[0] == 10.0  # 1.3 to 1.7

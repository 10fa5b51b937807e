"""Notebook 07's cache arithmetic (bench/lessons/caching.py), on made-up rows."""

from __future__ import annotations

import pandas as pd
import pytest

from bench.lessons import caching


def _runs(cpu: dict[tuple[str, int], float]) -> caching.CacheRuns:
    rows = [{"cache": cache, "work CPU ms": work, "server CPU ms/req": ms} for (cache, work), ms in cpu.items()]
    return caching.CacheRuns(pd.DataFrame(rows))


def test_a_cache_that_skips_the_work_saves_more_as_the_work_grows() -> None:
    w = caching.WORK_MS
    runs = _runs({("none", 0): 1.2, ("redis", 0): 1.6, ("none", w): 1.2 + w, ("redis", w): 1.6})
    assert runs.saving("redis", 0) == pytest.approx(-0.4)  # a round trip can cost more than a small query
    assert runs.saving_growth("redis") == pytest.approx(w)
    assert runs.saving_growth("redis") >= caching.SAVING_SHARE * w


def test_a_cache_that_misses_every_time_saves_nothing_more() -> None:
    w = caching.WORK_MS
    runs = _runs({("none", 0): 1.2, ("redis", 0): 1.6, ("none", w): 1.2 + w, ("redis", w): 1.6 + w})
    assert runs.saving_growth("redis") < caching.SAVING_SHARE * w


def test_the_offered_rate_is_one_the_uncached_app_serves_with_the_larger_work() -> None:
    assert caching.offered_rate(50) < caching.uncached_capacity(50 + caching.WORK_MS)
    assert _runs({("none", 0): 1.0, ("none", caching.WORK_MS): 2.0}).misses_at_most() == 2 * caching.WORKERS

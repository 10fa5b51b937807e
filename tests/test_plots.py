"""The figure types draw what they are given."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd

from bench import plots
from bench.load import LoadResult


def _rows() -> pd.DataFrame:
    return pd.DataFrame([
        {"label": "a", "users": 1, "rps": 10.0, "p95 ms": 5.0, "generator-bound": False},
        {"label": "a", "users": 4, "rps": 30.0, "p95 ms": 9.0, "generator-bound": True},
        {"label": "b", "users": 1, "rps": 12.0, "p95 ms": 4.0, "generator-bound": False},
    ])


def test_throughput_latency_draws_a_line_per_series_and_marks_bound_points() -> None:
    fig = plots.throughput_latency(_rows())
    left, _ = fig.axes
    assert [line.get_label() for line in left.get_lines() if not line.get_label().startswith("_")] == ["a", "b"]
    assert any("generator-bound" in t.get_text() for t in fig.texts)


def test_bars_with_errors_and_ceiling() -> None:
    df = pd.DataFrame({"label": ["x", "y"], "rps": [100.0, 50.0], "sd": [5.0, 2.0]})
    fig = plots.bars(df, yerr="sd", ceiling=300)
    ax = fig.axes[0]
    assert [p.get_height() for p in ax.patches] == [100.0, 50.0]
    assert "ceiling" in ax.get_legend().get_texts()[0].get_text()


def test_timeseries_with_events() -> None:
    ts = pd.DataFrame({"t": [0.0, 1.0, 2.0], "rps": [0.0, 5.0, 6.0]})
    result = LoadResult("run", "http://127.0.0.1:1", ["/"], 1, 2.0, 1, "fast", 11, 0, 5.5, 1, 2, 3, 10.0, 10.0, False,
                        ts, pd.DataFrame())
    fig = plots.timeseries(result, events={"kill": 1.0})
    ax = fig.axes[0]
    assert ax.get_lines()[0].get_ydata().tolist() == [0.0, 5.0, 6.0]
    assert any(t.get_text() == "kill" for t in ax.texts)

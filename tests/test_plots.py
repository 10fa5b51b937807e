"""The figure types draw what they are given."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd

from bench.load import plots
from bench.load.result import LoadResult


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
    assert any("ceiling: 300" in t.get_text() for t in ax.texts)  # a note: it does not set the axis
    assert ax.get_ylim()[1] <= 1.25 * 105


def test_a_chart_of_single_runs_draws_no_error_bars() -> None:
    df = pd.DataFrame({"label": ["x", "y"], "rps": [100.0, 50.0]})
    for frame in (df, df.assign(sd=[0.0, 0.0]), df.assign(sd=[3.0, 1.0], runs=[1, 1])):
        ax = plots.bars(frame, yerr="sd" if "sd" in frame else None).axes[0]
        assert not ax.lines and not ax.collections, frame


def test_timeseries_with_events() -> None:
    ts = pd.DataFrame({"t": [0.0, 1.0, 2.0], "rps": [0.0, 5.0, 6.0]})
    result = LoadResult("run", "http://127.0.0.1:1", ["/"], 1, 2.0, 1, "fast", 11, 0, 5.5, 1, 2, 3, 10.0, 10.0, False,
                        ts, pd.DataFrame())
    fig = plots.timeseries(result, events={"kill": 1.0})
    ax = fig.axes[0]
    assert ax.get_lines()[0].get_ydata().tolist() == [0.0, 5.0, 6.0]
    assert any(t.get_text() == "kill" for t in ax.texts)


def test_layers_stacks_each_images_layers_and_totals_them() -> None:
    fig = plots.layers({"big": [{"MB": 400.0, "instruction": "(base image)"}, {"MB": 80.0, "instruction": "RUN pip"}],
                        "small": [{"MB": 120.0, "instruction": "(base image)"}]})
    ax = fig.axes[0]
    assert len(ax.patches) == 3
    texts = {t.get_text().strip() for t in ax.texts}
    assert {"480 MB", "120 MB", "(base image)"} <= texts


def test_lines_draws_one_line_per_group() -> None:
    frame = pd.DataFrame({"t": [1, 2, 1, 2], "cpu %": [10, 20, 30, 40], "container": ["a", "a", "b", "b"]})
    ax = plots.lines(frame, x="t", y="cpu %", by="container").axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["a", "b"]


def test_measured_vs_expected_draws_both() -> None:
    frame = pd.DataFrame({"cpus": [0.5, 1.0], "rps": [24.0, 48.0], "expected rps": [25.0, 50.0]})
    ax = plots.measured_vs_expected(frame, x="cpus").axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["expected", "measured"]
    assert list(ax.get_lines()[1].get_ydata()) == [24.0, 48.0]


def test_numbers_keep_the_digits_their_size_deserves() -> None:
    import pandas as pd

    from bench.core.numbers import readable

    numpy_int = pd.Series([2048]).iloc[0]  # what a DataFrame hands out
    assert [readable(v) for v in (12345.6, 56.78, 0.2449, 0.0123, 3.0, numpy_int, float("nan"), "x")] == \
        ["12,346", "56.8", "0.24", "0.012", "3.00", "2,048", "n/a", "x"]

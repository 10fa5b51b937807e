"""The course's few figure types, drawn the same way in every notebook."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from bench.core.numbers import readable
from bench.load import timeline
from bench.load.result import LoadResult

_BOUND_NOTE = "hollow marker: generator-bound (measures locust, not the server)"


def throughput_latency(df: pd.DataFrame, x: str = "users", series: str = "label", title: str = "") -> Figure:
    """Requests/s and p95 latency against `x`, one line per `series` (rows from LoadResult.row())."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for name, group in df.groupby(series, sort=False):
        group = group.sort_values(x)
        for ax, column in ((left, "rps"), (right, "p95 ms")):
            (line,) = ax.plot(group[x], group[column], marker="o", label=str(name))
            bound = group[group["generator-bound"]]
            if not bound.empty:
                ax.plot(bound[x], bound[column], "o", markersize=11, markerfacecolor="white",
                        markeredgecolor=line.get_color())
    left.set(xlabel=x, ylabel="requests/s", title="throughput", ylim=(0, None))
    right.set(xlabel=x, ylabel="p95 latency (ms)", title="latency", ylim=(0, None))
    left.legend()
    if df["generator-bound"].any():
        fig.text(0.5, -0.02, _BOUND_NOTE, ha="center", fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


HEADROOM = 1.2  # a bar chart's y-axis: this much above its tallest bar, room for the labels and the ceiling note


def bars(df: pd.DataFrame, x: str = "label", y: str = "rps", yerr: str | None = None,
         ceiling: float | None = None, ylabel: str = "requests/s", title: str = "") -> Figure:
    """One bar per row, optional error bars (leave them out for single runs), and the load generator's ceiling
    as a note: a line at the ceiling would set the axis and squash the bars when the ceiling is far above them,
    so the y-axis stops at HEADROOM × the tallest bar (with its error bar). Rows flagged generator-bound (a
    "generator-bound" column) are hatched."""
    fig, ax = plt.subplots(figsize=(max(5.0, 1.3 * len(df)), 4))
    single = "runs" in df and df["runs"].max() <= 1
    errors = df[yerr] if yerr and not single and df[yerr].fillna(0).any() else None  # no error bar on one run
    bound = df["generator-bound"].tolist() if "generator-bound" in df else [False] * len(df)
    drawn = ax.bar(df[x].astype(str), df[y], yerr=errors, capsize=4, color="#3a7ca5")
    for patch, flagged in zip(drawn, bound, strict=True):
        if flagged:
            patch.set_hatch("//")
            patch.set_facecolor("#9cc3dd")
    if any(bound):
        fig.text(0.5, -0.02, "hatched: generator-bound (measures locust, not the server)", ha="center", fontsize=9)
    for i, value in enumerate(df[y]):
        ax.annotate(readable(value), (i, value), ha="center", va="bottom", fontsize=9,
                    xytext=(0, 3), textcoords="offset points")
    tallest = float((df[y] + (errors.fillna(0) if errors is not None else 0)).max())
    if ceiling is not None:
        ax.annotate(f"load generator's ceiling: {ceiling:,.0f} {ylabel}", (0.99, 0.97), xycoords="axes fraction",
                    ha="right", va="top", fontsize=9, color="#c44")
    ax.set(ylabel=ylabel, title=title, ylim=(0, HEADROOM * tallest if tallest > 0 else None))
    ax.tick_params(axis="x", rotation=20)
    fig.tight_layout()
    return fig


def timeseries(results: LoadResult | Mapping[str, LoadResult], column: str = "rps",
               events: Mapping[str, float] | None = None, ylabel: str = "requests/s", title: str = "") -> Figure:
    """A per-second column over time for one or more runs, with vertical lines at named events."""
    runs = {results.label: results} if isinstance(results, LoadResult) else dict(results)
    fig, ax = plt.subplots(figsize=(9, 3.5))
    for name, result in runs.items():
        ts = result.timeseries
        ax.plot(ts["t"], ts[column], marker=".", label=name)
    if events is None:
        events = {name: at for result in runs.values() for name, at in result.events.items()}
    for name, at in events.items():
        ax.axvline(at, color="#888", linestyle=":")
        ax.annotate(name, (at, ax.get_ylim()[1]), rotation=90, va="top", ha="right", fontsize=9)
    ax.set(xlabel="seconds", ylabel=ylabel, title=title, ylim=(0, None))
    ax.legend()
    fig.tight_layout()
    return fig


def within_seconds(result: LoadResult, width: float, title: str = "") -> Figure:
    """Requests/s in bins of `width` seconds (bench.timeline), one starting at the first event, failures below,
    the run's events marked."""
    bins = timeline.binned(result, width, edge=min(result.events.values(), default=None))
    fig, ax = plt.subplots(figsize=(9, 3.5))
    ax.step(bins["t"], bins["answered/s"], where="post", label=f"answered requests/s, {width * 1000:.0f} ms bins")
    if bins["failures/s"].any():
        ax.step(bins["t"], bins["failures/s"], where="post", color="#c44", label="failed requests/s")
    ax.set(xlabel="seconds", ylabel="requests/s", title=title, ylim=(0, None))
    for name, at in result.events.items():
        ax.axvline(at, color="#888", linestyle=":")
        ax.annotate(name, (at, ax.get_ylim()[1]), rotation=90, va="top", ha="right", fontsize=9)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def scaling(df: pd.DataFrame, x: str, y: str = "rps", cost: str = "memory MB", mark: float | None = None,
            mark_label: str = "", cost_label: str = "MB", title: str = "") -> Figure:
    """Throughput against a resource (workers, replicas) on the left, what it costs on the right."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.plot(df[x], df[y], marker="o")
    if mark is not None:
        left.axvline(mark, color="#888", linestyle=":", label=mark_label)
        left.legend()
    left.set(xlabel=x, ylabel="requests/s", title=f"{title}: throughput" if title else "throughput", ylim=(0, None))
    right.bar(df[x].astype(str), df[cost], color="#3a7ca5")
    right.set(xlabel=x, ylabel=cost_label, title="what it costs")
    fig.tight_layout()
    return fig


def counts(values: pd.Series, limits: Mapping[str, float] | None = None, xlabel: str = "",
           ylabel: str = "count", title: str = "") -> Figure:
    """One bar per item (e.g. requests served per worker process), with horizontal limit lines."""
    fig, ax = plt.subplots(figsize=(9, 3))
    ax.bar(range(len(values)), values.to_numpy(), color="#3a7ca5")
    for (name, level), style in zip((limits or {}).items(), ("--", ":", "-."), strict=False):
        ax.axhline(level, color="#c44", linestyle=style, label=name)
    if limits:
        ax.legend()
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    fig.tight_layout()
    return fig


def per_worker(frame: pd.DataFrame, value: str = "requests", title: str = "") -> Figure:
    """A cumulative counter per worker over time (e.g. uWSGI's stats server, sampled during a load)."""
    fig, ax = plt.subplots(figsize=(9, 3.5))
    for worker, rows in frame.groupby("worker"):
        ax.plot(rows["t"], rows[value] - rows[value].iloc[0], label=f"worker {worker}")
    ax.set(xlabel="seconds", ylabel=f"{value} (cumulative)", title=title, ylim=(0, None))
    ax.legend()
    fig.tight_layout()
    return fig


def layers(images: Mapping[str, list[dict[str, object]]], title: str = "") -> Figure:
    """One horizontal bar per image, split into its layers (MB); the biggest layers are named."""
    fig, ax = plt.subplots(figsize=(11, 1.2 + 1.1 * len(images)))
    widest = max(sum(float(r["MB"]) for r in rows) for rows in images.values())  # type: ignore[arg-type]
    for row, rows in enumerate(images.values()):
        left = 0.0
        for i, layer in enumerate(rows):
            size = float(layer["MB"])  # type: ignore[arg-type]
            ax.barh(row, size, left=left, color=plt.cm.tab20(i % 20), edgecolor="white")
            if size > 0.12 * widest:
                ax.annotate(str(layer["instruction"])[:28], (left + size / 2, row), ha="center", va="center",
                            fontsize=8)
            left += size
        ax.annotate(f" {left:,.0f} MB", (left, row), va="center", fontsize=9)
    ax.set_yticks(range(len(images)), list(images))
    ax.set(xlabel="MB (uncompressed)", title=title)
    ax.invert_yaxis()
    fig.tight_layout()
    return fig


def lines(frame: pd.DataFrame, x: str, y: str, by: str, ylabel: str = "", title: str = "") -> Figure:
    """`y` against `x`, one line per value of `by` (e.g. CPU % per container over time)."""
    fig, ax = plt.subplots(figsize=(9, 3.5))
    for name, rows in frame.groupby(by, sort=True):
        ax.plot(rows[x], rows[y], marker=".", label=str(name))
    ax.set(xlabel=x, ylabel=ylabel or y, title=title, ylim=(0, None))
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def measured_vs_expected(df: pd.DataFrame, x: str, y: str = "rps", expected: str = "expected rps",
                         ylabel: str = "requests/s", title: str = "") -> Figure:
    """Measured `y` (markers) against a prediction (dashed line) over `x`."""
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(df[x], df[expected], linestyle="--", color="#888", label="expected")
    ax.plot(df[x], df[y], marker="o", linestyle="", markersize=9, color="#3a7ca5", label="measured")
    for _, row in df.iterrows():
        ax.annotate(readable(row[y]), (row[x], row[y]), xytext=(6, -4), textcoords="offset points", fontsize=9)
    ax.set(xlabel=x, ylabel=ylabel, title=title, ylim=(0, None))
    ax.legend()
    fig.tight_layout()
    return fig

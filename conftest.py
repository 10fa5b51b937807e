"""Test-suite plumbing: quiet progress bars, leftover checks last, and time per notebook."""

from __future__ import annotations

import os
import time
from collections import defaultdict
from pathlib import Path

import pytest

os.environ.setdefault("BENCH_PROGRESS", "0")
os.environ.setdefault("COURSE_MODE", "quick")

SESSION_STARTED = time.time()
NOTEBOOK_SECONDS: dict[str, float] = defaultdict(float)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `last` run after everything else, notebooks included."""
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        NOTEBOOK_SECONDS[Path(path).name] += report.duration


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if NOTEBOOK_SECONDS:
        terminalreporter.section("time per notebook")
        for name, seconds in sorted(NOTEBOOK_SECONDS.items()):
            terminalreporter.write_line(f"{name:45} {seconds:6.1f} s")

"""No measured number is written into a notebook's prose: a figure in Markdown is a configuration value, a
documented fact, or a checked budget. Measured figures are printed by the cell that measured them."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from course.stages import budget, by_notebook

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
# A number with a unit of measurement (or a multiplier): what a measured figure looks like in prose.
FIGURE = re.compile(
    r"(?<![\w/=?.-])(?:\d[\d,.]*\s*(?:–\s*\d[\d,.]*\s*)?(?:req/s|requests/s|ms\b|%|×|MB\b|GB\b|KB\b|s\b|seconds?\b"
    r"|minutes?\b)|[×x]\s?\d[\d.]*(?![\w]))")
BUDGET = re.compile(r"\*\*Machine time:\*\* under (\d+) s in quick mode")
FULL_BUDGET = re.compile(r"under (\d+) minutes? in full mode")
STUDY = re.compile(r"\*\*Study time:\*\* about \d+ minutes of teaching and (?:\d+ of exercises|no exercises)")
# Figures allowed in prose, and why: settings the notebook itself uses, and documented facts.
ALLOWED: dict[str, set[str]] = {
    "00": {"1.5×"},  # a claim's threshold
    "01": {"50 ms", "20 requests/s", "10 ms", "20 ms", "1.3×"},  # /io?ms=50 → at most 1000/50 req/s; /cpu?ms=10;
    # the dev-server claim's threshold; the standard workload's backend delay
    "02a": {"50 ms", "20 requests/s", "0.05 s", "100 requests/s", "200 ms", "0.2 s", "100 ms"},  # /io?ms=50, its
    # ceiling by Little's law; the task's target; a made-up wait in a question; the async run's least wait
    "02b": {"6 s", "64 MB", "3 s", "10 ms", "20 ms"},  # settings the cells use; the counter's tick
    "03": {"1 ms", "2 s", "6 s", "10 seconds", "64 MB", "× 8", "5 ms", "20 ms", "4 KB", "6 KB", "1 s", "5 s",
           "8 s", "30 s"},  # settings (config/uwsgi.ini's harakiri), the your-turn task's requests and limit, the test
    # cookie's size; uWSGI's documented defaults (min-worker-lifetime, buffer-size)
    "04a": {"1 MB", "20 ms", "40 KB", "25 s", "30 s", "35 s", "2 s", "3 s", "6 s"},  # the config's limits and
    # timeouts; the static file's size; the demo's timeouts
    "04b": {"30 ms", "50 requests/s", "20 requests/s", "5 requests/s", "20 ms", "2 ×", "60 s"},  # the degraded
    # host's delay; the config's rate limits and the your-turn task's; the standard workload's backend; TIME_WAIT
    "05": {"5 s", "20 ms"},  # docker stop's timeout; the standard workload's /io?ms=20 (course.results)
    "06": {"1 GB", "60%", "180 s", "300 s"},  # kind's node image (its documentation); the HPA's target in the
    # manifest; the HPA section's load in quick and full mode
    "07": {"50 ms", "60 s", "200 requests/s", "200 ×", "2 ×", "5×"},  # settings;
    # Little's law example; the your-turn task's speed-up threshold
    "09": {"1.5×", "900 req/s", "1,200 req/s", "1.5 ×", "1.2×"},  # the questions' made-up rates; claims' factors
    "08": {"3 s", "1.5 s", "1 s", "5 s", "64 KB", "30 s", "35 s", "75 s", "128 KB"},  # settings: how long a
    # stream may take to start, the quiet stream's gap and the read timeout that cuts it; the app's heartbeat and
    # largest WebSocket message (sample_app/settings.py), app.conf's read timeouts; the memory claim's bound
}


def _prose(path: Path) -> list[str]:
    """Markdown cells without code spans (a figure in `code` is a setting or a command)."""
    cells = nbformat.read(path, as_version=4).cells
    return [re.sub(r"`[^`]*`", "", c.source) for c in cells if c.cell_type == "markdown"]


def figures(text: str) -> list[str]:
    """The measurement-like figures in `text`, without their time-budget statement."""
    text = STUDY.sub("", FULL_BUDGET.sub("", BUDGET.sub("", text)))
    return [" ".join(m.group(0).split()) for m in FIGURE.finditer(text)]


def test_figures_are_found() -> None:
    text = "gunicorn reached 1,234 req/s, 15–45% more, ×1.35, p95 20 ms, 89 MB; see `/cpu?ms=5` and n=3"
    assert figures(text) == ["1,234 req/s", "15–45%", "×1.35", "20 ms", "89 MB"]
    assert figures("**Study time:** about 30 minutes of teaching and 10 of exercises. **Machine time:** under 90 s "
                   "in quick mode, under 12 "
                   "minutes in full mode") == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_measured_figure_in_prose(path: Path) -> None:
    allowed = ALLOWED.get(path.name.split("_", 1)[0], set())
    found = {f for cell in _prose(path) for f in figures(cell)}
    assert not found - allowed, (f"figures in {path.name}'s Markdown that are not settings or documented facts: "
                                 f"{sorted(found - allowed)}. Print a measured figure from the cell that measures "
                                 "it; add a setting to ALLOWED with the reason.")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_times_a_notebook_states_are_the_registrys(path: Path) -> None:
    """Study time (the registry's estimate) and machine time (budgets the tests check), in the header."""
    study = STUDY.search(_prose(path)[0])
    assert study, f"{path.name}'s first cell should say '{by_notebook(path.name).study_line()}'"
    assert study.group(0) == by_notebook(path.name).study_line()
    stated = BUDGET.search(_prose(path)[0])
    assert stated, f"{path.name}'s first cell should say '**Machine time:** under N s in quick mode'"
    assert int(stated.group(1)) == budget(path.name)
    full = FULL_BUDGET.search(_prose(path)[0])
    assert full, f"{path.name}'s first cell should say 'under M minutes in full mode' (course/stages.py)"
    assert int(full.group(1)) == by_notebook(path.name).full_minutes

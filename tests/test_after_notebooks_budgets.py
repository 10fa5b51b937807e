"""Each notebook fits its time budget in quick mode (checked after the notebooks ran)."""

from __future__ import annotations

import pytest

from bench.core import mode
from bench.load.cpu import capacity_cores
from course.stages import budget


@pytest.mark.last
def test_notebooks_fit_their_quick_mode_budget(notebook_seconds: dict[str, float]) -> None:
    if mode.current().name != "quick" or not notebook_seconds:
        pytest.skip("budgets apply to a quick-mode run of the notebooks")
    if capacity_cores() < 2:  # taskset -c 0, a CPU quota, or portability.sh half: a slower machine than promised
        pytest.skip(f"budgets are stated for two usable cores at full speed; this run has {capacity_cores():g}")
    over = {name: round(s) for name, s in notebook_seconds.items() if s > budget(name)}
    assert not over, f"over budget (seconds): {over}"

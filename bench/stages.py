"""What the course knows about each stage's notebook: its quick-mode time budget (seconds).

A notebook's header states its budget ("**Time:** under N s in quick mode"), and the test suite holds
every quick-mode run on a machine like the reference one (two usable cores at full speed) to it
(tests/test_zz_budgets.py), so the time a learner reads is one that is checked.
"""

from __future__ import annotations

DEFAULT_BUDGET = 90
BUDGETS = {
    "02_gunicorn.ipynb": 110,  # five gunicorns to show what picks up new code
    "03_uwsgi.ipynb": 130,  # its CPU-cost runs there and back
    "04_nginx.ipynb": 120,
    "05_docker.ipynb": 150,
    "07_scaling_and_caching.ipynb": 180,  # its scaling sweep and stage comparison run there and back
}


def budget(notebook: str) -> int:
    """Seconds a quick-mode run of `notebook` (file name) may take."""
    return BUDGETS.get(notebook, DEFAULT_BUDGET)

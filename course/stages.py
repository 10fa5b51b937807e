"""The course's stages, in one place: what each is called, which notebook and lab teach it, the tools it needs,
its time budgets, and its label in notebook 07's final comparison.

Everything that lists stages reads this: the tools table (`course.tools`), the budgets and stage-results tests,
`make check`, the slides, and the test that holds the README, the labs' README and the instructor guide to it
(tests/test_stage_registry.py). Adding a stage: one entry here, one notebook, one lab folder (CONTRIBUTING.md).

A notebook's header states its quick-mode budget ("**Time:** under N s in quick mode"); the test suite holds
every quick-mode run on a machine like the reference one (two usable cores at full speed) to it, so the time a
learner reads is one that is checked. It states its full-mode budget too ("under M minutes in full mode"),
which holds `make full-run`'s last recorded times (tests/test_stage_registry.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.paths import REPO

NOTEBOOKS, LABS = REPO / "notebooks", REPO / "labs"


@dataclass(frozen=True)
class Stage:
    number: str  # "02": the notebook's prefix and the lab's folder
    title: str
    notebook: str  # file name in notebooks/
    tools: tuple[str, ...]  # bench.env.TOOLS names the notebook needs (beyond the Python environment)
    quick_seconds: int  # quick-mode budget on a 2-core machine at full speed (checked by the test suite)
    full_minutes: int  # full-mode budget on such a machine (`make full-run` times it: docs/full-mode-times.json)
    lab: str | None = None  # folder in labs/
    result: str | None = None  # its row in notebook 07's comparison on the standard workload
    result_needs: str | None = None  # a course.needs check the result row depends on ("compose")


STAGES: tuple[Stage, ...] = (
    Stage("00", "Setup check", "00_setup_check.ipynb", tools=("locust", "gunicorn", "nginx"),
          quick_seconds=90, full_minutes=1),
    Stage("01", "WSGI from first principles", "01_wsgi_first_principles.ipynb", tools=("locust", "gunicorn"),
          quick_seconds=90, full_minutes=11, lab="01", result="01 WSGI"),
    Stage("02", "Gunicorn", "02_gunicorn.ipynb", tools=("locust", "gunicorn"),
          quick_seconds=110, full_minutes=14, lab="02", result="02 gunicorn"),  # five gunicorns: what reloads
    Stage("03", "uWSGI", "03_uwsgi.ipynb", tools=("locust", "uwsgi", "gunicorn"),
          quick_seconds=130, full_minutes=9, lab="03", result="03 uWSGI"),  # its CPU-cost runs there and back
    Stage("04", "nginx", "04_nginx.ipynb", tools=("locust", "gunicorn", "uwsgi", "nginx", "granian", "wrk"),
          quick_seconds=140, full_minutes=14, lab="04", result="04 nginx"),
    Stage("05", "Docker", "05_docker.ipynb",
          tools=("locust", "docker", "dockerd", "docker-compose", "debootstrap", "hadolint"),
          quick_seconds=150, full_minutes=3, lab="05", result="05 Docker", result_needs="compose"),
    Stage("06", "Kubernetes with kind", "06_kubernetes.ipynb",
          tools=("kubernetes-validate", "kubectl", "kind", "docker", "locust"),
          quick_seconds=90, full_minutes=1, lab="06"),
    Stage("07", "Scaling and caching", "07_scaling_and_caching.ipynb",
          tools=("locust", "gunicorn", "uwsgi", "nginx", "redis", "py-spy"),
          quick_seconds=180, full_minutes=8, lab="07", result="07 scaling & caching"),  # runs there and back
    Stage("08", "Long-lived connections", "08_long_lived_connections.ipynb",
          tools=("gunicorn", "uwsgi", "uvicorn", "nginx"), quick_seconds=90, full_minutes=2, lab="08"),
)
TEST_TOOLS = ("wrk", "chromium")  # needed by the test suite (test_wrk_yardstick.py, test_browser.py)


def by_notebook(notebook: str) -> Stage:
    """The stage taught by `notebook` (a file name)."""
    for stage in STAGES:
        if stage.notebook == notebook:
            return stage
    raise KeyError(f"{notebook!r} is in no stage: add it to course/stages.py")


def budget(notebook: str) -> int:
    """Seconds a quick-mode run of `notebook` (file name) may take."""
    return by_notebook(notebook).quick_seconds


def needing(tool: str) -> list[str]:
    """The stages (numbers) that need `tool`, and "tests" where only the test suite does."""
    return [s.number for s in STAGES if tool in s.tools] + (["tests"] if tool in TEST_TOOLS else [])


def labs() -> list[str]:
    return [s.lab for s in STAGES if s.lab]


def results() -> list[Stage]:
    """The stages with a row in notebook 07's comparison."""
    return [s for s in STAGES if s.result]


def tools_table() -> list[dict[str, str]]:
    """bench's tools table with the stages that need each tool."""
    from bench import env

    return [{"tool": row["tool"], "needed by": ", ".join(needing(row["tool"])) or "—",
             **{k: v for k, v in row.items() if k != "tool"}} for row in env.tools_table()]

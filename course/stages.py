"""The course's stages, in one place: what each is called, which notebook and lab teach it, the tools it needs,
its time budgets, and its label in notebook 07's final comparison.

Everything that lists stages reads this: the tools table (`course.tools`), the budgets and stage-results tests,
`make check`, the slides, and the test that holds the README, the labs' README and the instructor guide to it
(tests/test_stage_registry.py). Adding a stage: one entry here, one notebook, one lab folder (CONTRIBUTING.md).

A notebook's header states two times. **Study time**: how long a learner spends on it, split as Carpentries
episodes split it into teaching (reading and running the cells) and exercises (the tasks and predictions), from
the read-through model in course/study_time.py (tests/test_study_time.py holds the two together); the README's
stage table and the instructor guide's timetables use their sum. **Machine time**: its quick-mode budget ("under
N s in quick mode"), which the test suite holds every quick-mode run on a machine like the reference one (two
usable cores at full speed) to, and its full-mode budget ("under M minutes in full mode"), which holds
`make full-run`'s last recorded times (tests/test_stage_registry.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.core.paths import REPO

NOTEBOOKS, LABS = REPO / "notebooks", REPO / "labs"


@dataclass(frozen=True)
class Stage:
    number: str  # "02a": the notebook's prefix and the lab's folder
    title: str
    notebook: str  # file name in notebooks/
    tools: tuple[str, ...]  # bench.env.TOOLS names the notebook needs (beyond the Python environment)
    quick_seconds: int  # quick-mode budget on a 2-core machine at full speed (checked by the test suite)
    full_minutes: int  # full-mode budget on such a machine (`make full-run` times it: docs/full-mode-times.json)
    teaching_minutes: int  # reading and running the cells (course/study_time.py's model; the lab not included)
    exercise_minutes: int  # the "your turn" tasks and the predictions
    timed_by: str = ""  # who timed a read-through (`python -m course.study_time --timed`); "": the model's minutes
    lab: str | None = None  # folder in labs/
    result: str | None = None  # its row in notebook 07's comparison on the standard workload
    result_needs: str | None = None  # a course.needs check the result row depends on ("compose")
    # What its cells measure that macOS denies an ordinary user (bench/host/platforms.py): these notebooks fall
    # back or say "not measurable" there, and `make test` runs them on a simulated Mac too.
    macos_denies: tuple[str, ...] = ()

    @property
    def study_minutes(self) -> int:
        """Teaching and exercises: the time the README's stage table and the instructor guide's timetables use."""
        return self.teaching_minutes + self.exercise_minutes

    def study_line(self) -> str:
        """The header's study time, as the notebook states it."""
        exercises = f"{self.exercise_minutes} of exercises" if self.exercise_minutes else "no exercises"
        return f"**Study time:** about {self.teaching_minutes} minutes of teaching and {exercises}"


STAGES: tuple[Stage, ...] = (
    Stage("00", "Setup check", "00_setup_check.ipynb", tools=("locust", "gunicorn", "nginx"),
          quick_seconds=90, full_minutes=2, teaching_minutes=10, exercise_minutes=0),
    Stage("01", "WSGI from first principles", "01_wsgi_first_principles.ipynb", tools=("locust", "gunicorn"),
          quick_seconds=90, full_minutes=11, teaching_minutes=30, exercise_minutes=15, lab="01", result="01 WSGI"),
    Stage("02a", "Gunicorn: workers and threads", "02a_gunicorn_workers.ipynb", tools=("locust", "gunicorn", "nginx"),
          quick_seconds=75, full_minutes=12, teaching_minutes=35, exercise_minutes=10, lab="02a", result="02a gunicorn",
          macos_denies=("USS memory",)),
    # five gunicorns: what reloads
    Stage("02b", "Gunicorn in operation", "02b_gunicorn_in_operation.ipynb", tools=("locust", "gunicorn"),
          quick_seconds=60, full_minutes=2, teaching_minutes=30, exercise_minutes=10, macos_denies=("USS memory",)),
    # its CPU-cost runs there and back
    Stage("03", "uWSGI", "03_uwsgi.ipynb", tools=("locust", "uwsgi", "gunicorn", "nginx"),
          quick_seconds=170, full_minutes=9, teaching_minutes=45, exercise_minutes=15, lab="03", result="03 uWSGI",
          macos_denies=("USS memory",)),
    Stage("04a", "nginx in front of one app", "04a_nginx_one_app.ipynb", tools=("locust", "gunicorn", "nginx"),
          quick_seconds=60, full_minutes=2, teaching_minutes=30, exercise_minutes=10,
          macos_denies=("a second loopback address",)),
    Stage("04b", "nginx in front of many", "04b_nginx_many_apps.ipynb",
          tools=("locust", "gunicorn", "uwsgi", "nginx", "granian", "wrk"),
          quick_seconds=120, full_minutes=12, teaching_minutes=40, exercise_minutes=10, lab="04b", result="04b nginx",
          macos_denies=("the connection list (TIME_WAIT)",)),
    Stage("05", "Docker", "05_docker.ipynb",
          tools=("locust", "nginx", "docker", "dockerd", "docker-compose", "debootstrap", "hadolint"),
          quick_seconds=150, full_minutes=3, teaching_minutes=35, exercise_minutes=15, lab="05", result="05 Docker",
          result_needs="compose"),
    Stage("06", "Kubernetes with kind", "06_kubernetes.ipynb",
          tools=("kubernetes-validate", "kubectl", "kind", "docker", "locust"),
          quick_seconds=90, full_minutes=2, teaching_minutes=35, exercise_minutes=10, lab="06"),
    # runs there and back
    Stage("07", "Scaling and caching", "07_scaling_and_caching.ipynb",
          tools=("locust", "gunicorn", "uwsgi", "nginx", "redis", "py-spy"),
          quick_seconds=180, full_minutes=8, teaching_minutes=40, exercise_minutes=15, lab="07",
          result="07 scaling & caching"),
    Stage("08", "Long-lived connections", "08_long_lived_connections.ipynb",
          tools=("gunicorn", "uwsgi", "uvicorn", "nginx"), quick_seconds=90, full_minutes=2, teaching_minutes=35,
          exercise_minutes=15,
          lab="08", macos_denies=("USS memory",)),
    # the appendix: the measuring the stages keep out of the learner's way
    Stage("09", "How this course measures", "09_how_this_course_measures.ipynb",
          tools=("locust", "gunicorn", "nginx"), quick_seconds=90, full_minutes=3, teaching_minutes=25,
          exercise_minutes=10),
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


def denied_on_macos() -> list[Stage]:
    """The stages whose cells measure something macOS denies (they run on a simulated Mac in `make test`)."""
    return [s for s in STAGES if s.macos_denies]


def labs() -> list[str]:
    return [s.lab for s in STAGES if s.lab]


def results() -> list[Stage]:
    """The stages with a row in notebook 07's comparison."""
    return [s for s in STAGES if s.result]


# Tools whose cells run under `%%needs` (course/needs.py) and say SKIPPED without them; a cell that needs any other
# tool stops, with the line that installs it.
SKIPPED_WITHOUT = {"docker", "dockerd", "docker-compose", "kind", "kubectl"}


def verdict(table: list[dict[str, str]]) -> str:
    """What this machine can run, from `tools_table()`: the stages that run fully, and for each of the others the
    tools it lacks (missing, or found but `unusable`) and what to do (those stages still run, but for the cells that
    need them)."""
    from bench.host import devcontainer

    absent = {row["tool"]: row["how to install"] for row in table if row["found"] == "no"}
    missing = absent | {row["tool"]: why for row in table if (why := unusable(row))}
    full = [s.number for s in STAGES if not set(s.tools) & set(missing)]
    lines = [f"✓ this machine runs stages {', '.join(full)} fully." if full else "✗ no stage runs fully here."]
    if here := devcontainer.describe(kind_ready=not {"kind", "kubectl"} & set(missing)):  # None outside it
        lines.insert(0, here)
    for stage in STAGES:
        lacking = [tool for tool in stage.tools if tool in missing]
        if lacking:
            # %%needs skips a cell without the tool, or without an engine; kind or kubectl of the wrong release
            # stop the cluster's start (bench.k8s.Cluster.up)
            skipped = [tool for tool in lacking if tool in SKIPPED_WITHOUT and (tool in absent or tool == "docker")]
            stopped = [tool for tool in lacking if tool in absent and tool not in SKIPPED_WITHOUT]
            effects = ([f"its cells that need {_listed(skipped)} say SKIPPED"] if skipped else []) + (
                [f"it stops at the first cell that needs {_listed(stopped)}"] if stopped else [])
            if not skipped and not stopped:  # only a kind or kubectl of another release: the cells run, and stop
                effects = ["it stops at the cell that creates its cluster, saying why"]
            names = _listed([t for t in lacking if t in absent]
                            + [f"a {t} it can use" for t in lacking if t not in absent])
            lines.append(f"✗ {stage.number} {stage.title}: without {names}, {'; '.join(effects)}. "
                         "To run it fully: " + "; ".join(f"{t}: {missing[t]}" for t in lacking))
    return "\n".join(lines)


def _listed(words: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 2 else words)


def unusable(row: dict[str, str]) -> str:
    """Why a tool that was found cannot serve its stages as it is, or "": Docker without an engine that answers
    (Docker Desktop installed but not started), kind of another release than the node image's, kubectl more than
    one minor version from its Kubernetes."""
    from bench.core.errors import BenchError
    from bench.host import docker_engine
    from bench.k8s import check_kind_release, kubectl_skew

    if row["found"] != "yes":
        return ""
    if row["tool"] == "docker" and not docker_engine.available():
        return f"installed, but no Docker engine answers: {docker_engine.docker_hint()}"
    if row["tool"] == "kubectl":
        return kubectl_skew(row["version"])
    if row["tool"] == "kind":
        try:
            check_kind_release(f"kind v{row['version']}")  # what Cluster.up checks before it creates a cluster
        except BenchError as error:
            return str(error)
    return ""


def tools_table() -> list[dict[str, str]]:
    """bench's tools table with the stages that need each tool."""
    from bench.host import env
    from course.versions import newer_than_checked

    def note(row: dict[str, str]) -> str:
        return unusable(row) or newer_than_checked(row["tool"], row["version"])

    return [{"tool": row["tool"], "needed by": ", ".join(needing(row["tool"])) or "—",
             **{k: v for k, v in row.items() if k != "tool"}, "note": note(row)} for row in env.tools_table()]


if __name__ == "__main__":  # the Makefile's simulated-Mac pass: the notebooks that use what macOS denies
    print(" ".join(f"notebooks/{s.notebook}" for s in denied_on_macos()))

"""Run notebooks in full mode (what `make lab` runs by default) and time them, without touching the committed ones.

    .venv/bin/python -m course.full_run            # every stage, in order; or `make full-run`
    .venv/bin/python -m course.full_run 04b 07     # some stages

Each notebook is executed into a temporary folder (the committed notebooks keep their quick-mode outputs from
`make record`), with a run id in COURSE_RECORDING (course.recording) that starts "full-run": notebook 04b then writes
the README's headline figure from its full-mode matrix, titled with that id. The wall time of each run, the commit
it ran at, the run's id and the machine are written to `docs/full-mode-times.json`; the stage registry's full-mode
budgets are checked against that record (tests/test_stage_registry.py).
A notebook that fails (a claim false in full mode) stops the run with its error, and nothing is written for it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from bench.core.paths import REPO
from bench.host import env
from course import recording
from course.stages import NOTEBOOKS, STAGES, Stage

RECORD = REPO / "docs" / "full-mode-times.json"


def recorded() -> dict[str, object]:
    """The last full-mode timings on record (empty if none)."""
    return json.loads(RECORD.read_text()) if RECORD.exists() else {}


def run(stage: Stage, folder: Path) -> float:
    """Execute `stage`'s notebook in full mode into `folder`; its wall time in seconds."""
    notebook = nbformat.read(NOTEBOOKS / stage.notebook, as_version=4)
    started = time.monotonic()
    NotebookClient(notebook, timeout=3600, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    seconds = time.monotonic() - started
    nbformat.write(notebook, folder / stage.notebook)
    return seconds


def main(numbers: list[str]) -> int:
    run_id = recording.new_id("full-run")  # in 04b's figure title, and in the record below
    os.environ.update(COURSE_MODE="full", BENCH_PROGRESS="line", **{recording.ENV: run_id})
    chosen = [s for s in STAGES if not numbers or s.number in numbers]
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    record, current = recorded(), {s.number for s in STAGES}  # a stage since split or renamed is dropped
    times: dict[str, float] = {k: v for k, v in record.get("seconds", {}).items() if k in current}
    commits: dict[str, str] = {k: v for k, v in record.get("commits", {}).items() if k in current}
    runs: dict[str, str] = {k: v for k, v in record.get("runs", {}).items() if k in current}
    folder = Path(tempfile.mkdtemp(prefix="full-run-"))
    for stage in chosen:
        print(f"{stage.number} {stage.title}: running in full mode …", flush=True)
        seconds = run(stage, folder)
        times[stage.number], commits[stage.number], runs[stage.number] = round(seconds, 1), commit, run_id
        print(f"{stage.number}: {seconds / 60:.1f} min (budget {stage.full_minutes} min)", flush=True)
        RECORD.write_text(json.dumps({"machine": env.machine_label(), "seconds": dict(sorted(times.items())),
                                      "commits": dict(sorted(commits.items())), "runs": dict(sorted(runs.items()))},
                                     indent=2) + "\n")
    print(f"executed notebooks: {folder}; timings: {RECORD}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""A lesson's study time, split as Carpentries episodes split it: teaching and exercises.

No learner was timed here, so the minutes come from a read-through model that anyone can rerun on a changed
notebook (`python -m course.study_time`), and that tests/test_study_time.py holds the registry to:

- **teaching** = reading + waiting. Reading: the Markdown's words at 150 a minute (prose to be understood, not
  skimmed; check-yourself answers included) and the code's lines at 8 a minute (each cell read before it runs).
  Waiting: the notebook's machine time in full mode, which `make lab` runs (`make full-run` records it; the
  registry's full-mode budget stands in until it has).
- **exercises** = 10 minutes for each "Your turn" task (read it, write an answer, run the check, fix it once)
  and 2 for each "Predict, then run" guess.

A timed read-through replaces the model's numbers: `python -m course.study_time --fresh 03` makes a clean copy of
the notebook (notebooks/timed/03_uwsgi.ipynb, which git ignores); in `make lab`, turn on Settings → Settings Editor
→ Notebook → "Recording timing", work through the copy as a learner would (read every cell, run it, do each task),
save it, and run `python -m course.study_time --timed notebooks/timed/03_uwsgi.ipynb`. JupyterLab has kept when
each cell started and finished (`execution` in its metadata); `timed` turns that into teaching and exercise
minutes. Put them in the registry with who timed it (`timed_by`): the test then no longer holds that stage's
minutes to the model.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import datetime
from pathlib import Path

import nbformat

from course import full_run, recording
from course.stages import NOTEBOOKS, STAGES, Stage

WORDS_PER_MINUTE, CODE_LINES_PER_MINUTE = 150, 8
TASK_MINUTES, PREDICTION_MINUTES = 10, 2
BREAK_MINUTES = 20  # a longer pause between two cells of a timed read-through is a break, not study


def model(stage: Stage) -> tuple[int, int]:
    """(teaching, exercise) minutes for `stage`'s notebook, from the read-through model above."""
    words = code_lines = tasks = predictions = 0
    for cell in nbformat.read(NOTEBOOKS / stage.notebook, as_version=4).cells:
        if cell.cell_type == "markdown":
            words += len(re.sub(r"<[^>]+>", " ", cell.source).split())
            predictions += cell.source.count("**Predict, then run.**")
        else:
            lines = [line.strip() for line in cell.source.splitlines()]
            code_lines += sum(1 for line in lines if line and not line.startswith("#"))
            tasks += "check" in cell.metadata.get("tags", [])
    seconds = full_run.recorded().get("seconds", {}).get(stage.number, 60 * stage.full_minutes)
    teaching = words / WORDS_PER_MINUTE + code_lines / CODE_LINES_PER_MINUTE + seconds / 60
    return round(teaching), tasks * TASK_MINUTES + predictions * PREDICTION_MINUTES


def _when(cell: nbformat.NotebookNode, key: str) -> float | None:
    stamp = cell.get("metadata", {}).get("execution", {}).get(key)
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() if stamp else None


def fresh(number: str) -> Path:
    """A copy of stage `number`'s notebook to time a read-through in: no outputs, no timings, no recording stamp,
    in notebooks/timed/ (which git and the tests ignore), so the committed notebook stays as it was recorded."""
    stage = next(s for s in STAGES if s.number == number)
    notebook = nbformat.read(NOTEBOOKS / stage.notebook, as_version=4)
    notebook.metadata.pop("course", None)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    path = NOTEBOOKS / "timed" / stage.notebook
    path.parent.mkdir(exist_ok=True)
    nbformat.write(notebook, path)
    return path


def timed(path: Path) -> tuple[int, int]:
    """(teaching, exercise) minutes of a read-through JupyterLab timed (see above): the steps from one cell's end
    to the next one's, in the order they ran, pauses over BREAK_MINUTES left out. A step belongs to the exercises
    when it ends with a guess, a task's answer, its solution or its check (its reading included); to the teaching
    otherwise. A notebook a machine executed is refused."""
    if recording.of(path):
        raise ValueError(f"{path} is a machine's recording ({recording.of(path)}): time a copy made with --fresh")
    cells = nbformat.read(path, as_version=4).cells
    answers = {id(cells[i - 1]) for i, c in enumerate(cells) if i and "solution" in c.metadata.get("tags", [])}
    ran = sorted((c for c in cells if c.cell_type == "code" and _when(c, "iopub.execute_input") is not None),
                 key=lambda c: _when(c, "iopub.execute_input"))
    if len(ran) < 2:
        raise ValueError(f"{path} has no cell timings: turn on JupyterLab's 'Recording timing' and work through it")
    ends = [_when(c, "shell.execute_reply") or _when(c, "iopub.execute_input") for c in ran]
    study = exercise = 0.0
    for before, cell, end in zip(ends, ran[1:], ends[1:], strict=False):
        step = end - before  # reading this cell (and the Markdown above it) and running it
        if not 0 <= step <= 60 * BREAK_MINUTES:  # a break
            continue
        study += step
        tags = cell.metadata.get("tags", [])
        if id(cell) in answers or cell.source.startswith("guess_") or {"solution", "check"} & set(tags):
            exercise += step
    return round((study - exercise) / 60), round(exercise / 60)


def main() -> int:
    if sys.argv[1:2] == ["--fresh"]:
        for number in sys.argv[2:]:
            print(f"{fresh(number)}: open it in `make lab`, with 'Recording timing' on")
        return 0
    if sys.argv[1:2] == ["--timed"]:
        for name in sys.argv[2:]:
            teaching, exercises = timed(Path(name))
            print(f"{name}: {teaching} min of teaching, {exercises} of exercises (timed read-through)")
        return 0
    rows = {s.number: {"model": model(s), "registry": (s.teaching_minutes, s.exercise_minutes)} for s in STAGES}
    json.dump(rows, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())

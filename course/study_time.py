"""A lesson's study time, split as Carpentries episodes split it: teaching and exercises.

No learner was timed here, so the minutes come from a read-through model that anyone can rerun on a changed
notebook (`python -m course.study_time`), and that tests/test_study_time.py holds the registry to:

- **teaching** = reading + waiting. Reading: the Markdown's words at 150 a minute (prose to be understood, not
  skimmed; check-yourself answers included) and the code's lines at 8 a minute (each cell read before it runs).
  Waiting: the notebook's machine time in full mode, which `make lab` runs (`make full-run` records it; the
  registry's full-mode budget stands in until it has).
- **exercises** = 10 minutes for each "Your turn" task (read it, write an answer, run the check, fix it once)
  and 2 for each "Predict, then run" guess.

A timed read-through by an instructor replaces these numbers when there is one; say so in the registry.
"""

from __future__ import annotations

import json
import re
import sys

import nbformat

from course import full_run
from course.stages import NOTEBOOKS, STAGES, Stage

WORDS_PER_MINUTE, CODE_LINES_PER_MINUTE = 150, 8
TASK_MINUTES, PREDICTION_MINUTES = 10, 2


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


def main() -> int:
    rows = {s.number: {"model": model(s), "registry": (s.teaching_minutes, s.exercise_minutes)} for s in STAGES}
    json.dump(rows, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())

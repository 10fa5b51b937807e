"""What ties the committed notebooks to one `make record` pass, and keeps a task's answer out of them.

`make record` takes a new id (`--new`: the UTC time and the commit), runs every notebook with it in
COURSE_RECORDING, then stamps it into each notebook's metadata (`course.recording`) and empties the outputs of
the cells tagged `solution` and `check` (the collapsed "# Solution:" cell after each "your turn" answer cell, and
the cell that checks the answer: they run, so that the notebook runs to its end, but a committed notebook never
shows a task's answer, nor a check's evidence, which would give it away). Stage results saved
while a recording runs carry its id (course.results), so notebook 07 compares results of this recording only,
and tests/test_recording.py fails when the committed notebooks come from different recordings.

    python -m course.recording --new
    python -m course.recording --id ID notebooks/02_gunicorn.ipynb ...
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from bench.paths import REPO

HIDDEN = ("solution", "check")  # a task's collapsed solution, and the cell that checks an answer against it
ENV = "COURSE_RECORDING"


def current() -> str:
    """The id of the recording (or full run) this process is part of; "" outside one."""
    return os.environ.get(ENV, "")


def new_id(prefix: str = "record") -> str:
    """A fresh id: what made it, the UTC minute and the commit it ran at ("-dirty" with uncommitted changes)."""
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True,
                            text=True, check=False).stdout.strip() or "no-git"
    return f"{prefix}-{time.strftime('%Y%m%dT%H%MZ', time.gmtime())}-{commit}"


def of(path: Path) -> str:
    """The recording a committed notebook comes from ("" if none is stamped)."""
    return nbformat.read(path, as_version=4).metadata.get("course", {}).get("recording", "")


def finish(path: Path, recording: str) -> int:
    """Stamp `recording` into `path` and empty the outputs of its solution and check cells; how many had any."""
    nb = nbformat.read(path, as_version=4)
    cleared = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and set(HIDDEN) & set(cell.metadata.get("tags", [])) and cell.outputs:
            cell.outputs, cell.execution_count = [], None
            cleared += 1
    nb.metadata.setdefault("course", {})["recording"] = recording
    nbformat.write(nb, path)
    return cleared


def main(args: list[str]) -> int:
    if args[:1] == ["--new"]:
        print(new_id())
        return 0
    if args[:1] != ["--id"] or len(args) < 3:
        print(__doc__)
        return 2
    recording, paths = args[1], args[2:]
    for name in paths:
        print(f"{name}: recording {recording}, {finish(Path(name), recording)} solution or check cell(s) cleared")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

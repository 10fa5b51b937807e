"""What ties the committed notebooks to one `make record` pass, and keeps a task's answer out of them.

`make record` takes a new id (`--new`: the UTC time and the commit), runs every notebook with it in
COURSE_RECORDING, then stamps it into each notebook's metadata (`course.recording`). The cells tagged `solution`
and `check` run too, so that every cell has its real output; while a recording runs, `course.exercises.check`
leaves out its evidence, which would give the task's answer away (tests/test_exercises.py holds them to it).
Stage results saved while a recording runs carry its id (course.results), so notebook 07 compares the results of
this recording only, and tests/test_recording.py fails when the committed notebooks come from different ones.

    python -m course.recording --new
    python -m course.recording --id ID notebooks/02a_gunicorn_workers.ipynb ...
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from bench.core.paths import REPO

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


HIDDEN = ("solution", "check")  # the cells whose timing would tell how long the answer took to find


def stamp(path: Path, recording: str) -> None:
    """Write `recording` into the notebook at `path`: the pass its outputs come from. The solution and check
    cells lose their timing (`execution` in their metadata): a search's length hints at its answer."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata.setdefault("course", {})["recording"] = recording
    for cell in nb.cells:
        if set(cell.metadata.get("tags", [])) & set(HIDDEN):
            cell.metadata.pop("execution", None)
    nbformat.write(nb, path)


def main(args: list[str]) -> int:
    if args[:1] == ["--new"]:
        print(new_id())
        return 0
    if args[:1] != ["--id"] or len(args) < 3:
        print(__doc__)
        return 2
    recording, paths = args[1], args[2:]
    for name in paths:
        stamp(Path(name), recording)
        print(f"{name}: recording {recording}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

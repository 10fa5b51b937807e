"""The last step of `make record`: a committed notebook never shows a task's answer before the learner tries it.

The cells tagged `solution` (the collapsed "# Solution:" cell after each "your turn" answer cell) run while
recording, so that the notebook runs to its end, but their outputs are dropped from the committed file.

    python -m course.recording notebooks/02_gunicorn.ipynb ...
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

TAG = "solution"


def hide_solutions(path: Path) -> int:
    """Empty the outputs of `path`'s solution cells; how many cells had any."""
    nb = nbformat.read(path, as_version=4)
    cleared = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and TAG in cell.metadata.get("tags", []) and cell.outputs:
            cell.outputs, cell.execution_count = [], None
            cleared += 1
    if cleared:
        nbformat.write(nb, path)
    return cleared


def main(paths: list[str]) -> int:
    for name in paths:
        print(f"{name}: {hide_solutions(Path(name))} solution cell(s) cleared")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

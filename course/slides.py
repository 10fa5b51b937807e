"""Mark each notebook's title and `## ` sections as slides for the RISE slideshow (jupyterlab-rise).

    .venv/bin/python -m course.slides      # after adding a section; tests/test_slides.py checks it
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

from course.stages import NOTEBOOKS, STAGES


def slide_type(cell: nbformat.NotebookNode) -> str | None:
    """'slide' for a markdown cell opening the notebook or a section, None for every other cell."""
    if cell.cell_type == "markdown" and cell.source.startswith(("# ", "## ")):
        return "slide"
    return None


def mark(path: Path) -> bool:
    """Set the slide metadata of every cell; True when the file changed."""
    nb = nbformat.read(path, as_version=4)
    changed = False
    for cell in nb.cells:
        wanted = slide_type(cell)
        current = cell.metadata.get("slideshow", {}).get("slide_type")
        if wanted != current:
            changed = True
            if wanted:
                cell.metadata["slideshow"] = {"slide_type": wanted}
            else:
                cell.metadata.pop("slideshow", None)
    if changed:
        nbformat.write(nb, path)
    return changed


if __name__ == "__main__":
    for stage in STAGES:
        print(f"{stage.notebook}: {'updated' if mark(NOTEBOOKS / stage.notebook) else 'up to date'}")
    sys.exit(0)

"""The instructor's slides: every notebook is cut into RISE slides at its title and sections, and the
slideshow extension (jupyterlab-rise, which bundles reveal.js: no network needed) is installed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course import slides


@pytest.mark.parametrize("notebook", [slides.NOTEBOOKS / s.notebook for s in slides.STAGES], ids=lambda p: p.name)
def test_notebook_is_cut_into_slides(notebook: Path) -> None:
    nb = nbformat.read(notebook, as_version=4)
    marked = [c for c in nb.cells if c.metadata.get("slideshow", {}).get("slide_type") == "slide"]
    assert all(slides.slide_type(c) == c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells), \
        "run `.venv/bin/python -m course.slides`"
    assert len(marked) >= 4 and nb.cells[0] in marked


def test_slideshow_extension_is_installed() -> None:
    listed = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"], capture_output=True, text=True)
    assert "jupyterlab-rise" in listed.stdout + listed.stderr

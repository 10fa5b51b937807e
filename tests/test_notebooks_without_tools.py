"""A notebook whose stage needs Docker (or kubectl) still runs where it is missing: those cells say SKIPPED
and why, every other cell runs (COURSE_WITHOUT pretends the tool is absent)."""

from __future__ import annotations

import os

import nbformat
import pytest
from nbclient import NotebookClient

from bench.core.paths import REPO


@pytest.mark.parametrize(("notebook", "without"), [("05_docker.ipynb", "docker,compose"),
                                                   ("06_kubernetes.ipynb", "kubectl,kind,docker")])
def test_notebook_runs_and_says_what_it_skipped(notebook: str, without: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_WITHOUT", without)
    nb = nbformat.read(REPO / "notebooks" / notebook, as_version=4)
    NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(REPO / "notebooks")}}).execute()
    needing = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("%%needs")]
    said = [c for c in needing if any("SKIPPED" in o.get("text", "") for o in c.outputs)]
    assert needing and len(said) == len(needing)
    ran = [c for c in nb.cells if c.cell_type == "code" and not c.source.startswith("%%needs")]
    assert all(not any(o.output_type == "error" for o in c.outputs) for c in ran)
    assert os.environ["COURSE_WITHOUT"] == without

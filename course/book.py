"""The course as a static website (Jupyter Book 1), built from the committed notebooks and their recorded outputs.

    .venv/bin/python -m course.book      # or `make book`; writes _build/html/index.html

Nothing is executed: the book shows what `make record` measured. The table of contents comes from the stage
registry (one chapter per stage, then the labs, then the instructor guide), so a new stage appears without
editing the book. The sources are copied to `_build/book-src/` with the repository's layout, so the links
between notebooks, labs and docs work as they do on GitHub; solution cells get Jupyter Book's `hide-input`
tag there, so they stay collapsed on the page as they are in JupyterLab.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

from bench.core.paths import REPO
from course import recording
from course.stages import LABS, NOTEBOOKS, STAGES

BUILD = REPO / "_build"
SOURCE, HTML = BUILD / "book-src", BUILD / "html"
GUIDE = REPO / "docs" / "instructor-guide.md"
TITLE = "Flask in Production"


def toc() -> dict[str, object]:
    """Jupyter Book's _toc.yml: the landing page, a chapter per stage, the labs, the instructor guide."""
    labs = [{"file": f"labs/{s.lab}/README"} for s in STAGES if s.lab]
    return {
        "format": "jb-book",
        "root": "index",
        "parts": [
            {"caption": "Stages", "chapters": [{"file": f"notebooks/{Path(s.notebook).stem}"} for s in STAGES]},
            {"caption": "Labs", "chapters": [{"file": "labs/README", "sections": labs}]},
            {"caption": "For instructors", "chapters": [{"file": "docs/instructor-guide"}]},
        ],
    }


def config() -> dict[str, object]:
    """Jupyter Book's _config.yml: never execute (the outputs are the recorded ones), no network at build time."""
    return {
        "title": TITLE,
        "author": "the Flask in Production contributors",
        "only_build_toc_files": True,
        "execute": {"execute_notebooks": "off"},
        "html": {"use_repository_button": False, "home_page_in_navbar": True},
        "sphinx": {"config": {"html_show_copyright": False, "suppress_warnings": ["myst.header"]}},
    }


def landing_page() -> str:
    """The book's first page: what the course is, and the stages, each linked to its chapter and lab."""
    rows = "\n".join(
        f"| {s.number} | [{s.title}](notebooks/{Path(s.notebook).stem}.ipynb) | "
        + (f"[lab {s.lab}](labs/{s.lab}/README.md)" if s.lab else "—")
        + f" | about {s.study_minutes} min | {s.quick_seconds} s |"
        for s in STAGES
    )
    return f"""# {TITLE}

A course that takes a Python developer from "what is WSGI?" to a Flask app load-tested behind nginx, in
containers and on a local Kubernetes cluster. Each claim in it is an experiment: the notebook measures it and
asserts it. This book shows the notebooks with the outputs of one recorded run (`make record`, quick mode, on a
2-core machine: recording `{recording.of(NOTEBOOKS / STAGES[0].notebook)}`). The numbers on your machine will
differ. To get them, clone the repository and run `make lab`.

| stage | chapter | lab | study time | machine time (quick mode) |
|---|---|---|---|---|
{rows}

The [labs](labs/README.md) are tasks with automatic checks (`make check LAB=NN`). The
[instructor guide](docs/instructor-guide.md) has timetables for a half-day and a two-day workshop.
"""


def _copy_notebook(src: Path, dest: Path) -> None:
    nb = nbformat.read(src, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "solution" in tags and "hide-input" not in tags:
            cell.metadata["tags"] = [*tags, "hide-input"]
    nbformat.write(nb, dest)


def stage_sources(dest: Path = SOURCE) -> Path:
    """Write the book's sources to `dest` (emptied first): config, contents, landing page, and copies."""
    if dest.exists():
        shutil.rmtree(dest)
    for folder in ("notebooks", "labs", "docs"):
        (dest / folder).mkdir(parents=True)
    (dest / "_config.yml").write_text(yaml.safe_dump(config(), sort_keys=False))
    (dest / "_toc.yml").write_text(yaml.safe_dump(toc(), sort_keys=False))
    (dest / "index.md").write_text(landing_page())
    for stage in STAGES:
        _copy_notebook(NOTEBOOKS / stage.notebook, dest / "notebooks" / stage.notebook)
        if stage.lab:
            (dest / "labs" / stage.lab).mkdir()
            shutil.copy2(LABS / stage.lab / "README.md", dest / "labs" / stage.lab / "README.md")
    shutil.copy2(LABS / "README.md", dest / "labs" / "README.md")
    for doc in (REPO / "docs").iterdir():
        if doc.suffix in {".md", ".png", ".svg"}:
            shutil.copy2(doc, dest / "docs" / doc.name)
    _copy_linked_files(dest)
    return dest


_LINK = re.compile(r"\]\(([^)#\s:]+)")  # a markdown link's target, when relative (no scheme)


def _markdown(page: Path) -> str:
    if page.suffix == ".ipynb":
        return "\n".join(c.source for c in nbformat.read(page, as_version=4).cells if c.cell_type == "markdown")
    return page.read_text()


def _copy_linked_files(dest: Path) -> None:
    """Copy the repository's files the pages link to (configs, code), so the book offers them for download."""
    for page in [*dest.rglob("*.md"), *dest.rglob("*.ipynb")]:
        for target in _LINK.findall(_markdown(page)):
            staged = (page.parent / target).resolve()
            original = REPO / staged.relative_to(dest.resolve()) if staged.is_relative_to(dest.resolve()) else None
            if original is not None and original.is_file() and not staged.exists():
                staged.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(original, staged)


def build(out: Path = HTML) -> Path:
    """Build the book; return its index.html. Raises CalledProcessError with Jupyter Book's output on failure."""
    src = stage_sources()
    done = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter-book"), "build", str(src), "--builder", "html",
         "--path-output", str(src), "-W", "--keep-going"],  # a broken link fails the build
        capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, done.args, done.stdout, done.stderr)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(src / "_build" / "html", out)
    return out / "index.html"


if __name__ == "__main__":
    try:
        index = build()
    except subprocess.CalledProcessError as failed:
        print(failed.stdout[-4000:], failed.stderr[-4000:], sep="\n", file=sys.stderr)
        sys.exit(f"error: jupyter-book failed (exit {failed.returncode}); its output is above")
    print(f"the book is in {index.parent}/: open {index}")

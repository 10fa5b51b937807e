"""Every notebook in the shape of a good lesson (Software Carpentry's episodes, d2l.ai's sections): questions and
objectives first, cells that fit a screen, the measuring machinery out of the learner's way, key points and
questions to check oneself at the end."""

from __future__ import annotations

import re

import nbformat
import pytest

from course.stages import NOTEBOOKS, STAGES

MAX_LINES, MAX_WIDTH = 15, 100  # a code cell a learner reads fits a screen, and the book never scrolls sideways
APPENDIX = "09_how_this_course_measures.ipynb"
# What the measuring machinery is called in prose: the appendix teaches it, the stages mention it little.
MACHINERY = re.compile(r"locust|load generator|generator|\bflag(ged|s)?\b|interfer|calibrat", re.IGNORECASE)
MACHINERY_COMMENT = re.compile(r"interfer|at_least|generator share|generator's share", re.IGNORECASE)
MOST_MACHINERY_SENTENCES = {"00": 5}  # and 3 in every other stage before the appendix
LESSONS = [s for s in STAGES if s.notebook != APPENDIX]


def _cells(stage) -> list[nbformat.NotebookNode]:
    return nbformat.read(NOTEBOOKS / stage.notebook, as_version=4).cells


def sentences(markdown: str) -> list[str]:
    """Markdown split into sentences and list items, code blocks left out."""
    markdown = re.sub(r"```.*?```", "", markdown, flags=re.DOTALL)
    parts = re.split(r"(?<=[.!?:])\s+(?=[A-Z*`(\[])|\n\s*[-*] |\n\n", markdown)
    return [part.strip() for part in parts if part.strip()]


def test_sentences_are_split_at_their_ends_and_at_list_items() -> None:
    text = "One sentence. Another: with `code`.\n\n- an item\n- another item\n\n```\nx = 1. y\n```"
    assert sentences(text) == ["One sentence.", "Another: with `code`.", "an item", "another item"]


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.number)
def test_every_code_cell_fits_a_screen(stage) -> None:
    too_long = {}
    for index, cell in enumerate(_cells(stage)):
        if cell.cell_type != "code":
            continue
        lines = cell.source.rstrip("\n").split("\n")
        wide = [len(line) for line in lines if len(line) > MAX_WIDTH]
        if len(lines) > MAX_LINES or wide:
            too_long[index] = f"{len(lines)} lines" + (f", lines of {wide} characters" if wide else "")
    assert not too_long, (f"{stage.notebook}: cells over {MAX_LINES} lines or {MAX_WIDTH} characters a line: "
                          f"{too_long}. Move the mechanics into bench/ or a named helper.")


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.number)
def test_a_lesson_opens_with_questions_and_objectives(stage) -> None:
    header = _cells(stage)[0].source
    assert "**Questions**" in header and "**Objectives**" in header, f"{stage.notebook}: the header needs both"
    assert header.index("**Questions**") < header.index("**Objectives**")


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.number)
def test_a_lesson_ends_with_key_points_and_questions_to_check_oneself(stage) -> None:
    cells = [c.source for c in _cells(stage) if c.cell_type == "markdown"]
    key = next((i for i, s in enumerate(cells) if s.startswith("## Key points")), None)
    check = next((i for i, s in enumerate(cells) if s.startswith("## Check yourself")), None)
    assert key is not None and check == key + 1, f"{stage.notebook}: ## Key points, then ## Check yourself"
    answers = cells[check].count("<details><summary>Answer</summary>")
    assert 3 <= answers <= 5 and answers == cells[check].count("</details>"), f"{stage.notebook}: {answers}"
    after = [s.split("\n", 1)[0] for s in cells[check + 1:] if s.startswith("## ")]
    assert after[:1] == ["## Your turn, and next"], f"{stage.notebook}: after the questions come {after}"


@pytest.mark.parametrize("stage", LESSONS, ids=lambda s: s.number)
def test_the_measuring_machinery_stays_out_of_the_way(stage) -> None:
    """A few sentences at most about the load generator and its flags (the appendix has the rest), and no code
    comment about interference: a learner's cell shows the server, the load, the plot and the claim."""
    prose = [s for c in _cells(stage) if c.cell_type == "markdown" for s in sentences(c.source)
             if MACHINERY.search(s) and APPENDIX not in s]
    most = MOST_MACHINERY_SENTENCES.get(stage.number, 3)
    assert len(prose) <= most, f"{stage.notebook}: {len(prose)} sentences about the machinery (at most {most}): {prose}"
    comments = [line.strip() for c in _cells(stage) if c.cell_type == "code" for line in c.source.splitlines()
                if "#" in line and MACHINERY_COMMENT.search(line.split("#", 1)[1])]
    assert stage.number == "00" or not comments, f"{stage.notebook}: {comments}"


# What a load printed before the bench went quiet: a line per run that the learner did not ask for.
UNASKED_LOAD_LINE = re.compile(r": \d+(\.\d+)? s of load, generator CPU")


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.number)
def test_a_recorded_notebook_is_quiet(stage) -> None:
    """d2l's helper library prints nothing a learner did not ask for: no stderr in a recording (start-up lines,
    pull errors, warnings), and no line per load run (a flagged run prints one line, which is allowed)."""
    noisy = {}
    for index, cell in enumerate(_cells(stage)):
        for output in cell.get("outputs", []):
            text = output.get("text", "")
            if output.get("name") == "stderr" or UNASKED_LOAD_LINE.search(text):
                noisy[index] = text.strip().splitlines()[:2]
    assert not noisy, f"{stage.notebook}: outputs a learner did not ask for, by cell: {noisy}"


MOST_SECTIONS = 8  # topic sections (## headings) a lesson a learner finishes in one sitting holds (issue #35)
CLOSING = re.compile(r"^## (Key points|Check yourself|Your turn, and next)")


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.number)
def test_a_lesson_has_at_most_eight_topic_sections(stage) -> None:
    """One idea per section, a few sections per lesson (Carpentries' episodes): subsections (###) group the
    parts of one idea; a lesson that needs more than eight topics is two lessons."""
    topics = [line for c in _cells(stage) if c.cell_type == "markdown" for line in c.source.splitlines()
              if line.startswith("## ") and not CLOSING.match(line)]
    assert len(topics) <= MOST_SECTIONS, f"{stage.notebook}: {len(topics)} topic sections: {topics}"

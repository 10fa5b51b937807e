"""Exercises inside the notebooks.

- **Predict, then run**: the learner writes a number into a cell before the experiment; the cell after it
  shows how far off the guess was (`compare`). A guess is never wrong, only far.
- **Your turn**: a task the learner answers in a cell (`answer = None`); a collapsed solution cell fills the
  answer in only when it was left blank (`or_solution`), so "Run All" and `make test` run the solution; a check
  cell runs the learner's answer for real and says ✓, or ✗ with a hint (`check`, which raises `NotYet`). While
  `make record` runs (course.recording), the ✓ leaves its evidence out: it would give the answer away in the
  committed notebook.
"""

from __future__ import annotations

from collections.abc import Mapping

from bench.core.numbers import evidence_text, readable
from course import recording

RECORDED = "checked with the collapsed solution when this notebook was recorded: run it to see your own numbers"


class NotYet(AssertionError):
    """The answer does not meet the task yet."""


def compare(question: str, guess: float | None, measured: float, unit: str, how: str = "measured") -> float | None:
    """Print the measurement (or, with how="computed", a number worked out rather than measured) beside the
    learner's guess; return measured / guess (None without a guess)."""
    if guess is None:
        print(f"{question}: {how} {readable(measured)} {unit}. Next time, write your guess in the cell above "
              "first: the surprise is the lesson.")
        return None
    ratio = measured / guess if guess else float("inf")
    verdict = ("within 20%: well reasoned" if 0.8 <= ratio <= 1.25 else
               f"the answer is {readable(ratio)}× your guess" if ratio > 1 else
               f"the answer is {readable(1 / ratio)}× below your guess")
    print(f"{question}: you guessed {readable(guess)} {unit}, {how} {readable(measured)} {unit}: {verdict}.")
    return ratio


def or_solution(answer: object, solution: object) -> object:
    """The learner's answer, or the solution when the answer cell was left at None."""
    if answer is None:
        print("(no answer written: the collapsed solution is used)")  # its value stays hidden until opened
        return solution
    return answer


def check(task: str, ok: bool, evidence: Mapping[str, object] | str, hint: str) -> None:
    """✓ when the answer meets the task; otherwise raise NotYet with the evidence ("name value, …") and a hint."""
    text = evidence_text(evidence)
    if not ok:
        raise NotYet(f"✗ {task} — {text}\n  hint: {hint}")
    print(f"✓ {task} — {RECORDED if recording.current() else text}")


def call_wsgi(app: object, path: str) -> str:
    """Call the WSGI callable `app` by hand for a GET of `path`, as a server would: the status line it answers."""
    from wsgiref.util import setup_testing_defaults

    environ: dict[str, object] = {}
    setup_testing_defaults(environ)
    environ["PATH_INFO"], environ["QUERY_STRING"] = path.partition("?")[::2]
    seen: list[str] = []
    body = app(environ, lambda status, headers, exc_info=None: seen.append(status))  # type: ignore[operator]
    b"".join(body)
    if hasattr(body, "close"):
        body.close()
    return seen[0] if seen else "no status"


def status_of(url: str, timeout: float = 15, **request: object) -> int | str:
    """A GET's status code, or the name of what went wrong instead of an answer (a cut connection)."""
    import requests

    try:
        return requests.get(url, timeout=timeout, **request).status_code  # type: ignore[arg-type]
    except requests.RequestException as error:
        return type(error).__name__

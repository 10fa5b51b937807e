"""Numbers as people read them: as many digits as the size of the number deserves."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral, Real


def readable(value: object) -> str:
    """2,048 · 56.8 · 0.24 · 0.012: whole numbers as they are, others to a precision that keeps a sub-millisecond
    cost from reading as 0."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return str(value)
    if isinstance(value, Integral):
        return f"{int(value):,}"
    number = float(value)
    if number != number:  # NaN
        return "n/a"
    magnitude = abs(number)
    digits = 0 if magnitude >= 100 else 1 if magnitude >= 10 else 2 if magnitude >= 0.1 else 3
    return f"{number:,.{digits}f}"


def evidence_text(evidence: Mapping[str, object] | str) -> str:
    """Evidence as one line: "name value, name value" (each value `readable`), or the text as it is."""
    if isinstance(evidence, str):
        return evidence
    return ", ".join(f"{name} {readable(value)}" for name, value in evidence.items())

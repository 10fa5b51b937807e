"""One switch for run length: COURSE_MODE=quick (tests, live demos) or full (self-study)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TypeVar

from bench.core.errors import BenchError

T = TypeVar("T")


@dataclass(frozen=True)
class Mode:
    name: str
    duration: float  # seconds of load per measurement
    repeats: int  # measurements per configuration (for error bars)

    def __str__(self) -> str:
        runs = "one run" if self.repeats == 1 else f"{self.repeats} runs"
        return f"{self.name} mode: {self.duration:g} s of load per run, {runs} per configuration"


MODES = {
    "quick": Mode("quick", duration=3.0, repeats=1),
    "full": Mode("full", duration=12.0, repeats=3),
}
DEFAULT = "full"


def current() -> Mode:
    """The mode chosen by COURSE_MODE (default: full)."""
    name = os.environ.get("COURSE_MODE", DEFAULT).strip().lower() or DEFAULT
    if name not in MODES:
        raise BenchError(f"COURSE_MODE must be one of {sorted(MODES)}, got {name!r}; e.g. COURSE_MODE=quick")
    return MODES[name]


def pick(quick: T, full: T) -> T:
    """Choose a value by mode, e.g. the points of a sweep."""
    return quick if current().name == "quick" else full

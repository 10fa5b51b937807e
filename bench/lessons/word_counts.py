"""Notebook 07's task: a function to profile and make faster, beside the app's own slow report.

`top_words` is written the way a first draft often is; what makes it slow is the task's to find (the notebook's
collapsed solution says). `best_ms` times a call as the notebook's check does."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

WORD = re.compile(r"[a-z']+")


def words(text: str) -> list[str]:
    """The words of `text`, lower-cased."""
    return WORD.findall(text.lower())


def top_words(rows: list[tuple[str, str]], n: int) -> list[tuple[str, int]]:
    """The `n` most frequent words in the quotes' texts (most first, ties in alphabetical order)."""
    every = [word for text, _ in rows for word in words(text)]
    counted = [(word, every.count(word)) for word in sorted(set(every))]
    return sorted(counted, key=lambda pair: (-pair[1], pair[0]))[:n]


def best_ms(function: Callable[..., object], *args: object, repeat: int = 3) -> float:
    """The fastest of `repeat` calls, in milliseconds: on a busy machine a call that waited for a core would
    measure the wait too."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function(*args)
        best = min(best, time.perf_counter() - started)
    return 1000 * best

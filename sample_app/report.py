"""The authors report behind /report: how many quotes each author has, and their shortest one.

`authors_report` is deliberately written the slow way a first draft often is (notebook 07 profiles
it); `authors_report_fast` is the fix the profile points to. Both return the same report."""

from __future__ import annotations

import unicodedata
from collections import defaultdict


def _same_author(a: str, b: str) -> bool:
    # Compares names ignoring case and accents, normalising both names on every comparison.
    return unicodedata.normalize("NFKD", a).casefold() == unicodedata.normalize("NFKD", b).casefold()


def authors_report(rows: list[tuple[str, str]]) -> list[dict[str, object]]:
    """One entry per author: every author is compared with every row (authors × rows comparisons)."""
    report = []
    for author in sorted({who for _, who in rows}):
        theirs = [text for text, who in rows if _same_author(who, author)]
        report.append({"author": author, "quotes": len(theirs), "shortest": min(theirs, key=len)})
    return report


def _key(name: str) -> str:
    return unicodedata.normalize("NFKD", name).casefold()


def authors_report_fast(rows: list[tuple[str, str]]) -> list[dict[str, object]]:
    """The same report from one pass: each name is normalised once and rows are grouped by it."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for text, who in rows:
        grouped[_key(who)].append(text)
    return [{"author": author, "quotes": len(grouped[_key(author)]), "shortest": min(grouped[_key(author)], key=len)}
            for author in sorted({who for _, who in rows})]

"""The quotes database: built once from the CSV shipped with the app, then read per request."""

from __future__ import annotations

import csv
import os
import random
import sqlite3
from importlib import resources
from pathlib import Path


def _rows() -> list[tuple[str, str]]:
    text = resources.files("sample_app").joinpath("data/quotes.csv").read_text(encoding="utf-8")
    return [(row["text"], row["author"]) for row in csv.DictReader(text.splitlines())]


def build(path: Path) -> Path:
    """Create the database at `path` unless it exists; safe when many workers race."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with sqlite3.connect(tmp) as db:
        db.execute("CREATE TABLE quotes (id INTEGER PRIMARY KEY, text TEXT NOT NULL, author TEXT NOT NULL)")
        db.executemany("INSERT INTO quotes (text, author) VALUES (?, ?)", _rows())
    db.close()
    os.replace(tmp, path)  # atomic: readers see no file or a complete one
    return path


def random_quote(path: Path, contains: str | None = None) -> dict[str, object] | None:
    """One random quote, optionally one whose text contains a word; None when none matches."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if contains:
            # The client's text is matched literally: its % and _ are not LIKE wildcards.
            escaped = contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            rows = db.execute(
                "SELECT id, text, author FROM quotes WHERE text LIKE ? ESCAPE '\\' ORDER BY id", (f"%{escaped}%",)
            ).fetchall()
        else:
            rows = db.execute("SELECT id, text, author FROM quotes ORDER BY id").fetchall()
    finally:
        db.close()
    if not rows:
        return None
    quote_id, text, author = random.choice(rows)
    return {"id": quote_id, "text": text, "author": author}


def catalogue(path: Path, copies: int = 1) -> list[tuple[str, str]]:
    """Every (text, author) in the database; with copies > 1, that many copies with renamed authors
    ("Ada Lovelace #2"), standing for a catalogue `copies` times bigger."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT text, author FROM quotes ORDER BY id").fetchall()
    finally:
        db.close()
    return rows + [(text, f"{who} #{n}") for n in range(2, copies + 1) for text, who in rows]

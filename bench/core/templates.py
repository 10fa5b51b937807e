"""Fill the few values (ports, paths) a real config file cannot know in advance.

Placeholders look like `@PORT@`: upper-case, between at-signs, so they never clash with
nginx's `$variables`, its `@named` locations, or Python.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from bench.core.errors import BenchError

_PLACEHOLDER = re.compile(r"@([A-Z][A-Z0-9_]*)@")


def render(text: str, values: Mapping[str, object]) -> str:
    """Replace every placeholder; a placeholder without a value is an error, not a silent blank.
    (Keep placeholders out of comments: a multi-line value would spill out of the comment.)"""
    missing = sorted({m.group(1) for m in _PLACEHOLDER.finditer(text)} - set(values))
    if missing:
        raise BenchError(f"no value given for {', '.join('@' + m + '@' for m in missing)}")
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)


def render_file(template: Path, values: Mapping[str, object], dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(render(template.read_text(), values))
    return dest


def excerpt(path: Path, *starts: str) -> str:
    """The lines of a config file that a lesson is about: those whose text (indentation left out) starts with one
    of `starts`, each with its line number, so a notebook shows the lines it explains, not the whole file."""
    lines = path.read_text().splitlines()
    kept = [f"{number:4}  {line}" for number, line in enumerate(lines, 1) if line.strip().startswith(starts)]
    return f"{path.name}, the lines this section is about:\n" + "\n".join(kept)

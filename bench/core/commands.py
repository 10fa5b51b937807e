"""The commands the bench runs, written out to copy into a terminal at the repository's root."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence

from bench.core.paths import REPO


def shell(argv: Sequence[str], env: Mapping[str, str] | None = None) -> str:
    """`argv` as one shell line, its environment variables in front, and paths inside the repository made
    relative to it (.venv/bin/gunicorn, config/gunicorn.conf.py)."""
    prefix = str(REPO) + "/"
    assignments = [f"{name}={shlex.quote(value)}" for name, value in (env or {}).items()]
    return " ".join([*assignments, *(shlex.quote(word.replace(prefix, "")) for word in argv)])

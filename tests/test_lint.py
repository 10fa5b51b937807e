"""The code (notebooks included) stays ruff clean."""

from __future__ import annotations

import subprocess
import sys

from bench.core.paths import REPO


def test_ruff_check() -> None:
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr

"""bench.lessons.profiling: cProfile, werkzeug's ProfilerMiddleware and py-spy find the report's hot spot."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bench.lessons import profiling

SLOW = "/report?catalogue=12"


def test_cprofile_and_the_middleware_name_the_same_hot_function() -> None:
    by_cprofile = profiling.profile_request(SLOW, repeat=1)
    by_middleware = profiling.profile_with_middleware(SLOW)
    assert by_cprofile.iloc[0]["function"] == by_middleware.iloc[0]["function"] == "report.py:12(_same_author)"
    assert by_middleware.iloc[0]["in app"]


def test_py_spy_raw_stacks_become_own_samples_per_function(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "py-spy"  # writes py-spy's raw format to --output, as py-spy record does
    fake.write_text("#!/bin/sh\nwhile [ \"$1\" != --output ]; do shift; done\n"
                    "printf 'main (a.py:1);f (a.py:5) 3\\nmain (a.py:1);f (a.py:6) 2\\nmain (a.py:2) 1\\n' > \"$2\"\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(profiling.env, "require", lambda name: str(fake))
    table = profiling.sample_process(12345, 1)
    assert table.to_dict("list") == {"function": ["f (a.py)", "main (a.py)"], "samples": [5, 1],
                                     "share": [5 / 6, 1 / 6]}


@pytest.mark.skipif(bool(profiling.cannot_attach()), reason=profiling.cannot_attach() or "")
def test_py_spy_samples_a_live_process_from_outside() -> None:
    busy = subprocess.Popen([sys.executable, "-c", "def spin():\n    while True: pass\nspin()"])
    try:
        table = profiling.sample_process(busy.pid, 1)
    finally:
        busy.kill()
        busy.wait()
    assert table.iloc[0]["function"].startswith("spin ")

"""After the notebooks ran: each stage saved its result on the standard workload, from this machine,
so notebook 07's final chart compared them all."""

from __future__ import annotations

import pytest

from bench import needs, results
from conftest import NOTEBOOK_SECONDS, SESSION_STARTED


@pytest.mark.last
def test_every_stage_saved_its_standard_workload_result() -> None:
    if len(NOTEBOOK_SECONDS) < 8:
        pytest.skip("only after a run of every notebook")
    saved = results.saved()
    stages = set(saved[saved["t"] >= SESSION_STARTED]["stage"])
    expected = {"01 WSGI", "02 gunicorn", "03 uWSGI", "04 nginx", "07 scaling & caching"}
    if needs.have("compose"):
        expected.add("05 Docker")
    assert expected <= stages, f"missing: {sorted(expected - stages)}"

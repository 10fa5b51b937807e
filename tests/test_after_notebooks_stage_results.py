"""After the notebooks ran: each stage saved its result on the standard workload, from this machine,
so notebook 07's final chart compared them all."""

from __future__ import annotations

import pytest

from course import needs, results, stages


@pytest.mark.last
def test_every_stage_saved_its_standard_workload_result(notebook_seconds: dict[str, float],
                                                        session_started: float) -> None:
    if len(notebook_seconds) < len(stages.STAGES):
        pytest.skip("only after a run of every notebook")
    saved = results.saved()
    saved_stages = set(saved[saved["t"] >= session_started]["stage"])
    expected = {s.result for s in stages.results() if not s.result_needs or needs.have(s.result_needs)}
    assert expected <= saved_stages, f"missing: {sorted(expected - saved_stages)}"

"""After the notebooks: every claim they stated was measurable here, and none was refused."""

from __future__ import annotations

import pytest

from bench import claims
from sample_app.limits import usable_cpus


@pytest.mark.last
def test_every_claim_was_measured_on_this_machine(session_started: float) -> None:
    stated = claims.recorded(since=session_started)
    if not stated:
        pytest.skip("no notebook stated a claim in this run")
    if usable_cpus() < 2:  # on one core, claims that need two say so, and locust always shares the server's core
        pytest.skip("one usable core: claims may be 'not measurable' or refused here, and say why")
    refused = [str(o) for o in stated if o.status == claims.REFUSED]
    assert not refused, "claims drawn from flagged runs (generator-bound or interfered):\n" + "\n".join(refused)
    unmeasured = [str(o) for o in stated if o.status == claims.UNMEASURABLE]
    assert not unmeasured, "claims this machine could not measure:\n" + "\n".join(unmeasured)

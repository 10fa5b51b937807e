"""After the notebooks: every claim they stated was measurable here, and none was refused.

Required on a machine like the CI one: two usable cores at full speed. On less (one core, a CPU quota, or
`portability.sh half`), a claim may honestly say it cannot be measured here, and why: then this test lists them
and skips. A claim that is false fails its notebook on any machine.
"""

from __future__ import annotations

import pytest

from bench.load import claims
from bench.load.cpu import capacity_cores


@pytest.mark.last
def test_every_claim_was_measured_on_this_machine(session_started: float) -> None:
    stated = claims.recorded(since=session_started)
    if not stated:
        pytest.skip("no notebook stated a claim in this run")
    refused = [str(o) for o in stated if o.status == claims.REFUSED]
    unmeasured = [str(o) for o in stated if o.status == claims.UNMEASURABLE]
    if capacity_cores() < 2:  # locust shares the server's CPU more than the claims were planned for
        said = refused + unmeasured
        pytest.skip(f"{capacity_cores():g} cores' worth of CPU here, not two: {len(said)} of {len(stated)} claims "
                    "said they could not be measured, and why:\n" + "\n".join(said))
    assert not refused, "claims drawn from flagged runs (generator-bound or interfered):\n" + "\n".join(refused)
    assert not unmeasured, "claims this machine could not measure:\n" + "\n".join(unmeasured)

"""After everything else (notebooks included): nothing the course started is still running,
and no port it bound is still held."""

from __future__ import annotations

import psutil
import pytest

from bench.core import ports, registry


@pytest.mark.last
def test_nothing_the_course_started_is_still_running(session_started: float) -> None:
    started = registry.history(since=session_started)
    assert started, "the suite should have started servers; is the registry being written?"
    alive = [e for e in started if registry.alive(e)]
    assert not alive, f"still running: {alive}"
    held = sorted({e.port for e in started if e.port is not None and ports.in_use(e.port)})
    assert not held, f"ports still bound: {held}"
    assert not registry.entries(), "the registry of running servers should be empty"


@pytest.mark.last
def test_no_child_processes_left() -> None:
    children = [p for p in psutil.Process().children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE]
    assert not children, [p.cmdline() for p in children]


@pytest.mark.last
def test_no_course_container_network_or_volume_left() -> None:
    from bench.host import docker_engine

    if not docker_engine.available():
        pytest.skip("no Docker engine here")
    engine = docker_engine.client()
    left = (docker_engine.running_labelled()
            + [n.name for n in engine.networks.list(filters=docker_engine.LABEL_FILTER)]
            + [v.name for v in engine.volumes.list(filters=docker_engine.LABEL_FILTER)])
    assert not left, f"still there: {left}"

"""The course's dev container (.devcontainer/): notebook 00 knows it runs there, and its configuration says what the
issue asks (Docker inside without --privileged, a labelled JupyterLab port, no registry features, pinned kind).
`make test-devcontainer` (course/devcontainer.py) builds and runs it for real; these checks need no Docker."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.core.paths import REPO
from bench.host import devcontainer
from course import devcontainer as dc_test
from course import stages

DOCKERFILE = REPO / ".devcontainer" / "Dockerfile"


@pytest.mark.parametrize(("environ", "expected"), [
    ({}, None),
    ({"CODESPACES": "true"}, None),  # someone else's Codespace: not the course's container
    ({"COURSE_DEVCONTAINER": "0"}, None),
    ({"COURSE_DEVCONTAINER": "1"}, "a dev container"),
    ({"COURSE_DEVCONTAINER": "1", "CODESPACES": "true"}, "Codespaces"),
    ({"COURSE_DEVCONTAINER": "1", "REMOTE_CONTAINERS": "true"}, "VS Code"),
])
def test_where_the_course_runs(environ: dict[str, str], expected: str | None) -> None:
    assert devcontainer.where(environ) == expected


def test_the_line_names_the_program_and_what_06_can_do() -> None:
    codespaces = {"COURSE_DEVCONTAINER": "1", "CODESPACES": "true"}
    live = devcontainer.describe(kind_ready=True, environ=codespaces)
    assert live is not None and live.startswith("✓ running in the course's dev container (Codespaces)")
    assert "kind and kubectl are installed" in live and "not been tried" in live
    offline = devcontainer.describe(kind_ready=False, environ={"COURSE_DEVCONTAINER": "1"})
    assert offline is not None and "(" not in offline.split(":")[0] and "06 runs its offline parts" in offline
    assert devcontainer.describe(kind_ready=True, environ={}) is None


VERSIONS = {"kind": "0.33.0", "kubectl": "1.37.2"}  # the releases the pinned node image works with


@pytest.fixture(autouse=True)
def _engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Docker engine answers, whatever this machine runs (the verdict asks it)."""
    from bench.host import docker_engine

    monkeypatch.setattr(docker_engine, "available", lambda: True)


def _table(missing: tuple[str, ...], versions: dict[str, str] = VERSIONS) -> list[dict[str, str]]:
    tools = {tool for stage in stages.STAGES for tool in stage.tools}
    return [{"tool": t, "found": "no" if t in missing else "yes", "version": versions.get(t, "1.0"),
             "how to install": f"get {t}"} for t in sorted(tools)]


def test_verdict_says_it_runs_in_the_dev_container_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(devcontainer.SWITCH, "1")
    monkeypatch.setenv("CODESPACES", "true")
    lines = stages.verdict(_table(("kind",))).splitlines()
    assert lines[0].startswith("✓ running in the course's dev container (Codespaces)")
    assert "06 runs its offline parts" in lines[0]
    assert lines[1].startswith("✓ this machine runs stages") and "06" not in lines[1]
    assert "kind and kubectl are installed" in stages.verdict(_table(())).splitlines()[0]


def test_verdict_outside_the_dev_container_is_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(devcontainer.SWITCH, raising=False)
    assert stages.verdict(_table(())).splitlines()[0].startswith("✓ this machine runs stages")


def test_the_container_runs_docker_inside_without_privileged() -> None:
    config = dc_test.read_config()
    assert "privileged" not in config and config["features"] == {}  # no feature from a registry
    assert {"SYS_ADMIN", "NET_ADMIN", "MKNOD"} <= set(config["capAdd"])
    assert set(config["securityOpt"]) == {"seccomp=unconfined", "apparmor=unconfined"}
    assert "--cgroupns=host" in config["runArgs"]
    assert any(arg.startswith("--tmpfs=/var/lib/docker") for arg in config["runArgs"])
    assert {"type": "bind", "source": "/sys/fs/cgroup", "target": "/sys/fs/cgroup"} in config["mounts"]
    assert config["overrideCommand"] is False  # the entrypoint starts dockerd
    assert config["containerEnv"][devcontainer.SWITCH] == "1"
    assert config["remoteUser"] == "learner" and "--groups docker" in DOCKERFILE.read_text()


def test_jupyterlab_is_forwarded_labelled_and_opened() -> None:
    config = dc_test.read_config()
    port = config["forwardPorts"][0]
    assert config["portsAttributes"][str(port)]["onAutoForward"] == "openBrowser"
    assert config["portsAttributes"][str(port)]["label"]
    start = (REPO / ".devcontainer" / "start-lab.sh").read_text()
    assert "--port=\"$port\"" in start
    # a token, new at every start: remote Host headers are allowed (Codespaces), so without one a web page could
    # reach the forwarded port by DNS rebinding and run code in the container
    assert '--IdentityProvider.token="$token"' in start and "secrets.token_hex" in start and "token=''" not in start
    assert config["hostRequirements"] == {"cpus": 4, "memory": "8gb"}


def test_the_dockerfile_has_a_public_debian_base_and_pinned_kind() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^ARG BASE_IMAGE=python:3\.1[1-9]-slim-bookworm$", text, re.M)
    for tool in ("KIND", "KUBECTL"):
        assert re.search(rf"^ARG {tool}_VERSION=v\d+\.\d+\.\d+$", text, re.M)
        assert re.search(rf"^ARG {tool}_SHA256=[0-9a-f]{{64}}$", text, re.M)
    script = (REPO / ".devcontainer" / "install-kind.sh").read_text()
    assert "--max-time" in script and "sha256sum --check" in script
    assert "kind/kubectl not installed:" in script and "stage 06 runs its offline parts" in script


def test_the_dockerfile_passes_hadolint() -> None:
    from bench.containers import images
    from bench.host import env

    if env.find("hadolint") is None:
        pytest.skip("hadolint is not installed")

    assert images.hadolint(DOCKERFILE) == []


def test_the_tests_config_overrides_only_paths_and_build_args(tmp_path: Path) -> None:
    path = dc_test.override_config(tmp_path, {"BASE_IMAGE": "flask-in-production/base:python-full"})
    config, original = dc_test.read_config(path), dc_test.read_config()
    assert config["build"]["args"]["BASE_IMAGE"] == "flask-in-production/base:python-full"
    assert Path(config["build"]["dockerfile"]) == DOCKERFILE and Path(config["build"]["context"]) == REPO
    assert {k: v for k, v in config.items() if k != "build"} == {k: v for k, v in original.items() if k != "build"}


def test_make_test_runs_the_dev_container_test() -> None:
    makefile = (REPO / "Makefile").read_text()
    recipe = makefile.split("\ntest: ", 1)[1].split("\n\n", 1)[0]
    assert "test-devcontainer" in recipe
    assert "-m course.devcontainer" in makefile.split("\ntest-devcontainer:", 1)[1].split("\n\n", 1)[0]


def test_verdict_says_which_missing_tools_skip_cells_and_which_stop_the_stage(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(devcontainer.SWITCH, raising=False)
    lines = stages.verdict(_table(("nginx", "kind"))).splitlines()
    nginx = next(line for line in lines if line.startswith("✗ 04a"))
    assert "stops at the first cell that needs nginx" in nginx and "SKIPPED" not in nginx
    kind = next(line for line in lines if line.startswith("✗ 06"))
    assert "cells that need kind say SKIPPED" in kind and "stops" not in kind


def test_verdict_counts_a_tool_that_is_there_but_cannot_serve_as_lacking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Docker Desktop installed but not started, or a kind or kubectl of another release: found, and still no
    stage that needs them runs fully."""
    from bench.host import docker_engine

    monkeypatch.delenv(devcontainer.SWITCH, raising=False)
    assert "05" in stages.verdict(_table(())).splitlines()[0]
    monkeypatch.setattr(docker_engine, "available", lambda: False)
    lines = stages.verdict(_table(())).splitlines()
    assert "05" not in lines[0] and "06" not in lines[0]
    docker = next(line for line in lines if line.startswith("✗ 05"))
    assert "a docker it can use" in docker and "say SKIPPED" in docker and "no Docker engine answers" in docker
    monkeypatch.setattr(docker_engine, "available", lambda: True)
    old = stages.verdict(_table((), {"kind": "0.29.0", "kubectl": "1.32.4"})).splitlines()
    k8s = next(line for line in old if line.startswith("✗ 06"))
    assert "without a kubectl it can use and a kind it can use, it stops at the cell that creates its cluster" in k8s
    assert "kind v0.29" in k8s and "1.32" in k8s
    both = next(line for line in stages.verdict(_table(("kind",), {"kubectl": "1.32.4"})).splitlines()
                if line.startswith("✗ 06"))  # kind missing: its cells are skipped before any cluster could stop
    assert "without kind and a kubectl it can use, its cells that need kind say SKIPPED." in both
    assert "stops" not in both and stages._listed(["a", "b", "c"]) == "a, b and c"

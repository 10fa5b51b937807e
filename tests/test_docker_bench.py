"""The bench's Docker helpers without an engine: commands, log parsing, stats arithmetic, CPU quotas."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from bench.containers import images
from bench.containers.container import cpu_percent
from bench.core.paths import REPO
from course import needs
from sample_app.limits import cpu_limit

BUILD_LOG = """Step 1/4 : FROM base
 ---> 1234
Step 2/4 : COPY docker/requirements.txt /tmp/requirements.txt
 ---> Using cache
 ---> 5678
Step 3/4 : RUN /opt/venv/bin/pip install -r /tmp/requirements.txt
 ---> Using cache
Step 4/4 : COPY sample_app/ /app/sample_app/
 ---> 9abc
""".splitlines(keepends=True)


def test_build_log_marks_the_steps_the_cache_answered() -> None:
    steps = images.parse_build_log(BUILD_LOG)
    assert [s.cached for s in steps] == [False, True, True, False]
    build = images.Build("t", "Dockerfile", 1.0, steps)
    assert build.step("pip install").cached and not build.step("sample_app").cached
    with pytest.raises(KeyError):
        build.step("apt-get")


def test_default_base_is_read_from_each_dockerfile() -> None:
    assert images.default_base(REPO / "docker" / "Dockerfile") == "python:3.12-slim"
    assert images.default_base(REPO / "docker" / "Dockerfile.naive") == "python:3.12"


def test_every_default_base_has_an_offline_recipe() -> None:
    for dockerfile in (REPO / "docker").glob("Dockerfile*"):
        assert images.default_base(dockerfile) in images.OFFLINE_BASES


def test_debootstrap_command_is_minbase_with_the_packages(tmp_path: Path) -> None:
    spec = images.OFFLINE_BASES["python:3.12-slim"]
    argv = images.debootstrap_command(spec, tmp_path / "rootfs", tmp_path / "cache")
    assert argv[:2] == ["debootstrap", "--variant=minbase"]
    assert "--include=python3,python3-venv" in argv and f"--cache-dir={tmp_path / 'cache'}" in argv
    assert argv[-2] == str(tmp_path / "rootfs") and argv[-1].startswith("http")


def test_wheels_are_downloaded_for_the_images_python_not_ours(tmp_path: Path) -> None:
    argv = images.wheel_download_command("3.12", "aarch64", tmp_path, REPO / "docker" / "requirements.txt")
    assert argv[:4] == [sys.executable, "-m", "pip", "download"]
    assert "--only-binary=:all:" in argv and argv[argv.index("--python-version") + 1] == "3.12"
    assert "manylinux2014_aarch64" in argv


def test_image_requirements_are_pinned() -> None:
    lines = [line.split("#")[0].strip() for line in (REPO / "docker" / "requirements.txt").read_text().splitlines()]
    assert all("==" in line for line in lines if line)


def test_cpu_percent_matches_docker_stats_arithmetic() -> None:
    sample = {"cpu_stats": {"cpu_usage": {"total_usage": 3_000}, "system_cpu_usage": 20_000, "online_cpus": 2},
              "precpu_stats": {"cpu_usage": {"total_usage": 1_000}, "system_cpu_usage": 10_000}}
    assert cpu_percent(sample) == pytest.approx(40.0)  # 2000/10000 of the machine × 2 cores = 40% of one core
    assert cpu_percent({"cpu_stats": {}, "precpu_stats": {}}) is None


@pytest.mark.parametrize(("files", "expected"), [
    ({"cpu.max": "50000 100000\n"}, 0.5),
    ({"cpu.max": "max 100000\n"}, None),
    ({"cpu/cpu.cfs_quota_us": "150000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1.5),
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
    ({}, None),
])
def test_cpu_limit_reads_cgroup_v1_and_v2(tmp_path: Path, files: dict[str, str], expected: float | None) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert cpu_limit(tmp_path, "1:cpu:/\n0::/\n") == expected  # a process in the root cgroup


def test_needs_can_pretend_a_tool_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_WITHOUT", "docker,kind")
    assert "COURSE_WITHOUT" in needs.missing("docker") and not needs.have("kind")
    with pytest.raises(ValueError, match="unknown requirement"):
        needs.missing("podman")


@pytest.mark.skipif(not (os.environ.get("CI") and sys.platform == "linux" and os.geteuid() == 0),
                    reason="only CI (root on Debian) must have an engine: make test starts one there")
def test_ci_has_a_docker_engine_so_stage_05_really_runs() -> None:
    assert needs.have("docker") and needs.have("compose"), needs.missing("compose")


def test_wait_http_ok_gives_up_when_told_and_times_out() -> None:

    from bench.containers.container import wait_http_ok
    from bench.core import ports
    from bench.core.errors import ServerStartError

    def exited() -> None:
        raise ServerStartError("container exited")

    url = f"http://127.0.0.1:{ports.free_port()}/readyz"
    with pytest.raises(ServerStartError):
        wait_http_ok(url, timeout=5, before=exited)
    with pytest.raises(ServerStartError, match="did not answer"):
        wait_http_ok(url, timeout=0.5)

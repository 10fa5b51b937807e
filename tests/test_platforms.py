"""The platforms learners bring, stood in for here: a simulated Mac (BENCH_SIMULATE=macos), the fallbacks the bench
takes where a measurement is denied, install hints per platform, tools installed one at a time, the Docker engine
found through `docker context`, and a machine identity that survives a new host name."""

from __future__ import annotations

import math
import os
import platform
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest

from bench.core.paths import REPO
from bench.host import docker_engine, env, network, platforms, procs
from bench.servers.base import Server

SIMULATED_MAC_CHECKS = """
import os, subprocess, sys, psutil
import bench
from bench.host import network, platforms, procs
from bench.host.busy import busy_seconds
from sample_app.limits import cpu_limit, usable_cpus
assert platforms.name() == "macos"
assert not hasattr(os, "sched_getaffinity") and not hasattr(psutil.Process, "cpu_affinity")
assert cpu_limit() is None and usable_cpus() == os.cpu_count()
assert busy_seconds() > 0  # /proc/stat's ticks stand in for the cgroup's accounting
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
try:
    try:
        psutil.Process(child.pid).memory_full_info()
        raise SystemExit("another process's USS was readable")
    except psutil.AccessDenied:
        pass
    psutil.Process().memory_full_info()  # one's own stays readable
    table = procs.memory([psutil.Process(child.pid)])
    assert table["rss MB"].iloc[0] > 0 and procs.memory_kind(table) == "RSS"
    times = psutil.Process().cpu_times()
    assert times.children_user == times.children_system == 0
finally:
    child.kill()
    child.wait()
try:
    psutil.net_connections()
    raise SystemExit("net_connections answered")
except psutil.AccessDenied:
    pass
assert network.second_client() is None and not network.can_bind("127.0.0.2")
print("simulated macOS ok")
"""


def test_simulated_macos_takes_away_what_macos_does(tmp_path: Path) -> None:
    """Every process that imports the bench with BENCH_SIMULATE=macos sees a Mac."""
    out = subprocess.run([sys.executable, "-c", SIMULATED_MAC_CHECKS], capture_output=True, text=True, cwd=REPO,
                         env={**os.environ, platforms.SWITCH: "macos", "BENCH_STATE_DIR": str(tmp_path)}, timeout=120)
    assert out.returncode == 0 and "simulated macOS ok" in out.stdout, out.stderr[-3000:]


def test_an_unknown_simulation_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(platforms.SWITCH, "windows")
    with pytest.raises(ValueError, match="can simulate macos"):
        platforms.simulated()


def test_pytest_collects_without_cpu_affinity() -> None:
    """macOS has no os.sched_getaffinity: collecting the tests must not need it."""
    code = ("import os, sys, pytest\n"
            "for name in ('sched_getaffinity', 'sched_setaffinity'):\n"
            "    delattr(os, name)\n"
            "sys.exit(pytest.main(['--collect-only', '-q', 'tests']))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]


class _DeniedProcess:
    pid = 4242

    def memory_full_info(self) -> None:
        raise psutil.AccessDenied(self.pid)

    def memory_info(self) -> SimpleNamespace:
        return SimpleNamespace(rss=50 * procs.MB)


def test_memory_falls_back_to_rss_where_uss_is_denied() -> None:
    table = procs.memory([_DeniedProcess(), _DeniedProcess()])  # type: ignore[list-item]
    assert table["rss MB"].tolist() == [50.0, 50.0] and table["uss MB"].isna().all()
    assert procs.memory_kind(table) == "RSS" and procs.held_mb(table) == 100.0
    assert procs.held([_DeniedProcess(), _DeniedProcess()]) == (100.0, "RSS")  # type: ignore[list-item]
    assert math.isnan(procs.unique_mb(table))
    assert procs.why_no_uss(procs.unique_mb(table)) == procs.NO_USS == procs.why_no_uss("RSS")
    assert procs.why_no_uss(12.0, "USS") == ""


LINUX_NETSTAT = """Active Internet connections (servers and established)
Proto Recv-Q Send-Q Local Address           Foreign Address         State
tcp        0      0 127.0.0.1:40000         127.0.0.1:8000          TIME_WAIT
tcp        0      0 127.0.0.1:40001         127.0.0.1:8000          TIME_WAIT
tcp        0      0 127.0.0.1:40002         127.0.0.1:18000         TIME_WAIT
tcp        0      0 127.0.0.1:8000          0.0.0.0:*               LISTEN
"""
MACOS_NETSTAT = """Active Internet connections (including servers)
Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)
tcp4       0      0  127.0.0.1.40000        127.0.0.1.8000         TIME_WAIT
tcp4       0      0  127.0.0.1.40003        127.0.0.1.8000         ESTABLISHED
tcp6       0      0  ::1.40004              ::1.8000               TIME_WAIT
"""


def test_time_wait_is_counted_from_netstat_in_both_formats() -> None:
    assert network.count_time_wait(LINUX_NETSTAT, 8000) == 2
    assert network.count_time_wait(MACOS_NETSTAT, 8000) == 2
    assert network.count_time_wait(MACOS_NETSTAT, 18000) == 0
    closed_by_the_server = "tcp        0      0 127.0.0.1:8000          127.0.0.1:40009         TIME_WAIT\n"
    assert network.count_time_wait(LINUX_NETSTAT + closed_by_the_server, 8000) == 3


def test_time_wait_falls_back_to_netstat_then_to_not_measurable(monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    def denied(kind: str = "inet") -> None:
        raise psutil.AccessDenied()

    monkeypatch.setattr(psutil, "net_connections", denied)
    fake = tmp_path / "netstat"
    fake.write_text(f"#!/bin/sh\ncat <<'EOF'\n{MACOS_NETSTAT}EOF\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert network.time_wait_connections(8000) == 2
    fake.unlink()
    monkeypatch.setattr(network.shutil, "which", lambda *args, **kwargs: None)
    assert math.isnan(network.time_wait_connections(8000))


class _Proc:
    def __init__(self, pid: int, seconds: float) -> None:
        self.pid, self.seconds = pid, seconds

    def cpu_times(self) -> SimpleNamespace:
        return SimpleNamespace(user=self.seconds, system=0.0, children_user=0.0, children_system=0.0)

    def create_time(self) -> float:
        return 1.0


def test_an_exited_worker_keeps_its_cpu_where_the_system_does_not_count_children(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS reports children's CPU as 0: a worker recycled by max_requests must not take its CPU with it."""
    monkeypatch.setattr(platforms, "is_macos", lambda: True)
    server = Server()
    alive = [_Proc(1, 0.5), _Proc(2, 2.0), _Proc(3, 1.0)]
    monkeypatch.setattr(server, "processes", lambda: alive)
    assert server.cpu_seconds() == 3.5
    alive = [_Proc(1, 0.6), _Proc(3, 1.5), _Proc(4, 0.2)]  # worker 2 exited, worker 4 replaced it
    assert server.cpu_seconds() == pytest.approx(0.6 + 2.0 + 1.5 + 0.2)


@pytest.fixture
def stand_in_apt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An `apt-get` on PATH that logs each call and refuses the package `wrk`; every tool looks missing."""
    log = tmp_path / "apt.log"
    fake = tmp_path / "apt-get"
    fake.write_text(f'#!/bin/sh\necho "$*" >> {log}\ncase "$*" in *" wrk"*) echo "E: Unable to locate package wrk" >&2;'
                    ' exit 100;; esac\nexit 0\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(env, "find", lambda name: None)
    monkeypatch.setattr(env, "_is_debian", lambda: True)
    monkeypatch.setattr(env.os, "geteuid", lambda: 0)
    monkeypatch.setattr(platforms, "name", lambda: "debian")
    return log


def test_tools_install_one_at_a_time_and_go_on_after_a_failure(stand_in_apt: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(env, "_engine_answers", lambda: False)
    assert env.install(["nginx", "wrk", "redis"]) == 0
    installs = [line for line in stand_in_apt.read_text().splitlines() if line.startswith("install")]
    assert [line.split()[-1] for line in installs] == ["nginx", "redis-server", "wrk"]  # one call each
    err = capsys.readouterr().err
    assert "could not install wrk" in err and "Unable to locate package wrk" in err and "not installed: wrk" in err


def test_no_docker_io_where_an_engine_already_answers(stand_in_apt: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(env, "_engine_answers", lambda: True)  # Docker Desktop's WSL integration, say
    env.install(["docker", "dockerd", "docker-compose", "nginx"])
    installs = [line.split()[-1] for line in stand_in_apt.read_text().splitlines() if line.startswith("install")]
    assert installs == ["nginx"]


@pytest.mark.parametrize(("where", "tool", "expected", "not_expected"), [
    ("macos", "nginx", "brew install nginx", "apt-get"),
    ("debian", "nginx", "sudo apt-get install nginx", "brew"),
    ("ubuntu", "chromium", "snap install chromium", "apt-get install chromium"),
    ("wsl", "docker", "WSL integration", "systemctl"),
    ("macos", "docker", "colima", "apt-get"),
])
def test_hints_name_the_platforms_own_command(monkeypatch: pytest.MonkeyPatch, where: str, tool: str, expected: str,
                                              not_expected: str) -> None:
    monkeypatch.setattr(platforms, "name", lambda: where)
    monkeypatch.setattr(platforms, "has_systemd", lambda: False)
    hint = env.TOOLS[tool].hint()
    assert expected in hint and not_expected not in hint, hint


def test_ubuntu_gets_no_chromium_package(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ubuntu's chromium .deb is a snap shim, which fails without systemd (WSL): the course says so instead."""
    monkeypatch.setattr(platforms, "name", lambda: "ubuntu")
    assert env.TOOLS["chromium"].apt_package is None
    monkeypatch.setattr(platforms, "name", lambda: "debian")
    assert env.TOOLS["chromium"].apt_package == "chromium"


def test_the_engine_is_found_through_docker_context(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "docker"
    fake.write_text('#!/bin/sh\n[ "$1 $2" = "context inspect" ] && echo "unix:///Users/me/.colima/default/docker.sock"'
                    "\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert docker_engine.context_host() == "unix:///Users/me/.colima/default/docker.sock"
    fake.write_text("#!/bin/sh\nexit 1\n")
    assert docker_engine.context_host() is None


def test_the_machine_keeps_its_identity_when_its_host_name_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.sizing import machine
    from course import results

    before = (platforms.machine_uid(), machine.cache_key(), results.machine_id())
    monkeypatch.setattr(platform, "node", lambda: "a-cafe-network.local")
    assert (platforms.machine_uid(), machine.cache_key(), results.machine_id()) == before


def test_a_machine_without_an_os_id_keeps_one_in_the_state_dir(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    monkeypatch.setenv("BENCH_STATE_DIR", str(tmp_path))
    made = platforms._kept_uid()
    assert made == platforms._kept_uid() == (tmp_path / "machine-uid").read_text()



def test_on_a_mac_with_docker_desktop_the_daemon_and_debootstrap_are_not_missing(monkeypatch) -> None:
    """Docker Desktop answers without a `dockerd` on PATH, and base images are pulled, never built from Debian's
    mirror: notebook 00's verdict must not send a Mac user after either (nor mark stage 05 short of them)."""
    from bench.host import docker_engine, env, platforms

    monkeypatch.setattr(docker_engine, "available", lambda: True)
    monkeypatch.setattr(platforms, "is_macos", lambda: True)
    monkeypatch.setattr(env, "find", lambda name: None if name in ("dockerd", "debootstrap") else f"/bin/{name}")
    monkeypatch.setattr(env, "version", lambda name: {"kind": "0.33.0", "kubectl": "1.37.2"}.get(name, "1.0"))
    rows = {row["tool"]: row for row in env.tools_table()}
    assert rows["dockerd"]["found"].startswith("not needed") and rows["dockerd"]["how to install"] == ""
    assert rows["debootstrap"]["found"].startswith("not needed")
    from course import stages

    assert "✗" not in stages.verdict(stages.tools_table())
    monkeypatch.setattr(docker_engine, "available", lambda: False)  # Docker Desktop installed, not started
    rows = {row["tool"]: row for row in env.tools_table()}
    assert rows["dockerd"]["found"].startswith("not needed")  # nothing to install: Docker Desktop is there
    docker = next(line for line in stages.verdict(stages.tools_table()).splitlines() if line.startswith("✗ 05"))
    assert "a docker it can use" in docker and "Docker Desktop" in docker and "dockerd:" not in docker

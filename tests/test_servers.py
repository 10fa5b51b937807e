"""Each server starts on a free loopback port, answers, and stops leaving nothing behind."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap

import psutil
import pytest
import requests

import bench
from bench.core import ports, registry
from bench.core.errors import MissingToolError, PortInUseError, ServerStartError
from bench.host import env
from bench.lessons.slow_clients import time_request
from bench.servers import DevServer, Gunicorn, Nginx, Server, Uwsgi, Wsgiref

FACTORIES = {
    "dev threaded": lambda: DevServer(threaded=True),
    "dev single": lambda: DevServer(threaded=False),
    "wsgiref": Wsgiref,
    "gunicorn": lambda: Gunicorn(workers=2),
    "gunicorn gthread": lambda: Gunicorn(workers=1, worker_class="gthread", threads=4),
    "uwsgi http-socket": lambda: Uwsgi(processes=2),
    "uwsgi http router": lambda: Uwsgi(processes=1, protocol="http"),
    "uwsgi socket": lambda: Uwsgi(processes=1, protocol="socket"),
    "nginx": Nginx,
}


def _assert_gone(server: Server, pids: list[int]) -> None:
    assert not server.running
    assert not ports.in_use(server.port)
    assert not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in pids)
    assert server.entry is not None and server.entry.pid not in {e.pid for e in registry.entries()}


@pytest.mark.parametrize("name", FACTORIES)
def test_server_answers_and_stops_cleanly(name: str) -> None:
    server = FACTORIES[name]()
    with server:
        assert server.running and server.answers()
        if server.ready_path is not None:
            assert requests.get(server.url + server.ready_path, timeout=5).status_code == 200
        pids = [p.pid for p in server.processes()]
        assert pids
    _assert_gone(server, pids)


def test_gunicorn_is_master_plus_workers() -> None:
    with Gunicorn(workers=3) as g:
        seen = {requests.get(g.url + "/info", timeout=5).json()["pid"] for _ in range(60)}
        assert len(g.workers_pids()) == 3
        assert seen <= set(g.workers_pids())


def test_roles_name_uwsgis_http_router_where_the_command_lines_are_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    with Uwsgi(processes=2, protocol="http") as server:
        roles = server.roles()
        assert sorted(roles.values()) == ["master", "router", "worker", "worker"]
        table = bench.procs.tree(server.processes(), roles)
        assert list(table.columns) == ["pid", "ppid", "role", "command"] and table.role.iloc[0] == "master"

        def denied(self: psutil.Process, kind: str = "inet") -> list[object]:  # as for another user's process
            raise psutil.AccessDenied(self.pid)

        monkeypatch.setattr(psutil.Process, "net_connections", denied)
        assert sorted(server.roles().values()) == ["master", *["worker or router"] * 3]
    with Uwsgi(processes=2) as server:  # --http-socket: the workers listen on the public port themselves
        assert sorted(server.roles().values()) == ["master", "worker", "worker"]


@pytest.mark.parametrize("cls", [Gunicorn, Uwsgi, DevServer])
def test_app_that_fails_to_import_shows_the_log(cls: type[Server]) -> None:
    server = cls(app="no_such_module:app", start_timeout=20)  # type: ignore[call-arg]
    with pytest.raises(ServerStartError, match=r"(?s)exited with status .*no_such_module"):
        server.start()
    assert not server.running and not ports.in_use(server.port)


def test_missing_binary_starts_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(env, "find", lambda name: None)
    before = registry.entries()
    with pytest.raises(MissingToolError, match="uwsgi is not installed"):
        Uwsgi().start()
    assert registry.entries() == before


def test_port_in_use_is_refused() -> None:
    with socket.socket() as s:
        s.bind((ports.HOST, 0))
        s.listen()
        with pytest.raises(PortInUseError):
            Gunicorn(port=s.getsockname()[1]).start()


def test_cleanup_stops_everything_this_process_started() -> None:
    a, b = Gunicorn(workers=1).start(), Wsgiref().start()
    stopped = bench.cleanup()
    assert len(stopped) >= 2
    assert not a.running and not b.running


def test_orphans_of_a_dead_kernel_are_reaped() -> None:
    # A "kernel" starts gunicorn, then dies by SIGKILL: no atexit, no cleanup.
    script = textwrap.dedent("""
        import os, signal, bench
        s = bench.Gunicorn(workers=2).start()
        print(s.port, s.proc.pid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    port, pid = map(int, out.stdout.split())
    assert ports.in_use(port) and psutil.pid_exists(pid), "the orphan should still be running"
    reaped = registry.reap_orphans()
    assert pid in {e.pid for e in reaped}
    assert ports.wait_free(port, timeout=10)
    assert not psutil.pid_exists(pid)


def test_nginx_config_test_passes() -> None:
    result = Nginx().test_config()
    assert result.returncode == 0, result.stderr


def test_nginx_edits_change_or_drop_a_directive() -> None:
    from bench.servers import proxy

    server = Gunicorn(workers=1)
    server.port = 18000  # never started: only its port goes into the config
    web = proxy(server, edits={"proxy_next_upstream ": "proxy_next_upstream off;",
                               "proxy_set_header X-Forwarded-Host": ""})
    assert web.test_config().returncode == 0
    assert web.prefix is not None
    conf = (web.prefix / "nginx.conf").read_text()
    assert "        proxy_next_upstream off;\n" in conf and "proxy_next_upstream_tries 2;" in conf
    assert "proxy_set_header X-Forwarded-Host" not in conf and "proxy_set_header X-Forwarded-Port" in conf


def test_kill_takes_down_the_whole_group() -> None:
    server = Gunicorn(workers=2).start()
    pids = [p.pid for p in server.processes()]
    server.kill()
    assert ports.wait_free(server.port, timeout=10)
    assert not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in pids)
    server.stop()  # still safe afterwards


def test_time_request_measures_or_gives_up() -> None:
    with Wsgiref() as server:
        seconds = time_request(server.url + "/", timeout=3)
    assert seconds is not None and seconds < 1
    with socket.socket() as silent:  # accepts connections into its backlog, never answers
        silent.bind((ports.HOST, 0))
        silent.listen()
        assert time_request(f"http://{ports.HOST}:{silent.getsockname()[1]}/", timeout=0.5) is None


def test_pyuwsgi_reloads_from_this_environments_python(tmp_path) -> None:
    """pyuwsgi's `uwsgi` is a Python script: its reload must run this environment's python (--binary-path)."""
    import sys

    from bench.servers.uwsgi import reload_binary

    script, binary = tmp_path / "uwsgi-script", tmp_path / "uwsgi-binary"
    script.write_text(f"#!{sys.executable}\nfrom pyuwsgi import run\n")
    binary.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(100))
    assert reload_binary(str(script)) == ["--binary-path", sys.executable]
    assert reload_binary(str(binary)) == [] and reload_binary(str(tmp_path / "missing")) == []


def test_a_changed_module_is_imported_anew_even_within_the_second(monkeypatch) -> None:
    """Bytecode caches on (as for a learner): a same-size change right after an import must still be seen."""
    import os
    import subprocess
    import sys

    from bench.lessons.reloading import ChangingApp

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    ask = [sys.executable, "-c", "import version; print(version.VERSION)"]
    with ChangingApp("v1") as code:
        first = subprocess.run(ask, cwd=code.folder, env=env, capture_output=True, text=True, check=True).stdout
        code.write("v2")  # within the same second, the same size
        second = subprocess.run(ask, cwd=code.folder, env=env, capture_output=True, text=True, check=True).stdout
    assert (first.strip(), second.strip()) == ("v1", "v2")

"""Mode, templates, ports, tool detection: the bench's small parts."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from bench.core import mode, ports
from bench.core.commands import shell
from bench.core.errors import BenchError, MissingToolError, PortInUseError
from bench.core.paths import REPO
from bench.core.templates import render, render_file
from bench.host import env


def test_modes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_MODE", "quick")
    assert mode.current().name == "quick" and mode.pick(1, 2) == 1
    monkeypatch.setenv("COURSE_MODE", "FULL")
    assert mode.current().duration > mode.MODES["quick"].duration and mode.pick(1, 2) == 2
    monkeypatch.delenv("COURSE_MODE")
    assert mode.current().name == mode.DEFAULT


def test_unknown_mode_names_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_MODE", "turbo")
    with pytest.raises(BenchError, match=r"COURSE_MODE must be one of \['full', 'quick'\], got 'turbo'"):
        mode.current()


def test_render_fills_placeholders_and_leaves_nginx_syntax_alone() -> None:
    text = "listen 127.0.0.1:@PORT@; location @fallback { return 200 $host; }"
    assert render(text, {"PORT": 8080}) == "listen 127.0.0.1:8080; location @fallback { return 200 $host; }"


def test_render_refuses_a_missing_value(tmp_path: Path) -> None:
    template = tmp_path / "t.conf"
    template.write_text("root @STATIC@; listen @PORT@;")
    with pytest.raises(BenchError, match="no value given for @STATIC@"):
        render_file(template, {"PORT": 1}, tmp_path / "out.conf")


def test_free_port_is_free() -> None:
    port = ports.free_port()
    assert not ports.in_use(port)


def test_port_in_use_names_the_holder() -> None:
    """By pid where the system lists connections; macOS does that for root only, and the message still says why."""
    holder = "another process" if env.platforms.is_macos() else r"pid \d+"
    with socket.socket() as s:
        s.bind((ports.HOST, 0))
        s.listen()
        port = s.getsockname()[1]
        assert ports.in_use(port)
        with pytest.raises(PortInUseError, match=rf"port {port} on 127.0.0.1 is already in use by {holder}"):
            ports.ensure_free(port)
    assert ports.wait_free(port, timeout=2)


def test_find_prefers_the_course_environment() -> None:
    assert env.find("gunicorn") is not None and env.find("locust") is not None


def test_missing_tool_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(env, "find", lambda name: None)
    monkeypatch.setattr(env.platforms, "name", lambda: "debian")
    with pytest.raises(MissingToolError, match=r"nginx is not installed.*apt-get install nginx.*conda install"):
        env.require("nginx")
    monkeypatch.setattr(env.platforms, "name", lambda: "macos")
    with pytest.raises(MissingToolError, match=r"nginx is not installed.*brew install nginx"):
        env.require("nginx")


def test_tools_table_has_a_row_per_tool(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = {row["tool"]: row for row in env.tools_table()}
    assert set(rows) == set(env.TOOLS)
    assert rows["gunicorn"]["found"] == "yes" and rows["gunicorn"]["how to install"] == ""


def test_install_prints_hints_when_it_cannot_install(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(env, "find", lambda name: None)
    monkeypatch.setattr(env, "_is_debian", lambda: False)
    monkeypatch.setattr(env.platforms, "name", lambda: "macos")
    assert env.install(["redis"]) == 0
    assert "redis is missing. macOS: `brew install redis`" in capsys.readouterr().err


def test_machine_facts() -> None:
    facts = env.machine()
    assert facts["logical cores"] >= 1 and facts["memory GiB"] > 0


def test_changed_ini_replaces_and_removes_keys(tmp_path: Path) -> None:
    from bench.servers import changed_ini

    base = tmp_path / "base.ini"
    base.write_text("[uwsgi]\nmaster = true\ndie-on-term = true\nprocesses = 2\n")
    out = changed_ini(base, {"die-on-term": None, "processes": "4", "harakiri": "5"}, tmp_path / "out.ini")
    lines = out.read_text().splitlines()
    assert "die-on-term = true" not in lines and "processes = 2" not in lines
    assert {"master = true", "processes = 4", "harakiri = 5"} <= set(lines)


def test_upstream_block_lists_policy_servers_and_keepalive() -> None:
    from bench.servers import Wsgiref, upstream_block

    block = upstream_block([Wsgiref(port=8001), Wsgiref(port=8002)], policy="least_conn", keepalive=8)
    assert block.split("\n        ") == ["least_conn;", "server 127.0.0.1:8001;", "server 127.0.0.1:8002;",
                                          "keepalive 8;"]
    assert "keepalive" not in upstream_block([Wsgiref(port=1)], keepalive=0, nginx_version=(1, 22, 1))
    # nginx 1.29.7+ keeps upstream connections unless told not to (its CHANGES): "without keepalive" must say so
    assert "keepalive 0;" in upstream_block([Wsgiref(port=1)], keepalive=0, nginx_version=(1, 30, 0))


def test_self_signed_certificate_names_localhost(tmp_path: Path) -> None:
    from cryptography import x509

    from bench.servers.tls import self_signed

    cert_path, key_path = self_signed(tmp_path)
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert oct(key_path.stat().st_mode & 0o777) == "0o600"


def test_the_commands_the_bench_runs_can_be_copied_to_a_terminal() -> None:
    from bench.load.runner import locust_command
    from bench.servers import Gunicorn, Uwsgi

    server = Gunicorn(workers=2, env={"APP_CACHE": "simple"})
    with pytest.raises(BenchError, match="start the server first"):
        server.shell_command()
    server.port = 8000
    # the venv's programs, relative where the venv is in the repository (.venv/bin/gunicorn), absolute where it is
    # not (the dev container's /opt/course-venv)
    gunicorn, uwsgi_bin = shell([env.require("gunicorn")]), shell([env.require("uwsgi")])
    assert gunicorn.endswith("bin/gunicorn") and not gunicorn.startswith(str(REPO))
    assert server.shell_command() == (f"APP_CACHE=simple {gunicorn} --config config/gunicorn.conf.py "
                                      "--bind 127.0.0.1:8000 --workers 2 sample_app.wsgi:app")
    uwsgi = Uwsgi(processes=2)
    uwsgi.port = 9000
    assert uwsgi.shell_command().startswith(f"{uwsgi_bin} --ini config/uwsgi.ini --http-socket 127.0.0.1:9000")
    assert locust_command("http://127.0.0.1:8000", ["/quote", "/io?ms=20"], users=8, duration=10) == (
        f"BENCH_PATHS='/quote /io?ms=20' {shell([sys.executable])} -m locust -f bench/load/locustfile.py --headless "
        "--host http://127.0.0.1:8000 --users 8 --spawn-rate 8 --run-time 10s FastUser")
    with pytest.raises(BenchError, match=r"127\.0\.0\.1"):
        locust_command("http://example.com", "/")


def test_a_stack_is_one_load_target_whose_cpu_is_all_of_its_servers() -> None:
    from bench.lessons.matrix import STACKS, Stack, stack

    class Fake:
        def __init__(self, url: str, cpu: float, cores: float | None) -> None:
            self.url, self.running, self._cpu, self._cores = url, True, cpu, cores

        def cpu_seconds(self) -> float:
            return self._cpu

        def max_cores(self) -> float | None:
            return self._cores

    front, app = Fake("http://127.0.0.1:1", 0.5, None), Fake("http://127.0.0.1:2", 2.0, 2.0)
    both = Stack([front, app])  # type: ignore[list-item]
    assert both.url == front.url and both.running and both.cpu_seconds() == 2.5
    assert both.max_cores() is None and Stack([app]).max_cores() == 2.0  # type: ignore[list-item]
    assert "nginx → uWSGI --http" in STACKS and "granian" in STACKS
    with pytest.raises(ValueError, match="unknown stack"), stack("apache", workers=1):
        pass

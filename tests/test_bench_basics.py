"""Mode, templates, ports, tool detection: the bench's small parts."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bench import env, mode, ports
from bench.errors import BenchError, MissingToolError, PortInUseError
from bench.templates import render, render_file


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
    with socket.socket() as s:
        s.bind((ports.HOST, 0))
        s.listen()
        port = s.getsockname()[1]
        assert ports.in_use(port)
        with pytest.raises(PortInUseError, match=rf"port {port} on 127.0.0.1 is already in use by pid \d+"):
            ports.ensure_free(port)
    assert ports.wait_free(port, timeout=2)


def test_find_prefers_the_course_environment() -> None:
    assert env.find("gunicorn") is not None and env.find("locust") is not None


def test_missing_tool_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(env, "find", lambda name: None)
    with pytest.raises(MissingToolError, match=r"nginx is not installed.*apt-get install nginx.*brew install nginx"):
        env.require("nginx")


def test_tools_table_has_a_row_per_tool(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = {row["tool"]: row for row in env.tools_table()}
    assert set(rows) == set(env.TOOLS)
    assert rows["gunicorn"]["found"] == "yes" and rows["gunicorn"]["how to install"] == ""


def test_install_prints_hints_when_it_cannot_install(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(env, "find", lambda name: None)
    monkeypatch.setattr(env, "_is_debian", lambda: False)
    assert env.install(["redis"]) == 0
    assert "redis is missing; stage 07 needs it" in capsys.readouterr().err


def test_machine_facts() -> None:
    facts = env.machine()
    assert facts["logical cores"] >= 1 and facts["memory GiB"] > 0

"""The deployment configs are real files: each loads in the program it configures."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from bench.core import ports
from bench.core.errors import ServerStartError
from bench.core.paths import CONFIG
from bench.host import env
from bench.servers import Nginx, Uwsgi, Wsgiref, proxy


@pytest.mark.parametrize("name", ["gunicorn.conf.py", "gunicorn-streams.conf.py"])
def test_gunicorn_config_loads(name: str) -> None:
    out = subprocess.run([env.require("gunicorn"), "--check-config", "--config", str(CONFIG / name),
                          "sample_app.wsgi:app"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


def _gunicorn_settings(name: str) -> dict[str, str]:
    out = subprocess.run([env.require("gunicorn"), "--print-config", "--config", str(CONFIG / name),
                          "sample_app.wsgi:app"], capture_output=True, text=True, timeout=60)
    printed = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in printed.items()}


def test_gunicorn_config_values() -> None:
    settings = _gunicorn_settings("gunicorn.conf.py")
    assert settings["worker_class"] == "sync" and int(settings["max_requests_jitter"]) > 0


def test_the_streams_config_is_the_main_one_with_gevent_workers() -> None:
    """What app.conf's `streams` upstream expects: gevent, greenlets for nginx's total cap, the main file's rest."""
    main, streams = _gunicorn_settings("gunicorn.conf.py"), _gunicorn_settings("gunicorn-streams.conf.py")
    assert streams["worker_class"] == "gevent"
    assert int(streams["max_requests"]) == 0  # a recycled worker would cut every stream it holds
    same = ("forwarded_allow_ips", "control_socket_disable", "post_worker_init", "errorlog", "graceful_timeout")
    assert {k: streams[k] for k in same} == {k: main[k] for k in same}
    total = re.search(r"limit_conn streams_total (\d+);", (CONFIG / "nginx" / "app.conf").read_text()).group(1)
    assert int(total) < int(streams["worker_connections"]) * int(streams["workers"])  # room for health checks
    conf = (CONFIG / "nginx" / "app.conf").read_text()
    per_worker = int(re.search(r"worker_connections (\d+);", conf).group(1))
    files = int(re.search(r"worker_rlimit_nofile (\d+);", conf).group(1))
    assert 2 * int(total) < per_worker <= files // 2  # one worker holds both sides of every stream (gixy's rule)


def test_every_nginx_config_is_tested() -> None:
    assert sorted(p.name for p in (CONFIG / "nginx").glob("*.conf")) == ["app.conf", "ceiling.conf", "uwsgi.conf"]


def test_nginx_ceiling_config_passes_nginx_t() -> None:
    result = Nginx("ceiling.conf").test_config()
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("protocol", ["http", "uwsgi"])
@pytest.mark.parametrize("policy", ["round-robin", "least_conn"])
def test_nginx_app_configs_pass_nginx_t(protocol: str, policy: str) -> None:
    upstreams = [Wsgiref(port=ports.free_port()), Wsgiref(port=ports.free_port())]  # not started: ports only
    result = proxy(*upstreams, protocol=protocol, policy=policy).test_config()
    assert result.returncode == 0, result.stderr


def test_unknown_balancing_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="policy must be one of"):
        proxy(Wsgiref(port=1), policy="random")


def test_uwsgi_strict_mode_rejects_a_typo(tmp_path: Path) -> None:
    ini = tmp_path / "typo.ini"
    ini.write_text((CONFIG / "uwsgi.ini").read_text() + "\nprocesess = 4\n")
    with pytest.raises(ServerStartError, match="procesess"):
        Uwsgi(ini=ini, start_timeout=15).start()

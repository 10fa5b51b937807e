"""Bad inputs against the real servers on 127.0.0.1, directly and through each nginx config: each gets the
safe answer. Every input tried, and the answer it got, goes into one table printed at the end (and saved
as security-table.md in the state directory), which the README points to."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psutil
import pytest
import requests

from bench.core import paths, registry
from bench.core.errors import BenchError
from bench.host.network import NO_SECOND_CLIENT, second_client
from bench.lessons.streams import Streams, answer_to_one_more, limits_in, ws_close
from bench.load.runner import run_load
from bench.servers import AppProxy, Gunicorn, Server, Uwsgi, proxy, streams_server
from sample_app.settings import Settings

pytestmark = [pytest.mark.security,
              pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")]  # offered on purpose
EVIL = "evil.example"
ATTACKER = "203.0.113.9"  # TEST-NET-3: an address no real client has


@dataclass
class Row:
    target: str
    attempt: str
    expected: str
    got: str
    ok: bool


TABLE: list[Row] = []


def record(target: str, attempt: str, expected: str, got: object, ok: bool) -> None:
    """Add a row to the table and fail the test at once if the answer was not the safe one."""
    TABLE.append(Row(target, attempt, expected, str(got)[:80], ok))
    assert ok, f"{target}: {attempt}: expected {expected}, got {got}"


def status(url: str, timeout: float = 10, **kwargs: object) -> int | str:
    """The HTTP status, or what went wrong instead of an answer."""
    try:
        return requests.request(kwargs.pop("method", "GET"), url, timeout=timeout, **kwargs).status_code  # type: ignore[arg-type]
    except requests.RequestException as error:
        return type(error).__name__


def post_chunked(port: int, size: int, path: str = "/upload") -> tuple[int | str, dict[str, object]]:
    """POST `size` bytes with chunked transfer encoding, reading the answer while still sending (a server
    that refuses the body answers before it has all of it). Returns (status or "no answer", JSON body)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=15)
    received: list[bytes] = []

    def read() -> None:
        try:
            while chunk := sock.recv(65536):
                received.append(chunk)
        except OSError:
            pass

    reader = threading.Thread(target=read)
    reader.start()
    try:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nTransfer-Encoding: chunked\r\n"
                     "Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n".encode())
        piece, sent = b"x" * 65536, 0
        while sent < size and reader.is_alive():
            n = min(len(piece), size - sent)
            sock.sendall(f"{n:x}\r\n".encode() + piece[:n] + b"\r\n")
            sent += n
        sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server stopped reading: its answer, if any, is in `received`
    reader.join(20)
    sock.close()
    raw = b"".join(received)
    if not raw.startswith(b"HTTP/"):
        return "no answer", {}
    head, _, body = raw.partition(b"\r\n\r\n")
    try:
        payload = json.loads(body) if body.strip().startswith(b"{") else {}
    except ValueError:
        payload = {}
    return int(head.split()[1]), payload


def tls_handshake(port: int, ciphers: str, version: ssl.TLSVersion) -> str:
    """Offer only `ciphers` at `version`; return the suite nginx chose, or "refused"."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    context.minimum_version = context.maximum_version = version
    context.set_ciphers(ciphers + ":@SECLEVEL=0")  # let this client offer what a weak client would
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
                context.wrap_socket(raw, server_hostname="localhost") as tls:
            return str(tls.cipher()[0])
    except (ssl.SSLError, OSError):
        return "refused"


@pytest.fixture(scope="module")
def direct() -> Iterator[Gunicorn]:
    """gunicorn with nothing in front, trusting no proxy (the app's default)."""
    with Gunicorn(workers=1) as server:
        yield server


@pytest.fixture(scope="module")
def behind_nginx() -> Iterator[AppProxy]:
    """nginx (config/nginx/app.conf) → gunicorn that trusts one proxy, as the course deploys it."""
    with Gunicorn(workers=2, env={"APP_TRUSTED_PROXIES": "1"}) as app, proxy(app) as web:
        yield web


@pytest.fixture(scope="module")
def uwsgi_behind_nginx() -> Iterator[AppProxy]:
    """nginx (config/nginx/uwsgi.conf) → uWSGI over the uwsgi protocol, trusting one proxy."""
    with Uwsgi(processes=1, protocol="socket", env={"APP_TRUSTED_PROXIES": "1"}) as app, \
            proxy(app, protocol="uwsgi") as web:
        yield web


@pytest.fixture(scope="module")
def uwsgi_direct() -> Iterator[Uwsgi]:
    with Uwsgi(processes=1) as server:
        yield server


SPOOFS: list[tuple[str, dict[str, str], Callable[[dict, str], bool], str]] = [
    ("X-Forwarded-Host: " + EVIL, {"X-Forwarded-Host": EVIL}, lambda info, _: EVIL not in str(info["host"]),
     "the real host"),
    ("X-Forwarded-Host + X-Forwarded-Port: 1", {"X-Forwarded-Host": EVIL, "X-Forwarded-Port": "1"},
     lambda info, _: not str(info["host"]).endswith(":1"), "the real port"),
    ("X-Forwarded-Proto: https over http", {"X-Forwarded-Proto": "https"},
     lambda info, _: info["scheme"] == "http", "scheme http"),
    ("X-Forwarded-For: " + ATTACKER, {"X-Forwarded-For": ATTACKER},
     lambda info, _: info["remote_addr"] == "127.0.0.1", "client 127.0.0.1"),
]


@pytest.mark.parametrize("front", ["gunicorn, trusting no proxy", "nginx app.conf → gunicorn",
                                   "nginx uwsgi.conf → uWSGI"])
def test_spoofed_forwarding_headers_are_not_believed(front: str, request: pytest.FixtureRequest) -> None:
    fixture = {"gunicorn, trusting no proxy": "direct", "nginx app.conf → gunicorn": "behind_nginx",
               "nginx uwsgi.conf → uWSGI": "uwsgi_behind_nginx"}[front]
    server: Server = request.getfixturevalue(fixture)
    for attempt, headers, safe, expected in SPOOFS:
        info = requests.get(server.url + "/info", headers=headers, timeout=5).json()
        record(front, attempt, expected, {k: info[k] for k in ("host", "scheme", "remote_addr")},
               safe(info, server.url))


def test_the_proxy_still_tells_the_app_what_it_knows(behind_nginx: AppProxy) -> None:
    info = requests.get(behind_nginx.tls_url + "/info", verify=behind_nginx.certificate, timeout=5).json()
    record("nginx app.conf → gunicorn", "plain HTTPS request (control)", "scheme https, the real host",
           {k: info[k] for k in ("host", "scheme")}, info["scheme"] == "https" and EVIL not in str(info["host"]))


@pytest.mark.parametrize("value", ["-1", "-2"])
def test_a_negative_proxy_count_is_refused(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_TRUSTED_PROXIES", value)
    try:
        Settings.from_env()
        got = "accepted"
    except ValueError as error:
        got = f"refused: {error}"
    record("app settings", f"APP_TRUSTED_PROXIES={value}", "refused at start-up", got, got.startswith("refused"))


def _upload_row(target: str, port: int, size: int) -> None:
    code, body = post_chunked(port, size)
    limit = 1024 * 1024
    if size <= limit:
        ok = (code == 200 and body.get("bytes") == size) or code == 411
        expected = f"200 with all {size:,} bytes, or 411"
    else:
        ok = code in (411, 413)
        expected = "413 or 411, never 200"
    record(target, f"chunked upload of {size:,} bytes", expected, f"{code} {body.get('bytes', '')}".strip(), ok)


def test_chunked_uploads_over_the_limit_are_refused(direct: Gunicorn, uwsgi_direct: Uwsgi,
                                                    behind_nginx: AppProxy) -> None:
    for size in (512 * 1024, 2 * 1024 * 1024, 50 * 1024 * 1024):
        _upload_row("gunicorn", direct.port, size)
    for size in (512 * 1024, 2 * 1024 * 1024):
        _upload_row("uWSGI --http-socket", uwsgi_direct.port, size)
        _upload_row("nginx app.conf → gunicorn", behind_nginx.port, size)
    big = b"x" * (2 * 1024 * 1024)
    for target, server in (("gunicorn", direct), ("nginx app.conf → gunicorn", behind_nginx)):
        code = status(server.url + "/upload", method="POST", data=big)
        record(target, "upload of 2 MiB with Content-Length", "413", code, code == 413)


def test_work_beyond_the_worker_timeout_is_refused_by_the_app(direct: Gunicorn, uwsgi_direct: Uwsgi,
                                                              behind_nginx: AppProxy) -> None:
    for target, server in (("gunicorn", direct), ("uWSGI --http-socket", uwsgi_direct),
                           ("nginx app.conf → gunicorn", behind_nginx)):
        workers = requests.get(server.url + "/info", timeout=5).json()["pid"]
        started = time.monotonic()
        code = status(server.url + "/io?ms=31000")
        seconds = time.monotonic() - started
        after = requests.get(server.url + "/info", timeout=5).json()["pid"]
        record(target, "/io?ms=31000 (past the 30 s worker timeout)", "a 400 at once, no worker killed",
               f"{code} in {seconds:.1f} s", code == 400 and seconds < 5
               and (after == workers or target.startswith("nginx")))


TRAVERSALS = ["/static/../sample_app/settings.py", "/static/..%2f..%2fetc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd",
              "/static/....//....//etc/passwd", "/static/..%5c..%5cetc/passwd"]


@pytest.mark.parametrize("front", ["gunicorn", "nginx app.conf → gunicorn"])
def test_path_traversal_finds_nothing(front: str, direct: Gunicorn, behind_nginx: AppProxy) -> None:
    server = direct if front == "gunicorn" else behind_nginx
    for path in TRAVERSALS:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:  # the path exactly as given
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        code = int(answer.split()[1]) if answer.startswith(b"HTTP/") else "no answer"
        leaked = b"root:" in answer or b"APP_TRUSTED_PROXIES" in answer
        record(front, f"GET {path}", "4xx, no file content", code, code in (400, 403, 404) and not leaked)


def test_oversized_headers_are_refused(direct: Gunicorn, uwsgi_direct: Uwsgi, behind_nginx: AppProxy) -> None:
    for target, server, size in (("gunicorn", direct, 10_000), ("uWSGI --http-socket", uwsgi_direct, 20_000),
                                 ("nginx app.conf → gunicorn", behind_nginx, 64_000)):
        code = status(server.url + "/info", headers={"Cookie": "session=" + "x" * size})
        record(target, f"a {size // 1000} KB Cookie header", "refused (4xx or connection closed)", code,
               code != 200 and not (isinstance(code, int) and code >= 500))
        alive = status(server.url + "/info")
        record(target, "a normal request right after", "200", alive, alive == 200)


WEAK = [("AES128-SHA", ssl.TLSVersion.TLSv1_2, "RSA key exchange, CBC, SHA-1"),
        ("ECDHE-ECDSA-AES128-SHA", ssl.TLSVersion.TLSv1_2, "CBC with SHA-1"),
        ("ECDHE-ECDSA-AES256-SHA384", ssl.TLSVersion.TLSv1_2, "CBC"),
        ("ECDHE-ECDSA-AES128-GCM-SHA256", ssl.TLSVersion.TLSv1_1, "TLS 1.1"),
        ("ALL", ssl.TLSVersion.TLSv1, "TLS 1.0")]


def test_weak_tls_is_refused(behind_nginx: AppProxy) -> None:
    port = int(behind_nginx.tls_url.rsplit(":", 1)[1])
    for ciphers, version, why in WEAK:
        got = tls_handshake(port, ciphers, version)
        record("nginx app.conf (TLS)", f"{version.name} offering {ciphers} ({why})", "refused", got, got == "refused")
    for ciphers, version in (("ECDHE-ECDSA-AES128-GCM-SHA256", ssl.TLSVersion.TLSv1_2),
                             ("DEFAULT", ssl.TLSVersion.TLSv1_3)):
        got = tls_handshake(port, ciphers, version)
        record("nginx app.conf (TLS)", f"{version.name} offering {ciphers} (control)", "accepted", got,
               got != "refused")


def test_expensive_routes_are_rate_limited(behind_nginx: AppProxy) -> None:
    for path, count, limited in (("/cpu?ms=1", 40, True), ("/report?catalogue=20", 20, True),
                                 ("/report?catalogue=3", 20, False)):
        with ThreadPoolExecutor(max_workers=count) as pool:  # all at once, however slow the machine
            codes = list(pool.map(status, [behind_nginx.url + path] * count))
        refused = codes.count(429)
        expected = "some 429 (limit_req)" if limited else "no 429 (small reports are not limited)"
        record("nginx app.conf → gunicorn", f"{count} × {path} at once", expected, f"{refused} × 429",
               (refused > 0) == limited and set(codes) <= {200, 429})


def test_inputs_are_not_reflected_or_interpreted(direct: Gunicorn) -> None:
    wildcard = requests.get(direct.url + "/quote", params={"q": "%"}, timeout=5)
    record("gunicorn", "/quote?q=% (a LIKE wildcard)", "404: matched literally", wildcard.status_code,
           wildcard.status_code == 404)
    for size, expected in ((3_000, (400,)), (10_000, (400, 414))):  # gunicorn refuses a request line over 4 KB
        long = requests.get(direct.url + "/cpu", params={"ms": "x" * size}, timeout=5)
        record("gunicorn", f"/cpu?ms=<{size:,} characters>", "4xx quoting at most a short part of it",
               f"{long.status_code}, {len(long.text)} bytes", long.status_code in expected and len(long.text) < 300)


def test_the_bench_sends_load_only_to_this_machine() -> None:
    for target, path in (("http://example.com", "/"), ("http://127.0.0.1:9", "http://example.com/"),
                         ("http://127.0.0.1:9", "//example.com/")):
        try:
            run_load(target, path, users=1, duration=1)
            got = "ran"
        except BenchError as error:
            got = f"refused: {str(error)[:40]}"
        record("bench.run_load", f"target {target}, path {path}", "refused", got, got.startswith("refused"))


def test_the_reaper_leaves_a_reused_pid_alone() -> None:
    # A registry entry left by a dead kernel, naming a pid that now belongs to someone else's process.
    foreign = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        stale = registry.Entry(pid=foreign.pid, create_time=psutil.Process(foreign.pid).create_time() - 100,
                               kind="gunicorn", port=None, started_at=time.time(), marker="no-process-carries-this",
                               log="/nonexistent", owner_pid=1, owner_create_time=0.0)
        (paths.state_dir() / "running").mkdir(exist_ok=True)
        (paths.state_dir() / "running" / f"{foreign.pid}.json").write_text(json.dumps(stale.__dict__))
        registry.reap_orphans()
        alive = foreign.poll() is None
    finally:
        foreign.kill()
        foreign.wait()
    record("bench registry", "a stale entry naming a reused pid", "the foreign process left alone",
           "alive" if alive else "killed", alive)

# Long-lived connections as app.conf ships them: gunicorn sync for the app, gunicorn gevent
# (config/gunicorn-streams.conf.py) for /stream and /ws. The app's timers are shortened (a heartbeat every second,
# WebSockets idle for 2 s): the limits are the same code, and the test does not wait a minute for them.
TIMERS = {"APP_STREAM_HEARTBEAT_MS": "1000", "APP_WS_IDLE_SECONDS": "2"}
QUIET = "/stream?every_ms=30000&events=10"  # an event, then 30 s of silence
SHIPPED = "nginx app.conf → gunicorn + gevent streams"


@pytest.fixture(scope="module")
def shipped_streams() -> Iterator[tuple[AppProxy, Gunicorn]]:
    with Gunicorn(workers=2, env=TIMERS) as app, streams_server(env=TIMERS) as streams, \
            proxy(app, streams=[streams]) as web:
        yield web, streams


def _per_client() -> int:
    return limits_in((paths.CONFIG / "nginx" / "app.conf").read_text())["streams_per_client"]


def test_quiet_streams_from_one_client_cannot_stop_the_app(shipped_streams: tuple[AppProxy, Gunicorn]) -> None:
    web, _ = shipped_streams
    many = _per_client() + 10
    with Streams(web.url, many, kind="sse", path=QUIET) as held:
        started = time.monotonic()
        code = status(web.url + "/healthz")
        took = time.monotonic() - started
        one_more = answer_to_one_more(web.url)
    record(SHIPPED, f"{many} quiet streams from one address, then GET /healthz",
           f"/healthz 200 within 1 s; {_per_client()} streams held, one more refused",
           f"{code} in {took:.2f} s; {held.held} held; one more: {one_more}",
           code == 200 and took < 1 and held.held == _per_client() and one_more in (429, 503))


@pytest.mark.skipif(not second_client(), reason=NO_SECOND_CLIENT)
def test_streams_from_two_clients_stop_at_the_total_cap() -> None:
    cap = _per_client() + 5  # the shipped total (1000) is more than a test should open: the same directive, lower
    lower = {"limit_conn streams_total": f"limit_conn streams_total {cap};"}
    with Gunicorn(workers=1, env=TIMERS) as app, streams_server(env=TIMERS) as streams, \
            proxy(app, streams=[streams], edits=lower) as web, Streams(web.url, _per_client(), path=QUIET) as first, \
            Streams(web.url, _per_client(), path=QUIET, source=second_client()) as second:
        held = first.held + second.held
        code = status(web.url + "/healthz")
    record(SHIPPED + f" (streams_total {cap})", f"{_per_client()} streams each from 127.0.0.1 and 127.0.0.2",
           f"{cap} held in all, the rest refused; /healthz 200", f"{held} held; /healthz {code}",
           held == cap and code == 200)


def test_a_departed_clients_stream_is_freed_within_a_heartbeat(shipped_streams: tuple[AppProxy, Gunicorn]) -> None:
    web, streams = shipped_streams
    with Streams(web.url, 10, path=QUIET) as left:
        opened = requests.get(streams.url + "/info", timeout=5).json()["open_streams"]
    started = time.monotonic()
    while requests.get(streams.url + "/info", timeout=5).json()["open_streams"] and time.monotonic() - started < 10:
        time.sleep(0.05)
    freed, after = time.monotonic() - started, requests.get(streams.url + "/info", timeout=5).json()["open_streams"]
    record(SHIPPED, f"{left.held} streams whose clients went away", "greenlets freed within the heartbeat (1 s)",
           f"{opened} → {after} open in {freed:.2f} s", opened == 10 and after == 0 and freed <= 1.5)
    with Gunicorn(workers=1, env=TIMERS) as sync:  # the shipped sync config: the stream holds the only worker
        with Streams(sync.url, 1, path=QUIET):
            pass
        started = time.monotonic()
        while status(sync.url + "/healthz", timeout=0.2) != 200 and time.monotonic() - started < 10:
            pass
        freed = time.monotonic() - started
    record("gunicorn sync (gunicorn.conf.py)", "a stream whose client went away", "worker free within the heartbeat",
           f"free after {freed:.2f} s", freed <= 1.5)


def test_websockets_have_a_size_limit_and_an_idle_timeout(shipped_streams: tuple[AppProxy, Gunicorn]) -> None:
    web, _ = shipped_streams
    limit = Settings.from_env().ws_max_message_bytes
    for size, expected, safe in ((limit + 1, "closed with 1009 (message too big)", lambda got: got == 1009),
                                 (10 * 1024 * 1024, "closed with 1009, or reset while the client still sends",
                                  lambda got: got in (1009, "ConnectionResetError", "BrokenPipeError")),
                                 (limit, "echoed (control)", lambda got: got == "echoed")):
        got, _ = ws_close(web.url, "x" * size)
        record(SHIPPED, f"a WebSocket message of {size:,} bytes", expected, got, safe(got))
    got, seconds = ws_close(web.url, wait=10)
    record(SHIPPED, "a WebSocket that sends nothing", "closed (1000) after the idle timeout (2 s)",
           f"{got} after {seconds:.1f} s", got == 1000 and 1.5 <= seconds <= 4)


def test_zz_print_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    lines = ["| target | input | expected | answer | safe |", "|---|---|---|---|---|"]
    lines += [f"| {r.target} | {r.attempt} | {r.expected} | {r.got} | {'yes' if r.ok else 'NO'} |" for r in TABLE]
    text = "\n".join(lines)
    (paths.state_dir() / "security-table.md").write_text(text + "\n")
    with capsys.disabled():
        print(f"\nsecurity: {len(TABLE)} bad inputs tried\n{text}")
    assert len(TABLE) >= 30 and all(r.ok for r in TABLE)

"""Long-lived connections, held open from this process: server-sent event streams or WebSockets, and ordinary
requests sent while they are open.

    with Streams(server.url, count=40, kind="sse") as streams:
        ordinary = probe(server.url, count=10)
    streams.held, ordinary.answered

A stream counts as *held* when its first message arrived within `first_within` seconds: the server gave it
whatever serves a connection (a worker, a thread, a greenlet, a coroutine). The others wait in the listen
queue, which is what a learner's browser would see as a page that never loads. Connections go only to
127.0.0.1 (`load.target_url` checks).
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from statistics import quantiles
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
import websocket  # websocket-client: a plain, blocking client with a connect timeout

from bench.load.result import target_url

if TYPE_CHECKING:
    from bench.servers import Server

KINDS = {"sse": "/stream?every_ms=200&events=3600", "ws": "/ws"}


@dataclass
class _Connection:
    first_ms: float | None = None
    error: str = ""
    closer: socket.socket | websocket.WebSocket | None = None  # what to close on exit
    status: int | None = None  # the HTTP status the server answered an event stream with

    def outcome(self, first_within_ms: float) -> str:
        """"held", "refused <status>" (answered, not streamed), or "dropped" (reset, closed, or never answered)."""
        if self.first_ms is not None and self.first_ms <= first_within_ms:
            return "held"
        if self.status is not None and self.status != 200:
            return f"refused {self.status}"
        return "dropped"


@dataclass
class Streams:
    """Context manager: open `count` connections of `kind` ("sse" or "ws") to `url` at once, each in its own
    thread, and keep them open until the block ends."""

    url: str
    count: int
    kind: str = "sse"
    path: str | None = None  # default: KINDS[kind]
    first_within: float = 3.0
    source: str | None = None  # the client's address (another loopback address plays a second client)
    connections: list[_Connection] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}, got {self.kind!r}")
        self.url = target_url(self.url)
        self.path = self.path or KINDS[self.kind]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> Streams:
        self.connections = [_Connection() for _ in range(self.count)]
        hold = self._hold_sse if self.kind == "sse" else self._hold_ws
        self._started = time.monotonic()
        for connection in self.connections:
            thread = threading.Thread(target=hold, args=(connection,), daemon=True)
            thread.start()
            self._threads.append(thread)
        deadline = self._started + self.first_within
        while time.monotonic() < deadline and self.held < self.count:
            time.sleep(0.05)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        for connection in self.connections:
            _close(connection.closer)
        deadline = time.monotonic() + 5
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    @property
    def held(self) -> int:
        """Connections whose first message came within `first_within` seconds of opening."""
        limit = self.first_within * 1000
        return sum(1 for c in self.connections if c.first_ms is not None and c.first_ms <= limit)

    @property
    def first_ms(self) -> list[float]:
        return sorted(c.first_ms for c in self.connections if c.first_ms is not None)

    def outcomes(self) -> dict[str, int]:
        """How many connections were held, refused (by status) and dropped."""
        found: dict[str, int] = {}
        for connection in self.connections:
            kind = connection.outcome(self.first_within * 1000)
            found[kind] = found.get(kind, 0) + 1
        return found

    def row(self) -> dict[str, object]:
        firsts = self.first_ms
        return {"kind": self.kind, "opened": self.count, "held": self.held,
                "first message p95 ms": _p95(firsts) if firsts else float("nan")}

    def _elapsed_ms(self) -> float:
        return (time.monotonic() - self._started) * 1000

    def _hold_sse(self, connection: _Connection) -> None:
        try:
            sock = _open_stream(self.url, self.path, timeout=self.first_within + 60, source=self.source)
            connection.closer = sock
            seen = b""
            while not self._stop.is_set():
                chunk = sock.recv(65536)
                if not chunk:
                    break
                if connection.first_ms is None:
                    seen += chunk
                    if connection.status is None and (status := re.match(rb"HTTP/1\.[01] (\d{3})", seen)):
                        connection.status = int(status.group(1))
                    if b"\ndata:" in seen or seen.startswith(b"data:"):
                        connection.first_ms = self._elapsed_ms()
        except OSError as error:
            if not self._stop.is_set():
                connection.error = str(error)

    def _hold_ws(self, connection: _Connection) -> None:
        ws_url = self.url.replace("http://", "ws://", 1) + self.path
        try:
            # a server that never takes the connection fails the handshake by this timeout
            ws = websocket.create_connection(ws_url, timeout=self.first_within,
                                             source_address=(self.source, 0) if self.source else None)
            connection.closer = ws
            ws.send("hello")
            if ws.recv() == "hello":
                connection.first_ms = self._elapsed_ms()
            self._stop.wait()
        except (OSError, websocket.WebSocketException) as error:
            if not self._stop.is_set():
                connection.error = str(error)


def _open_stream(url: str, path: str, timeout: float, source: str | None = None) -> socket.socket:
    """A connection to `url` (from `source`) with the GET for the event stream at `path` sent (HTTP/1.1)."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout,
                                    source_address=(source, 0) if source else None)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAccept: text/event-stream\r\n\r\n".encode())
    return sock


def _close(closer: object) -> None:
    """Close a held connection so that its thread's blocking read returns at once."""
    if isinstance(closer, socket.socket):
        with contextlib.suppress(OSError):  # not connected (any more)
            closer.shutdown(socket.SHUT_RDWR)  # close() alone may not wake a recv() in another thread
        closer.close()
    elif isinstance(closer, websocket.WebSocket):
        closer.abort()


@dataclass(frozen=True)
class Probe:
    """Ordinary requests sent at once while the streams were open."""

    sent: int
    answered: int  # with 200 within the timeout
    p95_ms: float  # of the answered ones (NaN when none was)


def probe(url: str, path: str = "/", count: int = 10, timeout: float = 2.0) -> Probe:
    """Send `count` GET requests at once; how many got a 200 within `timeout` seconds, and how fast."""
    url = target_url(url)

    def one(_: int) -> float | None:
        started = time.monotonic()
        try:
            ok = requests.get(url + path, timeout=timeout).status_code == 200
        except requests.RequestException:
            return None
        return (time.monotonic() - started) * 1000 if ok else None

    with ThreadPoolExecutor(count) as pool:
        times = [t for t in pool.map(one, range(count)) if t is not None]
    return Probe(count, len(times), _p95(times) if times else float("nan"))


def _p95(values: list[float]) -> float:
    return quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


@dataclass(frozen=True)
class Arrivals:
    """One server-sent event stream, read for a while: when each event came, and whether the stream ended."""

    seconds: list[float]  # after the request was sent
    closed: bool  # the server (or a proxy) closed the stream before the reading time was up

    @property
    def gaps(self) -> list[float]:
        return [b - a for a, b in zip(self.seconds, self.seconds[1:], strict=False)]


def read_events(url: str, path: str, seconds: float) -> Arrivals:
    """Read the event stream at `path` for `seconds`: the arrival time of every event."""
    arrived: list[float] = []
    closed = False
    with _open_stream(target_url(url), path, timeout=0.1) as sock:
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                closed = True
                break
            arrived += [time.monotonic() - started] * chunk.count(b"data:")
    return Arrivals(arrived, closed)


def holding(url: str, count: int, kind: str = "sse", probes: int = 10, first_within: float = 3.0,
            probe_timeout: float = 2.0) -> dict[str, object]:
    """Open `count` streams of `kind` at once, then send `probes` ordinary requests while they stay open: one
    row saying how many streams the server held and how many ordinary requests it still answered."""
    with Streams(url, count, kind=kind, first_within=first_within) as streams:
        ordinary = probe(url, count=probes, timeout=probe_timeout)
    return {**streams.row(), "ordinary sent": ordinary.sent, "ordinary answered": ordinary.answered,
            "ordinary p95 ms": ordinary.p95_ms}


def holding_on(make: Callable[[], Server], count: int, **how: Any) -> dict[str, object]:
    """Start the server `make()` builds, run `holding(server.url, count, **how)` against it, and stop it."""
    with make() as server:
        return holding(server.url, count, **how)


def answer_to_one_more(url: str, kind: str = "sse", timeout: float = 5.0) -> int | str:
    """The HTTP status one more stream (or WebSocket handshake) gets: 200 or 101 when it is taken, 429 or 503
    when a limit refuses it, or what went wrong instead of an answer."""
    url = target_url(url)
    if kind == "ws":
        try:
            websocket.create_connection(url.replace("http://", "ws://", 1) + KINDS["ws"], timeout=timeout).close()
            return 101
        except websocket.WebSocketBadStatusException as error:
            return error.status_code
        except (OSError, websocket.WebSocketException) as error:
            return type(error).__name__
    try:
        with _open_stream(url, KINDS["sse"], timeout=timeout) as sock:
            head = sock.recv(4096)
    except OSError as error:
        return type(error).__name__
    return int(head.split()[1]) if head.startswith(b"HTTP/") else "no answer"


def ws_close(url: str, message: str | None = None, wait: float = 10.0) -> tuple[int | str, float]:
    """Open a WebSocket to `url`, send `message` (or nothing), and wait up to `wait` seconds for the server to
    close it: (its close code, or "echoed" / "still open", and the seconds it took)."""
    ws = websocket.create_connection(target_url(url).replace("http://", "ws://", 1) + KINDS["ws"], timeout=wait)
    started = time.monotonic()
    try:
        if message is not None:
            ws.send(message)
        while True:
            opcode, frame = ws.recv_data_frame(True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                code = int.from_bytes(frame.data[:2], "big") if len(frame.data) >= 2 else "closed without a code"
                return code, time.monotonic() - started
            if message is not None and frame.data.decode(errors="replace") == message:
                return "echoed", time.monotonic() - started
    except (websocket.WebSocketTimeoutException, TimeoutError):
        return "still open", time.monotonic() - started
    except (OSError, websocket.WebSocketException) as error:
        return type(error).__name__, time.monotonic() - started
    finally:
        ws.abort()


def limits_in(conf: str) -> dict[str, int]:
    """The long-lived connection limits of an nginx config's text: {zone name: most connections} for each
    `limit_conn` line (config/nginx/app.conf: streams_per_client and streams_total)."""
    return {zone: int(count) for zone, count in re.findall(r"^\s*limit_conn\s+(\w+)\s+(\d+);", conf, re.M)}

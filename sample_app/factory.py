"""The app factory: settings from the environment, routes, error pages, proxy trust."""

from __future__ import annotations

import hashlib
import os
import socket
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, abort, jsonify, request
from flask_caching import Cache
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from sample_app import quotes, streaming, work
from sample_app.limits import cpu_limit
from sample_app.report import authors_report, authors_report_fast
from sample_app.settings import CACHE_TYPES, Settings

F = TypeVar("F", bound=Callable[..., object])


class BadParameter(ValueError):
    """A query parameter the client got wrong: answered with 400 and the reason."""


# Error messages quote at most this much of what the client sent: enough to see the mistake, too little
# to turn the error page into an echo of whatever a client wants reflected.
ECHO_CHARS = 40


def _int_param(name: str, default: int, low: int, high: int, unit: str = "") -> int:
    raw = request.args.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        shown = raw if len(raw) <= ECHO_CHARS else raw[:ECHO_CHARS] + "…"
        raise BadParameter(f"{name} must be a whole number{unit}, got {shown!r}") from None
    if not low <= value <= high:
        raise BadParameter(f"{name} must be between {low} and {high}, got {value}")
    return value


def _ms_param(settings: Settings) -> int:
    return _int_param("ms", default=10, low=0, high=settings.max_work_ms, unit=" of milliseconds")


def _concurrency_model() -> str:
    """How this worker serves requests at once: gevent greenlets, threads, or one at a time."""
    gevent_monkey = sys.modules.get("gevent.monkey")
    if gevent_monkey is not None and gevent_monkey.is_module_patched("socket"):
        return "gevent"
    return "threads" if request.environ.get("wsgi.multithread") else "sync"


def _response_cache(app: Flask, settings: Settings) -> Callable[[F], F]:
    """A decorator caching a view's response for settings.cache_seconds, one entry per query string."""
    if settings.cache == "none":
        return lambda view: view
    cache = Cache(app, config={
        "CACHE_TYPE": CACHE_TYPES[settings.cache],
        "CACHE_REDIS_URL": settings.redis_url,
        "CACHE_DEFAULT_TIMEOUT": settings.cache_seconds,
    })
    return cache.cached(query_string=True)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app. Debug stays off: the interactive debugger would run any code a visitor sends."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_upload_bytes
    app.config["SETTINGS"] = settings
    if settings.trusted_hosts:
        app.config["TRUSTED_HOSTS"] = list(settings.trusted_hosts)
    # Built once per process that creates the app; shared copy-on-write with workers forked after it.
    app.config["DATASET"] = bytes(range(256)) * (settings.dataset_mb * 4096)
    quotes.build(settings.quotes_db)
    cached = _response_cache(app, settings)
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]

    if settings.degraded_ms:
        @app.before_request
        def degraded() -> None:
            work.wait(settings.degraded_ms)

    @app.errorhandler(BadParameter)
    def bad_parameter(error: BadParameter):
        return jsonify(error=str(error)), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return jsonify(error=error.name, detail=error.description), error.code

    @app.get("/")
    def index():
        return "Hello from Flask in Production!\n", 200, {"Content-Type": "text/plain"}

    @app.get("/healthz")
    def healthz():
        # Liveness: the process answers. Nothing external is checked here on purpose:
        # a failing database must not make Kubernetes restart every pod.
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz():
        # Readiness: this instance can do its real work (here: read the quotes database).
        if quotes.random_quote(settings.quotes_db) is None:
            return jsonify(status="not ready", reason="quotes database is empty"), 503
        return jsonify(status="ready")

    @app.get("/cpu")
    def cpu():
        ms = _ms_param(settings)
        return jsonify(ms=ms, rounds=work.burn_cpu(ms), pid=os.getpid())

    @app.get("/io")
    def io():
        ms = _ms_param(settings)
        work.wait(ms)
        return jsonify(ms=ms, pid=os.getpid())

    @app.get("/quote")
    @cached
    def quote():
        work.wait(settings.quote_cost_ms)
        work.burn_cpu(settings.quote_cpu_ms)
        found = quotes.random_quote(settings.quotes_db, request.args.get("q") or None)
        if found is None:
            return jsonify(error="Not Found", detail="no quote contains that text"), 404
        return jsonify(found)

    @app.get("/report")
    def report():
        # ?catalogue=N runs the report over N renamed copies of the quotes (a bigger catalogue);
        # ?fast=1 uses the version notebook 07 writes after profiling the slow one.
        copies = _int_param("catalogue", default=1, low=1, high=50)
        build = authors_report_fast if request.args.get("fast") == "1" else authors_report
        return jsonify(build(quotes.catalogue(settings.quotes_db, copies)))

    # A teaching endpoint: it shows which process, user and host answered. In a real app, do not hand
    # that to anyone who asks: remove it, or serve it only on an internal port.
    @app.get("/info")
    def info():
        return jsonify(
            pid=os.getpid(),
            ppid=os.getppid(),
            hostname=socket.gethostname(),
            thread=threading.current_thread().name,
            server=request.environ.get("SERVER_SOFTWARE", "unknown"),
            concurrency=_concurrency_model(),
            remote_addr=request.remote_addr,
            scheme=request.scheme,
            host=request.host,
            dataset_mb=len(app.config["DATASET"]) // 2**20,
            cpu_count=os.cpu_count(),
            cpu_limit=cpu_limit(),
            uid=os.getuid(),
            cache=settings.cache,
            open_streams=streaming.open_streams(),
        )

    @app.post("/upload")
    def upload():
        limit = settings.max_upload_bytes
        if (request.content_length or 0) > limit:
            abort(413, f"the body is over {limit} bytes")
        chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        if request.content_length is None and chunked and not request.environ.get("wsgi.input_terminated"):
            # This server passes a chunked body without saying where it ends (uWSGI's --http-socket gives
            # 0 bytes): refuse it rather than store an empty or truncated file.
            abort(411, "send a Content-Length: this server cannot read a chunked body")
        digest, size, stream = hashlib.sha256(), 0, request.environ["wsgi.input"]
        while chunk := stream.read(64 * 1024):  # read past the limit to know it was exceeded, never cut silently
            size += len(chunk)
            if size > limit:
                abort(413, f"the body is over {limit} bytes")
            digest.update(chunk)
        return jsonify(bytes=size, sha256=digest.hexdigest())

    streaming.register(app, _int_param, settings)  # /stream (server-sent events) and /ws (WebSocket): notebook 08
    return app

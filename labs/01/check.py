"""Lab 01 check: app.py's `application` follows WSGI (wsgiref's validator), does the task, and runs
under a real server (gunicorn)."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import requests

from bench.core.errors import BenchError
from bench.servers import Gunicorn
from course.labs import Check


def _load(path: Path):
    spec = importlib.util.spec_from_file_location("lab01_app", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def call(app, path: str, query: str = "") -> tuple[str, dict[str, str], bytes]:
    """Call a WSGI app once, as a server would: (status, headers, body)."""
    environ: dict = {"SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": query, "wsgi.errors": io.StringIO()}
    setup_testing_defaults(environ)
    answer: dict = {}

    def start_response(status, headers, exc_info=None):
        answer.update(status=status, headers=dict(headers))
        return lambda data: None

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return answer["status"], answer["headers"], body


def check(directory: Path) -> Iterator[Check]:
    path = directory / "app.py"
    try:
        app = _load(path).application
    except Exception as error:  # whatever the learner's module raises, show it
        yield Check("app.py defines `application`", False, f"{type(error).__name__}: {error}")
        return
    yield Check("app.py defines `application`", True)
    with warnings.catch_warnings(record=True) as warned:  # the validator warns about some rules, fails others
        warnings.simplefilter("always")
        try:
            call(validator(app), "/hello", "name=Ada")
            problem = "; ".join(str(w.message) for w in warned)
        except Exception as error:  # the validator raises AssertionError
            problem = "; ".join([f"{type(error).__name__}: {error}", *(str(w.message) for w in warned)])
    yield Check("it follows the WSGI rules (wsgiref.validate)", not problem, problem)
    if problem:
        return
    status, headers, body = call(app, "/hello", "name=Ada")
    good = status.startswith("200") and headers.get("Content-Type") == "application/json"
    try:
        good = good and json.loads(body) == {"greeting": "Hello, Ada!"}
    except ValueError:
        good = False
    yield Check('GET /hello?name=Ada answers 200 with JSON {"greeting": "Hello, Ada!"}', good,
                f"{status} {headers.get('Content-Type')} {body[:80]!r}")
    status, _, _ = call(app, "/nowhere")
    yield Check("any other path answers 404", status.startswith("404"), status)
    server = Gunicorn(workers=1, app="app:application", args=["--chdir", str(directory.resolve())])
    server.ready_path = "/hello?name=ready"  # the lab's app has no /healthz
    try:
        with server:
            served = requests.get(server.url + "/hello?name=Grace", timeout=5)
        yield Check("gunicorn serves it", served.json() == {"greeting": "Hello, Grace!"}, served.text[:80])
    except (BenchError, ValueError) as error:
        yield Check("gunicorn serves it", False, str(error).splitlines()[0])
    sys.modules.pop("lab01_app", None)

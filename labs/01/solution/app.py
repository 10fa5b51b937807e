"""Lab 01 solution: a WSGI application with no framework."""

import json
from urllib.parse import parse_qs


def _json(start_response, status: str, body: dict) -> list[bytes]:
    payload = json.dumps(body).encode("utf-8")  # WSGI bodies are bytes, never str
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]  # an iterable of bytes: a list with one item


def application(environ, start_response):
    if environ["PATH_INFO"] != "/hello":
        return _json(start_response, "404 Not Found", {"error": "Not Found"})
    name = parse_qs(environ.get("QUERY_STRING", "")).get("name", ["world"])[0]
    return _json(start_response, "200 OK", {"greeting": f"Hello, {name}!"})

"""Lab 01 starter: a WSGI application with no framework. It runs, but breaks the WSGI rules
(run `make check LAB=01` to see which) and does not do the task yet."""


def application(environ, start_response):
    # TODO: GET /hello?name=Ada -> 200, JSON {"greeting": "Hello, Ada!"}; any other path -> 404 with JSON.
    start_response("200", [("Content-Type", "text/plain")])
    return "Hello, world!"

"""Servers as context managers on free 127.0.0.1 ports, one module per kind:

    with Gunicorn(workers=2) as g:
        requests.get(g.url + "/info")

`base` (what every server shares), `dev` (werkzeug's dev server, wsgiref), `gunicorn`, `uwsgi`, `nginx` (any
nginx config, and `proxy(...)` in front of app servers), `redis`, `uvicorn` (ASGI) and `granian`.
What stops them all: `bench.host.leftovers`.
"""

from bench.servers.base import APP, Server
from bench.servers.dev import DevServer, Wsgiref
from bench.servers.granian import Granian
from bench.servers.gunicorn import READY_LINE, Gunicorn, extended_config, resolved, streams_server
from bench.servers.nginx import AppProxy, Nginx, proxy, upstream_block
from bench.servers.redis import Redis
from bench.servers.uvicorn import Uvicorn
from bench.servers.uwsgi import Uwsgi, changed_ini

__all__ = ["APP", "READY_LINE", "AppProxy", "DevServer", "Granian", "Gunicorn", "Nginx", "Redis", "Server", "Uvicorn",
           "Uwsgi", "Wsgiref", "changed_ini", "extended_config", "proxy", "resolved", "streams_server",
           "upstream_block"]

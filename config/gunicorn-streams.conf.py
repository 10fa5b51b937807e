# gunicorn for the sample app's long-lived endpoints (/stream, /ws), beside the one for everything else:
#   gunicorn --config config/gunicorn-streams.conf.py sample_app.wsgi:app
# config/nginx/app.conf sends /stream and /ws here. It starts from config/gunicorn.conf.py (keep the two files
# side by side) and changes what long-lived connections need; notebook 08 measures why.
import os
import runpy

globals().update({name: value for name, value in
                  runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "gunicorn.conf.py")).items()
                  if not name.startswith("__")})

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")

# gevent workers: each open stream or socket is a greenlet waiting on the network, not a worker or a thread
# (needs `gevent` installed). One worker holds up to worker_connections of them; nginx's `streams_total` limit
# (1000) keeps the total within that.
worker_class = "gevent"
workers = int(os.environ.get("GUNICORN_STREAM_WORKERS", "1"))
worker_connections = 1000

# Under gevent, `timeout` only checks that the worker still answers its master; it cuts off no request
# (gunicorn's settings docs, `timeout`). What bounds a connection here is the app: a stream ends after
# APP_STREAM_MAX_SECONDS and writes a heartbeat every APP_STREAM_HEARTBEAT_MS, so a client that left is
# noticed within that; a WebSocket idle for APP_WS_IDLE_SECONDS is closed. nginx's read timeouts catch a
# stuck worker.
timeout = 30

# Recycling a worker would cut every stream it holds: streams end by themselves within their lifetime instead.
max_requests = 0
max_requests_jitter = 0

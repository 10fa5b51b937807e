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
# (needs `gevent` installed). One worker holds up to worker_connections of them (gunicorn's settings docs,
# `worker_connections`); nginx's `streams_total` (500, config/nginx/app.conf) keeps the total below that, with
# room for the health checks and the odd request that is not a stream.
worker_class = "gevent"
workers = int(os.environ.get("GUNICORN_STREAM_WORKERS", "1"))
worker_connections = 600
# Each held connection is an open file. Below this many, a worker fails to accept ("Too many open files") before
# it reaches worker_connections: the soft limit is raised toward the hard one at start, and gunicorn's log says
# so when it cannot be (macOS's default soft limit is 256; a common Linux one, 1024).
OPEN_FILES_NEEDED = worker_connections + 100


def on_starting(server):
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < OPEN_FILES_NEEDED:
        wanted = OPEN_FILES_NEEDED if hard == resource.RLIM_INFINITY else min(OPEN_FILES_NEEDED, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        soft = wanted
    if soft != resource.RLIM_INFINITY and soft < OPEN_FILES_NEEDED:
        server.log.warning("open-file limit %s is below the %s that worker_connections needs: raise it (ulimit -n), "
                           "or lower worker_connections and nginx's streams_total", soft, OPEN_FILES_NEEDED)

# Under gevent, `timeout` only checks that the worker still answers its master (a greenlet sends the heartbeat
# every second, gunicorn's workers/ggevent.py); it cuts off no request that waits (gunicorn's settings docs,
# `timeout`). What bounds a connection here is the app: a stream ends after APP_STREAM_MAX_SECONDS and writes a
# heartbeat every APP_STREAM_HEARTBEAT_MS, so a client that left is noticed within that; a WebSocket idle for
# APP_WS_IDLE_SECONDS is closed. nginx's read timeouts only close a connection that stays silent. A greenlet
# that burns CPU without yielding starves the heartbeat: after `timeout` the master kills the whole worker, and
# every stream it holds with it.
timeout = 30
# nginx keeps idle connections to this upstream (the bench's `keepalive 16`; by default since nginx 1.29.7):
# gunicorn must not close them first, or a request nginx sends on one as gunicorn closes it fails. Above nginx's
# upstream keepalive_timeout (60 s by default).
keepalive = 65

# Recycling a worker would cut every stream it holds: streams end by themselves within their lifetime instead.
max_requests = 0
max_requests_jitter = 0

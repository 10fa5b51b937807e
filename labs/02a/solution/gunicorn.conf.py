# gunicorn configuration for the sample app.
#   gunicorn --config config/gunicorn.conf.py sample_app.wsgi:app
# Command-line flags override anything here (the course's bench sets --bind and --workers that way).
# Every value below is one notebook 02a or 02b measures; see it before changing one.
import os

# Listen on loopback only; in a container or behind nginx, bind where the proxy can reach you.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers handle one request at a time each. For CPU-bound work, throughput stops rising
# near the number of cores; notebook 02a measures the plateau and the memory each worker costs.
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# Lab 02a: /io waits 100 ms per request, so 50 users need ~50 requests in flight at once.
# gevent workers serve each request in a greenlet: up to worker_connections per worker, and a
# waiting greenlet costs almost nothing. (worker_class = "gthread" with threads = 32 also passes,
# with a higher p95: threads contend for the GIL.)
worker_class = "gevent"
worker_connections = 1000
threads = 1

# A request that runs longer than this gets its worker killed and replaced (logged as WORKER TIMEOUT).
timeout = 30
# On SIGTERM or HUP, in-flight requests get this long to finish.
graceful_timeout = 30
# Seconds to keep an idle client connection open. Behind nginx, a few seconds is plenty.
keepalive = 2

# Recycle each worker after this many requests (plus random jitter so they do not all restart
# together): a guard against slow memory leaks in application code.
max_requests = 1000
max_requests_jitter = 100

# Recent gunicorn releases open a control socket at one per-user path ($HOME/.gunicorn/gunicorn.ctl);
# several gunicorn instances on one machine would fight over it. The course does not use it.
control_socket_disable = True

# Errors to stderr, where a process manager or container runtime collects them. No access log:
# the proxy in front keeps one, and writing a line per request costs throughput.
errorlog = "-"
loglevel = "info"
accesslog = None


def post_worker_init(worker):
    # One line per worker once it has imported the app: "Booting worker" only means "forked".
    # The course's bench waits for these lines before it calls a server ready.
    worker.log.info("Worker ready (pid: %s)", worker.pid)

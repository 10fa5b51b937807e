# gunicorn configuration for the sample app.
#   gunicorn --config config/gunicorn.conf.py sample_app.wsgi:app
# Command-line flags override anything here (the course's bench sets --bind and --workers that way).
# Notebook 02a measures workers, worker_class and threads, and 02b timeout and max_requests (and --preload, a
# flag not set here); see them before changing one. The other values (keepalive, graceful_timeout, forwarded_allow_ips,
# logging) are not measured in the course.
import os

# Run gunicorn as an unprivileged user (the course's image runs it as uid 10001). Started as root, it
# serves as root unless `user` and `group` are set here; better not to start it as root at all.
# Listen on loopback only; in a container or behind nginx, bind where the proxy can reach you.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Whom to believe about the original request (X-Forwarded-For, -Proto, -Host) is decided in one place: the
# app, with APP_TRUSTED_PROXIES (werkzeug's ProxyFix). gunicorn's own default believes X-Forwarded-Proto from
# any client on 127.0.0.1, so a local client could claim https; trust no address here.
forwarded_allow_ips = ""

# Sync workers handle one request at a time each. For CPU-bound work, throughput stops rising
# near the number of cores; notebook 02a measures the plateau and the memory each worker costs.
# A long-lived request (an event stream, a WebSocket) holds a sync worker for as long as it stays open, and a
# few of them stop the app from answering anyone: config/nginx/app.conf sends /stream and /ws to a gunicorn of
# their own with gevent workers (config/gunicorn-streams.conf.py). Notebook 08 measures both.
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "sync"
threads = 1

# With sync workers, a request running longer than this has its worker killed and replaced (WORKER TIMEOUT).
# With gthread or gevent it only checks that the worker still talks to the master: gunicorn cuts off no request
# that waits (its settings docs, `timeout`); a gevent request that burns CPU without yielding starves the worker's
# heartbeat, and after `timeout` the master kills the whole worker, with every request it holds. nginx's
# proxy_read_timeout (35 s) only stops waiting: the client gets a 504 while the worker works on (notebook 04a
# measures it). Only the app can bound that work (a deadline in its code, a database statement timeout);
# APP_MAX_WORK_MS just refuses a ?ms= over 25 s before starting.
# Keep this below nginx's 35 s, so a stuck sync worker is killed before nginx gives up on it.
timeout = 30
# On SIGTERM or HUP, in-flight requests get this long to finish.
graceful_timeout = 30
# Seconds an idle keep-alive connection stays open. The sync worker ignores it: it closes every connection
# after one response (gunicorn's settings docs, `keepalive`). With gthread or gevent workers behind nginx's
# upstream keepalive, set it above the time nginx keeps an idle upstream connection (nginx's upstream docs,
# `keepalive_timeout`: 60 s by default), or gunicorn closes connections nginx means to reuse. 2: gunicorn's default.
keepalive = 2

# Recycle each worker after this many requests (plus random jitter so they do not all restart
# together): a guard against slow memory leaks in application code.
max_requests = 1000
max_requests_jitter = 100

# Recent gunicorn releases open a control socket at one per-user path ($HOME/.gunicorn/gunicorn.ctl);
# several gunicorn instances on one machine would fight over it. The course does not use it.
control_socket_disable = True

# Errors to stderr, where a process manager or container runtime collects them. No access log:
# the proxy in front keeps one, and a line per request costs CPU (not measured in the course).
errorlog = "-"
loglevel = "info"
accesslog = None


def post_worker_init(worker):
    # One line per worker once it has imported the app: "Booting worker" only means "forked".
    # The course's bench waits for these lines before it calls a server ready.
    worker.log.info("Worker ready (pid: %s)", worker.pid)

"""The WSGI entry point: `gunicorn sample_app.wsgi:app`, `uwsgi --module sample_app.wsgi:app`."""

import os
import sys

from sample_app import create_app

app = create_app()
# One line per process that loads the app through a server: shows whether each worker imports it or the master
# did (gunicorn's preload_app, uWSGI's default). The factory itself stays quiet for in-process use.
print(f"sample_app: app created in pid {os.getpid()}", file=sys.stderr, flush=True)

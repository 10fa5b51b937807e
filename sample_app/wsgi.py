"""The WSGI entry point: `gunicorn sample_app.wsgi:app`, `uwsgi --module sample_app.wsgi:app`."""

from sample_app import create_app

app = create_app()

"""The Flask app the course serves, measures and deploys.

`create_app()` is the factory; `sample_app.wsgi:app` is the object WSGI servers load.
"""

from sample_app.factory import create_app

__all__ = ["create_app"]

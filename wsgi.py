"""WSGI entry point for gunicorn and `flask --app wsgi`. Starts nothing else (never the scheduler)."""

from statuspage import create_app

app = create_app()

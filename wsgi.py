"""WSGI entry point for gunicorn and `flask --app wsgi`; it starts nothing else (no scheduler)."""

from statuspage import create_app

app = create_app()

"""WSGI entry point for gunicorn and `flask --app wsgi`; it starts nothing else (no scheduler)."""

import gc

from statuspage import create_app

app = create_app()
# What start-up built lives as long as the worker: freezing it keeps the cyclic collector from
# re-scanning every module, mapper and template on each full collection during a render.
gc.freeze()

"""The test's app on a real local port, for clients that cannot use the Flask test client
(a browser, Prometheus, Alertmanager).

The server runs in a thread of the test process and serves the test's own `app`: with SQLite
in memory, Flask-SQLAlchemy gives that app a StaticPool (one connection, usable from any
thread), so the server sees what the test wrote; on PostgreSQL both use the same database.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server


def closing_responses(app: Flask, lock: Any = None) -> Any:
    """The app's WSGI callable, closing every response even when the client drops the socket,
    and holding *lock* (when given) while it answers.

    Werkzeug's server closes a response only after draining the socket, and a reset there
    skips the close: a static file's handle would leak (a ResourceWarning, an error here).
    A test that writes while another process polls the server takes the same lock, so the
    shared in-memory SQLite connection is never used by two threads at once.
    """

    def wsgi(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        with lock if lock is not None else nullcontext():
            body: Iterable[bytes] = app(environ, start_response)
            try:
                yield from body
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()

    return wsgi


@contextmanager
def serve(app: Flask, lock: Any = None, *, threaded: bool = False) -> Iterator[str]:
    """Serve *app* on 127.0.0.1 at a free port until the block ends; yields its base URL.

    One request at a time by default: the in-memory SQLite connection is shared. Concurrency
    tests on PostgreSQL ask for a thread per request.
    """
    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, closing_responses(app, lock), threaded=threaded
    )
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()

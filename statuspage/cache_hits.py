"""Public cache hits answered before Flask dispatches a request.

During an outage most requests are identical anonymous reads of a few public URLs. Once Flask
has answered one through `http_cache.cached_response`, this WSGI layer keeps exactly what was
sent (status, headers and body) under (path, query, validator, gzip or not) and replays it to
the next anonymous reader while the page version, read from the database on every request,
is unchanged. A write is therefore visible on the very next request, as through Flask.

Only what Flask produced and marked is replayed: public, 200, GET, no cookie, no credentials,
no conditional headers (Flask answers those with a 304). Whether the reader takes gzip is
decided by `http_cache.accepts_gzip`, the same function Flask's answers use, so a replayed
answer is always the one Flask would have sent. Everything else goes to Flask untouched.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from flask import Flask

from statuspage.database import utcnow
from statuspage.extensions import db
from statuspage.http_cache import HIT_MARK, PAGE_STATE_KEY, accepts_gzip, make_validator
from statuspage.services.site import read_page_state

StartResponse = Callable[..., Any]
#: Bytes of answers each process keeps for replay.
HOT_BYTES = 32 * 1024 * 1024
#: Headers that make a request more than an anonymous read of a public URL.
PERSONAL = ("HTTP_COOKIE", "HTTP_AUTHORIZATION", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE",
            "HTTP_RANGE")  # fmt: skip


def read_gzip_wish(environ: dict[str, Any]) -> bool | None:
    """Whether an anonymous GET accepts gzip; None when the request is not one to replay to."""
    if environ.get("REQUEST_METHOD") != "GET" or any(name in environ for name in PERSONAL):
        return None
    return accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING"))


class HotEntries:
    """A process's most recent answers: keys hold the page version, so an entry is never
    stale, only evicted (least recently used first, by size)."""

    def __init__(self, limit: int = HOT_BYTES) -> None:
        self.limit = limit
        self.size = 0
        self.entries: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self.lock:
            found = self.entries.get(key)
            if found is None:
                return None
            self.entries.move_to_end(key)
            return found[0]

    def put(self, key: Any, value: Any, size: int) -> None:
        with self.lock:
            if key in self.entries:
                return
            self.entries[key] = (value, size)
            self.size += size
            while self.size > self.limit and len(self.entries) > 1:
                _, (_, dropped) = self.entries.popitem(last=False)
                self.size -= dropped


class CacheHitServer:
    """WSGI middleware in front of the Flask app (installed by `create_app`)."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app
        with app.app_context():
            engine = db.engine
        # A hit reads one row. Over a network, autocommit spares the BEGIN and ROLLBACK round
        # trips; SQLite's are in-process (and ":memory:" is one connection that must stay as is).
        self.engine = (
            engine
            if engine.dialect.name == "sqlite"
            else engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        #: path -> whether its validator includes the minute, learned from Flask's answers.
        self.time_sensitive: dict[str, bool] = {}
        self.entries = HotEntries()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        wish = read_gzip_wish(environ)
        path = environ.get("PATH_INFO", "")
        time_sensitive = self.time_sensitive.get(path)
        if wish is None or time_sensitive is None:
            return self._through_flask(environ, start_response, wish)
        try:
            state = read_page_state(self.engine)
        except sa.exc.SQLAlchemyError:
            return self._through_flask(environ, start_response, wish)
        validator, _ = make_validator(*state.public, time_sensitive=time_sensitive, now=utcnow())
        hit = self.entries.get((path, environ.get("QUERY_STRING", ""), validator, wish))
        if hit is None:
            environ[PAGE_STATE_KEY] = state  # Flask need not read it again
            return self._through_flask(environ, start_response, wish)
        status, headers, body = hit
        start_response(status, list(headers))
        return [body]

    def _through_flask(
        self, environ: dict[str, Any], start_response: StartResponse, wish: bool | None
    ) -> Iterable[bytes]:
        sent: list[tuple[str, list[tuple[str, str]]]] = []

        def keep(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            sent.append((status, list(headers)))
            return start_response(status, headers, *exc_info)

        result = self.wsgi_app(environ, keep)
        mark = environ.get(HIT_MARK)
        if mark is None or wish is None or not sent or not sent[-1][0].startswith("200"):
            return result
        status, headers = sent[-1]
        if any(name.lower() == "set-cookie" for name, _ in headers):
            return result
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        validator, time_sensitive = mark
        path = environ.get("PATH_INFO", "")
        self.time_sensitive[path] = time_sensitive
        key = (path, environ.get("QUERY_STRING", ""), validator, wish)
        self.entries.put(key, (status, headers, body), len(body))
        return [body]

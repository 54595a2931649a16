"""Public cache hits answered before Flask dispatches a request.

During an outage most requests are identical anonymous reads of a few public URLs. Once Flask
has answered one through `http_cache.cached_response`, this WSGI layer keeps exactly what was
sent (status, headers and body) under (path, query, validator, gzip or not) and replays it to
the next anonymous reader while the page version, read from the database on every request,
is unchanged. A write is therefore visible on the very next request, as through Flask.
The validator is made by `http_cache.make_validator` from the same facts Flask used (the
page's time zone and whether it is live, learned with the answer for that page version), so
both change their ETags at the same local midnight and uptime boundary.

Only what Flask produced and marked is replayed: public, 200, GET, no cookie, no credentials,
no conditional headers (Flask answers those with a 304). Whether the reader takes gzip is
decided by `http_cache.accepts_gzip`, the same function Flask's answers use, so a replayed
answer is always the one Flask would have sent. Everything else goes to Flask untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from flask import Flask

from statuspage.bounded_cache import BoundedLRU, estimate_size
from statuspage.database import utcnow
from statuspage.extensions import db
from statuspage.http_cache import (
    HIT_MARK,
    PAGE_STATE_KEY,
    accepts_gzip,
    make_cache_query,
    make_validator,
)
from statuspage.services.page_clock import ClockFacts
from statuspage.services.site.page_state import PageStateReader

StartResponse = Callable[..., Any]
#: Paths whose kind of answer (time-sensitive or not, which query arguments) a process learns.
KNOWN_PATHS = 10_000
#: Headers that make a request more than an anonymous read of a public URL.
PERSONAL = (
    "HTTP_COOKIE",
    "HTTP_AUTHORIZATION",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_RANGE",
)


def read_gzip_wish(environ: dict[str, Any]) -> bool | None:
    """Whether an anonymous GET accepts gzip; None when the request is not one to replay to."""
    if environ.get("REQUEST_METHOD") != "GET" or any(name in environ for name in PERSONAL):
        return None
    return accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING"))


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
        self.page_state = PageStateReader(self.engine, engine)
        #: path -> (the clock its body reads, the query arguments its view reads), learned
        #: from Flask's answers.
        self.paths = BoundedLRU(max_entries=KNOWN_PATHS, max_bytes=KNOWN_PATHS * 1024)
        #: (public page version, its clock facts), learned from Flask's latest answer.
        self.facts: tuple[int, ClockFacts | None] = (0, None)
        #: The answers kept for replay: keys hold the page version, so an entry is never stale,
        #: only evicted (least recently used first) when the entries or bytes are at the bound.
        self.entries = BoundedLRU(
            max_entries=app.config["HOT_CACHE_MAX_ENTRIES"],
            max_bytes=app.config["HOT_CACHE_MAX_BYTES"],
        )

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        wish = read_gzip_wish(environ)
        path = environ.get("PATH_INFO", "")
        known = self.paths.get(path)
        if wish is None or known is None:
            return self._through_flask(environ, start_response, wish)
        clock, names = known
        try:
            state = self.page_state.read()
        except sa.exc.SQLAlchemyError:
            return self._through_flask(environ, start_response, wish)
        version, facts = self.facts
        if clock and (facts is None or version != state.public[0]):
            environ[PAGE_STATE_KEY] = state  # a version whose facts Flask reads first
            return self._through_flask(environ, start_response, wish)
        validator, _ = make_validator(*state.public, clock=clock, now=utcnow(), facts=facts)
        query = make_cache_query(environ.get("QUERY_STRING", ""), names)
        hit = self.entries.get((path, query, validator, wish))
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
        validator, clock, names, version, facts = mark
        path = environ.get("PATH_INFO", "")
        if self.paths.get(path) != (clock, names):
            self.paths.put(path, (clock, names))
        if facts is not None and version >= self.facts[0]:
            self.facts = (version, facts)
        key = (path, make_cache_query(environ.get("QUERY_STRING", ""), names), validator, wish)
        self.entries.put(key, (status, headers, body), len(body) + estimate_size(headers))
        return [body]

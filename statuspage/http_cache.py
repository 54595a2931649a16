"""HTTP caching for every public page, feed and API response.

Validators come from the page version that every write bumps (services/unit.py), not from
hashing bodies: one indexed read tells whether anything changed. Pages show absolute times
only; what else a body reads of the clock is its `Clock` (services/page_clock.py: the local
date, and while some component is not operational, the uptime's last boundary), and the
validator carries exactly that, so an ETag changes only when the body can. Rendered bodies are
kept per (audience, path, query, validator) in Flask-Caching (in-process, or Redis when
STATUSPAGE_REDIS_URL is set), so a burst of identical requests renders once, and a write is
visible on the very next request because the next request carries the new version. Each body
is gzipped once when it is rendered; `cache_hits` replays anonymous hits before Flask.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache, wraps
from typing import ParamSpec
from urllib.parse import parse_qsl, urlencode

from flask import Response, current_app, g, make_response, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.http import http_date, parse_accept_header, quote_etag

from statuspage.database import utcnow
from statuspage.enums import Audience
from statuspage.extensions import cache
from statuspage.services.page.builders import read_clock_facts
from statuspage.services.page_clock import (
    Clock,
    ClockFacts,
    PageClock,
    clock_token,
    make_page_clock,
)
from statuspage.services.site.page_state import get_page_state, remember_page_state

P = ParamSpec("P")
#: WSGI environ key: (validator, clock, query_args, public version, clock facts) of a public
#: answer `cache_hits` may replay.
HIT_MARK = "statuspage.cache_hit"
#: WSGI environ key: the page state `cache_hits` read for a request it then passed to Flask.
PAGE_STATE_KEY = "statuspage.page_state"


def _validator(
    audience: Audience, *, clock: Clock, now: datetime
) -> tuple[str, datetime, int, ClockFacts | None]:
    if PAGE_STATE_KEY in request.environ:
        remember_page_state(request.environ[PAGE_STATE_KEY])
    version, changed_at = get_page_state(audience)
    facts = None if not clock else read_clock_facts(audience, with_sla=Clock.SLA in clock)
    g.page_now, g.page_facts = now, facts  # the view's page clock reads the same
    validator, last_modified = make_validator(
        version, changed_at, clock=clock, now=now, facts=facts
    )
    return validator, last_modified, version, facts


def make_validator(
    version: int,
    changed_at: datetime,
    *,
    clock: Clock,
    now: datetime,
    facts: ClockFacts | None,
) -> tuple[str, datetime]:
    """(ETag value, Last-Modified) of a response rendered at page *version*, at *now*."""
    if not clock or facts is None:
        return f"v{version}", changed_at
    token, since = clock_token(clock, now, facts)
    return f"v{version}{token}", max(changed_at, since) if since else changed_at


def request_now() -> datetime:
    """The instant this request's validator was made at (what its body may be rendered at)."""
    now: datetime | None = g.get("page_now")
    return now or utcnow()


def request_clock(audience: Audience) -> PageClock:
    """The page clock a view renders with: the instant and facts its validator was made of."""
    facts: ClockFacts | None = g.get("page_facts")
    return make_page_clock(request_now(), facts or read_clock_facts(audience))


def _not_modified(validator: str, last_modified: datetime) -> str | None:
    """The ETag the reader's copy has when it is current (plain or gzipped), else None."""
    if request.if_none_match:
        for tag in (validator, f"{validator}-gz"):
            if request.if_none_match.contains(tag):
                return tag
        return None
    since = request.if_modified_since
    if since is not None and last_modified.replace(microsecond=0) <= since:
        return validator
    return None


@lru_cache(maxsize=8)
def _cache_control(audience: Audience, seconds: int) -> str:
    scope = "public" if audience is Audience.PUBLIC else "private"
    return (
        f"{scope}, max-age={seconds}, stale-while-revalidate={max(30, seconds * 2)}, "
        "stale-if-error=86400"
    )


def _finish(
    response: Response,
    validator: str,
    last_modified: datetime,
    audience: Audience,
) -> Response:
    """Validators and freshness, written as plain header strings (this runs on every hit)."""
    headers = response.headers
    headers["ETag"] = quote_etag(validator)
    headers["Last-Modified"] = http_date(last_modified)
    headers["Cache-Control"] = _cache_control(audience, current_app.config["CACHE_SECONDS"])
    headers["Vary"] = ", ".join(
        dict.fromkeys([*filter(None, headers.get("Vary", "").split(", ")), "Accept-Encoding"])
    )
    return response


def make_cache_query(query: str, names: tuple[str, ...]) -> str:
    """The part of a query string a cache key holds: the first value (what the view reads) of
    each argument the view reads, in a fixed order. Anything else, such as `?x=<random>` or
    a credential like `?token=`, shares the entry of the URL without it, so made-up query
    strings cannot multiply the entries, and no secret is kept in a key."""
    if not names or not query:
        return ""
    values: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key in names:
            values.setdefault(key, value)
    return urlencode([(name, values[name]) for name in names if name in values])


COMPRESSIBLE = (
    "text/",
    "application/json",
    "application/atom+xml",
    "application/rss+xml",
    "application/xml",
    "image/svg+xml",
)
#: Bodies smaller than this are sent as they are: gzip would not pay for its header.
MIN_COMPRESS = 1024

Entry = tuple[bytes, bytes | None, int, list[tuple[str, str]]]


def _make_entry(response: Response) -> Entry:
    """The body as rendered and gzipped once, so a burst of readers costs no compression."""
    body = response.get_data()
    compressible = (response.mimetype or "").startswith(COMPRESSIBLE)
    packed = gzip.compress(body, 6, mtime=0) if compressible and len(body) >= MIN_COMPRESS else None
    headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
    return body, packed, response.status_code, headers


@lru_cache(maxsize=256)
def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding value takes gzip, read as HTTP reads it (werkzeug's parser:
    any case and spacing, q-values, `gzip;q=0`, `*`). The one place the choice is made: Flask's
    answers and the WSGI replay layer (`cache_hits`) both ask it, so they never disagree."""
    return parse_accept_header(accept_encoding or "")["gzip"] > 0


def _wants_gzip() -> bool:
    return accepts_gzip(request.headers.get("Accept-Encoding"))


def _from_entry(entry: Entry, packed: bool) -> Response:
    body, gzipped, status, headers = entry
    if packed and gzipped is not None:
        return Response(gzipped, status=status, headers=[*headers, ("Content-Encoding", "gzip")])
    return Response(body, status=status, headers=headers)


def cached_response(
    *,
    audience: Audience = Audience.PUBLIC,
    clock: Clock = Clock.DAY,
    query_args: tuple[str, ...] = (),
    ignore_args: tuple[str, ...] = (),
    personal: bool = False,
) -> Callable[[Callable[P, ResponseReturnValue]], Callable[P, Response]]:
    """Serve the view through the page-version cache, answering 304 when nothing changed.

    *query_args* names every query argument the view reads: only those are in the cache key.
    *ignore_args* are read before the cache (a credential): such answers are never replayed.
    *clock* is what the body reads of the clock besides its data (services/page_clock.py):
    the validator carries exactly that.

    Internal responses are `Cache-Control: private`; whoever may read them is checked before
    this decorator runs, as the cached body is shared by every reader of that audience.
    Readers that accept gzip get the body compressed once when it was rendered, under the
    validator with `-gz` appended (a strong ETag names one representation).
    A *personal* answer (the staff console's "assigned to me") is cached and validated per
    signed-in user: the user's id is part of the validator.
    """

    def decorator(view: Callable[P, ResponseReturnValue]) -> Callable[P, Response]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> Response:
            validator, last_modified, version, facts = _validator(
                audience, clock=clock, now=utcnow()
            )
            if personal:
                validator = f"{validator}-u{current_user.id}"
            current = _not_modified(validator, last_modified)
            if current is not None:
                return _finish(Response(status=304), current, last_modified, audience)
            query = make_cache_query(request.query_string.decode("latin-1"), query_args)
            key = f"response:{audience.value}:{request.path}?{query}:{validator}"
            entry = cache.get(key)
            if entry is None:
                rendered = make_response(view(*args, **kwargs))
                if rendered.status_code != 200 or rendered.is_streamed:
                    return rendered
                entry = _make_entry(rendered)
                cache.set(key, entry, timeout=max(60, 4 * current_app.config["CACHE_SECONDS"]))
            if audience is Audience.PUBLIC and not ignore_args and request.method == "GET":
                request.environ[HIT_MARK] = (validator, clock, query_args, version, facts)
            packed = entry[1] is not None and _wants_gzip()
            response = _from_entry(entry, packed)
            return _finish(
                response, f"{validator}-gz" if packed else validator, last_modified, audience
            )

        return wrapped

    return decorator

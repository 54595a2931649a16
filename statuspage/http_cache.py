"""HTTP caching for every public page, feed and API response.

Validators come from the page version that every write bumps (services/unit.py), not from
hashing bodies: one indexed read tells whether anything changed. HTML pages also show times
relative to now ("42 min ago"), so their validator adds the current minute. Rendered bodies are
kept per (audience, path, query, validator) in Flask-Caching (in-process, or Redis when
STATUSPAGE_REDIS_URL is set), so a burst of identical requests renders once, and a write is
visible on the very next request because the next request carries the new version.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Response, current_app, make_response, request

from statuspage.database import utcnow
from statuspage.enums import Audience
from statuspage.extensions import cache
from statuspage.services.site import get_page_state

F = TypeVar("F", bound=Callable[..., Any])


def _validator(*, time_sensitive: bool, now: datetime) -> tuple[str, datetime]:
    version, changed_at = get_page_state()
    if not time_sensitive:
        return f"v{version}", changed_at
    minute = now.replace(second=0, microsecond=0)
    return f"v{version}-m{int(minute.timestamp()) // 60}", max(changed_at, minute)


def _not_modified(validator: str, last_modified: datetime) -> bool:
    if request.if_none_match:
        return request.if_none_match.contains(validator)
    since = request.if_modified_since
    return since is not None and last_modified.replace(microsecond=0) <= since


def _finish(
    response: Response, validator: str, last_modified: datetime, audience: Audience
) -> Response:
    seconds = current_app.config["CACHE_SECONDS"]
    response.set_etag(validator)
    response.last_modified = last_modified
    control = response.cache_control
    if audience is Audience.PUBLIC:
        control.public = True
    else:
        control.private = True
    control.max_age = seconds
    control.stale_while_revalidate = max(30, seconds * 2)
    control.stale_if_error = 86400
    return response


def _cache_query(ignored: tuple[str, ...]) -> str:
    """The query string the cache key holds: without *ignored* arguments (credentials such as
    ?token=, checked before the cache and never stored in a key)."""
    if not ignored:
        return request.query_string.decode("latin-1")
    kept = [(k, v) for k, v in request.args.items(multi=True) if k not in ignored]
    return urlencode(kept)


def cached_response(
    *,
    audience: Audience = Audience.PUBLIC,
    time_sensitive: bool = True,
    ignore_args: tuple[str, ...] = (),
) -> Callable[[F], F]:
    """Serve the view through the page-version cache, answering 304 when nothing changed.

    Internal responses are `Cache-Control: private`; whoever may read them is checked before
    this decorator runs, as the cached body is shared by every reader of that audience.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Response:
            validator, last_modified = _validator(time_sensitive=time_sensitive, now=utcnow())
            if _not_modified(validator, last_modified):
                response = Response(status=304)
                return _finish(response, validator, last_modified, audience)
            query = _cache_query(ignore_args)
            key = f"response:{audience.value}:{request.path}?{query}:{validator}"
            entry = cache.get(key)
            if entry is None:
                response = make_response(view(*args, **kwargs))
                if response.status_code == 200 and not response.is_streamed:
                    entry = (response.get_data(), response.status_code, response.content_type,
                             dict(response.headers.items()))  # fmt: skip
                    cache.set(key, entry, timeout=max(60, 4 * current_app.config["CACHE_SECONDS"]))
            else:
                body, status, content_type, headers = entry
                response = Response(body, status=status, content_type=content_type)
                for name, value in headers.items():
                    if name.lower() not in ("content-length", "content-type"):
                        response.headers[name] = value
            if response.status_code != 200:
                return response
            return _finish(response, validator, last_modified, audience)

        return wrapped  # type: ignore[return-value]

    return decorator

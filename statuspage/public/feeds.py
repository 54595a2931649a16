"""Public feeds: history as Atom, RSS and JSON Feed (whole page and per component), maintenance
as iCal."""

from __future__ import annotations

from flask import abort, current_app, request, url_for
from werkzeug.wrappers import Response

from statuspage import feeds, ical
from statuspage.database import utcnow
from statuspage.enums import Audience
from statuspage.http_cache import cached_response
from statuspage.public.blueprint import bp
from statuspage.security import token_reader_required
from statuspage.services.page.history import build_notice_feed, list_calendar_windows
from statuspage.services.page_clock import Clock
from statuspage.services.site.settings import get_site_settings


def _feed(audience: Audience, fmt: feeds.FeedFormat, component_id: str | None = None) -> Response:
    """One feed for one audience; 404 when the component is not one this audience can see."""
    source = build_notice_feed(
        audience, limit=current_app.config["FEED_ITEMS"], component_id=component_id
    )
    if source is None:
        abort(404)
    settings = get_site_settings()
    internal = audience is Audience.INTERNAL
    if source.component is None:
        page_path = url_for("public.internal_index" if internal else "public.index")
    else:
        page_path = url_for("public.history", component=source.component.id)
    body = feeds.build_feed(
        source.notices,
        fmt=fmt,
        audience=audience,
        settings=settings,
        title=feeds.feed_title(settings, source.component, audience),
        self_path=request.path,
        page_url=settings.absolute_url(page_path),
        empty_updated=source.changed_at,
    )
    return Response(body, content_type=feeds.CONTENT_TYPES[fmt])


@bp.get("/history.<any(atom, rss, json):fmt>")
@cached_response(clock=Clock.NONE)
def history_feed(fmt: feeds.FeedFormat) -> Response:
    return _feed(Audience.PUBLIC, fmt)


@bp.get("/internal/history.<any(atom, rss, json):fmt>")
@token_reader_required(as_json=False)
@cached_response(audience=Audience.INTERNAL, clock=Clock.NONE, ignore_args=("token",))
def internal_history_feed(fmt: feeds.FeedFormat) -> Response:
    """The internal history for feed readers, which cannot sign in: a feed token in the URL or
    an API token; internal incidents and maintenance included, internal notes never."""
    return _feed(Audience.INTERNAL, fmt)


@bp.get("/components/<id:component_id>/history.<any(atom, rss, json):fmt>")
@cached_response(clock=Clock.NONE)
def component_history_feed(component_id: str, fmt: feeds.FeedFormat) -> Response:
    return _feed(Audience.PUBLIC, fmt, component_id)


@bp.get("/maintenance.ics")
@cached_response(clock=Clock.NONE)
def maintenance_calendar() -> Response:
    """Upcoming and recent windows, for calendar apps to subscribe to."""
    windows = list_calendar_windows(Audience.PUBLIC, now=utcnow())
    body = ical.build_calendar(windows, audience=Audience.PUBLIC, settings=get_site_settings())
    return Response(body, content_type=ical.CONTENT_TYPE)

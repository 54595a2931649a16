"""Status badges: `/badge.svg` and `/badge.json` for the page, the same under
`/components/<id>/` for each public component, cached and validated like every public read."""

from __future__ import annotations

import json
from typing import cast

from flask import abort
from werkzeug.wrappers import Response

from statuspage.badges import (
    CONTENT_TYPE,
    STYLES,
    BadgeStyle,
    badge_endpoint_json,
    render_badge_svg,
)
from statuspage.database import utcnow
from statuspage.http_cache import cached_response
from statuspage.params import choice_arg, text_arg
from statuspage.public.blueprint import bp
from statuspage.services.page.badges import Badge, build_component_badge, build_page_badge
from statuspage.services.page_clock import Clock

#: The query arguments a badge reads, the only ones in its cache key.
BADGE_ARGS = ("style", "label")
#: A label longer than this is refused (400), never cut.
MAX_LABEL = 64


def _answer(badge: Badge, fmt: str) -> Response:
    style = cast(BadgeStyle | None, choice_arg("style", STYLES))
    badge = badge.relabelled(text_arg("label", MAX_LABEL))
    if fmt == "json":
        body = json.dumps(badge_endpoint_json(badge, style), ensure_ascii=False)
        return Response(body, content_type="application/json; charset=utf-8")
    return Response(render_badge_svg(badge, style or "flat"), content_type=CONTENT_TYPE)


@bp.get("/badge.<any(svg, json):fmt>")
@cached_response(clock=Clock.NONE, query_args=BADGE_ARGS)
def page_badge(fmt: str) -> Response:
    """The page's status, as the banner says it."""
    return _answer(build_page_badge(now=utcnow()), fmt)


@bp.get("/components/<id:component_id>/badge.<any(svg, json):fmt>")
@cached_response(clock=Clock.NONE, query_args=BADGE_ARGS)
def component_badge(component_id: str, fmt: str) -> Response:
    """One public component's status; any other id is the site's plain 404."""
    badge = build_component_badge(component_id)
    if badge is None:
        abort(404)
    return _answer(badge, fmt)

"""`/metrics`: the Prometheus text format, for a scraper on the allow-list or with a token.

Staff-only numbers (internal statuses, open internal incidents, the outbox), so it is never
public: an address in STATUSPAGE_METRICS_ALLOW, or an API token whose scope covers metrics
(a metrics token, or an admin one) as `Authorization: Bearer`. Never cached by anyone.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from statuspage.enums import TokenScope
from statuspage.error_pages import json_error
from statuspage.security import bearer_challenge, bearer_token
from statuspage.services.accounts import api_tokens
from statuspage.services.metrics.access import address_allowed, parse_networks
from statuspage.services.metrics.exposition import render_metrics

bp = Blueprint("metrics", __name__)


def _refused(status: int, message: str, error: str | None) -> Response:
    response = json_error(status, message)
    scope = TokenScope.METRICS.value if status == 403 else None
    response.headers["WWW-Authenticate"] = bearer_challenge(error, scope)
    response.headers["Cache-Control"] = "no-store"
    return response


def _access_refused() -> Response | None:
    """None when the caller may scrape; otherwise the 401 or 403 that says why not."""
    networks = parse_networks(current_app.config.get("METRICS_ALLOW"))
    if address_allowed(request.remote_addr, networks):
        return None
    secret = bearer_token()
    try:
        token = api_tokens.authenticate_token(secret)
    except api_tokens.TokenRefused as refused:
        return _refused(401, refused.message, "invalid_token" if secret else None)
    if not token.allows(TokenScope.METRICS):
        return _refused(
            403,
            f"This token's scope is {token.scope.value}; /metrics needs a metrics or admin token.",
            "insufficient_scope",
        )
    return None


@bp.route("/metrics")
def metrics() -> Response:
    """Every family, read now, for whoever may scrape."""
    refused = _access_refused()
    if refused is not None:
        return refused
    response = Response(render_metrics(), content_type=CONTENT_TYPE_PLAIN_0_0_4)
    response.headers["Cache-Control"] = "no-store"
    return response

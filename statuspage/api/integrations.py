"""Monitoring webhooks at /api/integrations: Alertmanager, Grafana and the generic body.

Authorised by the integration's secret (a bearer header; the generic webhook may sign its
body with it instead), never by cookies, so exempt from CSRF. The secret names the integration
and its kind must be the endpoint's. Answers JSON: 401 for a wrong secret, 400 naming what is
wrong with a body, 413 for an oversize one, 200 with what was applied and which component
labels matched nothing (they are recorded for admins, not dropped).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, request

from statuspage.enums import IntegrationKind
from statuspage.error_pages import json_error
from statuspage.extensions import limiter
from statuspage.limits import MAX_INTEGRATION_BODY
from statuspage.models import Integration
from statuspage.security import bearer_challenge, bearer_token
from statuspage.services.automation import integrations as service
from statuspage.services.automation.ingest import receive_alerts
from statuspage.services.automation.payloads import PayloadRefused
from statuspage.services.errors import ServiceError

bp = Blueprint("integrations", __name__, url_prefix="/api/integrations")

SIGNATURE_HEADER = "X-Statuspage-Signature"
TIMESTAMP_HEADER = "X-Statuspage-Timestamp"
INTEGRATION_HEADER = "X-Statuspage-Integration"


class BodyTooLarge(Exception):
    """A body over MAX_INTEGRATION_BODY: 413."""


def _rate_limit() -> str:
    return str(current_app.config["INTEGRATION_RATE_LIMIT"])


@bp.errorhandler(ServiceError)
def service_error(error: ServiceError) -> Response:
    response = _no_store(json_error(error.status_code, error.message))
    if error.status_code == 401:
        response.headers["WWW-Authenticate"] = bearer_challenge("invalid_token")
    return response


@bp.errorhandler(BodyTooLarge)
@bp.errorhandler(413)
def too_large(error: Exception) -> Response:
    return _no_store(
        json_error(413, f"The body is larger than {MAX_INTEGRATION_BODY // 1024} KiB.")
    )


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _json(data: Any) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return _no_store(Response(body, status=200, content_type="application/json"))


def _read_body() -> bytes:
    """The raw body, at most MAX_INTEGRATION_BODY bytes (read no further than one past it)."""
    if (request.content_length or 0) > MAX_INTEGRATION_BODY:
        raise BodyTooLarge
    raw = request.stream.read(MAX_INTEGRATION_BODY + 1)
    if len(raw) > MAX_INTEGRATION_BODY:
        raise BodyTooLarge
    return raw


def _authenticate(kind: IntegrationKind, raw: bytes) -> Integration:
    secret = bearer_token()
    if secret is None and kind.accepts_signature and SIGNATURE_HEADER in request.headers:
        return service.authenticate_signature(
            request.headers.get(INTEGRATION_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            request.headers.get(TIMESTAMP_HEADER),
            raw,
        )
    return service.authenticate_bearer(secret, kind)


def _receive(kind: IntegrationKind) -> Response:
    """Authenticate, then apply the body; a refused body is counted against the integration."""
    raw = _read_body()
    integration = _authenticate(kind, raw)
    try:
        report = receive_alerts(integration, raw)
    except PayloadRefused:
        service.count_rejection(integration)
        raise
    return _json(report.as_json())


@bp.post("/alertmanager")
@limiter.limit(_rate_limit)
def alertmanager() -> Response:
    return _receive(IntegrationKind.ALERTMANAGER)


@bp.post("/grafana")
@limiter.limit(_rate_limit)
def grafana() -> Response:
    return _receive(IntegrationKind.GRAFANA)


@bp.post("/webhook")
@limiter.limit(_rate_limit)
def webhook() -> Response:
    return _receive(IntegrationKind.GENERIC)

"""Error pages in the page's style, and JSON errors under the APIs."""

from __future__ import annotations

import json

from flask import Flask, Response, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from statuspage.extensions import db

_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    409: "Changed meanwhile",
    413: "Request too large",
    422: "Invalid input",
    429: "Too many requests",
    500: "Something went wrong",
}


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/internal/api/")) or request.path.endswith(".json")


def render_error(code: int, message: str | None = None) -> tuple[str | Response, int]:
    title = _TITLES.get(code, "Error")
    if request.path.startswith("/api/v2/") and code == 404:
        return Response(b"", status=404, content_type="application/json"), 404
    if _wants_json():
        return json_error(code, message or title), code
    template = "errors/404.html" if code == 404 else "errors/error.html"
    return render_template(template, code=code, title=title, message=message), code


def json_error(code: int, message: str, *, fields: dict[str, list[str]] | None = None) -> Response:
    """The one JSON error shape of every API: {"error": {"status", "message", "fields"?}}."""
    error: dict[str, object] = {"status": code, "message": message}
    if fields:
        error["fields"] = fields
    return Response(
        json.dumps({"error": error}, ensure_ascii=False),
        status=code,
        content_type="application/json",
    )


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str | Response, int]:
        return render_error(
            400, "This form has expired or was not sent from this site. Reload it and try again."
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response | HTTPException:
        if error.code is None or error.code < 400:
            return error
        message = None
        if error.code in (400, 401, 403, 413, 422, 429):
            message = error.description
        response = make_response(render_error(error.code, message))
        # Keep what the exception says about itself: Allow on 405, Retry-After on 429, ...
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(StaleDataError)
    def changed_meanwhile(error: StaleDataError) -> tuple[str | Response, int]:
        """Two writers raced for the same row; the loser retries with fresh data."""
        db.session.rollback()
        return render_error(
            409, "Someone else changed this at the same moment. Reload the page and try again."
        )

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> tuple[str | Response, int]:
        db.session.rollback()
        return render_error(500)

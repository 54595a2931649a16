"""Role checks, safe redirects and the security headers every response carries."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeGuard
from urllib.parse import urlsplit

from flask import Flask, Response, abort, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from statuspage.enums import Role, TokenScope, Via
from statuspage.error_pages import json_error
from statuspage.services.accounts import api_tokens
from statuspage.services.unit import Actor

P = ParamSpec("P")
#: A view function: its arguments are the URL values, its result anything Flask answers with.
View = Callable[P, ResponseReturnValue]

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def role_required(role: Role) -> Callable[[View[P]], View[P]]:
    """Anonymous -> login page; signed in without *role* -> 403. Checked on every request."""

    def decorator(view: View[P]) -> View[P]:
        @wraps(view)
        @login_required
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None without one."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def bearer_challenge(error: str | None = None, scope: str | None = None) -> str:
    """The RFC 6750 WWW-Authenticate value a 401 (or an insufficient scope 403) carries."""
    parts = ['Bearer realm="statuspage"']
    if error:
        parts.append(f'error="{error}"')
    if scope:
        parts.append(f'scope="{scope}"')
    return ", ".join(parts)


def token_reader_required(*, as_json: bool) -> Callable[[View[P]], View[P]]:
    """The internal feeds and JSON: a feed token in `?token=`, else an API token (any scope) as
    `Authorization: Bearer`; 401 without one. Put it above `cached_response`, so the check runs
    before any cached body is served and the cache never decides who may read."""

    def decorator(view: View[P]) -> View[P]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            secret = bearer_token()
            if "token" not in request.args and secret is None:
                return _unauthorized(
                    "This needs a token: add ?token= with the feed token from your account "
                    "page, or send an API token as 'Authorization: Bearer <token>'.",
                    as_json=as_json,
                )
            try:
                if "token" in request.args:
                    api_tokens.authenticate_feed_token(request.args["token"])
                elif not api_tokens.authenticate_token(secret).allows(TokenScope.READ):
                    return _forbidden(
                        "This API token may only read /metrics: use a read token.",
                        as_json=as_json,
                    )
            except api_tokens.TokenRefused as refused:
                return _unauthorized(refused.message, as_json=as_json, invalid=True)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _forbidden(message: str, *, as_json: bool) -> Response:
    """A 403 for a live token whose scope does not reach this page; no cache keeps it."""
    if as_json:
        response = json_error(403, message)
    else:
        response = Response(message + "\n", status=403, content_type="text/plain; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


def _unauthorized(message: str, *, as_json: bool, invalid: bool = False) -> Response:
    """A 401 that no cache keeps: JSON under the APIs, a line of text for feed readers."""
    if as_json:
        response = json_error(401, message)
    else:
        response = Response(message + "\n", status=401, content_type="text/plain; charset=utf-8")
    response.headers["WWW-Authenticate"] = bearer_challenge("invalid_token" if invalid else None)
    response.headers["Cache-Control"] = "no-store"
    return response


def current_actor(via: Via = Via.UI) -> Actor:
    """The signed-in user as the actor services record, with the client's address."""
    return Actor.of(current_user, via=via, ip=request.remote_addr)


def is_safe_redirect_url(target: str | None) -> TypeGuard[str]:
    """Only local absolute paths such as "/admin/incidents/x" (Flask-Login's `next`)."""
    if not target or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return False  # browsers drop tabs and newlines: "/\t/evil.com" becomes "//evil.com"
    target = target.replace("\\", "/")  # browsers read "/\evil.com" as "//evil.com"
    parts = urlsplit(target)
    return (
        target.startswith("/")
        and not target.startswith("//")
        and not parts.netloc
        and not parts.scheme
    )


def register_security(app: Flask) -> None:
    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure or app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

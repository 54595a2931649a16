"""Sign in and out."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from statuspage.auth.forms import ConfirmForm, LoginForm, PasswordForm
from statuspage.database import utcnow
from statuspage.enums import Role
from statuspage.extensions import limiter
from statuspage.security import current_actor, is_safe_redirect_url
from statuspage.services.accounts import api_tokens, sessions, users
from statuspage.services.accounts import login as login_service
from statuspage.services.errors import ServiceError
from statuspage.services.site.settings import get_site_settings

bp = Blueprint("auth", __name__)


def _landing() -> str:
    if current_user.has_role(Role.EDITOR):
        return url_for("admin.dashboard")
    return url_for("public.internal_index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    methods=["POST"],
    error_message="Too many sign-in attempts from your network. Wait a minute and try again.",
)
def login() -> Response | tuple[str, int] | str:
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_user.is_authenticated:
            return redirect(_safe_next(form.next.data) or _landing())
        return render_template("auth/login.html", form=form)
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400
    outcome = login_service.attempt_login(
        form.email.data or "",
        form.password.data or "",
        source=request.remote_addr,
        remember=bool(form.remember.data),
        user_agent=request.user_agent.string,
        now=utcnow(),
    )
    if outcome.user is not None:
        login_user(outcome.user, remember=form.remember.data)
        return redirect(_safe_next(form.next.data) or _landing())
    if outcome.wait_seconds is None:
        form.password.errors = ["Wrong email or password."]
        return render_template("auth/login.html", form=form), 401
    return _locked_out(form, outcome.wait_seconds)


def _locked_out(form: LoginForm, wait: int) -> Response:
    """429 with how long to wait, in words and in Retry-After."""
    response = make_response(
        render_template("auth/locked.html", wait=_wait_text(wait), email=form.email.data), 429
    )
    response.headers["Retry-After"] = str(wait)
    return response


def _wait_text(seconds: int) -> str:
    """ "40 seconds", "15 minutes": how long the sign-in page asks someone to wait."""
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minutes"


def _safe_next(target: str | None) -> str | None:
    return target if is_safe_redirect_url(target) else None


@bp.post("/logout")
@login_required
def logout() -> Response:
    sessions.sign_out(current_user.session_secret)
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("public.index"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> Response | tuple[str, int]:
    """Change your own password; every other session of yours ends."""
    form = PasswordForm()
    if form.validate_on_submit():
        if users.authenticate(current_user.email, form.current_password.data or "") is None:
            form.current_password.errors = ["That is not your current password."]
        else:
            try:
                users.set_password(current_user, form.password.data or "", actor=current_actor())
            except ServiceError as error:
                form.password.errors = [error.message]
            else:
                flash("Password changed. Your other sessions have been signed out.", "success")
                return redirect(url_for("auth.account"))
    status = 422 if form.is_submitted() else 200
    return _account_page(form), status


def _account_page(form: PasswordForm, feed_secret: str | None = None) -> str:
    return render_template(
        "auth/account.html",
        form=form,
        feed_secret=feed_secret,
        feed_urls=_feed_urls(feed_secret) if feed_secret else {},
    )


def _feed_urls(secret: str) -> dict[str, str]:
    """The internal feeds on the page's public address, each carrying the feed token."""
    site = get_site_settings()
    return {
        "Atom": site.url_for("public.internal_history_feed", fmt="atom", token=secret),
        "RSS": site.url_for("public.internal_history_feed", fmt="rss", token=secret),
        "JSON summary": site.url_for("api.internal_summary", token=secret),
    }


@bp.post("/account/feed-token")
@login_required
def rotate_feed_token() -> Response | tuple[str, int]:
    """Make (or replace) your feed token and show it once, with the feed addresses."""
    if not ConfirmForm().validate_on_submit():
        flash("Invalid request.", "error")
        return redirect(url_for("auth.account"))
    secret = api_tokens.rotate_feed_token(current_user, actor=current_actor())
    response = make_response(_account_page(PasswordForm(formdata=None), feed_secret=secret))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/feed-token/revoke")
@login_required
def revoke_feed_token() -> Response:
    if not ConfirmForm().validate_on_submit():
        flash("Invalid request.", "error")
        return redirect(url_for("auth.account"))
    try:
        api_tokens.revoke_feed_token(current_user, actor=current_actor())
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash("Feed token revoked: feed readers using it get no more updates.", "success")
    return redirect(url_for("auth.account"))

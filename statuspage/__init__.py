"""The status page application: create_app() wires config, extensions, blueprints and CLI."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.routing import BaseConverter

from statuspage.config_check import check_config
from statuspage.database import ID_REGEX

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: str | dict[str, Any] | None = None) -> Flask:
    """Build the app. *config* is a config class path or a mapping of overrides (tests).

    Starts nothing: no scheduler, no migrations, no network.
    """
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
    )
    overrides: dict[str, Any] = {}
    if isinstance(config, dict):
        overrides = config
        config = overrides.get("CONFIG_CLASS")
    app.config.from_object(config or os.environ.get("STATUSPAGE_CONFIG", "config.ProductionConfig"))
    if not app.testing:
        app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("STATUSPAGE")
    app.config.update(overrides)
    _finish_config(app)

    _register_extensions(app)
    from statuspage.mail import make_mailer

    app.extensions["mailer"] = make_mailer(app)
    from statuspage.templating import register_template_helpers

    register_template_helpers(app)
    _register_blueprints(app)
    from statuspage.error_pages import register_error_handlers

    register_error_handlers(app)
    from statuspage.cli import register_commands

    register_commands(app)
    from statuspage.security import register_security

    register_security(app)
    from statuspage.cache_hits import CacheHitServer

    # Flask's documented way to wrap the WSGI app; mypy forbids assigning to a method.
    app.wsgi_app = CacheHitServer(app, app.wsgi_app)  # type: ignore[method-assign]
    return app


def _finish_config(app: Flask) -> None:
    """Derive what depends on other settings; refuse to run without a secret key or with a
    setting that would fail at request time."""
    config = app.config
    check_config(config)
    if not config.get("SECRET_KEY") and config.get("GENERATE_SECRET_KEY"):
        config["SECRET_KEY"] = _local_secret_key(Path(app.instance_path))
    if not config.get("SECRET_KEY"):
        raise RuntimeError(
            "No secret key: set STATUSPAGE_SECRET_KEY (e.g. python -c 'import secrets; "
            "print(secrets.token_hex(32))')"
        )
    uri = config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):
        config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri[len("postgres://") :]
    elif uri.startswith("postgresql://"):
        config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri[len("postgresql://") :]
    if config.get("SESSION_COOKIE_SECURE") is None:
        secure = str(config["BASE_URL"]).startswith("https://")
        config["SESSION_COOKIE_SECURE"] = secure
        config["REMEMBER_COOKIE_SECURE"] = secure
    if config.get("REDIS_URL"):
        config.setdefault("CACHE_TYPE", "RedisCache")
        config.setdefault("CACHE_REDIS_URL", config["REDIS_URL"])
        config.setdefault("RATELIMIT_STORAGE_URI", config["REDIS_URL"])
    else:
        config.setdefault("CACHE_TYPE", "statuspage.bounded_cache.BoundedCache")
        config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    config.setdefault("CACHE_DEFAULT_TIMEOUT", config["CACHE_SECONDS"])
    config.setdefault("CACHE_KEY_PREFIX", f"statuspage:{config['PAGE_ID']}:")


def _local_secret_key(instance: Path) -> str:
    """A per-checkout development key in instance/ (git-ignored), made on first run."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _register_extensions(app: Flask) -> None:
    from statuspage import models
    from statuspage.extensions import cache, csrf, db, limiter, login_manager

    db.init_app(app)
    csrf.init_app(app)
    cache.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(secret: str) -> models.User | None:
        """Cookies carry a session secret; the session row on the server decides."""
        from statuspage.services.accounts.sessions import load_session_user

        return load_session_user(secret)


class PublicIdConverter(BaseConverter):
    """`<id:...>`: the 12-character [a-z0-9] ids; anything else is a 404 before any query."""

    regex = ID_REGEX


def _register_blueprints(app: Flask) -> None:
    app.url_map.converters["id"] = PublicIdConverter
    from statuspage.admin import bp as admin_bp
    from statuspage.api.integrations import bp as integrations_bp
    from statuspage.api.manage import bp as manage_bp
    from statuspage.api.metrics import bp as metrics_bp
    from statuspage.api.v2 import bp as api_bp
    from statuspage.auth.views import bp as auth_bp
    from statuspage.extensions import csrf
    from statuspage.public import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(api_bp)
    # Authorised by API tokens in a header, never by cookies: no cross-site request can use it.
    csrf.exempt(manage_bp)
    app.register_blueprint(manage_bp)
    app.register_blueprint(metrics_bp)
    # Authorised by an integration's secret (a header or a body signature), never by cookies.
    csrf.exempt(integrations_bp)
    app.register_blueprint(integrations_bp)

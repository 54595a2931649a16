"""The schema's migrations (Alembic, through Flask-Migrate), bound only in the processes that
migrate: importing them costs a web worker about 11 MB it would never use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo

from statuspage.extensions import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def bind_migrations(app: Flask) -> None:
    """Give *app* Flask-Migrate's extension (what `flask db` and `migrations/env.py` read)."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(MIGRATIONS))


def upgrade_schema(revision: str = "head") -> None:
    """Migrate the current app's database to *revision*, as `flask db upgrade` does."""
    import flask_migrate

    bind_migrations(current_app._get_current_object())  # type: ignore[attr-defined]
    flask_migrate.upgrade(directory=str(MIGRATIONS), revision=revision)


def downgrade_schema(revision: str) -> None:
    """Migrate the current app's database back to *revision*."""
    import flask_migrate

    bind_migrations(current_app._get_current_object())  # type: ignore[attr-defined]
    flask_migrate.downgrade(directory=str(MIGRATIONS), revision=revision)


class MigrationsGroup(click.Group):
    """`flask db`: Flask-Migrate's own group, loaded (and bound to the app) when it is used,
    not when the CLI lists its commands."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        from flask_migrate.cli import db as commands  # type: ignore[import-not-found]

        if parent is not None:
            bind_migrations(parent.ensure_object(ScriptInfo).load_app())
        return commands.make_context(info_name, args, parent=parent, **extra)


migrations_cli = MigrationsGroup("db", help="Perform database migrations.")

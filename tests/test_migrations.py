"""The migrations build exactly the schema the models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from statuspage.extensions import db
from tests.conftest import is_postgres, make_app


@pytest.mark.skipif(
    is_postgres(), reason="on PostgreSQL the whole suite runs on the migrated schema"
)
def test_upgrade_on_a_fresh_sqlite_file_matches_the_models(tmp_path):
    from statuspage.schema import downgrade_schema, upgrade_schema

    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'fresh.db'}")
    with app.app_context():
        upgrade_schema()
        _assert_no_difference()
        _assert_the_default_templates()
        downgrade_schema("base")
        db.engine.dispose()


@pytest.mark.skipif(not is_postgres(), reason="needs TEST_DATABASE_URL")
def test_migrated_postgres_schema_matches_the_models(app):
    _assert_no_difference()


def _assert_no_difference():
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def _assert_the_default_templates():
    """A fresh install has the six default response templates, word for word the service's
    (the migration keeps its own copy, so a change to the defaults needs a migration too)."""
    import sqlalchemy as sa

    from statuspage.models import ResponseTemplate
    from statuspage.services.response.templates import DEFAULT_TEMPLATES

    rows = db.session.scalars(sa.select(ResponseTemplate)).all()
    written = {(t.name, t.kind, t.incident_status, t.impact, t.title, t.body) for t in rows}
    shipped = {(d.name, d.kind, d.status, d.impact, d.title, d.body) for d in DEFAULT_TEMPLATES}
    assert written == shipped and len(rows) == 6
    db.session.remove()

"""Cache hits read the page version on a connection each thread keeps (PageStateReader): a
write still shows on the very next request, and the kept connections go with the engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from statuspage.enums import ComponentStatus
from statuspage.extensions import db
from statuspage.services.components import tree as components
from tests.conftest import ACTOR, make_app


@pytest.fixture
def file_app(tmp_path: Path) -> Iterator[Flask]:
    """The app on a SQLite file, as `make run` and most single-host installs have it."""
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'page.db'}")
    with app.app_context():
        db.create_all()
        components.create_component(name="API", actor=ACTOR)
        yield app
        db.session.remove()
        db.engine.dispose()


def test_a_write_shows_on_the_next_hit_read_on_the_kept_connection(file_app):
    reader = file_app.wsgi_app.page_state
    assert reader.raw
    client = file_app.test_client()
    first = client.get("/")
    assert "Operational" in first.text
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        for _ in range(3):
            hit = client.get("/")
            assert hit.data == first.data
            # The row's values converted as SQLAlchemy converts them for Flask's answer.
            assert hit.headers["Last-Modified"] == first.headers["Last-Modified"]
            assert hit.headers["ETag"] == first.headers["ETag"]
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert statements == []  # read on the kept connection, not through SQLAlchemy
    assert reader.raw_reads == 3
    assert len(reader.kept) == 1
    (api,) = components.list_components()
    components.set_component_status(api, ComponentStatus.MAJOR_OUTAGE, actor=ACTOR)
    after = client.get("/")
    assert after.headers["ETag"] != first.headers["ETag"]
    assert "Major outage" in after.text
    assert len(reader.kept) == 1  # the same connection, read again


def test_disposing_the_engine_closes_the_kept_connections(file_app):
    reader = file_app.wsgi_app.page_state
    client = file_app.test_client()
    client.get("/")
    client.get("/")
    (kept,) = reader.kept
    db.engine.dispose()
    assert reader.kept == [] and not kept.is_valid
    assert client.get("/").status_code == 200  # a new one, on the next hit
    assert len(reader.kept) == 1 and reader.kept[0] is not kept


def test_a_kept_connection_that_broke_is_replaced_and_the_hit_still_answered(file_app):
    reader = file_app.wsgi_app.page_state
    client = file_app.test_client()
    first = client.get("/")
    client.get("/")
    (kept,) = reader.kept
    kept.driver_connection.close()  # as a server restart or a network cut leaves it
    again = client.get("/")
    assert again.status_code == 200 and again.data == first.data
    assert reader.kept == [] and not kept.is_valid  # dropped; this answer read the typed way
    client.get("/")
    assert len(reader.kept) == 1 and reader.kept[0] is not kept

"""The page versions behind every validator: read once per request, bumped by the audit listener."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import g

from statuspage.enums import Audience
from statuspage.extensions import db
from statuspage.models import PageState

_NEVER = datetime(2000, 1, 1, tzinfo=UTC)

_PAGE_STATE_QUERY = sa.select(
    PageState.version,
    PageState.changed_at,
    PageState.internal_version,
    PageState.internal_changed_at,
)


@dataclass(frozen=True)
class PageVersions:
    """(version, changed_at) of what each audience sees: the public one moves only on public
    changes, the internal one on every change."""

    public: tuple[int, datetime]
    internal: tuple[int, datetime]

    def of(self, audience: Audience) -> tuple[int, datetime]:
        return self.public if audience is Audience.PUBLIC else self.internal


def read_page_state(bind: sa.Engine) -> PageVersions:
    """Both versions on a pooled connection, skipping the ORM session: a cache hit needs
    nothing else from the database. A database without the row is at version 1."""
    with bind.connect() as connection:
        row = connection.execute(_PAGE_STATE_QUERY).first()
    return _page_state_from_row(row)


class PageStateReader:
    """The page state for cache hits, read on a DBAPI connection each thread keeps, without
    the pool's checkout or SQLAlchemy's execution (they cost more than the indexed read
    itself, on every hit); the row's values are converted by the columns' own types, once
    per row that changed. The kept connections are closed when *base* (the app's engine) is
    disposed, and left alone in a forked child. An in-memory SQLite database (one shared
    connection) is always read through SQLAlchemy (`read_page_state`)."""

    def __init__(self, engine: sa.Engine, base: sa.Engine) -> None:
        self.engine = engine
        self.sql = str(_PAGE_STATE_QUERY.compile(engine))
        self.local = threading.local()
        memory = engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")
        self.raw = not memory
        self.lock = threading.Lock()
        self.kept: list[Any] = []
        self.generation = 0
        #: Reads on the kept connections (SQLAlchemy's events do not see them).
        self.raw_reads = 0
        self.processors = [
            column.type.dialect_impl(engine.dialect).result_processor(engine.dialect, None)
            for column in _PAGE_STATE_QUERY.selected_columns
        ]
        sa.event.listen(base, "engine_disposed", self.close_all)

    def read(self) -> PageVersions:
        """The current state; SQLAlchemy's errors when the database cannot answer."""
        if not self.raw:
            return read_page_state(self.engine)
        local = self.local
        try:
            row = self._read_raw(local)
        except self.engine.dialect.loaded_dbapi.Error:
            self._drop(local)
            return read_page_state(self.engine)  # answers, or raises SQLAlchemy's error
        if getattr(local, "state", None) is None or row != local.row:
            local.state, local.row = self._convert(row), row
        return local.state

    def _convert(self, row: Any) -> PageVersions:
        if row is None:
            return _page_state_from_row(None)
        values: list[Any] = [
            process(value) if process else value
            for process, value in zip(self.processors, row, strict=True)
        ]
        version, changed_at, internal_version, internal_changed_at = values
        return PageVersions((version, changed_at), (internal_version, internal_changed_at))

    def _read_raw(self, local: threading.local) -> Any:
        connection = getattr(local, "connection", None)
        if connection is not None and local.key != (os.getpid(), self.generation):
            connection = None  # a forked child's copy, or closed by a dispose
        if connection is None:
            connection = self.engine.raw_connection()  # kept by this thread from now on
            if self.engine.dialect.name != "sqlite":
                connection.driver_connection.autocommit = True  # type: ignore[union-attr]
            with self.lock:
                self.kept.append(connection)
                local.connection, local.key = connection, (os.getpid(), self.generation)
        cursor = connection.cursor()
        try:
            cursor.execute(self.sql)
            self.raw_reads += 1
            return cursor.fetchone()
        finally:
            cursor.close()

    def _drop(self, local: threading.local) -> None:
        connection, local.connection = getattr(local, "connection", None), None
        if connection is not None:
            with self.lock:
                if connection in self.kept:
                    self.kept.remove(connection)
            connection.invalidate()

    def close_all(self, *_: Any) -> None:
        """Close every kept connection (the engine is being disposed)."""
        with self.lock:
            kept, self.kept = self.kept, []
            self.generation += 1
        for connection in kept:
            try:
                connection.invalidate()
            except Exception:  # noqa: BLE001 - closing another thread's connection, best effort
                continue


def _page_state_from_row(row: sa.Row | None) -> PageVersions:
    if row is None:
        return PageVersions((1, _NEVER), (1, _NEVER))
    return PageVersions(
        (row.version, row.changed_at), (row.internal_version, row.internal_changed_at)
    )


def remember_page_state(state: PageVersions) -> None:
    """Use a state read moments ago for this request (by `cache_hits`), not a second query."""
    g._page_state = state


def get_page_state(audience: Audience = Audience.PUBLIC) -> tuple[int, datetime]:
    """(version, changed_at) of *audience*: what its caches and ETags are keyed on (read once
    a request)."""
    cached: PageVersions | None = g.get("_page_state")
    if cached is None:
        if db.session.registry.has() and db.session().in_transaction():
            cached = _page_state_from_row(db.session.execute(_PAGE_STATE_QUERY).first())
        else:
            cached = read_page_state(db.engine)
        g._page_state = cached
    return cached.of(audience)

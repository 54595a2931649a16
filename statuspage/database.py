"""Declarative base, the aware-UTC column type and id helpers; imports nothing from the package."""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import ConnectionPoolEntry

from statuspage.limits import MAX_NAME

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID_ALPHABET = string.ascii_lowercase + string.digits
ID_LENGTH = 12
#: The id shape as a regular expression, for URL converters and query-string checks.
ID_REGEX = "[a-z0-9]{12}"
_ID = re.compile(ID_REGEX)


def is_id(text: str) -> bool:
    """Whether *text* has the id shape: anything else names nothing, so no query needs it."""
    return _ID.fullmatch(text) is not None


def new_id() -> str:
    """Return a random 12-character [a-z0-9] id, the Statuspage id shape, never guessable."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


#: A test's clock (`set_clock`); None reads the wall clock.
_clock: Callable[[], datetime] | None = None


def utcnow() -> datetime:
    """Aware UTC now; the only clock the package reads when a caller passes no `now`."""
    if _clock is not None:
        return _clock()
    return datetime.now(UTC)


def set_clock(clock: Callable[[], datetime] | None) -> None:
    """Tests only: make `utcnow` read *clock* (None: the wall clock again), so a test renders
    a page at two moments of its choosing without touching the code that renders it."""
    global _clock
    _clock = clock


def count_rows(result: sa.Result[Any]) -> int:
    """The rows an UPDATE, DELETE or INSERT matched: Session.execute is typed as if every
    statement were a SELECT, but a DML statement's result is a CursorResult, which counts."""
    if not isinstance(result, sa.CursorResult):
        raise TypeError(f"{type(result).__name__} counts no rows; execute an UPDATE or DELETE")
    return result.rowcount


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Store naive UTC, hand back aware UTC: SQLite drops tzinfo and feedgen rejects naive times."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            return value.astimezone(UTC)
        return value.replace(tzinfo=UTC)


class StrEnumType(sa.TypeDecorator[StrEnum]):
    """Persist a StrEnum as its Statuspage string (a VARCHAR, no native enum to migrate)."""

    impl = sa.String
    cache_ok = True

    def __init__(self, enum_class: type[StrEnum], length: int = 32) -> None:
        super().__init__(length)
        self.enum_class = enum_class

    def process_bind_param(self, value: StrEnum | str | None, dialect: sa.Dialect) -> str | None:
        if value is None:
            return None
        return self.enum_class(value).value

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> StrEnum | None:
        return None if value is None else self.enum_class(value)


class Base(DeclarativeBase):
    registry = sa.orm.registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime, date: sa.Date, str: sa.String(MAX_NAME)},
    )


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(
    dbapi_connection: DBAPIConnection, connection_record: ConnectionPoolEntry
) -> None:
    """SQLite ignores foreign keys (and so ON DELETE) unless asked, per connection; a file
    database also gets write-ahead logging so the web server and the scheduler can share it."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        files = [row[2] for row in cursor.execute("PRAGMA database_list") if row[1] == "main"]
        if files and files[0]:
            # A file shared by the web server and the scheduler: readers never wait for the
            # writer, and a commit is not an fsync each time.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

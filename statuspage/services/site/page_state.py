"""The page versions behind every validator: read once per request, bumped by the audit listener."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

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

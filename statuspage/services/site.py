"""Page-wide settings and state: page name, time zone, base URL, version, heartbeat."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, g

from statuspage.database import utcnow
from statuspage.enums import Audience
from statuspage.extensions import db
from statuspage.models import PageState, SchedulerHeartbeat


@dataclass(frozen=True)
class SiteSettings:
    page_name: str
    page_id: str
    base_url: str
    timezone: str
    brand_colour: str | None = None
    support_url: str | None = None
    footer_text: str = ""
    default_notify: bool = True
    #: A cache-busting stamp of the uploaded logo, None when there is none.
    logo_stamp: str | None = None

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def status_title(self) -> str:
        """"Acme Status" for the page "Acme", but "Status" (never "Status Status") for a page
        already named so: the start of every feed, calendar and subscription title."""
        words = self.page_name.split()
        if words and words[-1].casefold() == "status":
            return self.page_name
        return f"{self.page_name} Status"

    def absolute_url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def url_for(self, endpoint: str, **values: Any) -> str:
        """An absolute URL on the public address, built without a request (mail, feeds)."""
        parts = urlsplit(self.base_url)
        adapter = current_app.url_map.bind(
            parts.netloc or "localhost",
            script_name=parts.path or "/",
            url_scheme=parts.scheme or "http",
        )
        return adapter.build(endpoint, values, force_external=True)


#: Settings an admin may change; the rest come from config only.
EDITABLE = (
    "page_name",
    "base_url",
    "timezone",
    "brand_colour",
    "support_url",
    "footer_text",
    "default_notify",
)


def get_site_settings() -> SiteSettings:
    """The settings in force: config defaults overlaid with the admin's choices.

    Read once per app context, and at most once per page version per process: every settings
    change bumps the page version, so a change applies on the next request, without a restart.
    """
    cached = g.get("_site_settings")
    if cached is not None:
        return cached
    version, _ = get_page_state()
    memo = current_app.extensions.setdefault("site_settings", {})
    cached = memo.get(version)
    if cached is None:
        cached = _load_settings()
        memo.clear()
        memo[version] = cached
    g._site_settings = cached
    return cached


def _load_settings() -> SiteSettings:
    from statuspage.models import Setting, SiteAsset

    config = current_app.config
    values: dict[str, Any] = {
        "page_name": config["PAGE_NAME"],
        "page_id": config["PAGE_ID"],
        "base_url": config["BASE_URL"],
        "timezone": config["TIMEZONE"],
        "brand_colour": config.get("BRAND_COLOUR"),
        "support_url": config.get("SUPPORT_URL"),
        "footer_text": config.get("FOOTER_TEXT", ""),
        "default_notify": bool(config.get("DEFAULT_NOTIFY", True)),
    }
    for key, value in db.session.execute(sa.select(Setting.key, Setting.value)):
        if key in EDITABLE:
            values[key] = value
    logo = db.session.scalar(sa.select(SiteAsset.updated_at).where(SiteAsset.name == "logo"))
    values["base_url"] = str(values["base_url"]).rstrip("/")
    values["logo_stamp"] = str(int(logo.timestamp())) if logo else None
    return SiteSettings(**values)


_PAGE_STATE_QUERY = sa.select(
    PageState.version,
    PageState.changed_at,
    PageState.internal_version,
    PageState.internal_changed_at,
)
_NEVER = datetime(2000, 1, 1, tzinfo=UTC)


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


def record_heartbeat(name: str = "scheduler", *, now: datetime | None = None) -> None:
    """Say the scheduler is alive; not audited and not a page change."""
    now = now or utcnow()
    updated = db.session.execute(
        sa.update(SchedulerHeartbeat)
        .where(SchedulerHeartbeat.name == name)
        .values(seen_at=now, host=socket.gethostname(), pid=os.getpid())
    )
    if updated.rowcount == 0:
        db.session.add(
            SchedulerHeartbeat(
                name=name, host=socket.gethostname(), pid=os.getpid(), started_at=now, seen_at=now
            )
        )
    db.session.commit()


def last_heartbeat() -> SchedulerHeartbeat | None:
    return db.session.scalars(
        sa.select(SchedulerHeartbeat).order_by(SchedulerHeartbeat.seen_at.desc()).limit(1)
    ).first()


def scheduler_is_stale(*, now: datetime | None = None) -> bool:
    """True when no scheduler has been seen for SCHEDULER_STALE_SECONDS (the dashboard warns)."""
    now = now or utcnow()
    beat = last_heartbeat()
    limit = timedelta(seconds=current_app.config["SCHEDULER_STALE_SECONDS"])
    return beat is None or now - beat.seen_at > limit

"""Digests: one mail per period for hourly, daily and weekly subscribers."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, render_template
from sqlalchemy.orm import selectinload

from statuspage.database import count_rows, utcnow
from statuspage.enums import (
    Audience,
    Cadence,
    ComponentStatus,
    DeliveryKind,
    SubscriberState,
)
from statuspage.extensions import db
from statuspage.models import (
    ComponentStatusChange,
    IncidentUpdate,
    Notice,
    Postmortem,
    Subscriber,
)
from statuspage.services.outbox.compose import MANAGE, TO, UNSUBSCRIBE
from statuspage.services.outbox.delivery import queue_mail
from statuspage.services.site.settings import get_site_settings
from statuspage.templating import format_datetime, format_duration, format_window
from statuspage.visibility import (
    component_visible,
    notice_visible_clause,
    postmortem_visible,
    update_visible,
    update_visible_clause,
)


def next_digest_time(
    cadence: Cadence, after: datetime, *, tz: ZoneInfo, hour: int
) -> datetime | None:
    """The first due time strictly after *after*: top of the next hour; *hour* o'clock local
    each day; or *hour* o'clock local on Mondays. None for immediate subscribers."""
    if cadence is Cadence.IMMEDIATE:
        return None
    if cadence is Cadence.HOURLY:
        return after.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    day = after.astimezone(tz).date()
    while True:
        candidate = datetime(day.year, day.month, day.day, hour, tzinfo=tz).astimezone(UTC)
        if candidate > after and (cadence is Cadence.DAILY or day.weekday() == 0):
            return candidate
        day += timedelta(days=1)


@dataclass
class DigestItem:
    name: str
    kind_label: str
    status_label: str
    url: str
    window: str | None
    updates: list[dict[str, str]] = field(default_factory=list)
    components: list[tuple[str, str]] = field(default_factory=list)
    #: A postmortem published in the period with subscribers told: {time, body, html}.
    postmortem: dict[str, str] | None = None


def _in_scope(subscriber: Subscriber, notice: Notice) -> bool:
    if subscriber.everything:
        return True
    ids = {c.id for c in subscriber.components}
    groups = {g.id for g in subscriber.groups}
    return any(
        link.component_id in ids or link.component.group_id in groups for link in notice.affected
    )


def _affected_time(
    component_ids: list[str], since: datetime, until: datetime
) -> dict[str, dict[ComponentStatus, float]]:
    """Seconds each component spent in each non-operational status within [since, until)."""
    spent: dict[str, dict[ComponentStatus, float]] = defaultdict(lambda: defaultdict(float))
    if not component_ids:
        return spent
    changes = db.session.scalars(
        sa.select(ComponentStatusChange)
        .where(
            ComponentStatusChange.component_id.in_(component_ids),
            ComponentStatusChange.audience == Audience.PUBLIC,
            ComponentStatusChange.at < until,
        )
        .order_by(
            ComponentStatusChange.component_id, ComponentStatusChange.at, ComponentStatusChange.id
        )
    ).all()
    by_component: dict[str, list[ComponentStatusChange]] = defaultdict(list)
    for change in changes:
        by_component[change.component_id].append(change)
    for component_id, rows in by_component.items():
        for current, following in zip(rows, [*rows[1:], None], strict=True):
            start = max(current.at, since)
            end = min(following.at if following else until, until)
            if end > start and current.new_status is not ComponentStatus.OPERATIONAL:
                spent[component_id][current.new_status] += (end - start).total_seconds()
    return spent


def _describe(spent: dict[ComponentStatus, float]) -> str:
    parts = [
        f"{status.label.lower()} {format_duration(timedelta(seconds=seconds))}"
        for status, seconds in sorted(spent.items(), key=lambda kv: -kv[0].severity)
        if seconds >= 60
    ]
    return ", ".join(parts) if parts else "not affected"


def _told_postmortem(since: datetime, until: datetime) -> sa.ColumnElement[bool]:
    """The notice's postmortem was published in [since, until) with its subscribers told."""
    return sa.exists().where(
        Postmortem.notice_id == Notice.id,
        Postmortem.notified_at.is_not(None),
        Postmortem.published_at >= since,
        Postmortem.published_at < until,
    )


def _told_in(postmortem: Postmortem | None, since: datetime, until: datetime) -> bool:
    """`_told_postmortem` for one loaded postmortem, which the public may see."""
    return (
        postmortem is not None
        and postmortem_visible(postmortem, Audience.PUBLIC)
        and postmortem.notified_at is not None
        and postmortem.published_at is not None
        and since <= postmortem.published_at < until
    )


def compose_digest(subscriber: Subscriber, *, since: datetime, until: datetime) -> list[DigestItem]:
    """What happened in the subscriber's scope in [since, until); empty when nothing did."""
    settings = get_site_settings()
    notices = db.session.scalars(
        sa.select(Notice)
        .where(
            notice_visible_clause(Audience.PUBLIC, Notice),
            sa.or_(
                sa.exists().where(
                    IncidentUpdate.notice_id == Notice.id,
                    update_visible_clause(Audience.PUBLIC, IncidentUpdate),
                    IncidentUpdate.display_at >= since,
                    IncidentUpdate.display_at < until,
                ),
                _told_postmortem(since, until),
            ),
        )
        .order_by(Notice.started_at.desc())
        .options(
            selectinload(Notice.updates),
            selectinload(Notice.affected),
            selectinload(Notice.postmortem),
        )
    ).all()
    notices = [n for n in notices if _in_scope(subscriber, n)]
    items = []
    for notice in notices:
        item = DigestItem(
            name=notice.name,
            kind_label=notice.kind_label,
            status_label=notice.status_label,
            url=settings.absolute_url(notice.public_path),
            window=format_window(notice) if notice.has_window else None,
        )
        for update in notice.updates:
            if update_visible(update, Audience.PUBLIC, with_notes=False) and (
                since <= update.display_at < until
            ):
                item.updates.append(
                    {
                        "time": format_datetime(update.display_at),
                        "status": notice.status_label_of(update.status_value),
                        "body": update.body,
                    }
                )
        postmortem = notice.postmortem
        if _told_in(postmortem, since, until) and postmortem is not None:
            item.postmortem = {
                "time": format_datetime(postmortem.published_at),
                "body": postmortem.body,
                "html": postmortem.body_html,
            }
        # Time each component was affected while this notice was open, within the period.
        start, end = notice.open_span(since, until)
        public = [
            link for link in notice.affected if component_visible(link.component, Audience.PUBLIC)
        ]
        spent = (
            _affected_time([link.component_id for link in public], start, end)
            if end > start
            else {}
        )
        for link in public:
            item.components.append(
                (link.component.full_name, _describe(spent.get(link.component_id, {})))
            )
        items.append(item)
    return items


def queue_due_digests(*, now: datetime | None = None, limit: int = 200) -> int:
    """Claim each due subscriber's digest, compose it and queue it; returns how many queued."""
    now = now or utcnow()
    settings = get_site_settings()
    hour = int(current_app.config["DIGEST_HOUR"])
    due = db.session.execute(
        sa.select(
            Subscriber.id, Subscriber.next_digest_at, Subscriber.last_digest_at, Subscriber.cadence
        )
        .where(
            Subscriber.state == SubscriberState.ACTIVE,
            Subscriber.cadence != Cadence.IMMEDIATE,
            Subscriber.next_digest_at <= now,
        )
        .order_by(Subscriber.next_digest_at)
        .limit(limit)
    ).all()
    queued = 0
    for subscriber_id, seen, since, cadence in due:
        following = next_digest_time(Cadence(cadence), now, tz=settings.tz, hour=hour)
        claimed = db.session.execute(
            sa.update(Subscriber)
            .where(Subscriber.id == subscriber_id, Subscriber.next_digest_at == seen)
            .values(next_digest_at=following, last_digest_at=now)
        )
        if count_rows(claimed) != 1:  # another scheduler took this one
            db.session.rollback()
            continue
        subscriber = db.session.get_one(Subscriber, subscriber_id)
        start = since or subscriber.confirmed_at or now
        items = compose_digest(subscriber, since=start, until=now)
        if items:
            _queue_digest(subscriber, items, start, now)
            queued += 1
        db.session.commit()
    return queued


def _queue_digest(
    subscriber: Subscriber,
    items: list[DigestItem],
    since: datetime,
    until: datetime,
) -> None:

    settings = get_site_settings()
    title = {
        Cadence.HOURLY: "Hourly digest",
        Cadence.DAILY: "Daily digest",
        Cadence.WEEKLY: "Weekly digest",
    }[subscriber.cadence]
    period = f"{format_datetime(since)} – {format_datetime(until)}"
    context = {
        "page_name": settings.page_name,
        "page_url": settings.base_url + "/",
        "title": title,
        "period": period,
        "items": items,
        "manage_url": MANAGE,
        "unsubscribe_url": UNSUBSCRIBE,
        "to": TO,
        "subject": title,
    }
    count = f"{len(items)} update{'' if len(items) == 1 else 's'}"
    queue_mail(
        subscriber,
        DeliveryKind.DIGEST,
        f"digest:{int(until.timestamp())}",
        now=until,
        subject=f"[{settings.page_name}] {title}: {count}",
        text_body=render_template("email/digest.txt", **context),
        html_body=render_template("email/digest.html", **context),
    )

"""What the scheduler applies when it is due: scheduled updates, maintenance starts and ends,
reminders, recurring windows. Driven by database state, so a restart loses nothing.

Everything due is applied in order of its due time and stamped with that time, not with the
time the scheduler got to it: after downtime the history shows when things were meant to
happen. Each item is applied in its own transaction, and every apply changes its notice's row,
whose version column (an optimistic lock) makes a second scheduler's attempt at the same item
fail and roll back: two schedulers never apply a transition twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from statuspage.database import utcnow
from statuspage.enums import MaintenanceStatus
from statuspage.extensions import db
from statuspage.models import IncidentUpdate, Maintenance
from statuspage.services.notices import maintenance as maintenance_service
from statuspage.services.notices import recurrence as recurrence_service
from statuspage.services.notices.timeline import apply_update
from statuspage.services.review.action_items import notify_overdue_action_items
from statuspage.services.unit import SCHEDULER, Actor, unit_of_work

logger = logging.getLogger(__name__)
S = MaintenanceStatus
BATCH = 200


@dataclass(frozen=True, order=True)
class DueItem:
    due_at: datetime
    order: int  # starts before updates before ends, when they fall at the same instant
    kind: str
    ident: str


@dataclass
class DueReport:
    published: int = 0
    started: int = 0
    completed: int = 0
    reminded: int = 0
    reminders_skipped: int = 0
    materialised: int = 0
    lost_races: int = 0
    #: Action items whose owners were mailed that they fell overdue.
    overdue_notified: int = 0

    @property
    def total(self) -> int:
        return (
            self.published
            + self.started
            + self.completed
            + self.reminded
            + self.materialised
            + self.overdue_notified
        )


def find_due(now: datetime) -> list[DueItem]:
    """Every transition due at *now*, oldest first."""
    items: list[DueItem] = []
    updates = db.session.execute(
        sa.select(IncidentUpdate.id, IncidentUpdate.display_at)
        .where(IncidentUpdate.published_at.is_(None), IncidentUpdate.display_at <= now)
        .order_by(IncidentUpdate.display_at)
        .limit(BATCH)
    )
    items += [DueItem(at, 1, "publish", ident) for ident, at in updates]
    starts = db.session.execute(
        sa.select(Maintenance.id, Maintenance.scheduled_for, Maintenance.scheduled_until)
        .where(
            Maintenance.status_value == S.SCHEDULED.value,
            Maintenance.auto_start.is_(True),
            Maintenance.scheduled_for <= now,
        )
        .limit(BATCH)
    )
    for ident, starts_at, ends_at in starts:
        items.append(DueItem(starts_at, 0, "start", ident))
        if ends_at <= now:  # the whole window passed while nobody was running
            items.append(DueItem(ends_at, 2, "complete", ident))
    ends = db.session.execute(
        sa.select(Maintenance.id, Maintenance.scheduled_until)
        .where(
            Maintenance.status_value.in_([S.IN_PROGRESS.value, S.VERIFYING.value]),
            Maintenance.auto_complete.is_(True),
            Maintenance.scheduled_until <= now,
        )
        .limit(BATCH)
    )
    items += [DueItem(at, 2, "complete", ident) for ident, at in ends]
    return sorted(items)


def run_due_work(*, now: datetime | None = None, actor: Actor = SCHEDULER) -> DueReport:
    """Apply everything due; safe to run in two processes at once."""
    now = now or utcnow()
    report = DueReport()
    report.materialised = recurrence_service.materialise_all(now=now, actor=actor)
    for item in find_due(now):
        try:
            applied = _apply(item, now=now, actor=actor)
        except (StaleDataError, IntegrityError, OperationalError) as error:
            # Another scheduler changed the same rows first (or SQLite's lock timed out): this
            # transaction is rolled back whole, and the item, if still due, is retried next tick.
            db.session.rollback()
            report.lost_races += 1
            logger.info(
                "%s %s not applied this time: %s", item.kind, item.ident, type(error).__name__
            )
            continue
        if applied:
            attribute = {"publish": "published", "start": "started", "complete": "completed"}
            setattr(report, attribute[item.kind], getattr(report, attribute[item.kind]) + 1)
    reminded, skipped = send_due_reminders(now=now, actor=actor)
    report.reminded, report.reminders_skipped = reminded, skipped
    report.overdue_notified = notify_overdue_action_items(now=now)
    return report


def _apply(item: DueItem, *, now: datetime, actor: Actor) -> bool:
    """Apply one item if it is still due (another scheduler may have got there first)."""
    if item.kind == "publish":
        return publish_update(item.ident, now=now, actor=actor)
    maintenance = db.session.get(Maintenance, item.ident, populate_existing=True)
    if maintenance is None:
        return False
    if item.kind == "start":
        if maintenance.status is not S.SCHEDULED or not maintenance.auto_start:
            return False
        maintenance_service.start_maintenance(
            maintenance, at=maintenance.scheduled_for, actor=actor, now=now
        )
        return True
    if not maintenance.status.is_active or not maintenance.auto_complete:
        return False
    maintenance_service.complete_maintenance(
        maintenance, at=maintenance.scheduled_until, actor=actor, now=now
    )
    return True


def publish_update(update_id: str, *, now: datetime, actor: Actor) -> bool:
    """Publish one scheduled update as of its own time, applying its component changes then."""
    with unit_of_work("publish_scheduled_update", actor=actor, now=now):
        update = db.session.get(IncidentUpdate, update_id, populate_existing=True)
        if update is None or update.published_at is not None or update.display_at > now:
            return False
        notice = update.notice
        db.session.refresh(notice)
        late = notice.late_status(update.status_value)
        if late != update.status_value:  # too late for its move: words only
            update.status_value = late
            update.changes = []
        apply_update(update, at=update.display_at, actor=actor)
    return True


def send_due_reminders(*, now: datetime, actor: Actor = SCHEDULER) -> tuple[int, int]:
    """Remind subscribers of windows starting within their lead time; a reminder that is no
    longer useful (the window has started) is skipped, not sent late. Returns (sent, skipped)."""
    candidates = db.session.scalars(
        sa.select(Maintenance)
        .where(
            Maintenance.remind_minutes.is_not(None),
            Maintenance.reminded_at.is_(None),
            Maintenance.status_value != S.CANCELLED.value,
        )
        .limit(BATCH)
    ).all()
    sent = skipped = 0
    for maintenance in candidates:
        remind_at = maintenance.remind_at
        if remind_at is None or now < remind_at:
            continue
        stale = maintenance.status is not S.SCHEDULED or now >= maintenance.scheduled_for
        try:
            maintenance_service.mark_reminded(maintenance, stale=stale, actor=actor, now=now)
        except StaleDataError:
            db.session.rollback()
            continue
        if stale:
            skipped += 1
        else:
            sent += 1
    return sent, skipped

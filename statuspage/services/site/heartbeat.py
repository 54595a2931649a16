"""The scheduler's heartbeat, so the health check and the admin can tell it is alive."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from statuspage.database import count_rows, utcnow
from statuspage.extensions import db
from statuspage.models import SchedulerHeartbeat


def record_heartbeat(name: str = "scheduler", *, now: datetime | None = None) -> None:
    """Say the scheduler is alive; not audited and not a page change."""
    now = now or utcnow()
    updated = db.session.execute(
        sa.update(SchedulerHeartbeat)
        .where(SchedulerHeartbeat.name == name)
        .values(seen_at=now, host=socket.gethostname(), pid=os.getpid())
    )
    if count_rows(updated) == 0:
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

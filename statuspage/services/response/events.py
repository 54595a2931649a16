"""The staff-side timeline entries: written beside the change they describe, in its unit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from statuspage.enums import ResponseEventKind
from statuspage.extensions import db
from statuspage.models import Notice, ResponseEvent
from statuspage.services.unit import Actor


def record_response_event(
    incident: Notice,
    kind: ResponseEventKind,
    summary: str,
    *,
    at: datetime,
    actor: Actor,
    **detail: Any,
) -> ResponseEvent:
    """Add one entry to *incident*'s internal timeline (the caller's unit of work commits it)."""
    event = ResponseEvent(
        notice_id=incident.id,
        kind=kind,
        at=at,
        actor_id=actor.user_id,
        actor_label=actor.label,
        summary=summary,
        detail=detail,
    )
    db.session.add(event)
    return event

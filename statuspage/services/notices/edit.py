"""Editing an incident as a whole (the management API's PATCH): its own fields, urgency,
priority override and roles in one transaction, so a refused part leaves everything as it was."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from statuspage.enums import Impact, Priority, Urgency, Visibility
from statuspage.models import Incident, User
from statuspage.services.notices.incidents import update_incident
from statuspage.services.response.priority import override_priority
from statuspage.services.response.roles import set_roles
from statuspage.services.unit import Actor, unit_of_work


def edit_incident(
    incident: Incident,
    *,
    name: str | None = None,
    impact: Impact | None = None,
    visibility: Visibility | None = None,
    urgency: Urgency | None = None,
    priority: Priority | None | bool = False,
    priority_override_reason: str | None = None,
    commander: User | None | bool = False,
    comms_lead: User | None | bool = False,
    responders: Iterable[User] | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> Incident:
    """Apply what was given (None or False leaves a field alone; `priority=None` returns to
    the matrix, a priority overrides it and needs *priority_override_reason*)."""
    with unit_of_work("update_incident", actor=actor, now=now) as now:
        update_incident(
            incident,
            name=incident.name if name is None else name,
            impact=impact or incident.impact,
            visibility=visibility or incident.visibility,
            urgency=urgency,
            actor=actor,
            now=now,
        )
        if priority is not False and priority is not True:
            override_priority(
                incident, priority, reason=priority_override_reason, actor=actor, now=now
            )
        if commander is not False or comms_lead is not False or responders is not None:
            set_roles(
                incident,
                commander=commander,
                comms_lead=comms_lead,
                responders=responders,
                actor=actor,
                now=now,
            )
    return incident

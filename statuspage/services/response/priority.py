"""An incident's urgency and priority: the matrix computes it from impact x urgency, an editor
may override it with a reason; every change is an internal timeline entry and audited."""

from __future__ import annotations

from datetime import datetime

from statuspage.enums import Priority, ResponseEventKind, Urgency
from statuspage.limits import MAX_REASON
from statuspage.models import Incident, Notice
from statuspage.services.errors import InvalidInput
from statuspage.services.inputs import clean_text
from statuspage.services.response.events import record_response_event
from statuspage.services.response.policy import DEFAULT_URGENCY, get_response_policy
from statuspage.services.unit import Actor, unit_of_work


def reprioritise(notice: Notice, *, at: datetime, actor: Actor) -> None:
    """Recompute a notice's matrix priority after its impact or urgency moved (inside the
    caller's unit); a maintenance window has none."""
    if not notice.is_prioritised:
        return
    if notice.urgency is None:
        notice.urgency = DEFAULT_URGENCY
    before = notice.priority
    computed = get_response_policy().priority_for(notice.impact, notice.urgency)
    if computed is notice.computed_priority:
        return
    notice.computed_priority = computed
    if before is not None and notice.priority is not before:
        record_response_event(
            notice,
            ResponseEventKind.PRIORITY,
            f"Priority {before} → {notice.priority} (impact {notice.impact.label.lower()}, "
            f"urgency {notice.urgency.label.lower()})",
            at=at,
            actor=actor,
            **{"from": before.value, "to": computed.value, "computed": computed.value},
        )


def set_urgency(
    incident: Incident, urgency: Urgency, *, actor: Actor, now: datetime | None = None
) -> Incident:
    """Re-assess how urgent the incident is; its matrix priority follows."""
    with unit_of_work("set_incident_urgency", actor=actor, now=now) as now:
        urgency = Urgency(urgency)
        if urgency is incident.urgency:
            return incident
        before = incident.urgency
        incident.urgency = urgency
        record_response_event(
            incident,
            ResponseEventKind.URGENCY,
            f"Urgency {before.label.lower() if before else 'unset'} → {urgency.label.lower()}",
            at=now,
            actor=actor,
            **{"from": before.value if before else None, "to": urgency.value},
        )
        reprioritise(incident, at=now, actor=actor)
    return incident


def override_priority(
    incident: Incident,
    priority: Priority | None,
    *,
    reason: str | None,
    actor: Actor,
    now: datetime | None = None,
) -> Incident:
    """Set the priority by hand (a reason is required), or with None go back to the matrix's."""
    with unit_of_work("override_incident_priority", actor=actor, now=now) as now:
        before = incident.priority
        if priority is None:
            if incident.priority_override is None:
                return incident
            incident.priority_override = None
            incident.priority_override_reason = None
            summary = f"Priority {before} → {incident.priority} (back to the matrix)"
            reason_text = None
        else:
            priority = Priority(priority)
            reason_text = clean_text(
                reason,
                field="priority_override_reason",
                max_length=MAX_REASON,
                required=True,
                label="A reason for the override",
            )
            if (
                priority is incident.priority_override
                and reason_text == incident.priority_override_reason
            ):
                return incident
            incident.priority_override = priority
            incident.priority_override_reason = reason_text
            summary = f"Priority {before} → {priority} (override: {reason_text})"
        after = incident.priority
        record_response_event(
            incident,
            ResponseEventKind.PRIORITY,
            summary,
            at=now,
            actor=actor,
            **{
                "from": before.value if before else None,
                "to": after.value if after else None,
                "computed": incident.computed_priority.value
                if incident.computed_priority
                else None,
                "override": incident.priority_override.value
                if incident.priority_override
                else None,
                "reason": reason_text,
            },
        )
    return incident


def parse_priority(value: str | None, *, field: str = "priority") -> Priority | None:
    """ "P1".."P4" (any case), or None for blank; anything else is a 422 on *field*."""
    text = (value or "").strip().upper()
    if not text:
        return None
    try:
        return Priority(text)
    except ValueError:
        raise InvalidInput("Choose a priority from P1 to P4.", field=field) from None

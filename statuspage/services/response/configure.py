"""The response policy changed from Settings: the matrix, the SLA targets and the lead time.
A new matrix re-prioritises every open incident at once (each change on its timeline)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa

from statuspage.enums import Impact, IncidentStatus, Priority, SlaTarget, Urgency
from statuspage.extensions import db
from statuspage.models import Incident, Setting
from statuspage.services.errors import InvalidInput
from statuspage.services.response.policy import (
    LEAD_KEY,
    MATRIX_KEY,
    MAX_TARGET_MINUTES,
    SLA_KEY,
    ResponsePolicy,
    forget_response_policy,
    get_response_policy,
)
from statuspage.services.response.priority import reprioritise
from statuspage.services.unit import Actor, unit_of_work

#: The lead time is a share of each target: 1 to 90 %.
LEAD_RANGE = range(1, 91)


def _store(key: str, value: object, now: datetime) -> None:
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value, updated_at=now))
    elif row.value != value:
        row.value = value  # type: ignore[assignment]
        row.updated_at = now


def _check_sla(sla: Mapping[Priority, Mapping[SlaTarget, int]]) -> None:
    for priority in Priority:
        for target in SlaTarget:
            minutes = sla.get(priority, {}).get(target)
            field = f"sla_{priority.value}_{target.value}"
            if not isinstance(minutes, int) or isinstance(minutes, bool):
                raise InvalidInput(
                    f"{priority} {target.label}: give a number of minutes.", field=field
                )
            if not 1 <= minutes <= MAX_TARGET_MINUTES:
                raise InvalidInput(
                    f"{priority} {target.label}: between 1 and {MAX_TARGET_MINUTES} minutes.",
                    field=field,
                )


def _check_matrix(matrix: Mapping[Impact, Mapping[Urgency, Priority]]) -> None:
    for impact in Impact:
        for urgency in Urgency:
            if not isinstance(matrix.get(impact, {}).get(urgency), Priority):
                raise InvalidInput(
                    f"Choose a priority for {impact.label.lower()} impact and "
                    f"{urgency.label.lower()} urgency.",
                    field=f"matrix_{impact.value}_{urgency.value}",
                )


def configure_response_policy(
    *,
    matrix: Mapping[Impact, Mapping[Urgency, Priority]],
    sla: Mapping[Priority, Mapping[SlaTarget, int]],
    lead_percent: int,
    actor: Actor,
    now: datetime | None = None,
) -> ResponsePolicy:
    """Save the whole policy (every cell and target is given); open incidents follow the new
    matrix at once, resolved ones keep the priority they had."""
    with unit_of_work("configure_response_policy", actor=actor, now=now) as now:
        _check_matrix(matrix)
        _check_sla(sla)
        if not isinstance(lead_percent, int) or lead_percent not in LEAD_RANGE:
            raise InvalidInput(
                "The warning lead time is 1 to 90 % of a target.", field="lead_percent"
            )
        policy = ResponsePolicy(
            matrix={i: dict(row) for i, row in matrix.items()},
            sla={p: dict(row) for p, row in sla.items()},
            lead_percent=lead_percent,
        )
        _store(MATRIX_KEY, policy.matrix_json(), now)
        _store(SLA_KEY, policy.sla_json(), now)
        _store(LEAD_KEY, lead_percent, now)
        db.session.flush()
        forget_response_policy()
        open_incidents = db.session.scalars(
            sa.select(Incident).where(Incident.status_value != IncidentStatus.RESOLVED.value)
        )
        for incident in open_incidents:
            reprioritise(incident, at=now, actor=actor)
    return get_response_policy()

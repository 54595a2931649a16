"""Receiving an integration's webhook: each alert matched to a component and passed to the
signal rules (signals.py), unmatched ones recorded, the incident policy applied, the event
counters moved; one transaction per request, so a body is applied whole or not at all."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from statuspage.enums import AlertState, IntegrationOutcome
from statuspage.extensions import db
from statuspage.models import Component, Integration, UnmatchedAlert
from statuspage.services.automation.incidents import apply_incident_policy
from statuspage.services.automation.integrations import count_event
from statuspage.services.automation.payloads import AlertMessage, parse_payload
from statuspage.services.automation.signals import (
    Signal,
    fire_signal,
    resolve_signal,
    source_actor,
)
from statuspage.services.errors import ServiceError
from statuspage.services.unit import unit_of_work


@dataclass
class IngestReport:
    """What one webhook did, as the endpoint answers it."""

    firing: int = 0
    resolved: int = 0
    duplicate: int = 0
    unmatched: list[str] = field(default_factory=list)
    incident_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "firing": self.firing,
            "resolved": self.resolved,
            "unchanged": self.duplicate,
            "unmatched": self.unmatched,
            "incident_id": self.incident_id,
        }


class ComponentIndex:
    """Every live component by id, by lower-cased name and by lower-cased alias."""

    def __init__(self) -> None:
        self._by_key: dict[str, Component] = {}
        components = db.session.scalars(
            sa.select(Component).where(Component.archived_at.is_(None)).order_by(Component.id)
        ).all()
        # Aliases first, then names, then ids: an id always wins, a name over an alias.
        for component in components:
            for alias in component.aliases or []:
                self._by_key.setdefault(f"k:{alias.strip().lower()}", component)
        for component in components:
            self._by_key[f"k:{component.name.strip().lower()}"] = component
        for component in components:
            self._by_key[f"i:{component.id}"] = component

    def match(self, value: str) -> Component | None:
        value = value.strip()
        if not value:
            return None
        return self._by_key.get(f"i:{value}") or self._by_key.get(f"k:{value.lower()}")


#: Attempts at one body when a concurrent request wrote the same rows first (Alertmanager's
#: HA pair sends each notification from both peers at once).
ATTEMPTS = 3


class ReceiveConflict(ServiceError):
    """Concurrent requests kept writing the same alerts: 503, so the sender retries later."""

    status_code = 503


def receive_alerts(
    integration: Integration, raw: bytes, *, now: datetime | None = None
) -> IngestReport:
    """Apply a webhook body of *integration*'s kind; PayloadRefused (400) before any write.
    A body that lost a race to a concurrent one (the same alert inserted, the same component
    moved) is applied again on fresh rows: the rules make the second pass a duplicate."""
    messages = parse_payload(integration.kind, raw)
    integration_id = integration.id
    for _attempt in range(ATTEMPTS):
        try:
            return _apply(integration, messages, now=now)
        except (IntegrityError, StaleDataError):
            db.session.rollback()
            found = db.session.get(Integration, integration_id)
            if found is None:
                break
            integration = found
    raise ReceiveConflict("Other requests changed the same alerts meanwhile; send it again.")


def _apply(
    integration: Integration, messages: list[AlertMessage], *, now: datetime | None
) -> IngestReport:
    report = IngestReport()
    with unit_of_work("receive_alerts", actor=source_actor(integration.name), now=now) as now:
        index = ComponentIndex()
        for message in messages:
            value = message.labels.get(integration.component_label, "")
            component = index.match(value)
            if component is None:
                _record_unmatched(integration, value, message, now)
                report.unmatched.append(value)
            elif message.state is AlertState.FIRING:
                _fire(integration, component, message, report, now)
            else:
                _resolve(integration, component, message, report, now)
        incident = apply_incident_policy(integration, now=now)
        report.incident_id = incident.id if incident is not None else None
        count_event(integration, IntegrationOutcome.FIRING, report.firing)
        count_event(integration, IntegrationOutcome.RESOLVED, report.resolved)
        count_event(integration, IntegrationOutcome.DUPLICATE, report.duplicate)
        count_event(integration, IntegrationOutcome.UNMATCHED, len(report.unmatched))
        db.session.execute(
            sa.update(Integration)
            .where(Integration.id == integration.id)
            .values(last_event_at=now)
            .execution_options(synchronize_session=False)
        )
    return report


def _fire(
    integration: Integration,
    component: Component,
    message: AlertMessage,
    report: IngestReport,
    now: datetime,
) -> None:
    status = message.status or integration.status_for_severity(
        message.labels.get(integration.severity_label)
    )
    outcome = fire_signal(
        Signal(
            source=integration.source,
            source_label=integration.name,
            fingerprint=message.fingerprint,
            component=component,
            status=status,
            summary=message.summary,
            labels=message.labels,
            hold_minutes=integration.damping_minutes,
        ),
        now=now,
    )
    if outcome.changed:
        report.firing += 1
    else:
        report.duplicate += 1


def _resolve(
    integration: Integration,
    component: Component,
    message: AlertMessage,
    report: IngestReport,
    now: datetime,
) -> None:
    outcome = resolve_signal(
        integration.source,
        message.fingerprint,
        component,
        source_label=integration.name,
        now=now,
    )
    if outcome is not None and outcome.changed:
        report.resolved += 1
    else:
        report.duplicate += 1


def _record_unmatched(
    integration: Integration, value: str, message: AlertMessage, now: datetime
) -> None:
    """Count the value; the first of its kind is inserted in a savepoint, so a concurrent
    request inserting it too costs a retry of the count, not the request."""
    value = value.strip()
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()
    for _attempt in range(2):
        row = db.session.scalar(
            sa.select(UnmatchedAlert).where(
                UnmatchedAlert.integration_id == integration.id,
                UnmatchedAlert.value_hash == digest,
            )
        )
        if row is not None:
            row.count += 1
            row.last_seen_at = now
            row.summary = message.summary or row.summary
            return
        try:
            with db.session.begin_nested():
                db.session.add(
                    UnmatchedAlert(
                        integration_id=integration.id,
                        label_value=value,
                        value_hash=digest,
                        summary=message.summary,
                        first_seen_at=now,
                        last_seen_at=now,
                        count=1,
                    )
                )
            return
        except IntegrityError:
            continue

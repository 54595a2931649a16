"""Integrations: the monitoring systems (Alertmanager, Grafana, a script) allowed to move
components, each with its own secret, label mapping, flap damping and incident policy.

The secret is shown once and stored as a SHA-256 hash (as API tokens are), plus, for the
generic webhook's HMAC signatures, sealed with a key derived from the app's SECRET_KEY
(services/automation/integrations.py): the database alone never holds a usable secret.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statuspage.database import StrEnumType, new_id, utcnow
from statuspage.enums import ComponentStatus, IncidentPolicy, IntegrationKind, IntegrationOutcome
from statuspage.extensions import Model
from statuspage.limits import MAX_ALERT_SUMMARY, MAX_LABEL_NAME, MAX_LABEL_VALUE, MAX_NAME

if TYPE_CHECKING:
    from statuspage.models.response import ResponseTemplate

#: What a fresh integration maps severities to (the label's values, lower-cased).
DEFAULT_SEVERITY_MAP: dict[str, str] = {
    "critical": ComponentStatus.MAJOR_OUTAGE.value,
    "warning": ComponentStatus.PARTIAL_OUTAGE.value,
    "info": ComponentStatus.DEGRADED_PERFORMANCE.value,
}
#: What an alert asks for when its severity is missing or not in the map.
UNMAPPED_SEVERITY_STATUS = ComponentStatus.PARTIAL_OUTAGE


class Integration(Model):
    __tablename__ = "integration"
    __audited__ = True
    #: Integrations are on no public page: changing one never invalidates cached pages.
    __affects_page__ = False
    #: Secrets never reach the audit log; the last event is stamped without an entry.
    __audit_exclude__ = frozenset({"secret_hash", "sealed_secret", "last_event_at"})

    id: Mapped[str] = mapped_column(sa.String(12), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(sa.String(MAX_NAME))
    kind: Mapped[IntegrationKind] = mapped_column(StrEnumType(IntegrationKind, 16))
    #: The first characters of the secret, for display and lookup.
    prefix: Mapped[str] = mapped_column(sa.String(16), index=True)
    #: Hex SHA-256 of the whole secret: what a bearer header is checked against.
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: Hex of the secret XOR a keystream derived from SECRET_KEY: the HMAC key of signatures.
    sealed_secret: Mapped[str] = mapped_column(sa.String(200))
    component_label: Mapped[str] = mapped_column(sa.String(MAX_LABEL_NAME), default="component")
    severity_label: Mapped[str] = mapped_column(sa.String(MAX_LABEL_NAME), default="severity")
    #: Severity value (lower-cased) → component status value.
    severity_map: Mapped[dict[str, str]] = mapped_column(
        sa.JSON, default=lambda: dict(DEFAULT_SEVERITY_MAP)
    )
    damping_minutes: Mapped[int] = mapped_column(default=2)
    incident_policy: Mapped[IncidentPolicy] = mapped_column(
        StrEnumType(IncidentPolicy, 16), default=IncidentPolicy.NONE
    )
    #: The incident template its policy opens incidents from (None: the first one).
    template_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("response_template.id", ondelete="SET NULL")
    )
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_event_at: Mapped[datetime | None]

    template: Mapped[ResponseTemplate | None] = relationship()

    @property
    def source(self) -> str:
        """Its alerts' source (Alert.source): stable across renames."""
        return f"integration:{self.id}"

    def status_for_severity(self, severity: str | None) -> ComponentStatus:
        """The status an alert of *severity* asks for."""
        value = self.severity_map.get((severity or "").strip().lower())
        try:
            return ComponentStatus(value) if value else UNMAPPED_SEVERITY_STATUS
        except ValueError:
            return UNMAPPED_SEVERITY_STATUS

    def __repr__(self) -> str:
        return f"<Integration {self.id} {self.kind} {self.name!r}>"


class UnmatchedAlert(Model):
    """An alert whose component label named no component: kept for admins to map, not lost."""

    __tablename__ = "unmatched_alert"
    __table_args__ = (
        sa.UniqueConstraint("integration_id", "value_hash", name="uq_unmatched_alert_value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[str] = mapped_column(
        sa.ForeignKey("integration.id", ondelete="CASCADE"), index=True
    )
    #: The component label's value ("" when the alert had no such label).
    label_value: Mapped[str] = mapped_column(sa.String(MAX_LABEL_VALUE))
    #: Hex SHA-256 of the value: the unique key (a long value would not fit an index row).
    value_hash: Mapped[str] = mapped_column(sa.String(64))
    summary: Mapped[str | None] = mapped_column(sa.String(MAX_ALERT_SUMMARY))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    count: Mapped[int] = mapped_column(default=1)


class IntegrationEventCount(Model):
    """How many alerts of one integration had one outcome, ever (a Prometheus counter: never
    pruned, kept with the integration's name and kind after it is deleted)."""

    __tablename__ = "integration_event_count"
    __table_args__ = (
        sa.UniqueConstraint("integration_id", "outcome", name="uq_integration_event_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: No foreign key: a counter outlives its integration.
    integration_id: Mapped[str] = mapped_column(sa.String(12))
    integration_name: Mapped[str] = mapped_column(sa.String(MAX_NAME))
    kind: Mapped[IntegrationKind] = mapped_column(StrEnumType(IntegrationKind, 16))
    outcome: Mapped[IntegrationOutcome] = mapped_column(StrEnumType(IntegrationOutcome, 16))
    count: Mapped[int] = mapped_column(sa.BigInteger, default=0)

"""Integrations: make, change, rotate, disable and delete them; check who is posting.

The secret (`spi_...`) is shown once. Two forms of it are stored, neither usable alone:

- `secret_hash`, its SHA-256 (as API tokens): a bearer header is hashed and compared.
- `sealed_secret`, the secret XOR a keystream of HMAC-SHA256 blocks keyed by a key derived
  from the app's SECRET_KEY and the integration's id. The generic webhook may sign its body
  with the secret (HMAC-SHA256) instead of sending it; verifying that needs the secret
  itself, so it is unsealed in memory for the check. A stolen database without SECRET_KEY
  gives neither a bearer secret nor a signing key. Changing SECRET_KEY breaks signatures
  (bearer headers keep working): rotate the integration's secret afterwards.

A signature covers the timestamp too (`X-Statuspage-Timestamp`, Unix seconds, within
`SIGNATURE_TOLERANCE` of our clock), so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from statuspage.database import is_id, new_id, utcnow
from statuspage.enums import (
    ComponentStatus,
    IncidentPolicy,
    IntegrationKind,
    IntegrationOutcome,
    TemplateKind,
)
from statuspage.extensions import db
from statuspage.limits import (
    MAX_DAMPING_MINUTES,
    MAX_LABEL_NAME,
    MAX_NAME,
    MAX_SEVERITIES,
)
from statuspage.models import Integration, IntegrationEventCount, ResponseTemplate, UnmatchedAlert
from statuspage.models.integrations import DEFAULT_SEVERITY_MAP
from statuspage.services.accounts.api_tokens import MAX_SECRET_LENGTH, hash_secret
from statuspage.services.automation.signals import (
    SIGNAL_STATUSES,
    firing_alerts,
    resolve_signal,
)
from statuspage.services.errors import InvalidInput, ServiceError
from statuspage.services.inputs import clean_text
from statuspage.services.unit import Actor, unit_of_work

SECRET_PREFIX = "spi_"
#: "spi_" and 8 characters: shown in lists, and the column a lookup starts from.
DISPLAY_PREFIX_LENGTH = len(SECRET_PREFIX) + 8
#: How far a signed request's timestamp may be from our clock.
SIGNATURE_TOLERANCE = timedelta(minutes=5)
SIGNATURE_SCHEME = "sha256="
#: What our secrets look like ("spi_" and URL-safe base64); anything else is refused unread.
SECRET_SHAPE = re.compile(r"\Aspi_[A-Za-z0-9_-]+\Z")
#: A severity value an integration maps: what label values of severities look like.
SEVERITY_NAME = re.compile(r"\A[A-Za-z0-9_.:-]{1,100}\Z")
#: The label names an admin may choose: what Prometheus allows.
LABEL_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


class SecretRefused(ServiceError):
    """A missing or wrong secret or signature: the caller answers 401."""

    status_code = 401


@dataclass(frozen=True)
class NewIntegration:
    """An integration just made (or its secret rotated), with the only copy of its secret."""

    integration: Integration
    secret: str


@dataclass(frozen=True)
class IntegrationEvents:
    """One counter of /metrics' statuspage_integration_events_total."""

    integration_id: str
    integration: str
    kind: str
    outcome: str
    count: int


# ---- the secret ----------------------------------------------------------------------------


def _keystream(integration_id: str, length: int) -> bytes:
    base = current_app.config["SECRET_KEY"]
    key = hmac.new(
        base.encode() if isinstance(base, str) else base,
        b"statuspage integration signing key\x00" + integration_id.encode(),
        hashlib.sha256,
    ).digest()
    blocks = b"".join(
        hmac.new(key, counter.to_bytes(4, "big"), hashlib.sha256).digest()
        for counter in range(length // 32 + 1)
    )
    return blocks[:length]


def _xor(data: bytes, integration_id: str) -> bytes:
    stream = _keystream(integration_id, len(data))
    return bytes(a ^ b for a, b in zip(data, stream, strict=True))


def _seal(secret: str, integration_id: str) -> str:
    return _xor(secret.encode(), integration_id).hex()


def _unseal(sealed: str, integration_id: str) -> bytes:
    return _xor(bytes.fromhex(sealed), integration_id)


def _give_secret(integration: Integration) -> str:
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    integration.prefix = secret[:DISPLAY_PREFIX_LENGTH]
    integration.secret_hash = hash_secret(secret)
    integration.sealed_secret = _seal(secret, integration.id)
    return secret


def sign_body(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value: HMAC-SHA256 over "<timestamp>." and the raw body."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_SCHEME + digest.hexdigest()


def authenticate_bearer(secret: str | None, kind: IntegrationKind) -> Integration:
    """The enabled integration of *kind* whose secret this is; SecretRefused otherwise."""
    if not secret:
        raise SecretRefused("Send the integration's secret as 'Authorization: Bearer <secret>'.")
    if len(secret) > MAX_SECRET_LENGTH or not SECRET_SHAPE.match(secret):
        raise SecretRefused("This is not a valid integration secret.")
    digest = hash_secret(secret)
    candidates = db.session.scalars(
        sa.select(Integration).where(Integration.prefix == secret[:DISPLAY_PREFIX_LENGTH])
    ).all()
    found = next((c for c in candidates if hmac.compare_digest(c.secret_hash, digest)), None)
    return _usable(found, kind)


def authenticate_signature(
    integration_id: str | None,
    signature: str | None,
    timestamp: str | None,
    body: bytes,
    *,
    now: datetime | None = None,
) -> Integration:
    """The enabled generic integration that signed *body* at *timestamp*; SecretRefused
    otherwise (a wrong or stale signature, an unknown integration)."""
    now = now or utcnow()
    if not integration_id or not signature or not timestamp:
        raise SecretRefused(
            "Send 'Authorization: Bearer <secret>', or the headers X-Statuspage-Integration, "
            "X-Statuspage-Timestamp and X-Statuspage-Signature."
        )
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise SecretRefused("X-Statuspage-Timestamp must be Unix seconds.")
    if abs(now.timestamp() - int(timestamp)) > SIGNATURE_TOLERANCE.total_seconds():
        raise SecretRefused("X-Statuspage-Timestamp is more than 5 minutes from our clock.")
    if not signature.startswith(SIGNATURE_SCHEME) or len(signature) > 100:
        raise SecretRefused("X-Statuspage-Signature must be 'sha256=<hex>'.")
    found = db.session.get(Integration, integration_id) if is_id(integration_id) else None
    if found is not None:
        key = _unseal(found.sealed_secret, found.id)
        expected = sign_body(key.decode("utf-8", "replace"), timestamp, body)
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            found = None
    return _usable(found, IntegrationKind.GENERIC)


def _usable(found: Integration | None, kind: IntegrationKind) -> Integration:
    if found is None:
        raise SecretRefused("This is not a valid integration secret.")
    if found.kind is not kind:
        raise SecretRefused(
            f"This secret belongs to a {found.kind.label} integration; post to "
            f"{found.kind.endpoint}."
        )
    if not found.enabled:
        raise SecretRefused("This integration is disabled.")
    return found


# ---- making and changing -------------------------------------------------------------------


def _clean_label(value: str | None, field: str) -> str:
    text = clean_text(value, field=field, max_length=MAX_LABEL_NAME, required=True, label="A label")
    if not set(text) <= LABEL_NAME_CHARS or text[0].isdigit():
        raise InvalidInput("A label name has letters, digits and underscores only.", field=field)
    return text


def clean_severity_map(value: Mapping[str, Any] | None) -> dict[str, str]:
    """Severity value → status value, lower-cased; every status one an alert may ask for."""
    if value is None:
        return dict(DEFAULT_SEVERITY_MAP)
    if not isinstance(value, Mapping):
        raise InvalidInput("Map severities to statuses.", field="severity_map")
    if len(value) > MAX_SEVERITIES:
        raise InvalidInput(f"At most {MAX_SEVERITIES} severities.", field="severity_map")
    allowed = {s.value for s in SIGNAL_STATUSES}
    cleaned: dict[str, str] = {}
    for key, status in value.items():
        name = clean_text(
            key if isinstance(key, str) else None,
            field="severity_map",
            max_length=MAX_LABEL_NAME,
            required=True,
            label="A severity",
        ).lower()
        if not SEVERITY_NAME.match(name):
            raise InvalidInput(
                f"Severity {name!r}: letters, digits and _ . : - only.", field="severity_map"
            )
        if not isinstance(status, str) or status not in allowed:
            raise InvalidInput(
                f"Severity {name!r} must map to one of {', '.join(sorted(allowed))}.",
                field="severity_map",
            )
        cleaned[name] = ComponentStatus(status).value
    return cleaned


def _clean_damping(value: Any) -> int:
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or not (0 <= value <= MAX_DAMPING_MINUTES)
    ):
        raise InvalidInput(
            f"Damping is a whole number of minutes from 0 to {MAX_DAMPING_MINUTES}.",
            field="damping_minutes",
        )
    return value


def _clean_template(template_id: str | None) -> ResponseTemplate | None:
    if not template_id:
        return None
    template = db.session.get(ResponseTemplate, template_id) if is_id(template_id) else None
    if template is None or template.kind is not TemplateKind.INCIDENT:
        raise InvalidInput("Choose an incident template.", field="template_id")
    return template


def _clean_kind(kind: IntegrationKind | str) -> IntegrationKind:
    try:
        return IntegrationKind(kind)
    except ValueError:
        names = ", ".join(k.value for k in IntegrationKind)
        raise InvalidInput(f"Choose a kind: {names}.", field="kind") from None


def _clean_policy(policy: IncidentPolicy | str) -> IncidentPolicy:
    try:
        return IncidentPolicy(policy)
    except ValueError:
        names = ", ".join(p.value for p in IncidentPolicy)
        raise InvalidInput(
            f"Choose an incident policy: {names}.", field="incident_policy"
        ) from None


def create_integration(
    *,
    name: str,
    kind: IntegrationKind | str,
    damping_minutes: int = 2,
    incident_policy: IncidentPolicy | str = IncidentPolicy.NONE,
    template_id: str | None = None,
    component_label: str = "component",
    severity_label: str = "severity",
    severity_map: Mapping[str, Any] | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> NewIntegration:
    """Make an integration; the returned secret is the only copy there will ever be."""
    with unit_of_work("create_integration", actor=actor, now=now) as now:
        integration = Integration(
            name=clean_text(name, field="name", max_length=MAX_NAME, required=True, label="A name"),
            kind=_clean_kind(kind),
            damping_minutes=_clean_damping(damping_minutes),
            incident_policy=_clean_policy(incident_policy),
            template=_clean_template(template_id),
            component_label=_clean_label(component_label, "component_label"),
            severity_label=_clean_label(severity_label, "severity_label"),
            severity_map=clean_severity_map(severity_map),
            enabled=True,
            created_at=now,
        )
        integration.id = new_id()
        secret = _give_secret(integration)
        db.session.add(integration)
        db.session.flush()
        for outcome in IntegrationOutcome:
            db.session.add(
                IntegrationEventCount(
                    integration_id=integration.id,
                    integration_name=integration.name,
                    kind=integration.kind,
                    outcome=outcome,
                    count=0,
                )
            )
    return NewIntegration(integration, secret)


#: What update_integration may change (the kind and the secret stay: rotate the secret).
UNSET: Any = object()


def update_integration(
    integration: Integration,
    *,
    name: Any = UNSET,
    damping_minutes: Any = UNSET,
    incident_policy: Any = UNSET,
    template_id: Any = UNSET,
    component_label: Any = UNSET,
    severity_label: Any = UNSET,
    severity_map: Any = UNSET,
    enabled: Any = UNSET,
    actor: Actor,
    now: datetime | None = None,
) -> Integration:
    """Change an integration's mapping, damping or policy, or turn it off or on; what is not
    passed stays. Alerts already firing keep their damping until they next change."""
    with unit_of_work("update_integration", actor=actor, now=now):
        if name is not UNSET:
            integration.name = clean_text(
                name, field="name", max_length=MAX_NAME, required=True, label="A name"
            )
            _rename_counters(integration)
        if damping_minutes is not UNSET:
            integration.damping_minutes = _clean_damping(damping_minutes)
        if incident_policy is not UNSET:
            integration.incident_policy = _clean_policy(incident_policy)
        if template_id is not UNSET:
            integration.template = _clean_template(template_id)
        if component_label is not UNSET:
            integration.component_label = _clean_label(component_label, "component_label")
        if severity_label is not UNSET:
            integration.severity_label = _clean_label(severity_label, "severity_label")
        if severity_map is not UNSET:
            integration.severity_map = clean_severity_map(severity_map)
        if enabled is not UNSET:
            if not isinstance(enabled, bool):
                raise InvalidInput("Enabled is true or false.", field="enabled")
            if integration.enabled and not enabled:
                _resolve_firing(integration)
            integration.enabled = enabled
    return integration


def _resolve_firing(integration: Integration) -> None:
    """Resolve what it still says fires: once it stops speaking (disabled, deleted) no resolve
    could ever arrive, so the rules restore what automation still owns now."""
    for alert in firing_alerts(integration.source):
        resolve_signal(
            alert.source, alert.fingerprint, alert.component, source_label=integration.name
        )


def _rename_counters(integration: Integration) -> None:
    db.session.execute(
        sa.update(IntegrationEventCount)
        .where(IntegrationEventCount.integration_id == integration.id)
        .values(integration_name=integration.name)
        .execution_options(synchronize_session=False)
    )


def rotate_secret(
    integration: Integration, *, actor: Actor, now: datetime | None = None
) -> NewIntegration:
    """Give an integration a new secret; the old one stops working at once."""
    with unit_of_work("rotate_integration_secret", actor=actor, now=now):
        secret = _give_secret(integration)
    return NewIntegration(integration, secret)


def delete_integration(
    integration: Integration, *, actor: Actor, now: datetime | None = None
) -> None:
    """Remove an integration and its unmatched alerts; its firing alerts are resolved (the
    claim rules decide what that restores), its alerts stay in the components' history and
    its counters in /metrics."""
    with unit_of_work("delete_integration", actor=actor, now=now):
        _resolve_firing(integration)
        db.session.execute(
            sa.delete(UnmatchedAlert).where(UnmatchedAlert.integration_id == integration.id)
        )
        db.session.delete(integration)


def list_integrations() -> list[Integration]:
    """Every integration, by name (the admin list, the CLI, the management API)."""
    return list(
        db.session.scalars(sa.select(Integration).order_by(Integration.name, Integration.id))
    )


def recent_unmatched(integration: Integration, limit: int = 50) -> list[UnmatchedAlert]:
    """The label values of its alerts that matched no component, latest first."""
    return list(
        db.session.scalars(
            sa.select(UnmatchedAlert)
            .where(UnmatchedAlert.integration_id == integration.id)
            .order_by(UnmatchedAlert.last_seen_at.desc(), UnmatchedAlert.id)
            .limit(limit)
        )
    )


def count_event(integration: Integration, outcome: IntegrationOutcome, amount: int = 1) -> None:
    """Add to a counter in the caller's transaction (the rows exist from creation)."""
    if amount:
        db.session.execute(
            sa.update(IntegrationEventCount)
            .where(
                IntegrationEventCount.integration_id == integration.id,
                IntegrationEventCount.outcome == outcome,
            )
            .values(count=IntegrationEventCount.count + amount)
            .execution_options(synchronize_session=False)
        )


def count_rejection(integration: Integration) -> None:
    """A refused body of a known integration: counted in its own small transaction, as the
    request answers 400 and writes nothing else."""
    count_event(integration, IntegrationOutcome.REJECTED)
    db.session.commit()


def integration_event_counts() -> list[IntegrationEvents]:
    """Every counter, for /metrics: cumulative, never pruned, deleted integrations too."""
    rows = db.session.scalars(
        sa.select(IntegrationEventCount).order_by(
            IntegrationEventCount.integration_name,
            IntegrationEventCount.integration_id,
            IntegrationEventCount.outcome,
        )
    )
    return [
        IntegrationEvents(
            integration_id=row.integration_id,
            integration=row.integration_name,
            kind=row.kind.value,
            outcome=row.outcome.value,
            count=row.count,
        )
        for row in rows
    ]

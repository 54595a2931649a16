"""Built-in checks as admins make them: every input checked, with a message on its field."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from statuspage.enums import CheckKind, ComponentStatus, DnsRecordType, HttpMethod
from statuspage.extensions import db
from statuspage.limits import (
    CHECK_MAX_DAMPING,
    CHECK_MAX_INTERVAL,
    CHECK_MAX_STATUSES,
    CHECK_MAX_THRESHOLD,
    CHECK_MAX_TIMEOUT,
    CHECK_MAX_TLS_WARN_DAYS,
    CHECK_MIN_INTERVAL,
    CHECK_MIN_TIMEOUT,
    MAX_CHECK_KEYWORD,
    MAX_CHECKS_PER_COMPONENT,
    MAX_HOSTNAME,
)
from statuspage.models import Check, Component
from statuspage.services.automation.signals import SIGNAL_STATUSES, resolve_signal
from statuspage.services.errors import InvalidInput
from statuspage.services.inputs import clean_name, clean_text, clean_url
from statuspage.services.unit import Actor, unit_of_work

#: The one fingerprint a check's signal carries (a check says one thing about its component).
FINGERPRINT = "check"


@dataclass
class CheckInput:
    """A check's settings as a form, the command line or a test gives them."""

    kind: CheckKind
    name: str
    url: str | None = None
    method: str = HttpMethod.GET.value
    expected_statuses: list[int] = field(default_factory=list)
    keyword: str | None = None
    tls_warn_days: int = 14
    host: str | None = None
    port: int | None = None
    hostname: str | None = None
    record_type: str = DnsRecordType.A.value
    timeout_seconds: float = 10.0
    interval_seconds: int = 60
    failure_threshold: int = 3
    success_threshold: int = 2
    failure_status: ComponentStatus = ComponentStatus.MAJOR_OUTAGE
    damping_minutes: int = 2
    enabled: bool = True


def _bounded(value: int | None, *, low: int, high: int, field: str, label: str) -> int:
    if value is None:
        raise InvalidInput(f"{label} is required.", field=field)
    if not low <= value <= high:
        raise InvalidInput(f"{label} must be between {low} and {high}.", field=field)
    return value


def _host(value: str | None, *, field: str) -> str:
    """A host name or address: no scheme, path, port or spaces."""
    text = clean_text(value, field=field, max_length=MAX_HOSTNAME, required=True, label="A host")
    if any(c in text for c in " /@?#[]") or text.count(":") == 1:
        raise InvalidInput(
            "Give a host name or address only (no scheme, port or path).", field=field
        )
    return text


def clean_check_input(data: CheckInput) -> dict[str, object]:
    """The check's columns from *data*, each field checked; the kind's other target fields
    are emptied so a check carries only what it probes."""
    kind = CheckKind(data.kind)
    values: dict[str, object] = {
        "kind": kind,
        "name": clean_name(data.name),
        "url": None,
        "method": None,
        "expected_statuses": [],
        "keyword": None,
        "tls_warn_days": 0,
        "host": None,
        "port": None,
        "hostname": None,
        "record_type": None,
    }
    if kind is CheckKind.HTTP:
        values["url"] = clean_url(data.url, field="url", schemes=("http", "https"), required=True)
        if data.method not in {m.value for m in HttpMethod}:
            raise InvalidInput("The method is GET or HEAD.", field="method")
        values["method"] = data.method
        statuses = list(dict.fromkeys(data.expected_statuses))
        if len(statuses) > CHECK_MAX_STATUSES:
            raise InvalidInput(
                f"List at most {CHECK_MAX_STATUSES} status codes.", field="expected_statuses"
            )
        for code in statuses:
            if not 100 <= code <= 599:
                raise InvalidInput(
                    f"{code} is no HTTP status code (100 to 599).", field="expected_statuses"
                )
        values["expected_statuses"] = statuses
        keyword = clean_text(
            data.keyword, field="keyword", max_length=MAX_CHECK_KEYWORD, required=False
        )
        if keyword and data.method == HttpMethod.HEAD.value:
            raise InvalidInput("A HEAD request has no body to find a keyword in.", field="keyword")
        values["keyword"] = keyword or None
        values["tls_warn_days"] = _bounded(
            data.tls_warn_days,
            low=0,
            high=CHECK_MAX_TLS_WARN_DAYS,
            field="tls_warn_days",
            label="The certificate warning",
        )
    elif kind is CheckKind.TCP:
        values["host"] = _host(data.host, field="host")
        values["port"] = _bounded(data.port, low=1, high=65535, field="port", label="The port")
    else:
        values["hostname"] = _host(data.hostname, field="hostname")
        if data.record_type not in {r.value for r in DnsRecordType}:
            raise InvalidInput("The record type is A or AAAA.", field="record_type")
        values["record_type"] = data.record_type
    values.update(_schedule(data))
    return values


def _schedule(data: CheckInput) -> dict[str, object]:
    """Interval, timeout, thresholds, status and damping: the same rules for every kind."""
    interval = _bounded(
        data.interval_seconds,
        low=CHECK_MIN_INTERVAL,
        high=CHECK_MAX_INTERVAL,
        field="interval_seconds",
        label="The interval",
    )
    timeout = data.timeout_seconds
    if timeout is None or not math.isfinite(timeout):
        raise InvalidInput("The timeout is required.", field="timeout_seconds")
    if not CHECK_MIN_TIMEOUT <= timeout <= CHECK_MAX_TIMEOUT:
        raise InvalidInput(
            f"The timeout must be between {CHECK_MIN_TIMEOUT:g} and {CHECK_MAX_TIMEOUT:g} seconds.",
            field="timeout_seconds",
        )
    if timeout >= interval:
        raise InvalidInput(
            "The timeout must be shorter than the interval.", field="timeout_seconds"
        )
    if ComponentStatus(data.failure_status) not in SIGNAL_STATUSES:
        raise InvalidInput(
            "A failing check sets degraded performance, partial outage or major outage.",
            field="failure_status",
        )
    return {
        "interval_seconds": interval,
        "timeout_seconds": float(timeout),
        "failure_threshold": _bounded(
            data.failure_threshold,
            low=1,
            high=CHECK_MAX_THRESHOLD,
            field="failure_threshold",
            label="The failures before a change",
        ),
        "success_threshold": _bounded(
            data.success_threshold,
            low=1,
            high=CHECK_MAX_THRESHOLD,
            field="success_threshold",
            label="The successes before a restore",
        ),
        "failure_status": ComponentStatus(data.failure_status),
        "damping_minutes": _bounded(
            data.damping_minutes,
            low=0,
            high=CHECK_MAX_DAMPING,
            field="damping_minutes",
            label="The damping",
        ),
        "enabled": bool(data.enabled),
    }


def create_check(
    component: Component, data: CheckInput, *, actor: Actor, now: datetime | None = None
) -> Check:
    """Add a check to *component*; it first runs on the scheduler's next look."""
    values = clean_check_input(data)
    with unit_of_work("create_check", actor=actor, now=now):
        if component.is_archived:
            raise InvalidInput("That component is archived.", field="component")
        count = db.session.scalar(
            sa.select(sa.func.count()).select_from(Check).where(Check.component_id == component.id)
        )
        if (count or 0) >= MAX_CHECKS_PER_COMPONENT:
            raise InvalidInput(
                f"A component has at most {MAX_CHECKS_PER_COMPONENT} checks.", field="name"
            )
        check = Check(component=component, **values)
        db.session.add(check)
        db.session.flush()
    return check


def update_check(
    check: Check, data: CheckInput, *, actor: Actor, now: datetime | None = None
) -> Check:
    """Change a check; a new target or thresholds start its counting afresh, and a check that
    was failing resolves its signal (the next failures decide again)."""
    values = clean_check_input(data)
    with unit_of_work("update_check", actor=actor, now=now) as now:
        for key, value in values.items():
            setattr(check, key, value)
        db.session.flush()
        _stop_signal(check, now)
        check.consecutive_failures = check.consecutive_successes = 0
        check.next_run_at = None
    return check


def delete_check(check: Check, *, actor: Actor, now: datetime | None = None) -> None:
    """Remove a check and its results; what its signal still asks of the component ends."""
    with unit_of_work("delete_check", actor=actor, now=now) as now:
        _stop_signal(check, now)
        db.session.delete(check)


def _stop_signal(check: Check, now: datetime) -> None:
    """Resolve the check's signal if it fires: the claim rules decide what the status becomes."""
    if check.failing:
        resolve_signal(check.source, FINGERPRINT, check.component, source_label=check.name, now=now)
        check.failing = False


def checks_of(component: Component) -> list[Check]:
    """A component's checks, by name (its admin page)."""
    return list(
        db.session.scalars(
            sa.select(Check).where(Check.component_id == component.id).order_by(Check.name)
        )
    )

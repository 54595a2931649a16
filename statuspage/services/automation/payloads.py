"""What each kind of integration posts, read into one shape: a list of `AlertMessage`.

One parser per `IntegrationKind`, in `PARSERS`: Alertmanager's webhook (payload version 4),
Grafana unified alerting's webhook contact point (Alertmanager's shape plus Grafana's fields)
and our generic body. A body that is not what its kind sends is refused with a message that
names the problem (`PayloadRefused`, 400): nothing is half-applied.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from statuspage.enums import AlertState, ComponentStatus, IntegrationKind
from statuspage.limits import (
    MAX_ALERT_SUMMARY,
    MAX_ALERTS_PER_BODY,
    MAX_FINGERPRINT,
    MAX_LABEL_VALUE,
)
from statuspage.services.errors import ServiceError

#: Labels and annotations one alert may carry.
MAX_LABELS = 100
#: The longest key or value of one (a longer one is refused, never cut).
MAX_LABEL_TEXT = MAX_LABEL_VALUE


class PayloadRefused(ServiceError):
    """A body that is not what the endpoint's kind sends: the caller answers 400."""

    status_code = 400


@dataclass(frozen=True)
class AlertMessage:
    """One alert as any integration says it: its state, identity, labels and words.

    *status* is set only by senders that name a status outright (the generic body); the
    others are mapped from their severity label by the integration.
    """

    state: AlertState
    fingerprint: str
    labels: dict[str, str] = field(default_factory=dict)
    summary: str | None = None
    status: ComponentStatus | None = None


def _load(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise PayloadRefused("The body is not valid JSON (UTF-8).") from error


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _text(value: Any, where: str, *, limit: int = MAX_LABEL_TEXT) -> str:
    if not isinstance(value, str):
        raise PayloadRefused(f"{where} must be a string.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise PayloadRefused(f"{where} is not valid text.") from error
    if "\x00" in value:
        raise PayloadRefused(f"{where} contains a NUL character.")
    if len(value) > limit:
        raise PayloadRefused(f"{where} is {len(value)} characters long; at most {limit} fit.")
    return value


def _string_map(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PayloadRefused(f"{where} must be an object of strings.")
    if len(value) > MAX_LABELS:
        raise PayloadRefused(f"{where} has {len(value)} entries; at most {MAX_LABELS} fit.")
    return {
        _text(key, f"A key of {where}"): _text(item, f"{where}.{key}")
        for key, item in value.items()
    }


def _state(value: Any, where: str) -> AlertState:
    try:
        return AlertState(value)
    except ValueError:
        raise PayloadRefused(f"{where} must be 'firing' or 'resolved'.") from None


def _summary(annotations: Mapping[str, str], labels: Mapping[str, str]) -> str | None:
    """Alertmanager's custom: the summary annotation, else the description, else the name."""
    for text in (annotations.get("summary"), annotations.get("description")):
        if text and text.strip():
            return text.strip()[:MAX_ALERT_SUMMARY]
    name = labels.get("alertname")
    return name[:MAX_ALERT_SUMMARY] if name else None


def _fingerprint(value: Any, labels: Mapping[str, str], where: str) -> str:
    """The sender's fingerprint, else one made of the labels (the same alert, the same one)."""
    if value is None or value == "":
        text = json.dumps(labels, sort_keys=True, ensure_ascii=False)
        return text if len(text) <= MAX_FINGERPRINT else _digest(text)
    return _text(value, where, limit=MAX_FINGERPRINT)


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _alertmanager_alerts(body: Any, *, kind: str) -> list[AlertMessage]:
    """The alerts of an Alertmanager-shaped body (Alertmanager's own, or Grafana's)."""
    if not isinstance(body, dict):
        raise PayloadRefused(f"Send the {kind} webhook body: a JSON object with 'alerts'.")
    alerts = body.get("alerts")
    if not isinstance(alerts, list):
        raise PayloadRefused(f"'alerts' is missing or not a list: this is not a {kind} body.")
    if len(alerts) > MAX_ALERTS_PER_BODY:
        raise PayloadRefused(
            f"The body carries {len(alerts)} alerts; at most {MAX_ALERTS_PER_BODY} fit."
        )
    common = _string_map(body.get("commonLabels"), "commonLabels")
    messages = []
    for index, alert in enumerate(alerts):
        where = f"alerts[{index}]"
        if not isinstance(alert, dict):
            raise PayloadRefused(f"{where} must be an object.")
        labels = {**common, **_string_map(alert.get("labels"), f"{where}.labels")}
        annotations = _string_map(alert.get("annotations"), f"{where}.annotations")
        messages.append(
            AlertMessage(
                state=_state(alert.get("status"), f"{where}.status"),
                fingerprint=_fingerprint(alert.get("fingerprint"), labels, f"{where}.fingerprint"),
                labels=labels,
                summary=_summary(annotations, labels),
            )
        )
    return messages


def parse_alertmanager(raw: bytes) -> list[AlertMessage]:
    """Alertmanager's webhook_config body; only its payload version 4 is understood."""
    body = _load(raw)
    if isinstance(body, dict) and body.get("version") != "4":
        raise PayloadRefused(
            f"Alertmanager payload version {body.get('version')!r} is not supported; "
            'send version "4" (Alertmanager 0.x\'s webhook_config).'
        )
    return _alertmanager_alerts(body, kind="Alertmanager")


def parse_grafana(raw: bytes) -> list[AlertMessage]:
    """Grafana unified alerting's webhook contact point body (any of its versions so far)."""
    return _alertmanager_alerts(_load(raw), kind="Grafana")


#: The generic body's fields.
GENERIC_FIELDS = frozenset({"component", "status", "summary", "fingerprint", "state", "labels"})


def parse_generic(raw: bytes) -> list[AlertMessage]:
    """Our own body: {component, status, summary, fingerprint, state} (docs/integrations.md)."""
    body = _load(raw)
    if not isinstance(body, dict):
        raise PayloadRefused(
            "Send a JSON object: {component, status, summary, fingerprint, state}."
        )
    unknown = sorted(set(body) - GENERIC_FIELDS)
    if unknown:
        raise PayloadRefused(f"Unknown field {unknown[0]!r}; the fields are {_fields()}.")
    state = _state(body.get("state", "firing"), "state")
    component = body.get("component")
    if component is None or component == "":
        raise PayloadRefused("'component' is required: a component's id, name or alias.")
    component = _text(component, "component")
    status: ComponentStatus | None = None
    if state is AlertState.FIRING:
        status = _generic_status(body.get("status"))
    labels = _string_map(body.get("labels"), "labels")
    summary = body.get("summary")
    return [
        AlertMessage(
            state=state,
            fingerprint=_fingerprint(
                body.get("fingerprint"), {"component": component}, "fingerprint"
            ),
            labels={**labels, "component": component},
            summary=_text(summary, "summary", limit=MAX_ALERT_SUMMARY) if summary else None,
            status=status,
        )
    ]


def _fields() -> str:
    return ", ".join(sorted(GENERIC_FIELDS))


#: The statuses the generic body may ask for.
GENERIC_STATUSES = (
    ComponentStatus.DEGRADED_PERFORMANCE,
    ComponentStatus.PARTIAL_OUTAGE,
    ComponentStatus.MAJOR_OUTAGE,
)


def _generic_status(value: Any) -> ComponentStatus:
    names = ", ".join(s.value for s in GENERIC_STATUSES)
    if value is None:
        raise PayloadRefused(f"'status' is required while firing: one of {names}.")
    try:
        status = ComponentStatus(value)
    except ValueError:
        raise PayloadRefused(f"'status' must be one of {names}.") from None
    if status not in GENERIC_STATUSES:
        raise PayloadRefused(f"'status' must be one of {names}.")
    return status


#: One parser per kind: the only place the kinds' bodies differ.
PARSERS: dict[IntegrationKind, Callable[[bytes], list[AlertMessage]]] = {
    IntegrationKind.ALERTMANAGER: parse_alertmanager,
    IntegrationKind.GRAFANA: parse_grafana,
    IntegrationKind.GENERIC: parse_generic,
}


def parse_payload(kind: IntegrationKind, raw: bytes) -> list[AlertMessage]:
    """The alerts of *raw*, read as *kind* sends them; PayloadRefused otherwise."""
    return PARSERS[kind](raw)

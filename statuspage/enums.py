"""Domain vocabulary: the Statuspage strings, each with a label and, for statuses, a severity."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class ComponentStatus(StrEnum):
    OPERATIONAL = "operational"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"
    UNDER_MAINTENANCE = "under_maintenance"

    @property
    def label(self) -> str:
        return _COMPONENT_LABELS[self]

    @property
    def severity(self) -> int:
        """Order used for roll-ups: maintenance outranks operational, every fault outranks it."""
        return _COMPONENT_SEVERITY[self]

    @property
    def is_outage(self) -> bool:
        return self in (ComponentStatus.PARTIAL_OUTAGE, ComponentStatus.MAJOR_OUTAGE)

    @property
    def colour(self) -> str:
        """The status colour of the page's stylesheet (white text on it passes WCAG AA)."""
        return _COMPONENT_COLOURS[self]

    @classmethod
    def worst(cls, statuses: Iterable[ComponentStatus]) -> ComponentStatus:
        """The most severe of *statuses*, operational when there are none."""
        return max(statuses, key=lambda s: s.severity, default=cls.OPERATIONAL)


_COMPONENT_LABELS = {
    ComponentStatus.OPERATIONAL: "Operational",
    ComponentStatus.DEGRADED_PERFORMANCE: "Degraded performance",
    ComponentStatus.PARTIAL_OUTAGE: "Partial outage",
    ComponentStatus.MAJOR_OUTAGE: "Major outage",
    ComponentStatus.UNDER_MAINTENANCE: "Under maintenance",
}
_COMPONENT_COLOURS = {  # static/css/statuspage.css: --ok, --degraded, --partial, --major, --maint
    ComponentStatus.OPERATIONAL: "#1a7f37",
    ComponentStatus.DEGRADED_PERFORMANCE: "#8a5a00",
    ComponentStatus.PARTIAL_OUTAGE: "#b35900",
    ComponentStatus.MAJOR_OUTAGE: "#c9182b",
    ComponentStatus.UNDER_MAINTENANCE: "#0b62c4",
}
_COMPONENT_SEVERITY = {
    ComponentStatus.OPERATIONAL: 0,
    ComponentStatus.UNDER_MAINTENANCE: 1,
    ComponentStatus.DEGRADED_PERFORMANCE: 2,
    ComponentStatus.PARTIAL_OUTAGE: 3,
    ComponentStatus.MAJOR_OUTAGE: 4,
}


class IncidentStatus(StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class MaintenanceStatus(StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    VERIFYING = "verifying"
    COMPLETED = "completed"
    #: Ours, not Statuspage's: the public JSON shows a cancelled window as "completed".
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {"in_progress": "In progress"}.get(self.value, self.value.capitalize())

    @property
    def api_value(self) -> str:
        return "completed" if self is MaintenanceStatus.CANCELLED else self.value

    @property
    def is_active(self) -> bool:
        return self in (MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING)

    @property
    def is_closed(self) -> bool:
        return self in (MaintenanceStatus.COMPLETED, MaintenanceStatus.CANCELLED)

    @classmethod
    def moves_from(cls, status: MaintenanceStatus) -> set[MaintenanceStatus]:
        """Where an update may move a window from *status*: forward (or back from verifying to
        in progress), and cancelled from any open status; nowhere once it is over."""
        if status.is_closed:
            return set()
        return {*_MAINTENANCE_MOVES[status], cls.CANCELLED}


_MAINTENANCE_MOVES = {
    MaintenanceStatus.SCHEDULED: {MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS},
    MaintenanceStatus.IN_PROGRESS: {
        MaintenanceStatus.IN_PROGRESS,
        MaintenanceStatus.VERIFYING,
        MaintenanceStatus.COMPLETED,
    },
    MaintenanceStatus.VERIFYING: {
        MaintenanceStatus.IN_PROGRESS,
        MaintenanceStatus.VERIFYING,
        MaintenanceStatus.COMPLETED,
    },
}


class Impact(StrEnum):
    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"

    @property
    def label(self) -> str:
        return {"none": "No impact"}.get(self.value, self.value.capitalize())

    @property
    def severity(self) -> int:
        return list(Impact).index(self)


class Indicator(StrEnum):
    """The page roll-up indicator of status.json; `maintenance` is real though undocumented."""

    NONE = "none"
    MAINTENANCE = "maintenance"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"

    @property
    def severity(self) -> int:
        return list(Indicator).index(self)

    @property
    def colour(self) -> str:
        """The banner's colour for this indicator (the page's `.indicator-*` rules)."""
        return _INDICATOR_STATUS[self].colour


_INDICATOR_STATUS = {
    Indicator.NONE: ComponentStatus.OPERATIONAL,
    Indicator.MAINTENANCE: ComponentStatus.UNDER_MAINTENANCE,
    Indicator.MINOR: ComponentStatus.DEGRADED_PERFORMANCE,
    Indicator.MAJOR: ComponentStatus.PARTIAL_OUTAGE,
    Indicator.CRITICAL: ComponentStatus.MAJOR_OUTAGE,
}


class Visibility(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Audience(StrEnum):
    """Who is reading: the public sees public items, staff see public and internal ones."""

    PUBLIC = "public"
    INTERNAL = "internal"

    @property
    def visibilities(self) -> tuple[Visibility, ...]:
        if self is Audience.INTERNAL:
            return (Visibility.PUBLIC, Visibility.INTERNAL)
        return (Visibility.PUBLIC,)


class StatusCause(StrEnum):
    INCIDENT = "incident"
    MAINTENANCE = "maintenance"
    MANUAL = "manual"
    AUTOMATION = "automation"


class AlertState(StrEnum):
    """Where an automation signal (a monitoring alert, a failing check) stands."""

    FIRING = "firing"
    RESOLVED = "resolved"


class IntegrationKind(StrEnum):
    """Which monitoring system an integration speaks for: each has its own endpoint and
    payload (services/automation/payloads.py holds one parser per kind)."""

    ALERTMANAGER = "alertmanager"
    GRAFANA = "grafana"
    GENERIC = "generic"

    @property
    def label(self) -> str:
        return {
            "alertmanager": "Prometheus Alertmanager",
            "grafana": "Grafana alerting",
            "generic": "Generic webhook",
        }[self.value]

    @property
    def endpoint(self) -> str:
        """The path its alerts are posted to."""
        tail = "webhook" if self is IntegrationKind.GENERIC else self.value
        return f"/api/integrations/{tail}"

    @property
    def accepts_signature(self) -> bool:
        """Whether it may sign its body (HMAC) instead of sending the bearer secret: only the
        generic webhook, whose senders are scripts we document; the others send a header."""
        return self is IntegrationKind.GENERIC


class IncidentPolicy(StrEnum):
    """What an integration's firing alerts do beyond the component status."""

    NONE = "none"
    #: An internal incident editors are mailed to review and publish.
    DRAFT = "draft"
    #: A public incident, resolved when all of its alerts have resolved.
    PUBLISH = "publish"

    @property
    def label(self) -> str:
        return {
            "none": "Statuses only",
            "draft": "Draft an internal incident for editors to publish",
            "publish": "Publish an incident (resolved when its alerts resolve)",
        }[self.value]

    @property
    def opens_incident(self) -> bool:
        return self is not IncidentPolicy.NONE

    @property
    def incident_visibility(self) -> Visibility:
        """Who sees the incidents it opens: staff only for a draft."""
        return Visibility.INTERNAL if self is IncidentPolicy.DRAFT else Visibility.PUBLIC

    @property
    def asks_editors(self) -> bool:
        """Whether editors are mailed to review and publish what it opened."""
        return self is IncidentPolicy.DRAFT

    @property
    def resolves_incident(self) -> bool:
        """Whether the incident resolves itself when its alerts have: a draft waits for a
        person, who decides what the public is told."""
        return self is IncidentPolicy.PUBLISH


class IntegrationOutcome(StrEnum):
    """What became of one alert an integration sent (the cumulative event counters)."""

    FIRING = "firing"
    RESOLVED = "resolved"
    #: The same state again: nothing changed.
    DUPLICATE = "duplicate"
    #: No component matched its label.
    UNMATCHED = "unmatched"
    #: A request refused: a bad secret or signature, a bad body.
    REJECTED = "rejected"


class UpdateKind(StrEnum):
    UPDATE = "update"
    #: Internal note: staff-only text on the timeline, never published or mailed.
    NOTE = "note"

    @property
    def is_news_for_staff(self) -> bool:
        """A note is never mailed (it has no "deliver notifications"), yet internal chat
        channels hear of it."""
        return self is UpdateKind.NOTE


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def token_scope(self) -> TokenScope:
        """The widest API token scope this role may use: a token never outranks its maker."""
        return {
            Role.VIEWER: TokenScope.READ,
            Role.EDITOR: TokenScope.WRITE,
            Role.ADMIN: TokenScope.ADMIN,
        }[self]


class Via(StrEnum):
    """The channel a write came through, for the audit log."""

    UI = "ui"
    API = "api"
    SCHEDULER = "scheduler"
    CLI = "cli"


class Cadence(StrEnum):
    """How often a subscriber hears from us: each event as it happens, or a digest."""

    IMMEDIATE = "immediate"
    HOURLY = "hourly"
    DAILY = "daily"
    WEEKLY = "weekly"

    @property
    def label(self) -> str:
        return {
            "immediate": "Every update, as it happens",
            "hourly": "Hourly digest",
            "daily": "Daily digest",
            "weekly": "Weekly digest",
        }[self.value]

    @property
    def is_digest(self) -> bool:
        return self is not Cadence.IMMEDIATE


class SubscriberState(StrEnum):
    PENDING = "pending"  # waiting for the confirmation click
    ACTIVE = "active"
    PAUSED = "paused"
    BOUNCING = "bouncing"  # repeated permanent failures: we stopped sending
    UNSUBSCRIBED = "unsubscribed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class DeliveryKind(StrEnum):
    CONFIRMATION = "confirmation"
    NOTIFICATION = "notification"
    DIGEST = "digest"
    MANAGE = "manage"  # "you are already subscribed: here is your link"
    TEST = "test"
    #: Staff mail: an SLA target about to be missed or breached (composed when queued).
    ESCALATION = "escalation"
    #: Staff mail: an action item's owner told it fell overdue (composed when queued).
    ACTION_OVERDUE = "action_overdue"

    #: Staff mail: customer reports for one component spiked (composed when queued).
    REPORT_SPIKE = "report_spike"
    #: To a customer who reported a problem: the incident it was linked to is resolved.
    REPORT_RESOLVED = "report_resolved"
    #: Staff mail: an integration drafted an internal incident for editors to publish.
    INTEGRATION_DRAFT = "alert_draft"
    #: A Statuspage webhook payload POSTed to a webhook subscriber's endpoint.
    WEBHOOK = "webhook"
    #: To a webhook subscriber's notice address: its endpoint was disabled after failures.
    WEBHOOK_DISABLED = "webhook_disabled"
    #: A formatted message POSTed to a chat channel's incoming webhook.
    CHAT = "chat"
    #: A chat channel's "send test message" (composed when queued).
    CHAT_TEST = "chat_test"

    @property
    def over_http(self) -> bool:
        """Whether it is POSTed to a URL (the hooks sender) rather than mailed (the mail sender)."""
        return self in (DeliveryKind.WEBHOOK, DeliveryKind.CHAT, DeliveryKind.CHAT_TEST)

    @classmethod
    def mailed(cls) -> tuple[DeliveryKind, ...]:
        """The kinds the mail sender sends."""
        return tuple(kind for kind in cls if not kind.over_http)

    @classmethod
    def posted(cls) -> tuple[DeliveryKind, ...]:
        """The kinds the hooks sender POSTs."""
        return tuple(kind for kind in cls if kind.over_http)


class SubscriberKind(StrEnum):
    """How a subscriber hears the news: by mail, or by Statuspage webhook payloads."""

    EMAIL = "email"
    WEBHOOK = "webhook"

    @property
    def label(self) -> str:
        return "Email" if self is SubscriberKind.EMAIL else "Webhook"

    @property
    def has_cadence(self) -> bool:
        """Only mail can come as digests: a webhook hears each event at once."""
        return self is SubscriberKind.EMAIL

    @property
    def notification(self) -> DeliveryKind:
        """The delivery an event becomes for this kind of subscriber."""
        return DeliveryKind.NOTIFICATION if self is SubscriberKind.EMAIL else DeliveryKind.WEBHOOK

    @property
    def topics(self) -> tuple[str, ...]:
        """The event topics it hears of: Statuspage's webhooks carry incident (and maintenance)
        updates and component status changes; mail carries updates, reminders, postmortems."""
        if self is SubscriberKind.EMAIL:
            return ("update", "reminder", "postmortem")
        return ("update", "component")


class ChatKind(StrEnum):
    """Incoming-webhook chat services; each formats a message its own way (services/hooks)."""

    SLACK = "slack"
    TEAMS = "teams"
    DISCORD = "discord"
    MATTERMOST = "mattermost"

    @property
    def label(self) -> str:
        return {"teams": "Microsoft Teams"}.get(self.value, self.value.capitalize())


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # the subscriber left or paused before it went out


class TokenScope(StrEnum):
    """What an API token may do: read ⊆ write ⊆ admin for the management API; metrics reads only
    `/metrics`, so a scraper's token opens nothing else (admin includes it)."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"
    METRICS = "metrics"

    @property
    def label(self) -> str:
        return {
            "read": "Read: GET only",
            "write": "Write: read, and post incidents, updates, statuses and maintenance, and "
            "manage components and groups",
            "admin": "Admin: write, read subscribers, and /metrics",
            "metrics": "Metrics: /metrics only (for a Prometheus scraper)",
        }[self.value]

    @property
    def grants(self) -> frozenset[TokenScope]:
        """Every scope a token of this scope covers."""
        return {
            TokenScope.READ: frozenset({TokenScope.READ}),
            TokenScope.WRITE: frozenset({TokenScope.READ, TokenScope.WRITE}),
            TokenScope.ADMIN: frozenset(TokenScope),
            TokenScope.METRICS: frozenset({TokenScope.METRICS}),
        }[self]

    def allows(self, needed: TokenScope) -> bool:
        """True when a token of this scope may do what *needed* covers."""
        return needed in self.grants

    def capped(self, cap: TokenScope) -> TokenScope | None:
        """The narrower of this scope and *cap*; None when they share nothing (a metrics token
        whose maker is no longer an admin), so a demotion never widens a token."""
        if cap.allows(self):
            return self
        return cap if self.allows(cap) else None


class Urgency(StrEnum):
    """How fast an incident's effect grows or must be stopped (ITIL's urgency)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Priority(StrEnum):
    """P1 (most urgent) to P4, from impact x urgency by the page's matrix."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"

    @property
    def rank(self) -> int:
        """1 for P1: sorting by rank puts the most urgent first."""
        return int(self.value[1])

    @property
    def label(self) -> str:
        return self.value


class IncidentRole(StrEnum):
    """The people running an incident: one commander, one communications lead, responders."""

    COMMANDER = "commander"
    COMMS_LEAD = "comms_lead"
    RESPONDER = "responder"

    @property
    def label(self) -> str:
        return {
            "commander": "Incident commander",
            "comms_lead": "Communications lead",
            "responder": "Responder",
        }[self.value]

    @property
    def is_single(self) -> bool:
        """Whether an incident has at most one person in this role (a hand-over replaces)."""
        return self is not IncidentRole.RESPONDER


class SlaTarget(StrEnum):
    """The targets of an SLA policy, each in minutes, all counted from the incident's start
    except the cadence, which counts from the last public update."""

    ACKNOWLEDGE = "acknowledge"
    FIRST_UPDATE = "first_update"
    UPDATE_CADENCE = "update_cadence"
    RESOLVE = "resolve"

    @property
    def label(self) -> str:
        return {
            "acknowledge": "Acknowledge",
            "first_update": "First public update",
            "update_cadence": "Next public update",
            "resolve": "Resolve",
        }[self.value]

    @property
    def needs_public(self) -> bool:
        """Targets about public updates apply only to incidents the public can see."""
        return self in (SlaTarget.FIRST_UPDATE, SlaTarget.UPDATE_CADENCE)


class ClockState(StrEnum):
    """Where one SLA clock stands."""

    RUNNING = "running"
    DUE_SOON = "due_soon"
    BREACHED = "breached"
    MET = "met"
    MET_LATE = "met_late"
    #: Never met, and the incident was resolved after it was due.
    MISSED = "missed"
    WAITING = "waiting"  # its start has not come (the cadence before the first public update)
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        return {
            "running": "Running",
            "due_soon": "Due soon",
            "breached": "Breached",
            "met": "Met",
            "met_late": "Met late",
            "missed": "Missed",
            "waiting": "Not started",
            "not_applicable": "Not applicable",
        }[self.value]

    @property
    def is_breached(self) -> bool:
        return self in (ClockState.BREACHED, ClockState.MET_LATE, ClockState.MISSED)

    @property
    def is_open(self) -> bool:
        """Still counting down: the console flags these."""
        return self in (ClockState.RUNNING, ClockState.DUE_SOON, ClockState.BREACHED)


class EscalationLevel(StrEnum):
    """An escalation is sent once per incident, target and level."""

    WARNING = "warning"  # the target is about to be missed
    BREACH = "breach"

    @property
    def label(self) -> str:
        return {"warning": "About to be missed", "breach": "Breached"}[self.value]


class ResponseEventKind(StrEnum):
    """Staff-side entries of an incident's internal timeline."""

    PRIORITY = "priority"
    URGENCY = "urgency"
    ROLE = "role"
    ACKNOWLEDGED = "acknowledged"
    SLA_WARNING = "sla_warning"
    SLA_BREACH = "sla_breach"

    @property
    def label(self) -> str:
        return {
            "priority": "Priority",
            "urgency": "Urgency",
            "role": "Role",
            "acknowledged": "Acknowledged",
            "sla_warning": "SLA warning",
            "sla_breach": "SLA breach",
        }[self.value]


class TemplateKind(StrEnum):
    """A canned response opens an incident or posts an update."""

    INCIDENT = "incident"
    UPDATE = "update"

    @property
    def label(self) -> str:
        return {"incident": "New incident", "update": "Update"}[self.value]

    @property
    def statuses(self) -> tuple[IncidentStatus, ...]:
        """What a template of this kind may post: a new incident is never resolved."""
        if self is TemplateKind.INCIDENT:
            return tuple(s for s in IncidentStatus if s is not IncidentStatus.RESOLVED)
        return tuple(IncidentStatus)

    @property
    def needs_title(self) -> bool:
        """A new incident has a title; an update has none of its own."""
        return self is TemplateKind.INCIDENT


class ActionItemStatus(StrEnum):
    """Where a post-incident action item stands."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    WONT_DO = "wont_do"

    @property
    def label(self) -> str:
        return {
            "open": "Open",
            "in_progress": "In progress",
            "done": "Done",
            "wont_do": "Won't do",
        }[self.value]

    @property
    def is_active(self) -> bool:
        """Still to be done: only these can be overdue."""
        return self in (ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS)


class ProblemStatus(StrEnum):
    """ITIL problem management: a problem is investigated, becomes a known error once its root
    cause (and ideally a workaround) is known, and is resolved when the cause is removed."""

    INVESTIGATING = "investigating"
    KNOWN_ERROR = "known_error"
    RESOLVED = "resolved"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class ReportState(StrEnum):
    """Where a customer's problem report stands in the triage queue."""

    NEW = "new"
    LINKED = "linked"
    DISMISSED = "dismissed"

    @property
    def label(self) -> str:
        return {"linked": "Linked to an incident"}.get(self.value, self.value.capitalize())


class CheckKind(StrEnum):
    """What a built-in check probes; each kind names the target fields it reads."""

    HTTP = "http"
    TCP = "tcp"
    DNS = "dns"

    @property
    def label(self) -> str:
        return {"http": "HTTP(S) request", "tcp": "TCP connect", "dns": "DNS resolve"}[self.value]

    @property
    def target_fields(self) -> tuple[str, ...]:
        """The check's columns this kind uses (the others stay empty)."""
        return {
            "http": ("url", "method", "expected_statuses", "keyword", "tls_warn_days"),
            "tcp": ("host", "port"),
            "dns": ("hostname", "record_type"),
        }[self.value]

    def describe(self, values: dict[str, object]) -> str:
        """The target in one line for staff pages: "GET https://…", "db:5432", "A example.com"."""
        if self is CheckKind.HTTP:
            return f"{values.get('method')} {values.get('url')}"
        if self is CheckKind.TCP:
            return f"{values.get('host')}:{values.get('port')}"
        return f"{values.get('record_type')} {values.get('hostname')}"


class HttpMethod(StrEnum):
    """Methods an HTTP check may send: ones that read, never ones that change a target."""

    GET = "GET"
    HEAD = "HEAD"

    @property
    def label(self) -> str:
        return self.value


class DnsRecordType(StrEnum):
    """The address records a DNS check asks the system resolver for."""

    A = "A"
    AAAA = "AAAA"

    @property
    def label(self) -> str:
        return {"A": "A (IPv4)", "AAAA": "AAAA (IPv6)"}[self.value]

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


class UpdateKind(StrEnum):
    UPDATE = "update"
    #: Internal note: staff-only text on the timeline, never published or mailed.
    NOTE = "note"


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


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # the subscriber left or paused before it went out


class TokenScope(StrEnum):
    """What an API token may do; each scope includes the ones before it."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(TokenScope).index(self)

    @property
    def label(self) -> str:
        return {
            "read": "Read: GET only",
            "write": "Write: read, and post incidents, updates, statuses and maintenance, and "
            "manage components and groups",
            "admin": "Admin: write, and read subscribers",
        }[self.value]

    def allows(self, needed: TokenScope) -> bool:
        """True when a token of this scope may do what *needed* covers (admin ⊇ write ⊇ read)."""
        return self.rank >= needed.rank

    def capped(self, cap: TokenScope) -> TokenScope:
        """The narrower of this scope and *cap*."""
        return self if self.rank <= cap.rank else cap

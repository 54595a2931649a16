"""A richly seeded page for the feed and calendar tests: multi-update incidents, a maintenance
window in every state, and everything a public reader must never see (each marked SECRET)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from statuspage.enums import ComponentStatus, Impact, IncidentStatus, MaintenanceStatus, Visibility
from statuspage.models import Component, Incident, Maintenance
from statuspage.services.components import tree as components
from statuspage.services.notices import incidents, maintenance, timeline
from tests.conftest import ACTOR

BASE_URL = "https://status.example.com"
SECRETS = (
    "SECRET internal incident",
    "SECRET internal update",
    "SECRET note",
    "SECRET scheduled update",
    "SECRET internal maintenance",
    "SECRET maintenance note",
    "SECRET scheduled maintenance update",
    "SECRET internal maintenance update",
)


@dataclass
class RichPage:
    now: datetime
    api: Component
    database: Component
    hidden: Component
    api_errors: Incident  # resolved, five public updates, one internal update, one note
    db_latency: Incident  # open, with a scheduled update
    login: Incident  # open, no component, latest update repeats the status
    internal_incident: Incident
    old_window: Maintenance  # completed 40 days ago: in the feed, not in the calendar
    done_window: Maintenance  # completed 9 days ago
    cancelled_window: Maintenance
    active_window: Maintenance  # in progress
    future_window: Maintenance  # scheduled
    internal_window: Maintenance

    def public_notices_newest_first(self) -> list[Incident | Maintenance]:
        """Newest first by announcement, as Statuspage publishes them: an incident when it
        started, a window when it was scheduled (not at its start, which may be ahead)."""
        notices = [
            self.future_window,
            self.cancelled_window,
            self.login,
            self.active_window,
            self.db_latency,
            self.api_errors,
            self.done_window,
            self.old_window,
        ]
        return sorted(notices, key=announced, reverse=True)


def announced(notice: Incident | Maintenance) -> datetime:
    return notice.created_at if notice.type == "maintenance" else notice.started_at


def _window(name: str, component: Component, *, at: datetime, start: datetime) -> Maintenance:
    return maintenance.schedule_maintenance(
        name=name,
        body=f"{name}: expect short interruptions.",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=2),
        components=[component],
        actor=ACTOR,
        now=at,
    )


def _completed(name: str, component: Component, *, start: datetime) -> Maintenance:
    window = _window(name, component, at=start - timedelta(days=5), start=start)
    maintenance.start_maintenance(window, at=start, actor=ACTOR, now=start)
    end = start + timedelta(hours=1)
    maintenance.complete_maintenance(window, at=end, actor=ACTOR, now=end)
    return window


def seed_rich_page(now: datetime) -> RichPage:
    """Everything in time order, written through the services as production would."""
    setup = now - timedelta(days=365)
    api = components.create_component(name="API", actor=ACTOR, now=setup)
    database = components.create_component(name="Database", actor=ACTOR, now=setup)
    hidden = components.create_component(
        name="Billing internals", visibility=Visibility.INTERNAL, actor=ACTOR, now=setup
    )
    old_window = _completed("Storage migration", database, start=now - timedelta(days=40))
    done_window = _completed("Load balancer upgrade", api, start=now - timedelta(days=9))

    cancelled_window = _window(
        "Network upgrade", database, at=now - timedelta(days=5), start=now + timedelta(days=2)
    )
    maintenance.cancel_maintenance(
        cancelled_window,
        body="Postponed: no longer needed.",
        actor=ACTOR,
        now=now - timedelta(days=4),
    )

    t = now - timedelta(days=3)
    api_errors = incidents.open_incident(
        name="Elevated API errors",
        body="We are investigating **errors** on the API.",
        components={api: ComponentStatus.PARTIAL_OUTAGE},
        impact=Impact.MAJOR,
        actor=ACTOR,
        now=t,
    )
    step = timedelta(minutes=20)
    incidents.post_update(
        api_errors,
        status=IncidentStatus.IDENTIFIED,
        body="A bad deploy.",
        actor=ACTOR,
        now=t + step,
    )
    incidents.post_update(
        api_errors,
        status=IncidentStatus.IDENTIFIED,
        body="SECRET internal update",
        visibility=Visibility.INTERNAL,
        actor=ACTOR,
        now=t + 2 * step,
    )
    timeline.add_note(api_errors, body="SECRET note", actor=ACTOR, now=t + 3 * step)
    incidents.post_update(
        api_errors,
        status=IncidentStatus.IDENTIFIED,
        body="Rolling back.\n\nAbout 10 minutes & counting.",
        actor=ACTOR,
        now=t + 4 * step,
    )
    incidents.post_update(
        api_errors,
        status=IncidentStatus.MONITORING,
        body="Error rates are back to normal.",
        actor=ACTOR,
        now=t + 5 * step,
    )
    incidents.resolve_incident(
        api_errors, body="This incident has been resolved.", actor=ACTOR, now=t + 6 * step
    )

    internal_incident = incidents.open_incident(
        name="SECRET internal incident",
        body="Staff only.",
        components={api: ComponentStatus.DEGRADED_PERFORMANCE},
        visibility=Visibility.INTERNAL,
        actor=ACTOR,
        now=now - timedelta(days=2),
    )

    t = now - timedelta(days=1)
    db_latency = incidents.open_incident(
        name="Database latency",
        body="Queries are slow.",
        components={database: ComponentStatus.DEGRADED_PERFORMANCE},
        actor=ACTOR,
        now=t,
    )
    incidents.post_update(
        db_latency,
        status=IncidentStatus.IDENTIFIED,
        body="- a full disk\n- on one replica",
        actor=ACTOR,
        now=t + timedelta(hours=1),
    )
    incidents.post_update(
        db_latency,
        status=IncidentStatus.MONITORING,
        body="SECRET scheduled update",
        publish_at=now + timedelta(hours=6),
        actor=ACTOR,
        now=t + timedelta(hours=2),
    )

    active_window = _window(
        "Cache cluster resize", api, at=now - timedelta(hours=3), start=now - timedelta(hours=1)
    )
    maintenance.start_maintenance(
        active_window, at=now - timedelta(hours=1), actor=ACTOR, now=now - timedelta(hours=1)
    )
    maintenance.post_maintenance_update(
        active_window,
        status=MaintenanceStatus.IN_PROGRESS,
        body="SECRET internal maintenance update",
        visibility=Visibility.INTERNAL,
        actor=ACTOR,
        now=now - timedelta(minutes=50),
    )
    maintenance.post_maintenance_update(
        active_window,
        status=MaintenanceStatus.VERIFYING,
        body="SECRET scheduled maintenance update",
        publish_at=now + timedelta(minutes=30),
        actor=ACTOR,
        now=now - timedelta(minutes=45),
    )

    t = now - timedelta(minutes=30)
    login = incidents.open_incident(
        name="Login failures", body="Some sign-ins fail.", actor=ACTOR, now=t
    )
    incidents.post_update(
        login,
        status=IncidentStatus.INVESTIGATING,
        body="Still looking.",
        actor=ACTOR,
        now=t + timedelta(minutes=10),
    )

    future_window = _window(
        "Database engine upgrade",
        database,
        at=now - timedelta(hours=2),
        start=now + timedelta(days=3),
    )
    timeline.add_note(
        future_window, body="SECRET maintenance note", actor=ACTOR, now=now - timedelta(minutes=5)
    )
    internal_window = maintenance.schedule_maintenance(
        name="SECRET internal maintenance",
        body="Staff only.",
        scheduled_for=now + timedelta(days=1),
        scheduled_until=now + timedelta(days=1, hours=1),
        components=[api],
        visibility=Visibility.INTERNAL,
        actor=ACTOR,
        now=now - timedelta(minutes=1),
    )
    return RichPage(
        now=now,
        api=api,
        database=database,
        hidden=hidden,
        api_errors=api_errors,
        db_latency=db_latency,
        login=login,
        internal_incident=internal_incident,
        old_window=old_window,
        done_window=done_window,
        cancelled_window=cancelled_window,
        active_window=active_window,
        future_window=future_window,
        internal_window=internal_window,
    )

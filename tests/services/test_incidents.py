from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.enums import (
    Audience,
    ComponentStatus,
    Impact,
    IncidentStatus,
    StatusCause,
    UpdateKind,
    Visibility,
)
from statuspage.extensions import db
from statuspage.models import ComponentStatusChange, Incident, IncidentUpdate
from statuspage.services.components import tree as component_service
from statuspage.services.errors import IncidentClosed, IncidentOpen, InvalidInput
from statuspage.services.notices import incidents as service
from statuspage.services.notices import timeline
from tests.conftest import ACTOR

S = ComponentStatus


def test_open_incident_sets_components_and_records_the_first_update(make_component, now):
    api = make_component(name="API")
    incident = service.open_incident(
        name="API errors",
        body="Looking into it.",
        impact=Impact.MAJOR,
        components={api: S.PARTIAL_OUTAGE},
        actor=ACTOR,
        now=now,
    )
    assert incident.status is IncidentStatus.INVESTIGATING
    assert incident.started_at == incident.created_at == now
    assert api.status is S.PARTIAL_OUTAGE and api.status_since == now
    [update] = incident.updates
    assert update.published_at == now and update.display_at == now
    assert [(c.component_id, c.old_status, c.new_status) for c in update.changes] == [
        (api.id, S.OPERATIONAL, S.PARTIAL_OUTAGE)
    ]
    change = db.session.scalars(
        sa.select(ComponentStatusChange).where(ComponentStatusChange.audience == Audience.PUBLIC)
    ).one()
    assert change.cause is StatusCause.INCIDENT
    assert (change.notice_id, change.update_id) == (incident.id, update.id)


def test_open_incident_refuses_resolved_status_future_start_and_empty_text(make_component, now):
    with pytest.raises(InvalidInput):
        service.open_incident(name="x", body="y", status=IncidentStatus.RESOLVED, actor=ACTOR)
    with pytest.raises(InvalidInput):
        service.open_incident(
            name="x", body="y", started_at=now + timedelta(hours=1), actor=ACTOR, now=now
        )
    with pytest.raises(InvalidInput) as error:
        service.open_incident(name="x", body="  ", actor=ACTOR)
    assert error.value.field == "body"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0


def test_post_update_moves_status_times_and_components(make_incident, make_component, now):
    api = make_component()
    incident = make_incident({api: S.MAJOR_OUTAGE}, now=now)
    later = now + timedelta(minutes=30)
    update = service.post_update(
        incident,
        status=IncidentStatus.MONITORING,
        body="Fix deployed.",
        components={api: S.DEGRADED_PERFORMANCE},
        impact=Impact.CRITICAL,
        actor=ACTOR,
        now=later,
    )
    assert incident.status is IncidentStatus.MONITORING and incident.monitoring_at == later
    assert incident.impact is Impact.CRITICAL and incident.updated_at == later
    assert api.status is S.DEGRADED_PERFORMANCE
    assert [(c.old_status, c.new_status) for c in update.changes] == [
        (S.MAJOR_OUTAGE, S.DEGRADED_PERFORMANCE)
    ]
    assert incident.updates[0] is update  # newest first


def test_every_update_repeats_every_affected_component(make_incident, make_component, now):
    api, web = make_component(), make_component()
    incident = make_incident({api: S.MAJOR_OUTAGE, web: S.DEGRADED_PERFORMANCE}, now=now)
    update = service.post_update(
        incident,
        status=IncidentStatus.IDENTIFIED,
        body="Found it.",
        components={api: S.PARTIAL_OUTAGE},
        actor=ACTOR,
        now=now + timedelta(minutes=5),
    )
    changes = {c.component_id: (c.old_status, c.new_status) for c in update.changes}
    assert changes == {
        api.id: (S.MAJOR_OUTAGE, S.PARTIAL_OUTAGE),
        web.id: (S.DEGRADED_PERFORMANCE, S.DEGRADED_PERFORMANCE),
    }


def test_resolve_returns_components_to_operational(make_incident, make_component, now):
    api = make_component()
    incident = make_incident({api: S.MAJOR_OUTAGE}, now=now)
    end = now + timedelta(hours=2)
    update = service.resolve_incident(incident, body="Fixed.", actor=ACTOR, now=end)
    assert incident.is_resolved and incident.resolved_at == end
    assert api.status is S.OPERATIONAL and api.status_since == end
    assert [(c.old_status, c.new_status) for c in update.changes] == [
        (S.MAJOR_OUTAGE, S.OPERATIONAL)
    ]


def test_resolve_leaves_the_status_another_open_incident_claims(make_incident, make_component, now):
    api = make_component()
    first = make_incident({api: S.MAJOR_OUTAGE}, now=now)
    second = make_incident({api: S.DEGRADED_PERFORMANCE}, now=now + timedelta(minutes=1))
    assert api.status is S.MAJOR_OUTAGE  # the worst open claim wins
    service.resolve_incident(first, body="Done.", actor=ACTOR, now=now + timedelta(minutes=10))
    assert api.status is S.DEGRADED_PERFORMANCE  # still claimed by the second
    service.resolve_incident(second, body="Done.", actor=ACTOR, now=now + timedelta(minutes=20))
    assert api.status is S.OPERATIONAL


def test_a_lighter_update_does_not_hide_a_worse_claim(make_incident, make_component, now):
    api = make_component()
    first = make_incident({api: S.MAJOR_OUTAGE}, now=now)
    second = make_incident({api: S.DEGRADED_PERFORMANCE}, now=now)
    service.post_update(
        second,
        status=IncidentStatus.MONITORING,
        body="Better.",
        components={api: S.OPERATIONAL},
        actor=ACTOR,
        now=now + timedelta(minutes=3),
    )
    assert api.status is S.MAJOR_OUTAGE
    service.post_update(
        first,
        status=IncidentStatus.IDENTIFIED,
        body="Partly back.",
        components={api: S.PARTIAL_OUTAGE},
        actor=ACTOR,
        now=now + timedelta(minutes=4),
    )
    assert api.status is S.PARTIAL_OUTAGE


def test_resolving_with_a_non_operational_component_is_refused(make_incident, make_component):
    api = make_component()
    incident = make_incident({api: S.MAJOR_OUTAGE})
    with pytest.raises(InvalidInput):
        service.post_update(
            incident,
            status=IncidentStatus.RESOLVED,
            body="x",
            components={api: S.MAJOR_OUTAGE},
            actor=ACTOR,
        )
    assert not incident.is_resolved and api.status is S.MAJOR_OUTAGE


def test_posting_to_a_resolved_incident_needs_a_reopen(make_incident, make_component, now):
    api = make_component()
    incident = make_incident({api: S.PARTIAL_OUTAGE}, now=now)
    service.resolve_incident(incident, body="Fixed.", actor=ACTOR, now=now + timedelta(minutes=5))
    with pytest.raises(IncidentClosed):
        service.post_update(incident, status=IncidentStatus.IDENTIFIED, body="x", actor=ACTOR)
    with pytest.raises(IncidentOpen):
        service.reopen_incident(make_incident(), body="x", actor=ACTOR)
    reopened_at = now + timedelta(minutes=30)
    service.reopen_incident(
        incident,
        body="It is back.",
        status=IncidentStatus.IDENTIFIED,
        components={api: S.MAJOR_OUTAGE},
        actor=ACTOR,
        now=reopened_at,
    )
    assert incident.status is IncidentStatus.IDENTIFIED and incident.resolved_at is None
    assert api.status is S.MAJOR_OUTAGE and len(incident.updates) == 3


def test_a_manual_change_survives_updates_that_do_not_mention_the_component(
    make_incident, make_component, now
):
    api, web = make_component(), make_component()
    incident = make_incident({api: S.MAJOR_OUTAGE, web: S.MAJOR_OUTAGE}, now=now)
    component_service.set_component_status(api, S.PARTIAL_OUTAGE, actor=ACTOR, now=now)
    service.post_update(
        incident,
        status=IncidentStatus.IDENTIFIED,
        body="x",
        components={web: S.DEGRADED_PERFORMANCE},
        actor=ACTOR,
        now=now,
    )
    assert api.status is S.PARTIAL_OUTAGE and web.status is S.DEGRADED_PERFORMANCE


def test_notes_are_internal_and_change_nothing(make_incident, make_component, now):
    api = make_component()
    incident = make_incident({api: S.MAJOR_OUTAGE}, now=now)
    note = timeline.add_note(incident, body="Paged the DBA.", actor=ACTOR, now=now)
    assert note.kind is UpdateKind.NOTE and note.visibility is Visibility.INTERNAL
    assert not note.deliver_notifications and note.changes == []
    assert incident.status is IncidentStatus.INVESTIGATING and api.status is S.MAJOR_OUTAGE


def test_edit_update_changes_only_its_text(make_incident, now):
    incident = make_incident(now=now)
    [update] = incident.updates
    timeline.edit_update(
        update, body="Corrected **text**.", actor=ACTOR, now=now + timedelta(hours=1)
    )
    assert update.body == "Corrected **text**." and "<strong>text</strong>" in update.body_html
    assert update.display_at == now and update.status_value == "investigating"


def test_update_incident_edits_name_impact_and_visibility(make_incident):
    incident = make_incident()
    service.update_incident(
        incident,
        name="Renamed",
        impact=Impact.CRITICAL,
        visibility=Visibility.INTERNAL,
        actor=ACTOR,
    )
    assert (incident.name, incident.impact, incident.visibility) == (
        "Renamed",
        Impact.CRITICAL,
        Visibility.INTERNAL,
    )


def test_delete_open_incident_releases_its_components_and_keeps_history(
    make_incident, make_component, now
):
    api = make_component()
    incident = make_incident({api: S.MAJOR_OUTAGE}, now=now)
    service.delete_incident(incident, actor=ACTOR, now=now + timedelta(minutes=10))
    assert db.session.get(Incident, incident.id) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IncidentUpdate)) == 0
    assert api.status is S.OPERATIONAL
    changes = db.session.scalars(
        sa.select(ComponentStatusChange)
        .where(ComponentStatusChange.audience == Audience.PUBLIC)
        .order_by(ComponentStatusChange.id)
    ).all()
    assert [(c.new_status, c.notice_id) for c in changes] == [
        (S.MAJOR_OUTAGE, None),
        (S.OPERATIONAL, None),
    ]


def test_archived_components_cannot_be_affected(make_component):
    api = make_component()
    component_service.archive_component(api, actor=ACTOR)
    with pytest.raises(InvalidInput):
        service.open_incident(name="x", body="y", components={api: S.MAJOR_OUTAGE}, actor=ACTOR)


def test_list_incidents_filters_and_searches(make_incident, now):
    resolved = make_incident(name="Database slowness", impact=Impact.MAJOR, now=now)
    service.resolve_incident(resolved, body="Index added to 50%_table.", actor=ACTOR, now=now)
    make_incident(name="API errors", impact=Impact.MINOR, now=now)
    names = lambda **kw: [i.name for i in service.list_incidents(**kw).items]  # noqa: E731
    assert names(state="open") == ["API errors"]
    assert names(state="resolved") == ["Database slowness"]
    assert names(impact=Impact.MAJOR) == ["Database slowness"]
    assert names(search="DATABASE") == ["Database slowness"]
    assert names(search="50%_t") == ["Database slowness"]  # matched in an update, % escaped
    assert names(search="%_TABLE") == ["Database slowness"]
    assert names(search="_x") == []

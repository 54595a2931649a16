import pytest
import sqlalchemy as sa

from statuspage.enums import ComponentStatus, Role, Via
from statuspage.extensions import db
from statuspage.models import AuditEntry, Component, PageState
from statuspage.services.components import tree as components
from statuspage.services.notices import incidents
from statuspage.services.unit import Actor, WriteOutsideService
from tests.conftest import ACTOR


def entries(**filters):
    query = sa.select(AuditEntry).order_by(AuditEntry.id)
    for key, value in filters.items():
        query = query.where(getattr(AuditEntry, key) == value)
    return db.session.scalars(query).all()


def test_each_write_is_audited_with_actor_channel_ip_and_changed_fields(make_user, now):
    user = make_user(Role.EDITOR)
    actor = Actor.of(user, via=Via.UI, ip="203.0.113.9")
    component = components.create_component(name="API", actor=actor, now=now)
    components.set_component_status(component, ComponentStatus.MAJOR_OUTAGE, actor=actor, now=now)
    [created] = entries(action="create_component")
    assert (created.actor_id, created.actor_label, created.via, created.ip) == (
        user.id,
        user.email,
        Via.UI,
        "203.0.113.9",
    )
    assert created.operation == "created" and created.object_id == component.id
    assert created.changes["name"] == [None, "API"] and created.at == now
    [changed] = entries(action="set_component_status", object_type="Component")
    assert changed.changes["status"] == ["operational", "major_outage"]
    assert "updated_at" not in changed.changes


def test_secrets_never_reach_the_audit_log(make_user):
    from statuspage.services.accounts import users

    user = make_user(Role.ADMIN)
    [entry] = entries(object_type="User")
    assert "password_hash" not in entry.changes
    users.set_password(user, "a-new-long-passphrase-7", actor=ACTOR)
    [changed] = entries(action="set_password")
    assert changed.changes == {"password_hash": ["[redacted]", "[redacted]"]}


def test_deletions_record_the_values_they_removed(make_incident, actor):
    incident = make_incident(name="Gone soon")
    incidents.delete_incident(incident, actor=actor)
    deleted = entries(operation="deleted", object_type="Incident")
    assert deleted and deleted[0].changes["name"] == ["Gone soon", None]


def test_a_write_outside_a_service_is_refused(app):
    db.session.add(Component(name="sneaky"))
    with pytest.raises(WriteOutsideService):
        db.session.commit()
    db.session.rollback()


def test_every_page_write_bumps_the_version(make_component, actor):
    component = make_component()
    before = db.session.scalar(sa.select(PageState.version))
    components.set_component_status(component, ComponentStatus.DEGRADED_PERFORMANCE, actor=actor)
    assert db.session.scalar(sa.select(PageState.version)) > before


def test_a_failed_service_call_writes_nothing(make_component, actor):
    from statuspage.services.errors import InvalidInput

    count = len(entries())
    with pytest.raises(InvalidInput):
        incidents.open_incident(name="ok", body="", actor=actor)
    assert len(entries()) == count


def test_times_are_stamped_from_the_unit_of_work(make_component, make_incident, now):
    """created_at and updated_at come from the unit's `now` in one place (a flush hook): a
    change moves updated_at, a change only staff see does not."""
    from datetime import timedelta

    from statuspage.enums import ComponentStatus, Visibility
    from statuspage.services.components import tree

    api = make_component(now=now)
    assert api.created_at == api.updated_at == now
    later = now + timedelta(hours=1)
    tree.update_component(
        api,
        name="API v2",
        group=None,
        description=None,
        visibility=Visibility.PUBLIC,
        showcase=True,
        only_show_if_degraded=False,
        start_date=None,
        actor=ACTOR,
        now=later,
    )
    assert api.updated_at == later
    make_incident(
        {api: ComponentStatus.MAJOR_OUTAGE},
        visibility=Visibility.INTERNAL,
        now=later + timedelta(hours=1),
    )
    assert api.internal_status is ComponentStatus.MAJOR_OUTAGE and api.updated_at == later


def test_a_nested_unit_of_work_stamps_with_its_own_now(app, now):
    """One outer transaction replaying a day of history: each service call inside it keeps the
    time it was given, for its rows, its audit entries and the page's version time."""
    from datetime import timedelta

    from statuspage.services.unit import unit_of_work

    first, second = now + timedelta(hours=1), now + timedelta(hours=2)
    with unit_of_work("replay", actor=ACTOR, now=now):
        same = components.create_component(name="Same", actor=ACTOR)
        api = components.create_component(name="API", actor=ACTOR, now=first)
        web = components.create_component(name="Web", actor=ACTOR, now=second)
        changed_at = db.session.scalar(sa.select(PageState.changed_at))
    assert (api.created_at, web.created_at, same.created_at) == (first, second, now)
    assert [e.at for e in entries(object_type="Component")] == [now, first, second]
    assert changed_at == second

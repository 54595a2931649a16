from datetime import timedelta

import pytest

from statuspage.enums import ComponentStatus, StatusCause, Visibility
from statuspage.extensions import db
from statuspage.models import Component
from statuspage.services.components import tree as service
from statuspage.services.errors import InUse, InvalidInput
from tests.conftest import ACTOR
from tests.helpers import public_changes

history = public_changes


def test_create_component_appends_in_its_group_with_a_public_id(make_group, make_component):
    group = make_group(name="Core")
    first = make_component(name="API", group=group)
    second = make_component(name="Web", group=group)
    top = make_component(name="CDN")
    assert (first.position, second.position) == (1, 2)
    assert top.position == 2  # after the group at top level
    assert len(first.id) == 12 and first.id.isalnum() and first.id.islower()
    assert first.status is ComponentStatus.OPERATIONAL
    assert history(first) == []


def test_create_component_with_a_status_records_it(make_component, now):
    component = make_component(status=ComponentStatus.MAJOR_OUTAGE, now=now)
    [change] = history(component)
    assert (change.old_status, change.new_status) == (
        ComponentStatus.OPERATIONAL,
        ComponentStatus.MAJOR_OUTAGE,
    )
    assert change.at == now and change.cause is StatusCause.MANUAL


def test_names_are_required_and_bounded(make_component):
    with pytest.raises(InvalidInput) as error:
        make_component(name="   ")
    assert error.value.field == "name"
    with pytest.raises(InvalidInput):
        make_component(name="x" * 256)


def test_update_component_moves_it_to_the_end_of_another_group(make_group, make_component):
    a, b = make_group(), make_group()
    one = make_component(group=a)
    two = make_component(group=a)
    moved = make_component(group=b)
    service.update_component(
        one,
        name="Renamed",
        group=b,
        description=" about ",
        visibility=Visibility.INTERNAL,
        showcase=False,
        only_show_if_degraded=True,
        start_date=None,
        actor=ACTOR,
    )
    assert one.group is b and one.position == 2 and moved.position == 1
    assert two.position == 1  # the old group closed the gap
    assert one.description == "about" and one.visibility is Visibility.INTERNAL


def test_set_component_status_records_each_change_with_its_actor(make_component, now):
    component = make_component(now=now)
    service.set_component_status(
        component, ComponentStatus.DEGRADED_PERFORMANCE, actor=ACTOR, now=now + timedelta(minutes=5)
    )
    service.set_component_status(
        component, ComponentStatus.DEGRADED_PERFORMANCE, actor=ACTOR, now=now + timedelta(minutes=6)
    )  # unchanged: no row
    service.set_component_status(
        component, ComponentStatus.OPERATIONAL, actor=ACTOR, now=now + timedelta(minutes=9)
    )
    changes = history(component)
    assert [(c.old_status, c.new_status) for c in changes] == [
        (ComponentStatus.OPERATIONAL, ComponentStatus.DEGRADED_PERFORMANCE),
        (ComponentStatus.DEGRADED_PERFORMANCE, ComponentStatus.OPERATIONAL),
    ]
    assert changes[0].actor_label == "test" and changes[1].at == now + timedelta(minutes=9)
    assert component.status_since == now + timedelta(minutes=9)


def test_archived_component_keeps_history_and_cannot_take_a_status(make_component):
    component = make_component()
    service.set_component_status(component, ComponentStatus.MAJOR_OUTAGE, actor=ACTOR)
    service.archive_component(component, actor=ACTOR)
    assert component.is_archived and history(component)
    with pytest.raises(InvalidInput):
        service.set_component_status(component, ComponentStatus.OPERATIONAL, actor=ACTOR)
    with pytest.raises(InUse):
        service.delete_component(component, actor=ACTOR)
    service.restore_component(component, actor=ACTOR)
    assert not component.is_archived


def test_component_without_history_can_be_deleted(make_component):
    component = make_component()
    service.delete_component(component, actor=ACTOR)
    assert db.session.get(Component, component.id) is None


def test_archive_group_archives_its_components_and_restore_brings_them_back(
    make_group, make_component
):
    group = make_group()
    inside = make_component(group=group)
    archived_before = make_component(group=group)
    service.archive_component(archived_before, actor=ACTOR)
    service.archive_group(group, actor=ACTOR)
    assert inside.is_archived and group.is_archived
    service.restore_group(group, actor=ACTOR)
    assert not group.is_archived and not inside.is_archived
    assert archived_before.is_archived  # archived on its own, stays archived


def test_delete_group_refuses_while_it_holds_components(make_group, make_component):
    group = make_group()
    make_component(group=group)
    with pytest.raises(InUse):
        service.delete_group(group, actor=ACTOR)
    empty = make_group()
    service.delete_group(empty, actor=ACTOR)


def test_move_and_reorder_top_level_items(make_group, make_component):
    a = make_group(name="A")
    b = make_component(name="B")
    c = make_group(name="C")
    service.move_item(c, offset=-2, actor=ACTOR)
    assert [i.name for i in service.top_level_items()] == ["C", "A", "B"]
    service.move_item(c, offset=99, actor=ACTOR)  # clamped to the end
    assert [i.name for i in service.top_level_items()] == ["A", "B", "C"]
    service.reorder_items([b, c, a], actor=ACTOR)
    assert [i.name for i in service.top_level_items()] == ["B", "C", "A"]


def test_reorder_refuses_items_from_different_parents(make_group, make_component):
    group = make_group()
    with pytest.raises(InvalidInput):
        service.reorder_items([make_component(group=group), make_component()], actor=ACTOR)


def test_update_group_edits_its_fields(make_group):
    group = make_group(name="Core")
    service.update_group(
        group,
        name=" Core services ",
        description="",
        visibility=Visibility.INTERNAL,
        showcase=False,
        only_show_if_degraded=True,
        start_date=None,
        actor=ACTOR,
    )
    assert (group.name, group.description, group.visibility) == (
        "Core services",
        None,
        Visibility.INTERNAL,
    )
    assert group.showcase is False and group.only_show_if_degraded is True

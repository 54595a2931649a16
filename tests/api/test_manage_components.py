"""Components and groups through the management API: create, read, edit, place and archive, with
each refusal named by field, the scopes, the audit trail, and what the public never sees."""

from datetime import date

import pytest
import sqlalchemy as sa

from statuspage.enums import ComponentStatus, TokenScope, Via, Visibility
from statuspage.extensions import db
from statuspage.models import ApiToken, AuditEntry, Component, ComponentGroup, ComponentStatusChange
from statuspage.services.components import tree as components
from tests.conftest import ACTOR
from tests.helpers import API, Api, fields_of
from tests.web.test_public_state import public_urls, snapshot


@pytest.fixture
def api(client, make_api_token):
    return Api(client, make_api_token(TokenScope.WRITE, name="Inventory sync"))


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def page_order(api):
    """(name, position) of every live item as the list shows them: groups, then their children."""
    return [(item["name"], item["position"]) for item in api.get("/components").get_json()["data"]]


def top_level(api):
    """The top-level items in page order, as (name, position)."""
    data = api.get("/components").get_json()["data"]
    return [(item["name"], item["position"]) for item in data if item["group_id"] is None]


# Components: create and read


def test_creating_a_component_with_every_field(api, make_group):
    """Statuspage's field names, flat, plus visibility and position; read back the same."""
    core = make_group(name="Core")
    response = api.post(
        "/components",
        {
            "name": "Search",
            "description": "Finding things.",
            "group_id": core.id,
            "showcase": False,
            "only_show_if_degraded": True,
            "start_date": "2026-03-01",
            "visibility": "internal",
            "position": 1,
        },
    )
    assert response.status_code == 201, response.text
    data = response.get_json()["data"]
    assert response.headers["Location"].endswith(f"{API}/components/{data['id']}")
    assert response.headers["Cache-Control"] == "no-store"
    expected = {
        "name": "Search",
        "description": "Finding things.",
        "group_id": core.id,
        "showcase": False,
        "only_show_if_degraded": True,
        "start_date": "2026-03-01",
        "visibility": "internal",
        "position": 1,
        "group": False,
        "status": "operational",
        "public_status": "operational",
    }
    assert {k: data[k] for k in expected} == expected
    assert api.get(f"/components/{data['id']}").get_json() == {"data": data}
    row = db.session.get(Component, data["id"])
    assert (row.group_id, row.start_date, row.visibility) == (
        core.id,
        date(2026, 3, 1),
        Visibility.INTERNAL,
    )
    listed = {item["id"]: item for item in api.get("/components").get_json()["data"]}
    assert listed[data["id"]] == data


def test_the_least_a_script_sends_is_a_name(api, make_component):
    """A public, showcased component, last at the top level, with no description or start."""
    make_component(name="API")
    data = api.post("/components", {"name": "  Web  "}).get_json()["data"]
    assert (data["name"], data["description"], data["group_id"], data["start_date"]) == (
        "Web",
        None,
        None,
        None,
    )
    assert (data["visibility"], data["showcase"], data["only_show_if_degraded"]) == (
        "public",
        True,
        False,
    )
    assert top_level(api) == [("API", 1), ("Web", 2)]


def test_blank_or_null_descriptions_and_start_dates_are_none(api):
    """null clears; blank text is no description (the services trim it)."""
    data = api.post("/components", {"name": "A", "description": " \t ", "start_date": None})
    assert data.status_code == 201, data.text
    assert data.get_json()["data"]["description"] is None
    assert data.get_json()["data"]["start_date"] is None


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2024-02-29"])
def test_any_calendar_day_is_a_start_date_and_the_page_still_renders(api, client, day):
    """Uptime counts from the start date: one far in the past or the future is still a page."""
    response = api.post("/components", {"name": "Edge", "start_date": day})
    assert response.status_code == 201, response.text
    assert response.get_json()["data"]["start_date"] == day
    assert client.get("/").status_code == 200
    assert client.get("/api/v2/summary.json").status_code == 200


# Components: refusals


@pytest.mark.parametrize(
    "body,expected",
    [
        ({}, {"name": ["This field is required."]}),
        ({"name": ""}, {"name": ["Must not be blank."]}),
        ({"name": 3}, {"name": ["Must be a string."]}),
        ({"name": None}, {"name": ["Must be a string."]}),
        ({"name": "x" * 256}, {"name": ["At most 255 characters."]}),
        ({"name": "x", "description": 3}, {"description": ["Must be a string or null."]}),
        ({"name": "x", "description": "y" * 2001}, {"description": ["At most 2000 characters."]}),
        (
            {"name": "x", "group_id": "nosuchgroup1"},
            {"group_id": ["No group with id nosuchgroup1."]},
        ),
        (
            {"name": "x", "group_id": 12},
            {"group_id": ["Must be a group id (12 lower-case letters and digits) or null."]},
        ),
        (
            {"name": "x", "group_id": "../../etc"},
            {"group_id": ["Must be a group id (12 lower-case letters and digits) or null."]},
        ),
        ({"name": "x", "showcase": "yes"}, {"showcase": ["Must be true or false."]}),
        (
            {"name": "x", "only_show_if_degraded": 1},
            {"only_show_if_degraded": ["Must be true or false."]},
        ),
        (
            {"name": "x", "start_date": "2026-02-30"},
            {"start_date": ["Must be a date as YYYY-MM-DD, or null."]},
        ),
        (
            {"name": "x", "start_date": "2026-3-1"},
            {"start_date": ["Must be a date as YYYY-MM-DD, or null."]},
        ),
        (
            {"name": "x", "start_date": "20260301"},
            {"start_date": ["Must be a date as YYYY-MM-DD, or null."]},
        ),
        (
            {"name": "x", "start_date": "2026-03-01T00:00Z"},
            {"start_date": ["Must be a date as YYYY-MM-DD, or null."]},
        ),
        (
            {"name": "x", "start_date": 20260301},
            {"start_date": ["Must be a date as YYYY-MM-DD, or null."]},
        ),
        (
            {"name": "x", "visibility": "secret"},
            {"visibility": ["Must be one of: public, internal."]},
        ),
        ({"name": "x", "position": 0}, {"position": ["Must be from 1 to 10000."]}),
        ({"name": "x", "position": "1"}, {"position": ["Must be a whole number."]}),
        ({"name": "x", "position": 1.5}, {"position": ["Must be a whole number."]}),
        ({"name": "x", "position": True}, {"position": ["Must be a whole number."]}),
        ({"name": "x", "status": "major_outage"}, {"status": ["Unknown field."]}),
        ({"name": "x", "group": True}, {"group": ["Unknown field."]}),
    ],
)
def test_creating_refuses_each_bad_field_by_name(api, body, expected):
    """One 422 naming the field and what is wrong with it; nothing is made."""
    assert fields_of(api.post("/components", body)) == expected
    assert count(Component) == 0


def test_every_problem_is_listed_in_one_answer(api):
    fields = fields_of(
        api.post(
            "/components",
            {
                "name": " ",
                "group_id": "nosuchgroup1",
                "start_date": "soon",
                "visibility": "x",
                "position": -1,
                "showcase": None,
                "colour": "red",
            },
        )
    )
    assert set(fields) == {
        "name",
        "group_id",
        "start_date",
        "visibility",
        "position",
        "showcase",
        "colour",
    }


def test_an_archived_group_is_refused_by_name(api, make_group):
    old = make_group(name="Legacy")
    components.archive_group(old, actor=ACTOR)
    assert fields_of(api.post("/components", {"name": "x", "group_id": old.id})) == {
        "group_id": ["Legacy is archived."]
    }
    assert count(Component) == 0


def test_a_position_past_the_last_sibling_is_refused_with_the_range(
    api, make_group, make_component
):
    """Top level: groups and ungrouped components share one numbering."""
    group = make_group(name="Core")
    make_component(name="API", group=group)
    make_component(name="CDN")
    assert fields_of(api.post("/components", {"name": "x", "position": 4})) == {
        "position": ["Choose a position from 1 to 3."]
    }
    assert fields_of(
        api.post("/components", {"name": "x", "group_id": group.id, "position": 3})
    ) == {"position": ["Choose a position from 1 to 2."]}
    assert count(Component) == 2
    assert api.post("/components", {"name": "Last", "position": 3}).status_code == 201


@pytest.mark.parametrize(
    "method,path",
    [
        ("POST", "/components"),
        ("PATCH", "/components/{id}"),
        ("POST", "/groups"),
        ("PATCH", "/groups/{id}"),
    ],
)
def test_bodies_that_are_not_json_objects(api, make_group, make_component, method, path):
    """Malformed JSON or no JSON at all is a 400; JSON that is not an object a 422."""
    ident = (make_group() if "groups" in path else make_component()).id
    url = API + path.format(id=ident)
    headers = {"Authorization": f"Bearer {api.secret}"}
    for data, content_type in [
        ("{", "application/json"),
        ('{"name": NaN}', "application/json"),
        ("name=x", "application/x-www-form-urlencoded"),
        ("", None),
    ]:
        response = api.client.open(
            url, method=method, data=data, content_type=content_type, headers=headers
        )
        assert response.status_code == 400, (data, response.text)
    assert fields_of(api.call(method, path.format(id=ident), ["name"])) == {
        "body": ["Send a JSON object, {...}."]
    }


# Components: edit and place


def test_patch_changes_what_it_names_and_keeps_the_rest(api, make_group):
    group = make_group(name="Core")
    made = api.post(
        "/components",
        {
            "name": "Search",
            "description": "Finding.",
            "group_id": group.id,
            "showcase": False,
            "only_show_if_degraded": True,
            "start_date": "2026-03-01",
            "visibility": "internal",
        },
    ).get_json()["data"]
    path = f"/components/{made['id']}"
    renamed = api.patch(path, {"name": "Find"})
    assert renamed.status_code == 200, renamed.text
    data = renamed.get_json()["data"]
    assert data["name"] == "Find"
    unchanged = (
        "description",
        "group_id",
        "showcase",
        "only_show_if_degraded",
        "start_date",
        "visibility",
        "position",
        "created_at",
    )
    assert {k: data[k] for k in unchanged} == {k: made[k] for k in unchanged}
    data = api.patch(
        path, {"description": None, "start_date": None, "showcase": True, "visibility": "public"}
    ).get_json()["data"]
    assert (data["description"], data["start_date"], data["showcase"], data["visibility"]) == (
        None,
        None,
        True,
        "public",
    )
    assert (data["name"], data["only_show_if_degraded"]) == ("Find", True)
    assert api.get(path).get_json()["data"] == data


def test_patch_refuses_bad_fields_and_changes_nothing(api, make_component):
    component = make_component(name="API")
    path = f"/components/{component.id}"
    assert "body" in fields_of(api.patch(path, {}))
    fields = fields_of(
        api.patch(
            path,
            {
                "name": "",
                "group_id": "nosuchgroup1",
                "position": 0,
                "start_date": "yesterday",
                "id": "x",
            },
        )
    )
    assert set(fields) == {"name", "group_id", "position", "start_date", "id"}
    assert fields_of(api.patch(path, {"name": None})) == {"name": ["Must be a string."]}
    assert db.session.get(Component, component.id).name == "API"


def test_group_id_moves_a_component_and_null_brings_it_to_the_top_level(
    api, make_group, make_component
):
    """Moved last into its new siblings, or to `position`; the ones it left close up."""
    core, edge = make_group(name="Core"), make_group(name="Edge")
    api_c, web, auth, db_c = (
        make_component(name=n, group=core) for n in ("API", "Web", "Auth", "DB")
    )
    cdn = make_component(name="CDN", group=edge)
    data = api.patch(f"/components/{api_c.id}", {"group_id": edge.id}).get_json()["data"]
    assert (data["group_id"], data["position"]) == (edge.id, 2)
    data = api.patch(f"/components/{web.id}", {"group_id": edge.id, "position": 1}).get_json()
    assert (data["data"]["group_id"], data["data"]["position"]) == (edge.id, 1)
    groups = {g["name"]: g for g in api.get("/groups").get_json()["data"]}
    assert groups["Core"]["components"] == [auth.id, db_c.id]
    assert groups["Edge"]["components"] == [web.id, cdn.id, api_c.id]
    data = api.patch(f"/components/{auth.id}", {"group_id": None}).get_json()["data"]
    assert (data["group_id"], data["position"]) == (None, 3)
    assert page_order(api) == [
        ("Core", 1),
        ("DB", 1),
        ("Edge", 2),
        ("Web", 1),
        ("CDN", 2),
        ("API", 3),
        ("Auth", 3),
    ]


def test_position_moves_an_item_among_its_siblings_and_renumbers_them(
    api, make_group, make_component
):
    """1-based places: the others shift to make room, and stay numbered 1, 2, 3..."""
    core = make_group(name="Core")
    cdn = make_component(name="CDN")
    mail = make_component(name="Email")
    children = [make_component(name=n, group=core) for n in ("A", "B", "C")]
    assert top_level(api) == [("Core", 1), ("CDN", 2), ("Email", 3)]
    api.patch(f"/components/{mail.id}", {"position": 1})
    assert top_level(api) == [("Email", 1), ("Core", 2), ("CDN", 3)]
    api.patch(f"/components/{cdn.id}", {"position": 2})
    assert top_level(api) == [("Email", 1), ("CDN", 2), ("Core", 3)]
    api.patch(f"/groups/{core.id}", {"position": 1})
    assert top_level(api) == [("Core", 1), ("Email", 2), ("CDN", 3)]
    api.patch(f"/components/{children[2].id}", {"position": 1})
    assert [c["name"] for c in api.get("/components").get_json()["data"][1:4]] == ["C", "A", "B"]
    assert fields_of(api.patch(f"/components/{cdn.id}", {"position": 4})) == {
        "position": ["Choose a position from 1 to 3."]
    }
    assert top_level(api) == [("Core", 1), ("Email", 2), ("CDN", 3)]


# Components: archive


def test_delete_archives_a_component_and_keeps_its_history(api, client, make_component):
    """204; the component leaves the lists, the JSON API and the page; its status history stays;
    a second DELETE is a 409 and reading it a 404 that says it is archived."""
    search = api.post("/components", {"name": "Search"}).get_json()["data"]
    api.put(f"/components/{search['id']}/status", {"status": "major_outage"})
    assert "Search" in client.get("/").text
    assert "Search" in client.get("/api/v2/components.json").text
    response = api.call("DELETE", f"/components/{search['id']}")
    assert response.status_code == 204 and response.data == b""
    assert response.headers["Cache-Control"] == "no-store"
    assert db.session.get(Component, search["id"]).is_archived
    assert count(ComponentStatusChange) > 0  # the history is kept
    assert api.get("/components").get_json()["data"] == []
    assert "Search" not in client.get("/").text
    assert "Search" not in client.get("/api/v2/summary.json").text
    assert client.get("/api/v2/components.json").get_json()["components"] == []
    gone = api.get(f"/components/{search['id']}")
    assert gone.status_code == 404 and "archived" in gone.get_json()["error"]["message"]
    assert api.patch(f"/components/{search['id']}", {"name": "Again"}).status_code == 404
    again = api.call("DELETE", f"/components/{search['id']}")
    assert again.status_code == 409
    assert again.get_json()["error"]["message"] == "This component is already archived."
    for method in ("GET", "PATCH", "DELETE"):
        response = api.call(method, "/components/abcdefghijkl", {"name": "x"})
        assert response.status_code == 404, method
        assert response.get_json()["error"]["message"] == "No component with id abcdefghijkl."


def test_archiving_a_top_level_component_keeps_the_order_of_the_rest(
    api, make_group, make_component
):
    """Groups and ungrouped components share the top level: closing the gap renumbers them all,
    so the page keeps its order."""
    make_component(name="In alpha", group=make_group(name="Alpha group"))
    beta = make_component(name="Beta")
    make_component(name="In gamma", group=make_group(name="Gamma group"))
    make_component(name="Delta")
    assert top_level(api) == [("Alpha group", 1), ("Beta", 2), ("Gamma group", 3), ("Delta", 4)]
    assert api.call("DELETE", f"/components/{beta.id}").status_code == 204
    assert top_level(api) == [("Alpha group", 1), ("Gamma group", 2), ("Delta", 3)]


# Groups


def test_groups_are_made_read_edited_and_listed(api, make_component):
    """Statuspage's group shape (group: true, its components' ids) plus visibility."""
    make_component(name="CDN")
    response = api.post("/groups", {"name": "Core", "description": "The core.", "position": 1})
    assert response.status_code == 201, response.text
    group = response.get_json()["data"]
    assert response.headers["Location"].endswith(f"{API}/groups/{group['id']}")
    expected = {
        "name": "Core",
        "description": "The core.",
        "group": True,
        "group_id": None,
        "components": [],
        "visibility": "public",
        "position": 1,
        "status": "operational",
        "public_status": "operational",
    }
    assert {k: group[k] for k in expected} == expected
    hidden = api.post("/groups", {"name": "Ops", "visibility": "internal"}).get_json()["data"]
    assert (hidden["visibility"], hidden["position"]) == ("internal", 3)
    child = api.post("/components", {"name": "API", "group_id": group["id"]}).get_json()["data"]
    api.put(f"/components/{child['id']}/status", {"status": "partial_outage"})
    one = api.get(f"/groups/{group['id']}").get_json()["data"]
    assert (one["components"], one["status"], one["public_status"]) == (
        [child["id"]],
        "partial_outage",
        "partial_outage",
    )
    listed = api.get("/groups").get_json()["data"]
    assert [g["name"] for g in listed] == ["Core", "Ops"]  # empty and internal ones too
    assert listed[0] == one
    edited = api.patch(f"/groups/{group['id']}", {"name": "Core services", "description": None})
    assert edited.status_code == 200, edited.text
    data = edited.get_json()["data"]
    assert (data["name"], data["description"], data["visibility"], data["components"]) == (
        "Core services",
        None,
        "public",
        [child["id"]],
    )
    row = db.session.get(ComponentGroup, group["id"])
    assert (row.showcase, row.only_show_if_degraded, row.start_date) == (True, False, None)


def test_an_internal_childs_status_is_not_the_groups_public_status(api, make_group):
    core = make_group(name="Core")
    hidden = api.post(
        "/components", {"name": "Billing", "group_id": core.id, "visibility": "internal"}
    ).get_json()["data"]
    api.put(f"/components/{hidden['id']}/status", {"status": "major_outage"})
    group = api.get(f"/groups/{core.id}").get_json()["data"]
    assert (group["status"], group["public_status"]) == ("major_outage", "operational")


@pytest.mark.parametrize(
    "body,expected",
    [
        ({}, {"name": ["This field is required."]}),
        ({"name": "\u00a0"}, {"name": ["Must not be blank."]}),
        (
            {"name": "x", "visibility": "hidden"},
            {"visibility": ["Must be one of: public, internal."]},
        ),
        ({"name": "x", "position": 3}, {"position": ["Choose a position from 1 to 2."]}),
        ({"name": "x", "description": ["a"]}, {"description": ["Must be a string or null."]}),
        ({"name": "x", "showcase": False}, {"showcase": ["Unknown field."]}),
        ({"name": "x", "group_id": None}, {"group_id": ["Unknown field."]}),
        ({"name": "x", "components": []}, {"components": ["Unknown field."]}),
    ],
)
def test_groups_refuse_each_bad_field_by_name(api, make_component, body, expected):
    make_component(name="CDN")
    assert fields_of(api.post("/groups", body)) == expected
    assert count(ComponentGroup) == 0


def test_group_patch_and_read_refusals(api, make_group):
    group = make_group(name="Core")
    path = f"/groups/{group.id}"
    assert "body" in fields_of(api.patch(path, {}))
    assert set(fields_of(api.patch(path, {"name": 1, "position": 2, "start_date": None}))) == {
        "name",
        "start_date",
    }
    assert fields_of(api.patch(path, {"position": 2})) == {
        "position": ["Choose a position from 1 to 1."]
    }
    assert db.session.get(ComponentGroup, group.id).name == "Core"
    for method in ("GET", "PATCH", "DELETE"):
        response = api.call(method, "/groups/abcdefghijkl", {"name": "x"})
        assert response.status_code == 404, method
        assert response.get_json()["error"]["message"] == "No group with id abcdefghijkl."
    component = api.post("/components", {"name": "API"}).get_json()["data"]
    assert api.get(f"/groups/{component['id']}").status_code == 404  # not a group
    assert api.get(f"/components/{group.id}").status_code == 404  # not a component


def test_deleting_a_group_archives_it_with_its_components_once(api, client, make_group):
    """Its components go with it; a second DELETE is a 409, so restoring the group in the admin
    still brings back the components archived alongside it."""
    group = make_group(name="Regions")
    child = api.post("/components", {"name": "EU", "group_id": group.id}).get_json()["data"]
    assert "Regions" in client.get("/").text
    assert api.call("DELETE", f"/groups/{group.id}").status_code == 204
    assert api.get("/groups").get_json()["data"] == []
    assert api.get("/components").get_json()["data"] == []
    assert api.get(f"/components/{child['id']}").status_code == 404
    assert "Regions" not in client.get("/").text
    assert client.get("/api/v2/components.json").get_json()["components"] == []
    again = api.call("DELETE", f"/groups/{group.id}")
    assert again.status_code == 409
    assert again.get_json()["error"]["message"] == "This group is already archived."
    assert api.get(f"/groups/{group.id}").status_code == 404
    components.restore_group(db.session.get(ComponentGroup, group.id), actor=ACTOR)
    restored = api.get(f"/groups/{group.id}").get_json()["data"]
    assert restored["components"] == [child["id"]]


# Scopes and the audit trail


def test_a_read_token_reads_but_every_write_is_a_403(
    client, make_api_token, make_group, make_component
):
    reader = Api(client, make_api_token(TokenScope.READ))
    group = make_group(name="Core")
    component = make_component(name="API", group=group)
    for path in ["/components", f"/components/{component.id}", "/groups", f"/groups/{group.id}"]:
        assert reader.get(path).status_code == 200, path
    before = count(AuditEntry)
    for method, path, body in [
        ("POST", "/components", {"name": "x"}),
        ("PATCH", f"/components/{component.id}", {"name": "x"}),
        ("DELETE", f"/components/{component.id}", None),
        ("POST", "/groups", {"name": "x"}),
        ("PATCH", f"/groups/{group.id}", {"name": "x"}),
        ("DELETE", f"/groups/{group.id}", None),
    ]:
        response = reader.call(method, path, body)
        assert response.status_code == 403, (method, path)
        assert 'scope="write"' in response.headers["WWW-Authenticate"]
    assert count(AuditEntry) == before
    assert (count(Component), count(ComponentGroup)) == (1, 1)
    assert not db.session.get(Component, component.id).is_archived


def test_every_write_is_audited_as_the_token(api):
    """The audit log names the token and its maker, via api, for each service the API called."""
    maker = db.session.scalars(sa.select(ApiToken)).one().created_by_id
    group = api.post("/groups", {"name": "Core"}).get_json()["data"]["id"]
    component = api.post("/components", {"name": "API", "group_id": group}).get_json()["data"]["id"]
    api.patch(f"/components/{component}", {"description": "The API."})
    api.patch(f"/groups/{group}", {"name": "Core services"})
    api.call("DELETE", f"/components/{component}")
    api.call("DELETE", f"/groups/{group}")
    for action, object_id in [
        ("create_group", group),
        ("create_component", component),
        ("update_component", component),
        ("update_group", group),
        ("archive_component", component),
        ("archive_group", group),
    ]:
        entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()
        assert object_id in {e.object_id for e in entries}, action
        for entry in entries:
            assert (entry.via, entry.actor_label, entry.actor_id, entry.ip) == (
                Via.API,
                "token Inventory sync",
                maker,
                "127.0.0.1",
            ), action
    [described] = [
        e
        for e in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "update_component")
        )
        if e.object_id == component
    ]
    assert described.changes["description"] == [None, "The API."]


# What the public never sees


def test_internal_components_made_through_the_api_never_reach_a_public_path(
    app, client, api, route_objects
):
    """An internal component, and a public one inside an internal group, made, named, set to a
    major outage, edited and archived through the API: every public URL answers byte for byte
    as before, validators included, and never names them."""
    urls = public_urls(app, route_objects)
    assert len(urls) >= 20
    before = snapshot(client, urls)
    hidden_group = api.post("/groups", {"name": "Zebra ops", "visibility": "internal"}).get_json()
    hidden = api.post(
        "/components",
        {"name": "Quagga billing", "visibility": "internal", "description": "Okapi ledger"},
    ).get_json()
    inside = api.post(
        "/components", {"name": "Narwhal queue", "group_id": hidden_group["data"]["id"]}
    )
    inside = inside.get_json()
    made = [hidden["data"], inside["data"]]
    for item in made:
        assert (
            api.put(f"/components/{item['id']}/status", {"status": "major_outage"}).status_code
            == 200
        )
        assert (
            api.patch(f"/components/{item['id']}", {"description": "Still okapi"}).status_code
            == 200
        )
    assert (
        api.patch(f"/groups/{hidden_group['data']['id']}", {"description": "Okapi"}).status_code
        == 200
    )
    assert api.call("DELETE", f"/components/{hidden['data']['id']}").status_code == 204
    after = snapshot(client, urls)
    secrets = [
        "Zebra",
        "Quagga",
        "Narwhal",
        "Okapi",
        "okapi",
        hidden_group["data"]["id"],
        *(item["id"] for item in made),
    ]
    for url in urls:
        status, version, minute, modified, body = before[url]
        assert after[url][:2] == (status, version), url
        if version and after[url][2] == minute:
            assert after[url][3:] == (modified, body), url
        text = after[url][4].decode("utf-8", "replace")
        assert not [s for s in secrets if s in text], url
    for item in made:
        assert client.get(f"/components/{item['id']}/history.atom").status_code == 404
        assert client.get(f"/history?component={item['id']}").status_code == 404
    # staff see them
    staff = {c["name"]: c for c in api.get("/components").get_json()["data"]}
    assert staff["Narwhal queue"]["status"] == ComponentStatus.MAJOR_OUTAGE.value

from datetime import timedelta

import lxml.html
import pytest

from statuspage.enums import ComponentStatus, Impact, IncidentStatus, Visibility
from statuspage.services.notices import incidents
from tests.conftest import ACTOR

S = ComponentStatus


def test_empty_page_is_all_operational(client):
    page = client.get("/").text
    assert "All Systems Operational" in page and "No components are listed yet." in page


def test_banner_components_and_open_incident_with_its_latest_update(
    client, make_group, make_component, make_incident, now
):
    group = make_group(name="Core")
    api = make_component(name="API", group=group)
    make_component(name="Web", group=group)
    make_component(name="CDN")
    incident = make_incident(
        {api: S.PARTIAL_OUTAGE}, name="API errors", impact=Impact.MINOR, now=now
    )
    incidents.post_update(
        incident,
        status=IncidentStatus.IDENTIFIED,
        body="Found a *bad* deploy.",
        actor=ACTOR,
        now=now + timedelta(minutes=10),
    )
    page = client.get("/").text
    assert "Minor Service Outage" in page  # one of three components in partial outage
    assert "API errors" in page and "<em>bad</em>" in page
    assert f'href="/incidents/{incident.id}"' in page
    tree = lxml.html.fromstring(page)
    [core] = tree.xpath("//li[@class='group'][.//summary/span[@class='name']='Core']")
    summary_status = core.xpath("./details/summary//span[@class='status-text']/text()")
    assert summary_status == ["Partial outage"]  # the group shows its worst child
    children = {
        li.xpath("string(.//span[@class='name'])"): li.xpath(
            "string(.//span[@class='status-text'])"
        )
        for li in core.xpath(".//li[@class='component']")
    }
    assert children == {"API": "Partial outage", "Web": "Operational"}
    [cdn] = tree.xpath("//ul[@class='component-list']/li[@class='component']")
    assert cdn.xpath("string(.//span[@class='status-text'])") == "Operational"


def test_open_incident_on_operational_components_raises_the_banner(
    client, make_component, make_incident
):
    make_component()
    make_incident(impact=Impact.NONE)
    page = client.get("/").text
    assert "All Systems Operational" not in page
    assert "Partially Degraded Service" in page


def test_internal_items_never_appear_on_the_public_page(
    client, make_group, make_component, make_incident
):
    secret_group = make_group(name="Secret group", visibility=Visibility.INTERNAL)
    hidden_child = make_component(name="Child of secret group", group=secret_group)
    secret = make_component(name="Secret component", visibility=Visibility.INTERNAL)
    make_component(name="Public component")
    make_incident(
        {secret: S.MAJOR_OUTAGE, hidden_child: S.MAJOR_OUTAGE},
        name="Secret incident",
        visibility=Visibility.INTERNAL,
    )
    page = client.get("/").text
    for text in ("Secret group", "Child of secret group", "Secret component", "Secret incident"):
        assert text not in page
    assert "Public component" in page and "All Systems Operational" in page


def test_internal_page_shows_everything_to_staff(client, login_as, make_component, make_incident):
    from statuspage.enums import Role

    secret = make_component(name="Secret component", visibility=Visibility.INTERNAL)
    make_incident({secret: S.MAJOR_OUTAGE}, name="Secret incident", visibility=Visibility.INTERNAL)
    assert client.get("/internal").status_code == 302
    login_as(Role.VIEWER)
    page = client.get("/internal").text
    assert "Secret component" in page and "Secret incident" in page
    assert "Major System Outage" in page


def test_only_show_if_degraded(client, make_component):
    quiet = make_component(name="Quiet CDN", only_show_if_degraded=True)
    assert "Quiet CDN" not in client.get("/").text
    from statuspage.services.components import tree as components

    components.set_component_status(quiet, S.DEGRADED_PERFORMANCE, actor=ACTOR)
    assert "Quiet CDN" in client.get("/").text


def _populate(make_group, make_component, make_incident, count, now):
    groups = [make_group() for _ in range(max(1, count // 10))]
    made = [make_component(group=groups[i % len(groups)]) for i in range(count)]
    for i in range(count):
        incident = make_incident(
            {made[i]: S.DEGRADED_PERFORMANCE}, now=now - timedelta(days=i % 90, hours=1)
        )
        incidents.resolve_incident(
            incident, body="Fixed.", actor=ACTOR, now=now - timedelta(days=i % 90)
        )
    make_incident({made[0]: S.MAJOR_OUTAGE}, now=now)


@pytest.mark.config(UPTIME_DAYS=90)
def test_the_page_runs_the_same_number_of_queries_for_10_and_200_items(
    app, client, count_queries, make_group, make_component, make_incident, now
):
    _populate(make_group, make_component, make_incident, 10, now)
    with count_queries() as small:
        assert client.get("/").status_code == 200
    _populate(make_group, make_component, make_incident, 190, now)
    with count_queries() as large:
        assert client.get("/").status_code == 200
    assert len(small) == len(large), (len(small), len(large))
    # 15 for the page, and one for its clock facts (whether some component is not
    # operational), read once per page version and process.
    assert len(large) <= 16


def test_unknown_incident_is_a_404_page(client):
    response = client.get("/incidents/doesnotexist")
    assert response.status_code == 404 and "There is no page at this address" in response.text


def test_internal_incident_is_a_404_for_the_public(client, make_incident):
    incident = make_incident(visibility=Visibility.INTERNAL)
    assert client.get(f"/incidents/{incident.id}").status_code == 404

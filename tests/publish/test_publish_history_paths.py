"""The history's path form, which the published site is made of, on the live app: the same
entries as the query form, its links by path, a page past the last or a bad month a 404, and
every query-form URL unchanged."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from statuspage.enums import ComponentStatus


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def titles(html: str) -> list[str]:
    return re.findall(r"<h3><a [^>]*>(.*?)</a></h3>", html)


def test_the_path_form_shows_what_the_query_form_shows(client, make_component, make_incident):
    api, web = make_component(name="API"), make_component(name="Web")
    for day in range(1, 24):
        started = utc(f"2026-10-{day:02d}T08:00")
        target = api if day % 2 else web
        make_incident(
            {target: ComponentStatus.DEGRADED_PERFORMANCE}, now=started, name=f"October {day}"
        )
    by_query = client.get("/history?month=2026-10")
    by_path = client.get("/history/2026-10/")
    assert by_query.status_code == by_path.status_code == 200
    assert titles(by_path.text) == titles(by_query.text) and len(titles(by_path.text)) == 20
    assert 'href="/history/2026-09/"' in by_path.text
    assert 'href="/history/2026-10/page/2/"' in by_path.text
    assert 'href="/history?month=2026-09"' in by_query.text  # the query form links as before
    second = client.get("/history/2026-10/page/2/")
    assert titles(second.text) == titles(client.get("/history?month=2026-10&page=2").text)
    filtered = client.get(f"/components/{web.id}/history/2026-10/")
    assert titles(filtered.text) == titles(
        client.get(f"/history?month=2026-10&component={web.id}").text
    )
    assert f'href="/components/{web.id}/history/2026-09/"' in filtered.text
    assert client.get(f"/components/{web.id}/history/").status_code == 200
    assert 'href="/history/' in client.get("/history").text  # a bare /history links by path


def test_what_the_path_form_refuses(client, make_component):
    component = make_component()
    assert client.get("/history/2026-10/page/2/").status_code == 404  # past the last page
    assert client.get("/history/2026-13/").status_code == 404
    assert client.get("/history/abcd-10/").status_code == 404
    assert client.get("/components/zzzzzzzzzzzz/history/").status_code == 404
    assert client.get(f"/components/{component.id}/history/2026-10/").status_code == 200
    assert client.get("/history?month=2026-13").status_code == 400  # unchanged

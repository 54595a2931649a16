"""Every GET route x every query parameter it reads x hostile values: never a 5xx.

Routes come from the URL map; the parameters of each are those its view actually reads, recorded
from `request.args` on a first visit, so a new route or a new parameter is covered unedited.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from flask import request
from werkzeug.datastructures import ImmutableMultiDict

from statuspage.enums import Role
from tests.conftest import make_app
from tests.web.test_permissions import url_for_route

HOSTILE = [
    "²",
    "١٢",
    "-1",
    "0",
    "99999999999999999999",
    "9999-12",
    "0000-00",
    "1970-00",
    "abc",
    "",
    "%00",
    "\x00",
    " 1",
    "1e3",
    "x" * 5000,
]
#: Read by the views; listed so a route whose first visit reads nothing still gets them.
COMMON = {"page", "per_page", "month", "limit", "q", "component"}
STAFF_PREFIXES = ("/admin", "/internal", "/api/manage", "/account")


class RecordingArgs(ImmutableMultiDict):
    """request.args that remembers the names a view asked for."""

    seen: set[str]

    def _note(self, key: Any) -> None:
        if isinstance(key, str):
            self.seen.add(key)

    def get(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        self._note(key)
        return super().get(key, *args, **kwargs)

    def getlist(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        self._note(key)
        return super().getlist(key, *args, **kwargs)

    def __getitem__(self, key: Any) -> Any:
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self._note(key)
        return super().__contains__(key)


def get_routes() -> list[str]:
    app = make_app()
    return sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint != "static"
    )


@pytest.fixture
def recorded(app) -> set[str]:
    seen: set[str] = set()

    @app.before_request
    def record_args() -> None:
        args = RecordingArgs(request.args)
        args.seen = seen
        request.args = args  # werkzeug's cached_property takes an assignment

    return seen


@pytest.mark.parametrize("endpoint", get_routes())
def test_hostile_query_values_never_cause_a_server_error(
    app, client, login_as, make_api_token, route_objects, recorded, endpoint
):
    url = url_for_route(app, endpoint, route_objects)
    if url.startswith(STAFF_PREFIXES):
        token = make_api_token()
        login_as(Role.ADMIN)
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    with client.get(url) as first:
        assert first.status_code < 500, first.status_code
    names = sorted((recorded | COMMON) - {"token"})
    separator = "&" if "?" in url else "?"
    for name in names:
        for value in HOSTILE:
            query = f"{quote(name)}={quote(value, safe='')}"
            with client.get(f"{url}{separator}{query}") as response:
                assert response.status_code < 500, (name, value, response.status_code)


def test_the_recorded_parameters_are_the_ones_the_history_reads(app, client, recorded):
    client.get("/history")
    assert {"month", "page", "component"} <= recorded


@pytest.mark.parametrize(
    "url,status",
    [
        ("/history?month=9999-12", 400),
        ("/history?month=9999-11", 200),
        ("/history?page=%C2%B2", 400),
        ("/history?month=%D9%A2%D9%A0%D9%A2%D9%A6-11", 400),
        ("/history?component=%00", 404),
        ("/api/v2/incidents.json?page=%C2%B2", 400),
        ("/api/v2/incidents.json?per_page=%C2%B2", 400),
        ("/api/v2/scheduled-maintenances.json?page=%C2%B2", 400),
        ("/api/v2/scheduled-maintenances.json?per_page=101", 400),
        ("/api/v2/scheduled-maintenances.json?per_page=100", 200),
    ],
)
def test_public_query_numbers_answer_400(client, url, status):
    assert client.get(url).status_code == status


@pytest.mark.parametrize(
    "url",
    [
        "/internal/history?month=9999-12",
        "/internal/history?page=%C2%B2",
        "/admin/maintenance?page=%C2%B2",
        "/admin/incidents?page=%C2%B2",
    ],
)
def test_staff_query_numbers_answer_400(client, login_as, url):
    login_as(Role.ADMIN)
    assert client.get(url).status_code == 400

"""Helpers several test modules share: the management API client and reading a component's
public status history. Fixtures live in tests/conftest.py; these are plain functions."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from statuspage.enums import Audience, ComponentStatus
from statuspage.extensions import db
from statuspage.models import Component, ComponentStatusChange

API = "/api/manage/v1"


class Api:
    """The test client speaking to the management API with one token."""

    def __init__(self, client: Any, secret: str | None) -> None:
        self.client, self.secret = client, secret

    def call(self, method: str, path: str, json: Any = None, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        if self.secret is not None:
            headers.setdefault("Authorization", f"Bearer {self.secret}")
        return self.client.open(API + path, method=method, json=json, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.call("POST", path, json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.call("PATCH", path, json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.call("PUT", path, json, **kwargs)


def fields_of(response: Any) -> dict[str, list[str]]:
    """The field messages of a 422 answer (asserting it is one)."""
    assert response.status_code == 422, (response.status_code, response.text)
    error = response.get_json()["error"]
    assert error["status"] == 422 and error["message"]
    return error["fields"]


def public_changes(component: Component) -> list[ComponentStatusChange]:
    """The component's public status changes, oldest first."""
    return list(
        db.session.scalars(
            sa.select(ComponentStatusChange)
            .where(
                ComponentStatusChange.component_id == component.id,
                ComponentStatusChange.audience == Audience.PUBLIC,
            )
            .order_by(ComponentStatusChange.id)
        )
    )


def public_statuses(component: Component) -> list[ComponentStatus]:
    """The statuses the public saw the component move to, oldest first."""
    return [change.new_status for change in public_changes(component)]

"""Helpers for webhook and chat tests: confirmed webhook subscribers, one delivery round (the
HTTP sink, `http_sink`, is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from statuspage.database import utcnow
from statuspage.services.hooks import sender, webhooks
from statuspage.services.outbox import delivery, events
from statuspage.services.subscribers import signup
from tests.conftest import ACTOR


@pytest.fixture
def now() -> datetime:
    """Deliveries happen now: an event older than MAIL_EVENT_MAX_AGE_HOURS is never sent."""
    return utcnow()


@pytest.fixture
def make_webhook(app, now, http_sink) -> Callable[..., Any]:
    """Webhook subscribers confirmed an hour before the test's incidents, so they hear."""
    counter = iter(range(1, 10_000))

    def make(path: str | None = None, *, components: tuple = (), groups: tuple = ()) -> Any:
        number = next(counter)
        at = now - timedelta(hours=1)
        subscriber = webhooks.subscribe_webhook(
            endpoint=http_sink.url(path or f"/hook{number}"),
            email=f"hooks{number}@example.com",
            component_ids=[c.id for c in components],
            group_ids=[g.id for g in groups],
            actor=ACTOR,
            now=at,
        )
        signup.confirm_subscription(subscriber, actor=ACTOR, now=at)
        return subscriber

    return make


@pytest.fixture
def send_hooks(app) -> Callable[..., delivery.DeliveryReport]:
    """Fan out, then POST everything due."""

    def run(**kw: Any) -> delivery.DeliveryReport:
        events.fan_out_events()
        return sender.deliver_hooks(**kw)

    return run

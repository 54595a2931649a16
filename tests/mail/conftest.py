"""Helpers for mail tests: confirmed subscribers and one full delivery round."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from statuspage.database import utcnow
from statuspage.enums import Cadence
from statuspage.services.outbox import delivery, events
from statuspage.services.subscribers import signup as subscribers
from tests.conftest import ACTOR


@pytest.fixture
def now() -> datetime:
    """Mail tests happen now: an event older than MAIL_EVENT_MAX_AGE_HOURS is never mailed."""
    return utcnow()


@pytest.fixture
def make_subscriber(app, now) -> Callable[..., Any]:
    """Subscribers confirmed an hour before the test's incidents (by default), so they hear."""
    counter = iter(range(1, 100_000))

    def make(
        email: str | None = None,
        *,
        confirmed: bool = True,
        cadence: Cadence = Cadence.IMMEDIATE,
        components: tuple = (),
        groups: tuple = (),
        **kw: Any,
    ) -> Any:
        kw.setdefault("now", now - timedelta(hours=1))
        subscriber = subscribers.subscribe(
            email=email or f"reader{next(counter)}@example.com",
            cadence=cadence,
            component_ids=[c.id for c in components],
            group_ids=[g.id for g in groups],
            actor=ACTOR,
            **kw,
        )
        if confirmed:
            subscribers.confirm_subscription(subscriber, actor=ACTOR, now=kw.get("now"))
        return subscriber

    return make


@pytest.fixture
def send_all(smtp_mailer) -> Callable[..., Any]:
    """Fan out and send until nothing is left (skipping the confirmation mails in the count)."""

    def run(**kw: Any) -> Any:
        events.fan_out_events()
        total = delivery.DeliveryReport()
        while True:
            report = delivery.deliver_pending(smtp_mailer, **kw)
            total.sent += report.sent
            total.failed += report.failed
            total.retried += report.retried
            total.skipped += report.skipped
            total.errors += report.errors
            if not (report.sent or report.skipped or report.failed) or report.errors:
                return total

    return run

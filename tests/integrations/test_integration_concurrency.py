"""Two senders posting the same alerts at the same moment (an Alertmanager HA pair): on
PostgreSQL, with a threaded server, every request answers 200 and each alert is one row."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from statuspage.enums import ComponentStatus
from statuspage.extensions import db
from statuspage.models import Alert
from tests.conftest import is_postgres
from tests.integrations.conftest import am_alert, am_body
from tests.live_server import serve

pytestmark = pytest.mark.skipif(
    not is_postgres(),
    reason="concurrent writers need PostgreSQL (SQLite in memory is one connection)",
)


@pytest.fixture
def threaded_server(app) -> Iterator[str]:
    with serve(app, threaded=True) as url:
        yield url


def _send(url: str, body: bytes, secret: str, start: threading.Barrier, codes: list[int]) -> None:
    request = urllib.request.Request(  # noqa: S310 (a local test URL)
        url,
        data=body,
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
        method="POST",
    )
    start.wait(timeout=10)
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:  # noqa: S310
            codes.append(answer.status)
    except urllib.error.HTTPError as error:
        codes.append(error.code)


def test_the_same_alerts_posted_twice_at_once(threaded_server, make_component, make_integration):
    components = [make_component(name=f"C{i}") for i in range(3)]
    made = make_integration(damping_minutes=0, incident_policy="publish")
    url = f"{threaded_server}/api/integrations/alertmanager"
    codes: list[int] = []
    for round_ in range(8):
        state = "firing" if round_ % 2 == 0 else "resolved"
        alerts = [am_alert(c.name, status=state, fingerprint=f"f{c.name}") for c in components]
        body = am_body(*alerts)
        start = threading.Barrier(2)
        senders = [
            threading.Thread(target=_send, args=(url, body, made.secret, start, codes))
            for _ in range(2)
        ]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(timeout=30)
    assert codes == [200] * 16
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Alert)) == 3
    assert {c.status for c in components} == {ComponentStatus.OPERATIONAL}

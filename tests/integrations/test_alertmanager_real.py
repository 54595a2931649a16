"""A real Alertmanager (Debian's prometheus-alertmanager) posting to our live app: an alert
posted to Alertmanager's own API moves the component on /api/v2/components.json, and its
resolution restores it."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port

ALERTMANAGER = Path("/usr/bin/prometheus-alertmanager")
#: How long Alertmanager gets to start, and to deliver each notification.
DEADLINE_SECONDS = 30


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 (a local test URL)
        return json.loads(answer.read())


def _ready(base: str) -> bool:
    with urllib.request.urlopen(f"{base}/-/ready", timeout=2) as answer:  # noqa: S310
        return bool(answer.status == 200)


def _until(check: Callable[[], Any], what: str) -> Any:
    """Poll *check* until it answers something truthy, for at most DEADLINE_SECONDS."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (OSError, urllib.error.URLError) as error:
            last = error
        else:
            if last:
                return last
        time.sleep(0.1)
    pytest.fail(f"{what} did not happen within {DEADLINE_SECONDS} s (last: {last!r})")


def _config(receiver_url: str, secret: str) -> str:
    return json.dumps(  # JSON is YAML: Alertmanager reads it as its config file
        {
            "global": {"resolve_timeout": "1m"},
            "route": {
                "receiver": "statuspage",
                "group_by": ["alertname"],
                "group_wait": "0s",
                "group_interval": "1s",
                "repeat_interval": "1h",
            },
            "receivers": [
                {
                    "name": "statuspage",
                    "webhook_configs": [
                        {
                            "url": receiver_url,
                            "send_resolved": True,
                            "http_config": {
                                "authorization": {"type": "Bearer", "credentials": secret}
                            },
                        }
                    ],
                }
            ],
        }
    )


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[Callable[[str, str], str]]:
    """Start Alertmanager with a webhook receiver; answers its base URL."""
    if not ALERTMANAGER.exists():
        pytest.skip(
            f"{ALERTMANAGER} is not installed (Debian: apt-get install prometheus-alertmanager)"
        )
    processes: list[subprocess.Popen[bytes]] = []

    def start(receiver_url: str, secret: str) -> str:
        config = tmp_path / "alertmanager.yml"
        config.write_text(_config(receiver_url, secret))
        port = free_port()
        with (tmp_path / "alertmanager.log").open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 (a fixed binary, our arguments)
                [
                    str(ALERTMANAGER),
                    f"--config.file={config}",
                    f"--storage.path={tmp_path / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--cluster.listen-address=",
                    "--log.level=warn",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        processes.append(process)
        base = f"http://127.0.0.1:{port}"
        _until(lambda: _ready(base), "Alertmanager's start")
        return base

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _post_alert(base: str, *, ends_at: datetime | None = None) -> None:
    alert: dict[str, Any] = {
        "labels": {"alertname": "CheckoutErrors", "component": "checkout", "severity": "critical"},
        "annotations": {"summary": "Checkout answers 5xx"},
        "startsAt": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
    }
    if ends_at is not None:
        alert["endsAt"] = ends_at.isoformat()
    request = urllib.request.Request(  # noqa: S310 (a local test URL)
        f"{base}/api/v2/alerts",
        data=json.dumps([alert]).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
        assert answer.status == 200


def test_alertmanager_fires_and_resolves(
    live_server: str, alertmanager, make_component, make_integration
) -> None:
    from statuspage.services.components import tree
    from tests.conftest import ACTOR

    component = make_component(name="Checkout")
    tree.set_component_aliases(component, ["checkout"], actor=ACTOR)
    made = make_integration(damping_minutes=0)
    base = alertmanager(f"{live_server}/api/integrations/alertmanager", made.secret)

    def status() -> str:
        data = _get_json(f"{live_server}/api/v2/components.json")
        return next(c["status"] for c in data["components"] if c["id"] == component.id)

    assert status() == "operational"
    _post_alert(base)
    _until(lambda: status() == "major_outage", "the firing alert reaching the page")
    _post_alert(base, ends_at=datetime.now(UTC) - timedelta(seconds=1))
    _until(lambda: status() == "operational", "the resolution reaching the page")

"""Debian's Prometheus scrapes `/metrics` with a metrics token, and its query API returns our
series: the configuration docs/integrations.md gives, run for real."""

from __future__ import annotations

import json
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from statuspage.enums import ComponentStatus, TokenScope
from statuspage.services.components import tree
from tests.conftest import ACTOR, free_port
from tests.live_server import serve

PROMETHEUS = Path("/usr/bin/prometheus")
#: How long Prometheus may take to start and scrape before the test gives up.
DEADLINE_SECONDS = 60

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not PROMETHEUS.exists(), reason="needs Debian's prometheus (.ci/run installs it)"
    ),
]


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[Any]:
    """`start(target, token)` runs Prometheus scraping *target* every second; yields a query."""
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[Any] = []
    port = free_port()

    def start(target: str, token: str) -> None:
        config = tmp_path / "prometheus.yml"
        config.write_text(
            f"""
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: statuspage
    metrics_path: /metrics
    authorization:
      credentials: {token}
    static_configs:
      - targets: ["{target}"]
"""
        )
        log = (tmp_path / "prometheus.log").open("wb")
        logs.append(log)
        processes.append(
            subprocess.Popen(
                [
                    str(PROMETHEUS),
                    f"--config.file={config}",
                    f"--storage.tsdb.path={tmp_path / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )

    def query(expression: str) -> list[dict[str, Any]]:
        url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode(
            {"query": expression}
        )
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (local)
                return json.load(response)["data"]["result"]
        except OSError:
            return []  # not listening yet

    yield start, query
    for process in processes:
        process.terminate()
        process.wait(timeout=20)
    for log in logs:
        log.close()
    log_file = tmp_path / "prometheus.log"
    if log_file.exists():
        print(log_file.read_text()[-3000:])


def wait_for(query: Any, expression: str, expected: str) -> list[dict[str, Any]]:
    """Poll Prometheus until *expression* has one series of value *expected*."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    result: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        result = query(expression)
        if len(result) == 1 and result[0]["value"][1] == expected:
            return result
        time.sleep(0.5)
    raise AssertionError(f"{expression} never became {expected}: {result}")


def test_prometheus_scrapes_the_page_and_sees_a_status_change(
    app, prometheus, make_api_token, make_component
):
    start, query = prometheus
    api = make_component(name="API")
    secret = make_api_token(TokenScope.METRICS)
    lock = threading.Lock()
    with serve(app, lock) as url:
        start(url.removeprefix("http://"), secret)
        up = wait_for(query, 'up{job="statuspage"}', "1")
        assert up[0]["metric"]["instance"] == url.removeprefix("http://")
        series = 'statuspage_component_severity{component="API",audience="public"}'
        found = wait_for(query, series, "0")
        assert found[0]["metric"]["component_id"] == api.id
        with lock:  # the scraper and this write share the in-memory database
            tree.set_component_status(api, ComponentStatus.MAJOR_OUTAGE, actor=ACTOR)
        wait_for(query, series, "4")
        wait_for(
            query,
            'statuspage_component_status{component="API",audience="internal",'
            'status="major_outage"}',
            "1",
        )
        assert query("statuspage_outbox_depth")

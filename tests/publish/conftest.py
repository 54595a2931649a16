"""Publishing the demo site into a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from statuspage.database import set_clock, utcnow
from statuspage.services.page.history import Month
from statuspage.services.publish.site import build_site
from statuspage.services.publish.writer import publish_to_folder


def publish(app: Flask, target: Path) -> Path:
    """Publish the site as `flask publish --to target` does; the build folder."""
    now = utcnow()
    build, _ = publish_to_folder(build_site(app, current=Month.of(now)), target, now=now)
    return build


@pytest.fixture
def stopped_clock(app: Flask) -> Iterator[None]:
    """Everything a test renders, at one moment: the demo has an outage open and its uptime
    counts to the quarter hour, so a publish and a live read astride a quarter rightly differ."""
    moment = utcnow()
    set_clock(lambda: moment)
    yield
    set_clock(None)


@pytest.fixture
def published(app: Flask, demo_page, tmp_path: Path, stopped_clock: None) -> Path:
    """The demo site, published; the link nginx serves."""
    target = tmp_path / "site"
    publish(app, target)
    return target

"""Publishing the demo site into a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from statuspage.database import utcnow
from statuspage.services.page.history import Month
from statuspage.services.publish.site import build_site
from statuspage.services.publish.writer import publish_to_folder


def publish(app: Flask, target: Path) -> Path:
    """Publish the site as `flask publish --to target` does; the build folder."""
    now = utcnow()
    build, _ = publish_to_folder(build_site(app, current=Month.of(now)), target, now=now)
    return build


@pytest.fixture
def published(app: Flask, demo_page, tmp_path: Path) -> Path:
    """The demo site, published; the link nginx serves."""
    target = tmp_path / "site"
    publish(app, target)
    return target

"""One publish: the site rendered by the app, written to a folder or pushed to a bucket."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import Flask

from statuspage.services.page.history import Month
from statuspage.services.publish import s3
from statuspage.services.publish.incremental import publish_full
from statuspage.services.publish.site import build_site


def publish_site(app: Flask, destination: str, *, now: datetime) -> str:
    """Publish to *destination* (a folder, or s3://bucket/prefix); what was done, in words."""
    if destination.startswith("s3://"):
        files = build_site(app, current=Month.of(now))
        target = s3.S3Target.parse(destination)
        client = s3.s3_client(app.config["PUBLISH_S3_ENDPOINT_URL"])
        upload = s3.upload_site(files, target, client)
        return (
            f"Uploaded {len(upload.uploaded)} files to {destination}, "
            f"{upload.unchanged} unchanged, {len(upload.deleted)} deleted."
        )
    report = publish_full(app, Path(destination), now=now)
    return f"Published {len(report.rendered)} pages to {destination} (build {report.build})."
